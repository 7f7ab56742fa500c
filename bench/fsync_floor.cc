// fsync_floor — the physical floor of a durable write on this disk, measured in the same run as
// any disk-bound benchmark (see /work/shared/benchmarking.md).
//
// Usage: fsync_floor <dir> [seconds=2] [mode=append|overwrite|prezeroed]
//   append: the file grows with every write; overwrite: rewrite one fallocated block;
//   prezeroed: sequential writes into a file zero-filled and synced beforehand (the raft log's
//   pattern: no metadata changes per sync).
// Writes 4 KiB then fdatasync in a loop; prints ops/s and p50/p99 latency in microseconds as one
// line of JSON.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s <dir> [seconds] [append|overwrite]\n", argv[0]);
    return 2;
  }
  std::string path = std::string(argv[1]) + "/fsync_floor.tmp";
  double seconds = argc > 2 ? std::atof(argv[2]) : 2.0;
  std::string mode = argc > 3 ? argv[3] : "append";
  bool overwrite = mode == "overwrite";
  bool prezeroed = mode == "prezeroed";
  int fd = ::open(path.c_str(), O_CREAT | O_TRUNC | O_WRONLY, 0644);
  if (fd < 0) {
    std::perror("open");
    return 1;
  }
  if (overwrite && ::posix_fallocate(fd, 0, 4096) != 0) return 1;
  if (prezeroed) {
    std::vector<char> zeros(1 << 20, 0);
    for (int i = 0; i < 256; ++i) {
      if (::write(fd, zeros.data(), zeros.size()) != static_cast<ssize_t>(zeros.size())) return 1;
    }
    if (::fsync(fd) != 0) return 1;
  }
  std::vector<char> buf(4096, 'x');
  std::vector<double> lat;
  using Clock = std::chrono::steady_clock;
  auto start = Clock::now();
  off_t off = 0;
  while (std::chrono::duration<double>(Clock::now() - start).count() < seconds) {
    auto t0 = Clock::now();
    if (::pwrite(fd, buf.data(), buf.size(), overwrite ? 0 : off) != 4096) return 1;
    if (::fdatasync(fd) != 0) return 1;
    lat.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
    off += 4096;
  }
  double total = std::chrono::duration<double>(Clock::now() - start).count();
  ::close(fd);
  ::unlink(path.c_str());
  std::sort(lat.begin(), lat.end());
  auto pct = [&](double p) { return lat[std::min(lat.size() - 1, size_t(p * lat.size()))]; };
  std::printf("{\"mode\":\"%s\",\"ops\":%zu,\"ops_per_s\":%.0f,\"p50_us\":%.1f,\"p99_us\":%.1f}\n",
              mode.c_str(), lat.size(), lat.size() / total, pct(0.5),
              pct(0.99));
  return 0;
}
