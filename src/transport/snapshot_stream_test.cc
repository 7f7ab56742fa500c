// transport/snapshot_stream_test.cc — snapshot images over real loopback sockets, through a
// net::Mux shared with the Raft message stream: a 64 MiB image arrives intact with bounded peak
// memory; a corrupt stream is refused and leaves no file; an unreachable peer fails the send.
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <string>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <gtest/gtest.h>

#include "base/crc32c.h"
#include "net/mux.h"
#include "transport/frame.h"
#include "transport/mux_handlers.h"
#include "transport/snapshot_stream.h"
#include "transport/tcp_transport.h"

namespace transport {
namespace {

namespace asio = boost::asio;

class Recorder : public replica::TransportHandler {
 public:
  void OnMessage(raft::Message m) override {
    std::lock_guard<std::mutex> l(mu);
    messages.push_back(std::move(m));
    cv.notify_all();
  }
  void OnUnreachable(raft::NodeId) override {}
  void OnSnapshot(raft::Message m, std::string path, uint64_t size, uint32_t crc) override {
    std::lock_guard<std::mutex> l(mu);
    snaps.push_back({std::move(m), std::move(path), size, crc});
    cv.notify_all();
  }
  template <typename Pred>
  bool WaitUntil(Pred pred) {
    std::unique_lock<std::mutex> l(mu);
    return cv.wait_for(l, std::chrono::seconds(60), pred);
  }
  struct Snap {
    raft::Message m;
    std::string path;
    uint64_t size;
    uint32_t crc;
  };
  std::mutex mu;
  std::condition_variable cv;
  std::vector<raft::Message> messages;
  std::vector<Snap> snaps;
};

class IoThread {
 public:
  IoThread() : guard_(asio::make_work_guard(io)), thread_([this] { io.run(); }) {}
  ~IoThread() {
    guard_.reset();
    io.stop();
    thread_.join();
  }
  asio::io_context io;

 private:
  asio::executor_work_guard<asio::io_context::executor_type> guard_;
  std::thread thread_;
};

uint64_t PeakRssKiB() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stoull(line.substr(6));
  }
  return 0;
}

raft::Message SnapMsg(uint64_t index) {
  raft::Message m;
  m.type = raft::MessageType::kSnap;
  m.from = 1;
  m.to = 2;
  m.term = 3;
  m.snapshot.index = index;
  m.snapshot.term = 3;
  m.snapshot.conf.voters = {1, 2, 3};
  return m;
}

class SnapshotStreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/snapstream_test_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    std::filesystem::create_directories(dir_ + "/incoming");
    // Node 2: one Mux on its port, serving the Raft stream (0x01) and snapshots (0x03).
    Options o2;
    o2.self = 2;
    o2.snapshot_dir = dir_ + "/incoming";
    t2_ = std::make_unique<TcpTransport>(io_.io, o2);
    mux_ = std::make_unique<net::Mux>(io_.io, net::MuxOptions{});
    mux_->Register(kServiceRaft, RaftConnectionHandler(t2_.get()));
    mux_->Register(kServiceSnapshot, SnapshotConnectionHandler(t2_.get()));
    ASSERT_TRUE(mux_->Listen("127.0.0.1:0").ok());
    t2_->Start(&rec2_);
    mux_->Start();
    Options o1;
    o1.self = 1;
    t1_ = std::make_unique<TcpTransport>(io_.io, o1);
    t1_->Start(&rec1_);
    t1_->SetPeer(2, "127.0.0.1:" + std::to_string(mux_->port()));
  }
  void TearDown() override {
    t1_->Close();
    t2_->Close();
    mux_->Close();
    std::filesystem::remove_all(dir_);
  }
  size_t IncomingFiles() {
    size_t n = 0;
    for (auto& e : std::filesystem::directory_iterator(dir_ + "/incoming")) n += e.is_regular_file();
    return n;
  }

  IoThread io_;
  std::string dir_;
  Recorder rec1_, rec2_;
  std::unique_ptr<TcpTransport> t1_, t2_;
  std::unique_ptr<net::Mux> mux_;
};

