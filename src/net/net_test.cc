#include <atomic>
#include <chrono>
#include <thread>

#include <boost/asio/connect.hpp>
#include <gtest/gtest.h>

#include "net/address.h"
#include "net/listener.h"

namespace net {
namespace {

TEST(AddressTest, ParsesForms) {
  auto a = ParseHostPort("localhost:4001");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->host, "localhost");
  EXPECT_EQ(a->port, 4001);
  auto b = ParseHostPort("[::1]:0");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->host, "::1");
  EXPECT_EQ(b->port, 0);
  auto c = ParseHostPort(":80");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->host, "");
  EXPECT_FALSE(ParseHostPort("localhost").ok());
  EXPECT_FALSE(ParseHostPort("localhost:").ok());
  EXPECT_FALSE(ParseHostPort("localhost:65536").ok());
  EXPECT_FALSE(ParseHostPort("localhost:12x").ok());
  EXPECT_FALSE(ParseHostPort("::1:80").ok());
  EXPECT_FALSE(ParseHostPort("[::1]80").ok());
}

TEST(AddressTest, JoinBracketsV6) {
  EXPECT_EQ(JoinHostPort("::1", 5), "[::1]:5");
  EXPECT_EQ(JoinHostPort("localhost", 4001), "localhost:4001");
}

TEST(ListenerTest, BindsPortZeroAndAccepts) {
  boost::asio::io_context io;
  Listener listener(io);
  ASSERT_TRUE(listener.Listen("127.0.0.1:0").ok());
  ASSERT_NE(listener.port(), 0);
  std::atomic<int> accepted{0};
  std::atomic<bool> nodelay{false};
  listener.Start([&](boost::asio::ip::tcp::socket s) {
    boost::asio::ip::tcp::no_delay opt;
    s.get_option(opt);
    nodelay = opt.value();
    ++accepted;
  });
  std::thread runner([&] { io.run_for(std::chrono::seconds(10)); });
  boost::asio::io_context client_io;
  boost::asio::ip::tcp::socket client(client_io);
  client.connect({boost::asio::ip::make_address("127.0.0.1"), listener.port()});
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (accepted == 0 && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
  EXPECT_EQ(accepted, 1);
  EXPECT_TRUE(nodelay);
  listener.Close();
  io.stop();
  runner.join();
}

TEST(ListenerTest, PortInUseIsAnError) {
  boost::asio::io_context io;
  Listener first(io);
  ASSERT_TRUE(first.Listen("127.0.0.1:0").ok());
  Listener second(io);
  base::Status st = second.Listen("127.0.0.1:" + std::to_string(first.port()));
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(st.code(), base::Code::kIoError);
}

TEST(ListenerTest, BadAddress) {
  boost::asio::io_context io;
  Listener l(io);
  EXPECT_EQ(l.Listen("nonsense").code(), base::Code::kInvalidArgument);
}

}  // namespace
}  // namespace net
