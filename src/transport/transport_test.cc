#include "transport/tcp_transport.h"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>

#include "transport/frame.h"

namespace transport {
namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

raft::Message Msg(raft::NodeId from, raft::NodeId to, uint64_t n, size_t data_bytes = 3) {
  raft::Message m;
  m.type = raft::MessageType::kApp;
  m.from = from;
  m.to = to;
  m.term = 7;
  m.index = n;
  m.log_term = 6;
  m.commit = n / 2;
  m.entries.push_back({7, n + 1, raft::EntryType::kNormal, std::string(data_bytes, 'x')});
  return m;
}

class Recorder : public replica::TransportHandler {
 public:
  void OnMessage(raft::Message m) override {
    std::lock_guard<std::mutex> l(mu);
    messages.push_back(std::move(m));
    cv.notify_all();
  }
  void OnUnreachable(raft::NodeId peer) override {
    std::lock_guard<std::mutex> l(mu);
    unreachable.push_back(peer);
    cv.notify_all();
  }
  template <typename Pred>
  bool WaitUntil(Pred pred, std::chrono::milliseconds limit = std::chrono::seconds(10)) {
    std::unique_lock<std::mutex> l(mu);
    return cv.wait_for(l, limit, pred);
  }
  size_t count() {
    std::lock_guard<std::mutex> l(mu);
    return messages.size();
  }
  std::mutex mu;
  std::condition_variable cv;
  std::vector<raft::Message> messages;
  std::vector<raft::NodeId> unreachable;
};

// An io_context running on its own thread for the duration of a test.
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

Options Opts(raft::NodeId self, uint16_t port = 0) {
  Options o;
  o.self = self;
  o.listen_addr = "127.0.0.1:" + std::to_string(port);
  o.backoff_min_ms = 10;
  o.backoff_max_ms = 100;
  return o;
}

TEST(FrameTest, RoundTripAndCorruption) {
  raft::Message m = Msg(1, 2, 42);
  m.type = raft::MessageType::kSnap;
  m.snapshot = {100, 5, {{1, 2, 3}, {4}}};
  m.context = "ctx";
  std::string f = EncodeFrame(m);
  auto h = DecodeFrameHeader(std::string_view(f).substr(0, kFrameHeaderBytes), 1 << 20);
  ASSERT_TRUE(h.ok());
  ASSERT_EQ(h->length, f.size() - kFrameHeaderBytes);
  auto got = DecodeFramePayload(*h, std::string_view(f).substr(kFrameHeaderBytes));
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, m);

  std::string bad = f;
  bad.back() ^= 1;
  EXPECT_EQ(DecodeFramePayload(*h, std::string_view(bad).substr(kFrameHeaderBytes)).status().code(),
            base::Code::kCorruption);
  EXPECT_FALSE(DecodeFrameHeader(std::string_view(f).substr(0, kFrameHeaderBytes), 10).ok());
  EXPECT_FALSE(DecodeFrameHeader(std::string(8, '\0'), 1 << 20).ok());  // zero length

  std::string p = EncodePreamble({3, 9});
  ASSERT_EQ(p.size(), kPreambleBytes);
  auto pre = DecodePreamble(p);
  ASSERT_TRUE(pre.ok());
  EXPECT_EQ(*pre, (Preamble{3, 9}));
  for (size_t i : {0, 1, 5}) {
    std::string b = p;
    b[i] ^= 0x40;
    EXPECT_FALSE(DecodePreamble(b).ok()) << "byte " << i;
  }
}

