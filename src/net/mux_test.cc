// Tests for net::Mux with real loopback sockets (no sleeps: bounded waits on conditions).
#include "net/mux.h"

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <gtest/gtest.h>

namespace net {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// Sockets handed to a handler, collected for the test thread.
struct Inbox {
  std::mutex mu;
  std::condition_variable cv;
  std::deque<tcp::socket> sockets;
  void Put(tcp::socket s) {
    std::lock_guard<std::mutex> lock(mu);
    sockets.push_back(std::move(s));
    cv.notify_all();
  }
  std::optional<tcp::socket> Take(std::chrono::milliseconds within = std::chrono::seconds(10)) {
    std::unique_lock<std::mutex> lock(mu);
    if (!cv.wait_for(lock, within, [&] { return !sockets.empty(); })) return std::nullopt;
    tcp::socket s = std::move(sockets.front());
    sockets.pop_front();
    return s;
  }
};

class MuxTest : public ::testing::Test {
 protected:
  void StartMux(int header_timeout_ms) {
    mux_ = std::make_unique<Mux>(io_, MuxOptions{.header_timeout_ms = header_timeout_ms});
    mux_->Register(0x01, [this](tcp::socket s) { raft_.Put(std::move(s)); });
    mux_->Register(0x02, [this](tcp::socket s) { cluster_.Put(std::move(s)); });
    ASSERT_TRUE(mux_->Listen("127.0.0.1:0").ok());
    mux_->Start();
    thread_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    if (mux_) mux_->Close();
    work_.reset();
    io_.stop();
    if (thread_.joinable()) thread_.join();
  }
  tcp::socket Dial() {
    tcp::socket s(client_io_);
    s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), mux_->port()));
    return s;
  }
  // True when the peer closed `s` (read returns EOF/reset) within the read.
  static bool PeerClosed(tcp::socket& s) {
    char c;
    boost::system::error_code ec;
    asio::read(s, asio::buffer(&c, 1), ec);
    return ec == asio::error::eof || ec == asio::error::connection_reset;
  }
  bool WaitFor(const std::function<bool()>& cond) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      if (cond()) return true;
      std::this_thread::yield();
    }
    return cond();
  }

  asio::io_context io_;
  asio::io_context client_io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_ = asio::make_work_guard(io_);
  std::unique_ptr<Mux> mux_;
  std::thread thread_;
  Inbox raft_, cluster_;
};

TEST_F(MuxTest, DispatchesByFirstByteAndLeavesItUnread) {
  StartMux(30'000);
  tcp::socket a = Dial();
  asio::write(a, asio::buffer(std::string("\x02hello", 6)));
  tcp::socket b = Dial();
  asio::write(b, asio::buffer(std::string("\x01raft", 5)));

  auto got_cluster = cluster_.Take();
  ASSERT_TRUE(got_cluster.has_value());
  std::string buf(6, '\0');
  asio::read(*got_cluster, asio::buffer(buf));
  EXPECT_EQ(buf, std::string("\x02hello", 6));

  auto got_raft = raft_.Take();
  ASSERT_TRUE(got_raft.has_value());
  std::string rbuf(5, '\0');
  asio::read(*got_raft, asio::buffer(rbuf));
  EXPECT_EQ(rbuf, std::string("\x01raft", 5));

  // The handler owns the socket: data flows both ways.
  asio::write(*got_cluster, asio::buffer(std::string("ok")));
  std::string reply(2, '\0');
  asio::read(a, asio::buffer(reply));
  EXPECT_EQ(reply, "ok");
  EXPECT_EQ(mux_->stats().dispatched, 2u);
}

TEST_F(MuxTest, UnknownByteIsClosed) {
  StartMux(30'000);
  tcp::socket a = Dial();
  asio::write(a, asio::buffer(std::string("\x7fzzz", 4)));
  EXPECT_TRUE(PeerClosed(a));
  EXPECT_TRUE(WaitFor([&] { return mux_->stats().unknown_service == 1; }));
  EXPECT_EQ(mux_->stats().dispatched, 0u);
}

TEST_F(MuxTest, SilentConnectionTimesOut) {
  StartMux(50);
  tcp::socket a = Dial();
  EXPECT_TRUE(PeerClosed(a));  // closed by the header deadline, not by us
  EXPECT_TRUE(WaitFor([&] { return mux_->stats().header_timeouts == 1; }));
  // A connection that sends its byte in time still works after that.
  tcp::socket b = Dial();
  asio::write(b, asio::buffer(std::string("\x02", 1)));
  EXPECT_TRUE(cluster_.Take().has_value());
}

TEST_F(MuxTest, EofBeforeByteCountsAsError) {
  StartMux(30'000);
  {
    tcp::socket a = Dial();
    a.shutdown(tcp::socket::shutdown_send);
    EXPECT_TRUE(PeerClosed(a));
  }
  EXPECT_TRUE(WaitFor([&] { return mux_->stats().header_errors == 1; }));
}

TEST_F(MuxTest, CloseClosesWaitingConnections) {
  StartMux(30'000);
  tcp::socket a = Dial();
  ASSERT_TRUE(WaitFor([&] { return mux_->stats().accepted == 1; }));
  mux_->Close();
  EXPECT_TRUE(PeerClosed(a));
}

}  // namespace
}  // namespace net