TEST_F(SnapshotStreamTest, LargeImageThroughMuxWithBoundedMemory) {
  // Raft messages share the port.
  raft::Message hb;
  hb.type = raft::MessageType::kHeartbeat;
  hb.from = 1;
  hb.to = 2;
  hb.term = 3;
  t1_->Send(hb);
  ASSERT_TRUE(rec2_.WaitUntil([&] { return !rec2_.messages.empty(); }));
  EXPECT_EQ(rec2_.messages[0].type, raft::MessageType::kHeartbeat);

  // A 64 MiB image, written 1 MiB at a time.
  const std::string image = dir_ + "/image.db";
  const uint64_t kSize = (64ull << 20) + 12345;  // not a multiple of the chunk size
  uint32_t crc = 0;
  {
    int fd = ::open(image.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ASSERT_GE(fd, 0);
    std::string buf(1 << 20, '\0');
    for (uint64_t off = 0; off < kSize;) {
      const size_t n = static_cast<size_t>(std::min<uint64_t>(buf.size(), kSize - off));
      for (size_t i = 0; i < n; i += 64) buf[i] = static_cast<char>((off + i) * 2654435761u >> 13);
      ASSERT_EQ(::write(fd, buf.data(), n), static_cast<ssize_t>(n));
      crc = base::Crc32cExtend(crc, buf.data(), n);
      off += n;
    }
    ::close(fd);
  }
  const uint64_t before = PeakRssKiB();
  std::promise<bool> done;
  t1_->SendSnapshot(SnapMsg(4242), image, [&](bool ok) { done.set_value(ok); });
  auto fut = done.get_future();
  ASSERT_EQ(fut.wait_for(std::chrono::seconds(60)), std::future_status::ready);
  EXPECT_TRUE(fut.get());
  ASSERT_TRUE(rec2_.WaitUntil([&] { return !rec2_.snaps.empty(); }));
  const uint64_t after = PeakRssKiB();
  const Recorder::Snap& s = rec2_.snaps[0];
  EXPECT_EQ(s.m.snapshot.index, 4242u);
  EXPECT_EQ(s.m.snapshot.conf.voters, (std::vector<raft::NodeId>{1, 2, 3}));
  EXPECT_EQ(s.size, kSize);
  EXPECT_EQ(s.crc, crc);
  EXPECT_EQ(std::filesystem::file_size(s.path), kSize);
  uint64_t size = 0;
  uint32_t file_crc = 0;
  {
    std::ifstream f(s.path, std::ios::binary);
    std::string buf(1 << 20, '\0');
    while (f) {
      f.read(buf.data(), static_cast<std::streamsize>(buf.size()));
      file_crc = base::Crc32cExtend(file_crc, buf.data(), static_cast<size_t>(f.gcount()));
      size += static_cast<uint64_t>(f.gcount());
    }
  }
  EXPECT_EQ(size, kSize);
  EXPECT_EQ(file_crc, crc);
  // Both ends together hold a couple of 1 MiB chunks, never the 64 MiB image.
  EXPECT_LT(after - before, 16u * 1024) << "peak RSS grew from " << before << " KiB to " << after;
  std::printf("peak RSS before %llu KiB, after %llu KiB\n",
              static_cast<unsigned long long>(before), static_cast<unsigned long long>(after));
}

TEST_F(SnapshotStreamTest, CorruptChunkIsRefusedAndLeavesNoFile) {
  asio::io_context io;
  asio::ip::tcp::socket sock(io);
  sock.connect({asio::ip::make_address("127.0.0.1"), mux_->port()});
  std::string bytes = EncodePreamble({1, 2});
  bytes[0] = static_cast<char>(kServiceSnapshot);
  bytes += EncodeFrame(SnapMsg(7));
  std::string data = "0123456789";
  auto put = [&](uint64_t v, int n) {
    for (int i = 0; i < n; ++i) bytes.push_back(static_cast<char>(v >> (8 * i)));
  };
  put(data.size(), 8);
  put(data.size(), 4);
  put(base::Crc32c(data) ^ 1, 4);  // wrong chunk CRC
  bytes += data;
  put(0, 4);
  put(base::Crc32c(data), 4);
  asio::write(sock, asio::buffer(bytes));
  // The receiver closes without a verdict.
  char verdict = 0;
  boost::system::error_code ec;
  asio::read(sock, asio::buffer(&verdict, 1), ec);
  EXPECT_TRUE(ec) << "got a verdict byte " << int(verdict);
  EXPECT_EQ(t2_->GetStats().bad_inbound, 1u);
  EXPECT_TRUE(rec2_.snaps.empty());
  EXPECT_EQ(IncomingFiles(), 0u);
}

TEST_F(SnapshotStreamTest, UnreachablePeerFailsTheSend) {
  const std::string image = dir_ + "/small.db";
  { std::ofstream(image) << "x"; }
  asio::io_context io;
  asio::ip::tcp::acceptor acc(io, {asio::ip::make_address("127.0.0.1"), 0});
  const uint16_t dead_port = acc.local_endpoint().port();
  acc.close();  // nothing listens there now
  t1_->SetPeer(2, "127.0.0.1:" + std::to_string(dead_port));
  std::promise<bool> done;
  t1_->SendSnapshot(SnapMsg(1), image, [&](bool ok) { done.set_value(ok); });
  auto fut = done.get_future();
  ASSERT_EQ(fut.wait_for(std::chrono::seconds(30)), std::future_status::ready);
  EXPECT_FALSE(fut.get());
  // Unknown peer and missing file fail at once.
  std::promise<bool> d2, d3;
  raft::Message m = SnapMsg(1);
  m.to = 9;
  t1_->SendSnapshot(m, image, [&](bool ok) { d2.set_value(ok); });
  EXPECT_FALSE(d2.get_future().get());
  t1_->SendSnapshot(SnapMsg(1), dir_ + "/missing.db", [&](bool ok) { d3.set_value(ok); });
  EXPECT_FALSE(d3.get_future().get());
}

}  // namespace
}  // namespace transport