TEST(TcpTransportTest, MessagesArriveInOrderBothWays) {
  IoThread io1, io2;
  Recorder r1, r2;
  TcpTransport t1(io1.io, Opts(1)), t2(io2.io, Opts(2));
  ASSERT_TRUE(t1.Listen().ok());
  ASSERT_TRUE(t2.Listen().ok());
  t1.Start(&r1);
  t2.Start(&r2);
  t1.SetPeer(2, "127.0.0.1:" + std::to_string(t2.port()));
  t2.SetPeer(1, "127.0.0.1:" + std::to_string(t1.port()));
  std::vector<raft::Message> sent;
  for (uint64_t i = 0; i < 500; ++i) {
    sent.push_back(Msg(1, 2, i, i % 7 == 0 ? 100000 : 10));
    t1.Send(sent.back());
  }
  raft::Message snap = Msg(1, 2, 500);
  snap.type = raft::MessageType::kSnap;
  snap.entries.clear();
  snap.snapshot = {400, 6, {{1, 2}, {3}}};
  sent.push_back(snap);
  t1.Send(snap);
  ASSERT_TRUE(r2.WaitUntil([&] { return r2.messages.size() >= sent.size(); }));
  EXPECT_EQ(r2.messages, sent);
  t2.Send(Msg(2, 1, 9));
  ASSERT_TRUE(r1.WaitUntil([&] { return r1.messages.size() == 1; }));
  EXPECT_EQ(r1.messages[0], Msg(2, 1, 9));
  EXPECT_EQ(t1.GetStats().connects, 1u);
  EXPECT_EQ(t2.GetStats().frames_received, sent.size());
  t1.Close();
  t2.Close();
}

TEST(TcpTransportTest, UnknownPeerIsReportedUnreachable) {
  IoThread io;
  Recorder r;
  TcpTransport t(io.io, Opts(1));
  ASSERT_TRUE(t.Listen().ok());
  t.Start(&r);
  t.Send(Msg(1, 5, 1));
  ASSERT_TRUE(r.WaitUntil([&] { return !r.unreachable.empty(); }));
  EXPECT_EQ(r.unreachable[0], 5u);
  EXPECT_EQ(t.GetStats().dropped, 1u);
}

TEST(TcpTransportTest, ReconnectsAfterPeerRestart) {
  IoThread io1, io2;
  Recorder r1, r2;
  TcpTransport t1(io1.io, Opts(1));
  ASSERT_TRUE(t1.Listen().ok());
  t1.Start(&r1);
  auto t2 = std::make_unique<TcpTransport>(io2.io, Opts(2));
  ASSERT_TRUE(t2->Listen().ok());
  const uint16_t port2 = t2->port();
  t2->Start(&r2);
  t1.SetPeer(2, "127.0.0.1:" + std::to_string(port2));
  t1.Send(Msg(1, 2, 1));
  ASSERT_TRUE(r2.WaitUntil([&] { return r2.messages.size() == 1; }));

  t2->Close();
  t2.reset();
  // Node 2 is down: sends fail, and node 1 is told the peer is unreachable.
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  uint64_t n = 2;
  while (Clock::now() < deadline) {
    t1.Send(Msg(1, 2, n++));
    if (r1.WaitUntil([&] { return !r1.unreachable.empty(); }, std::chrono::milliseconds(20))) break;
  }
  ASSERT_FALSE(r1.unreachable.empty());
  EXPECT_EQ(r1.unreachable[0], 2u);

  // Node 2 restarts on the same port; node 1 reconnects by itself and delivery resumes.
  Recorder r2b;
  TcpTransport t2b(io2.io, Opts(2, port2));
  ASSERT_TRUE(t2b.Listen().ok());
  t2b.Start(&r2b);
  bool got = false;
  while (!got && Clock::now() < deadline + std::chrono::seconds(5)) {
    t1.Send(Msg(1, 2, n++));
    got = r2b.WaitUntil([&] { return !r2b.messages.empty(); }, std::chrono::milliseconds(20));
  }
  ASSERT_TRUE(got);
  EXPECT_GE(t1.GetStats().connects, 2u);
  EXPECT_EQ(r2b.messages.back().from, 1u);
}

TEST(TcpTransportTest, FullQueueDropsWithoutBlocking) {
  IoThread io1, io_sink;
  Recorder r1;
  // A peer that accepts the connection but never reads: the kernel buffers fill, then our queue.
  asio::ip::tcp::socket held(io_sink.io);  // destroyed after `sink` (which cancels the accept)
  asio::ip::tcp::acceptor sink(io_sink.io, {asio::ip::make_address("127.0.0.1"), 0});
  std::promise<void> accepted;
  sink.async_accept(held, [&](boost::system::error_code) { accepted.set_value(); });
  Options o = Opts(1);
  o.max_queue_messages = 4;
  o.write_timeout_ms = 60000;
  TcpTransport t1(io1.io, o);
  ASSERT_TRUE(t1.Listen().ok());
  t1.Start(&r1);
  t1.SetPeer(2, "127.0.0.1:" + std::to_string(sink.local_endpoint().port()));
  const auto start = Clock::now();
  const int kSends = 400;
  for (int i = 0; i < kSends; ++i) t1.Send(Msg(1, 2, i, 256 << 10));  // 100 MiB in total
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(5));  // never blocks on the socket
  const uint64_t dropped = t1.GetStats().dropped;
  EXPECT_GT(dropped, kSends / 2u);
  ASSERT_TRUE(r1.WaitUntil([&] { return !r1.unreachable.empty(); }));
  EXPECT_EQ(r1.unreachable[0], 2u);
  t1.Close();
  // `held` was assigned on the sink's io thread: synchronise before destroying it here.
  EXPECT_EQ(accepted.get_future().wait_for(std::chrono::seconds(10)), std::future_status::ready);
}

