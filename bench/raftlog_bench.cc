// raftlog_bench — throughput of raftlog::Log with group commit, against the fdatasync floor
// measured in the same run and the same directory; and recovery (Open) time.
//
// Usage:
//   raftlog_bench commit <dir> [seconds=3] [rounds=3] [entry_bytes=100] [prealloc=2]
//       prealloc: 0 none, 1 fallocate only, 2 fallocate + zero-fill ahead (the default).
//       For each round: the floor loops, then 1, 16 and 256 concurrent proposers (threads that
//       each submit one entry and wait until it is synced; one writer thread batches whatever is
//       pending into one Append + Sync). Prints one JSON line per measurement.
//   raftlog_bench prealloc <dir> [seconds=3] [rounds=3]
//       1 proposer with each prealloc mode (0, 1, 2), interleaved with the floors.
//   raftlog_bench floor <dir> [seconds=3]
//       Only the floor loops, in all four modes (overwrite, append, prealloc, zerofill).
//   raftlog_bench recovery <dir> [entries=1000000] [entry_bytes=100]
//       Writes `entries` entries (1,000 per Sync), closes the log, and times Log::Open.
// The directory is created, and the files the benchmark wrote in it are removed afterwards.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/check.h"
#include "fs/posix_file_system.h"
#include "raftlog/log.h"

namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * v.size()))];
}

// 4 KiB write + fdatasync in a loop. mode: "append" (the file grows), "prealloc" (sequential
// writes into fallocated space, like a log segment), "zerofill" (sequential writes into space
// already written with zeros), "overwrite" (the same block again and again).
void Floor(const std::string& dir, const std::string& mode, double seconds) {
  std::string path = dir + "/floor.tmp";
  int fd = ::open(path.c_str(), O_CREAT | O_TRUNC | O_RDWR, 0644);
  CHECK(fd >= 0);
  const off_t kSpan = 64 << 20;
  if (mode == "prealloc" || mode == "overwrite") CHECK(::fallocate(fd, 0, 0, kSpan) == 0);
  if (mode == "zerofill") {
    std::vector<char> zeros(1 << 20, 0);
    for (off_t o = 0; o < kSpan; o += zeros.size()) {
      CHECK(::pwrite(fd, zeros.data(), zeros.size(), o) == static_cast<ssize_t>(zeros.size()));
    }
  }
  CHECK(::fsync(fd) == 0);
  std::vector<char> buf(4096, 'x');
  std::vector<double> lat;
  off_t off = 0;
  auto start = Clock::now();
  while (Seconds(start, Clock::now()) < seconds && off + 4096 <= kSpan) {
    auto t0 = Clock::now();
    CHECK(::pwrite(fd, buf.data(), buf.size(), mode == "overwrite" ? 0 : off) == 4096);
    CHECK(::fdatasync(fd) == 0);
    lat.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
    off += 4096;
  }
  double secs = Seconds(start, Clock::now());
  ::close(fd);
  ::unlink(path.c_str());
  std::printf("{\"bench\":\"floor\",\"mode\":\"%s\",\"ops_per_s\":%.0f,\"p50_us\":%.0f,"
              "\"p99_us\":%.0f}\n",
              mode.c_str(), lat.size() / secs, Percentile(lat, 0.5), Percentile(lat, 0.99));
  std::fflush(stdout);
}

// Proposers submit entries; one writer batches them into Append + Sync (group commit).
class GroupCommit {
 public:
  explicit GroupCommit(raftlog::Log* log) : log_(log), next_index_(log->last_index() + 1) {}

  // Blocks until the entry is durable; returns false once stopped.
  bool Propose(std::string data) {
    std::unique_lock<std::mutex> l(mu_);
    if (stop_) return false;
    uint64_t index = next_index_++;
    pending_.push_back(raft::Entry{1, index, raft::EntryType::kNormal, std::move(data)});
    work_cv_.notify_one();
    done_cv_.wait(l, [&] { return synced_ >= index || stop_; });
    return synced_ >= index;
  }

  void WriterLoop() {
    std::vector<raft::Entry> batch;
    for (;;) {
      {
        std::unique_lock<std::mutex> l(mu_);
        work_cv_.wait(l, [&] { return !pending_.empty() || stop_; });
        if (stop_ && pending_.empty()) return;
        batch.swap(pending_);
      }
      CHECK_OK(log_->Append(batch));
      CHECK_OK(log_->Sync());
      {
        std::lock_guard<std::mutex> l(mu_);
        synced_ = batch.back().index;
        ++syncs_;
        done_cv_.notify_all();
      }
      batch.clear();
    }
  }

  void Stop() {
    std::lock_guard<std::mutex> l(mu_);
    stop_ = true;
    work_cv_.notify_all();
    done_cv_.notify_all();
  }
  uint64_t syncs() {
    std::lock_guard<std::mutex> l(mu_);
    return syncs_;
  }

 private:
  raftlog::Log* log_;
  std::mutex mu_;
  std::condition_variable work_cv_, done_cv_;
  std::vector<raft::Entry> pending_;
  uint64_t next_index_;
  uint64_t synced_ = 0;
  uint64_t syncs_ = 0;
  bool stop_ = false;
};

