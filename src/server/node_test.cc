// In-process tests of the composition root: a real Node (store + HTTP on port 0) in a temp dir.
#include "server/node.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

namespace server {
namespace {

// One HTTP/1.1 request on a fresh connection; returns the raw response ("" on failure).
std::string HttpRequest(uint16_t port, const std::string& method, const std::string& path,
                        const std::string& body = "") {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return "";
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string out;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    std::string req = method + " " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" +
                      "Content-Type: application/json\r\nContent-Length: " +
                      std::to_string(body.size()) + "\r\n\r\n" + body;
    if (::write(fd, req.data(), req.size()) == static_cast<ssize_t>(req.size())) {
      char buf[4096];
      ssize_t n;
      while ((n = ::read(fd, buf, sizeof buf)) > 0) out.append(buf, n);
    }
  }
  ::close(fd);
  return out;
}

uint16_t PortOf(const std::string& host_port) {
  return static_cast<uint16_t>(std::stoi(host_port.substr(host_port.rfind(':') + 1)));
}

class NodeTest : public testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/rq-node-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    config_.data_path = dir_ + "/nested/data";
    config_.http_addr = "127.0.0.1:0";
    config_.raft_addr = "127.0.0.1:0";
    config_.raft_adv_addr = "127.0.0.1:4002";
    config_.node_id = "n1";
    config_.http_adv_addr = config_.http_addr;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string dir_;
  Config config_;
};

TEST_F(NodeTest, StartsServesAndStops) {
  auto node = Node::Start(config_, BuildInfo{});
  ASSERT_TRUE(node.ok()) << node.status().ToString();
  EXPECT_TRUE(std::filesystem::is_directory(config_.data_path));
  uint16_t port = PortOf((*node)->http_adv_addr());
  ASSERT_NE(port, 0);
  // Single node: leader of itself, ready as soon as Start returns.
  EXPECT_NE(HttpRequest(port, "GET", "/readyz").find("200 OK"), std::string::npos);
  std::string r = HttpRequest(port, "POST", "/db/execute", R"j(["CREATE TABLE t (x)"])j");
  EXPECT_NE(r.find(R"j({"results":[{}]})j"), std::string::npos) << r;
  (*node)->Stop();
  (*node)->Stop();  // idempotent
  EXPECT_EQ(HttpRequest(port, "GET", "/readyz"), "");
}

TEST_F(NodeTest, DataSurvivesRestart) {
  {
    auto node = Node::Start(config_, BuildInfo{});
    ASSERT_TRUE(node.ok()) << node.status().ToString();
    uint16_t port = PortOf((*node)->http_adv_addr());
    HttpRequest(port, "POST", "/db/execute",
                R"j(["CREATE TABLE t (x)", "INSERT INTO t VALUES(7)"])j");
  }  // destructor stops
  auto node = Node::Start(config_, BuildInfo{});
  ASSERT_TRUE(node.ok()) << node.status().ToString();
  std::string r = HttpRequest(PortOf((*node)->http_adv_addr()), "GET",
                              "/db/query?q=SELECT%20x%20FROM%20t");
  EXPECT_NE(r.find(R"j("values":[[7]])j"), std::string::npos) << r;
}

TEST_F(NodeTest, HttpPortInUseFailsStart) {
  auto first = Node::Start(config_, BuildInfo{});
  ASSERT_TRUE(first.ok());
  Config second = config_;
  second.data_path = dir_ + "/other";
  second.http_addr = (*first)->http_adv_addr();
  second.http_adv_addr = second.http_addr;
  auto node = Node::Start(second, BuildInfo{});
  ASSERT_FALSE(node.ok());
  EXPECT_EQ(node.status().message().rfind("failed to start HTTP server: ", 0), 0u)
      << node.status().message();
}

TEST_F(NodeTest, DataPathThatIsAFileFailsStart) {
  std::ofstream(dir_ + "/file") << "x";
  config_.data_path = dir_ + "/file";
  auto node = Node::Start(config_, BuildInfo{});
  ASSERT_FALSE(node.ok());
  EXPECT_NE(node.status().message().find("is not a directory"), std::string::npos);
}

TEST(CreateDirectoriesTest, CreatesParentsAndAcceptsExisting) {
  char tmpl[] = "/tmp/rq-mkdir-test-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  std::string base = tmpl;
  EXPECT_TRUE(CreateDirectories(base + "/a/b/c").ok());
  EXPECT_TRUE(CreateDirectories(base + "/a/b/c").ok());
  EXPECT_TRUE(std::filesystem::is_directory(base + "/a/b/c"));
  std::filesystem::remove_all(base);
}

}  // namespace
}  // namespace server