TEST(TcpTransportTest, WrongNodeIsRefused) {
  IoThread io1, io2;
  Recorder r1, r2;
  TcpTransport t1(io1.io, Opts(1)), t2(io2.io, Opts(2));
  ASSERT_TRUE(t1.Listen().ok());
  ASSERT_TRUE(t2.Listen().ok());
  t1.Start(&r1);
  t2.Start(&r2);
  t1.SetPeer(3, "127.0.0.1:" + std::to_string(t2.port()));  // node 2 listens there, not 3
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  while (t2.GetStats().bad_inbound == 0 && Clock::now() < deadline) {
    t1.Send(Msg(1, 3, 1));
    r1.WaitUntil([] { return false; }, std::chrono::milliseconds(10));
  }
  EXPECT_GE(t2.GetStats().bad_inbound, 1u);
  EXPECT_EQ(r2.count(), 0u);
}

// A raw client speaking the wire format by hand (docs/formats/transport.md).
class RawClient {
 public:
  RawClient(asio::io_context& io, uint16_t port) : socket_(io) {
    socket_.connect({asio::ip::make_address("127.0.0.1"), port});
  }
  void Write(const std::string& bytes) { asio::write(socket_, asio::buffer(bytes)); }
  // True once the server closed the connection (read returns EOF or an error).
  bool WaitClosed() {
    char c;
    boost::system::error_code ec;
    socket_.read_some(asio::buffer(&c, 1), ec);
    return static_cast<bool>(ec);
  }

 private:
  asio::ip::tcp::socket socket_;
};

TEST(TcpTransportTest, CorruptFrameClosesTheConnection) {
  IoThread io;
  asio::io_context client_io;
  Recorder r;
  TcpTransport t(io.io, Opts(2));
  ASSERT_TRUE(t.Listen().ok());
  t.Start(&r);
  RawClient c(client_io, t.port());
  std::string good = EncodeFrame(Msg(1, 2, 1));
  std::string bad = EncodeFrame(Msg(1, 2, 2));
  bad[kFrameHeaderBytes + 3] ^= 0x01;  // payload bit flip: CRC mismatch
  c.Write(EncodePreamble({1, 2}) + good + bad + EncodeFrame(Msg(1, 2, 3)));
  EXPECT_TRUE(c.WaitClosed());
  EXPECT_EQ(t.GetStats().bad_inbound, 1u);
  ASSERT_EQ(r.count(), 1u);  // only the frame before the corrupt one
  EXPECT_EQ(r.messages[0], Msg(1, 2, 1));

  RawClient spoof(client_io, t.port());  // a message whose `from` is not the connection's
  spoof.Write(EncodePreamble({1, 2}) + EncodeFrame(Msg(3, 2, 1)));
  EXPECT_TRUE(spoof.WaitClosed());
  EXPECT_EQ(t.GetStats().bad_inbound, 2u);
  EXPECT_EQ(r.count(), 1u);
}

TEST(TcpTransportTest, SilentConnectionTimesOut) {
  IoThread io;
  asio::io_context client_io;
  Recorder r;
  Options o = Opts(2);
  o.read_timeout_ms = 100;
  TcpTransport t(io.io, o);
  ASSERT_TRUE(t.Listen().ok());
  t.Start(&r);
  RawClient c(client_io, t.port());
  c.Write(EncodePreamble({1, 2}).substr(0, 10));  // half a preamble, then silence
  EXPECT_TRUE(c.WaitClosed());
  EXPECT_EQ(t.GetStats().bad_inbound, 1u);
}

}  // namespace
}  // namespace transport