// prealloc: 0 = none, 1 = fallocate only, 2 = fallocate + zero-fill ahead (the default).
void Commit(const std::string& dir, int proposers, double seconds, size_t entry_bytes,
            int prealloc) {
  std::string logdir = dir + "/log";
  std::filesystem::remove_all(logdir);
  fs::PosixFileSystem pfs;
  raftlog::Options opt;
  opt.preallocate = prealloc != 0;
  if (prealloc == 1) opt.zero_fill_bytes = 0;
  auto log = std::move(raftlog::Log::Open(&pfs, logdir, opt)).value();
  GroupCommit gc(log.get());
  std::thread writer([&] { gc.WriterLoop(); });
  std::vector<std::vector<double>> lat(proposers);
  std::vector<std::thread> threads;
  auto start = Clock::now();
  auto deadline = start + std::chrono::duration<double>(seconds);
  for (int p = 0; p < proposers; ++p) {
    threads.emplace_back([&, p] {
      std::string data(entry_bytes, static_cast<char>('a' + p % 26));
      while (Clock::now() < deadline) {
        auto t0 = Clock::now();
        if (!gc.Propose(data)) return;
        lat[p].push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
      }
    });
  }
  for (auto& t : threads) t.join();
  double secs = Seconds(start, Clock::now());
  gc.Stop();
  writer.join();
  std::vector<double> all;
  for (auto& v : lat) all.insert(all.end(), v.begin(), v.end());
  std::printf("{\"bench\":\"commit\",\"proposers\":%d,\"prealloc\":%d,\"entry_bytes\":%zu,"
              "\"appends_per_s\":%.0f,\"syncs_per_s\":%.0f,\"entries_per_sync\":%.1f,"
              "\"p50_us\":%.0f,\"p99_us\":%.0f}\n",
              proposers, prealloc, entry_bytes, all.size() / secs,
              gc.syncs() / secs, static_cast<double>(all.size()) / std::max<uint64_t>(1, gc.syncs()),
              Percentile(all, 0.5), Percentile(all, 0.99));
  std::fflush(stdout);
  log.reset();
  std::filesystem::remove_all(logdir);
}

void Recovery(const std::string& dir, uint64_t entries, size_t entry_bytes) {
  std::string logdir = dir + "/log";
  std::filesystem::remove_all(logdir);
  fs::PosixFileSystem pfs;
  raftlog::Options opt;
  {
    auto t0 = Clock::now();
    auto log = std::move(raftlog::Log::Open(&pfs, logdir, opt)).value();
    std::vector<raft::Entry> batch;
    for (uint64_t i = 1; i <= entries; ++i) {
      batch.push_back(raft::Entry{1 + i / 100000, i, raft::EntryType::kNormal,
                                  std::string(entry_bytes, 'r')});
      if (batch.size() == 1000 || i == entries) {
        CHECK_OK(log->Append(batch));
        CHECK_OK(log->Sync());
        batch.clear();
      }
    }
    CHECK_OK(log->SetHardState({11, 1, entries}));
    CHECK_OK(log->Sync());
    double secs = Seconds(t0, Clock::now());
    std::printf("{\"bench\":\"write\",\"entries\":%llu,\"batch\":1000,\"write_s\":%.3f,"
                "\"entries_per_s\":%.0f}\n",
                static_cast<unsigned long long>(entries), secs, entries / secs);
    std::fflush(stdout);
  }
  ::sync();
  for (int round = 0; round < 3; ++round) {
    auto t0 = Clock::now();
    auto log = std::move(raftlog::Log::Open(&pfs, logdir, opt)).value();
    double secs = Seconds(t0, Clock::now());
    CHECK_EQ(log->last_index(), entries);
    std::printf("{\"bench\":\"recovery\",\"entries\":%llu,\"entry_bytes\":%zu,\"segments\":%zu,"
                "\"open_s\":%.3f,\"entries_per_s\":%.0f}\n",
                static_cast<unsigned long long>(entries), entry_bytes, log->segment_count(),
                secs, entries / secs);
    std::fflush(stdout);
  }
  std::filesystem::remove_all(logdir);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s commit|recovery <dir> [args...]\n", argv[0]);
    return 2;
  }
  std::string cmd = argv[1], dir = argv[2];
  std::filesystem::create_directories(dir);
  auto arg = [&](int i, double def) { return argc > i ? std::atof(argv[i]) : def; };
  if (cmd == "commit") {
    double seconds = arg(3, 3);
    int rounds = static_cast<int>(arg(4, 3));
    size_t entry_bytes = static_cast<size_t>(arg(5, 100));
    int prealloc = static_cast<int>(arg(6, 2));
    for (int r = 0; r < rounds; ++r) {
      Floor(dir, "append", seconds);
      Floor(dir, "prealloc", seconds);
      Floor(dir, "zerofill", seconds);
      for (int p : {1, 16, 256}) Commit(dir, p, seconds, entry_bytes, prealloc);
    }
  } else if (cmd == "prealloc") {
    // 1 proposer with each preallocation mode, interleaved with the floors.
    double seconds = arg(3, 3);
    int rounds = static_cast<int>(arg(4, 3));
    for (int r = 0; r < rounds; ++r) {
      Floor(dir, "append", seconds);
      Floor(dir, "zerofill", seconds);
      for (int mode : {0, 1, 2}) Commit(dir, 1, seconds, 100, mode);
    }
  } else if (cmd == "floor") {
    for (const char* mode : {"overwrite", "append", "prealloc", "zerofill"}) {
      Floor(dir, mode, arg(3, 3));
    }
  } else if (cmd == "recovery") {
    Recovery(dir, static_cast<uint64_t>(arg(3, 1000000)), static_cast<size_t>(arg(4, 100)));
  } else {
    std::fprintf(stderr, "unknown command %s\n", cmd.c_str());
    return 2;
  }
  return 0;
}
