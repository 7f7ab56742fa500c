// Socket-level tests of http::Server: keep-alive, pipelining order, body limits, Expect:
// 100-continue, malformed requests, backup streaming with gzip, queued writes over the wire.
// The Database is the in-test FakeDatabase (HTTP-layer behaviour only).
#include "base/clock.h"
#include "http/server.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "api/fake_database_test_util.h"

namespace http {
namespace {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using Response = bhttp::response<bhttp::string_body>;

class ServerTest : public ::testing::Test {
 protected:
  void StartServer(HttpConfig cfg = {}) {
    cfg.bind_addr = "127.0.0.1:0";
    cfg.version = "v10.0.0-test";
    cfg.clock = &clock_;
    server_ = std::make_unique<Server>(io_, db_, cfg);
    ASSERT_TRUE(server_->Start().ok());
    for (int i = 0; i < 2; ++i) threads_.emplace_back([this] { io_.run(); });
  }
  void TearDown() override {
    if (server_) server_->Stop();
    work_.reset();
    io_.stop();
    for (auto& t : threads_) t.join();
    server_.reset();
  }
  tcp::socket Connect() {
    tcp::socket s(client_io_);
    s.connect({asio::ip::make_address("127.0.0.1"), server_->port()});
    return s;
  }
  static Response Read(tcp::socket& s, boost::beast::flat_buffer& buf) {
    Response res;
    bhttp::response_parser<bhttp::string_body> p;
    p.body_limit(1 << 30);
    bhttp::read(s, buf, p);
    return p.release();
  }
  static std::string Post(const std::string& target, const std::string& body,
                          const std::string& extra = "") {
    return "POST " + target + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" +
           extra + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  }
  // Waits (bounded) until `pred` holds.
  static bool Eventually(const std::function<bool()>& pred) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!pred()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return true;
  }

  base::SystemClock clock_;  // tests may construct clocks; the Server takes one in HttpConfig
  asio::io_context io_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_{
      asio::make_work_guard(io_)};
  asio::io_context client_io_;
  api::testing::FakeDatabase db_;
  std::unique_ptr<Server> server_;
  std::vector<std::thread> threads_;
};

TEST_F(ServerTest, KeepAliveServesSequentialRequests) {
  StartServer();
  tcp::socket s = Connect();
  boost::beast::flat_buffer buf;
  for (int i = 0; i < 3; ++i) {
    asio::write(s, asio::buffer(std::string("GET /status?key=store.ready HTTP/1.1\r\nHost: x\r\n\r\n")));
    Response r = Read(s, buf);
    EXPECT_EQ(r.result_int(), 200u);
    EXPECT_EQ(r.body(), "true");
    EXPECT_EQ(r["X-Rqlite-Version"], "v10.0.0-test");
    EXPECT_EQ(r[bhttp::field::content_type], "application/json; charset=utf-8");
    EXPECT_FALSE(r[bhttp::field::date].empty());
    EXPECT_TRUE(r.keep_alive());
  }
}

TEST_F(ServerTest, PipelinedResponsesStayInOrder) {
  StartServer();
  db_.hold_execute = true;
  tcp::socket s = Connect();
  std::string two = Post("/db/execute", "[\"INSERT 1\"]") +
                    "GET /status?key=store.ready HTTP/1.1\r\nHost: x\r\n\r\n";
  asio::write(s, asio::buffer(two));
  ASSERT_TRUE(Eventually([&] {
    std::lock_guard<std::mutex> l(db_.mu);
    return db_.held.size() == 1;
  }));
  api::Response ok;
  ok.results.resize(1);
  ok.results[0].last_insert_id = 7;
  ok.results[0].rows_affected = 1;
  db_.ReleaseHeld(ok);
  boost::beast::flat_buffer buf;
  Response first = Read(s, buf);
  Response second = Read(s, buf);
  EXPECT_EQ(first.body(), "{\"results\":[{\"last_insert_id\":7,\"rows_affected\":1}]}");
  EXPECT_EQ(first["X-Rqlite-Served-By"], server_->adv_addr());
  EXPECT_EQ(second.body(), "true");
}

TEST_F(ServerTest, DeclaredBodyOverLimitIs413AndCloses) {
  HttpConfig cfg;
  cfg.max_body_bytes = 1024;
  StartServer(cfg);
  tcp::socket s = Connect();
  asio::write(s, asio::buffer(Post("/db/execute", std::string(4096, 'x'))));
  boost::beast::flat_buffer buf;
  Response r = Read(s, buf);
  EXPECT_EQ(r.result_int(), 413u);
  EXPECT_EQ(r.body(), "http: request body too large (limit 1024 bytes)\n");
  EXPECT_FALSE(r.keep_alive());
  EXPECT_TRUE(db_.executes.empty());
}

TEST_F(ServerTest, ChunkedBodyOverLimitIs413) {
  HttpConfig cfg;
  cfg.max_body_bytes = 1024;
  StartServer(cfg);
  tcp::socket s = Connect();
  std::string req = "POST /db/load HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 4; ++i) req += "400\r\n" + std::string(1024, 'y') + "\r\n";
  req += "0\r\n\r\n";
  asio::write(s, asio::buffer(req));
  boost::beast::flat_buffer buf;
  Response r = Read(s, buf);
  EXPECT_EQ(r.result_int(), 413u);
  EXPECT_TRUE(db_.loads.empty());
}

TEST_F(ServerTest, ChunkedBodyUnderLimitIsAssembled) {
  StartServer();
  tcp::socket s = Connect();
  std::string req = "POST /db/load HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                    "6\r\nCREATE\r\n6\r\n TABLE\r\n3\r\n t;\r\n0\r\n\r\n";
  asio::write(s, asio::buffer(req));
  boost::beast::flat_buffer buf;
  Response r = Read(s, buf);
  EXPECT_EQ(r.result_int(), 200u);
  ASSERT_EQ(db_.loads.size(), 1u);
  EXPECT_EQ(db_.loads[0], "CREATE TABLE t;");
}

TEST_F(ServerTest, ExpectContinue) {
  StartServer();
  tcp::socket s = Connect();
  std::string body = "[\"SELECT 1\"]";
  asio::write(s, asio::buffer("POST /db/execute HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
                              "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n"));
  boost::beast::flat_buffer buf;
  bhttp::response_parser<bhttp::empty_body> cont;
  bhttp::read_header(s, buf, cont);
  EXPECT_EQ(cont.get().result_int(), 100u);
  asio::write(s, asio::buffer(body));
  Response r = Read(s, buf);
  EXPECT_EQ(r.result_int(), 200u);
  EXPECT_EQ(db_.executes.size(), 1u);
}

TEST_F(ServerTest, MalformedRequestIs400) {
  StartServer();
  tcp::socket s = Connect();
  asio::write(s, asio::buffer(std::string("GARBAGE\r\n\r\n")));
  boost::beast::flat_buffer buf;
  Response r = Read(s, buf);
  EXPECT_EQ(r.result_int(), 400u);
}

std::string Gunzip(const std::string& in) {
  z_stream z{};
  EXPECT_EQ(inflateInit2(&z, 15 + 16), Z_OK);
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  std::string out;
  char buf[4096];
  int rc;
  do {
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof buf;
    rc = inflate(&z, Z_NO_FLUSH);
    out.append(buf, sizeof buf - z.avail_out);
  } while (rc == Z_OK);
  EXPECT_EQ(rc, Z_STREAM_END);
  inflateEnd(&z);
  return out;
}

TEST_F(ServerTest, BackupStreamsFileGzippedAndDeletesIt) {
  StartServer();
  auto dir = std::filesystem::temp_directory_path() /
             ("http_server_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::string path = (dir / "backup.sql").string();
  std::string content;
  for (int i = 0; i < 20000; ++i) content += "INSERT INTO t VALUES(" + std::to_string(i) + ");\n";
  std::ofstream(path) << content;
  db_.backup_result = api::BackupFile{path, content.size()};
  tcp::socket s = Connect();
  asio::write(s, asio::buffer(std::string("GET /db/backup?fmt=sql&compress HTTP/1.1\r\nHost: x\r\n\r\n")));
  boost::beast::flat_buffer buf;
  Response r = Read(s, buf);
  EXPECT_EQ(r.result_int(), 200u);
  EXPECT_EQ(r[bhttp::field::content_type], "application/sql");
  EXPECT_TRUE(r[bhttp::field::content_encoding].empty());
  EXPECT_LT(r.body().size(), content.size());
  EXPECT_EQ(Gunzip(r.body()), content);
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_FALSE(std::filesystem::exists(path + ".gz"));
  ASSERT_EQ(db_.backups.size(), 1u);
  EXPECT_EQ(db_.backups[0].format, api::BackupFormat::kSql);
  std::filesystem::remove_all(dir);
}

TEST_F(ServerTest, QueuedWritesOverTheWire) {
  HttpConfig cfg;
  cfg.queue.timeout_ns = 5'000'000;
  StartServer(cfg);
  tcp::socket s = Connect();
  boost::beast::flat_buffer buf;
  asio::write(s, asio::buffer(Post("/db/execute?queue", "[[\"INSERT\", \"sinead\"]]")));
  Response a = Read(s, buf);
  EXPECT_EQ(a.result_int(), 200u);
  EXPECT_EQ(a.body().rfind("{\"results\":[],\"sequence_number\":", 0), 0u) << a.body();
  int64_t seq_a = std::stoll(a.body().substr(a.body().find(':', 12) + 1));
  asio::write(s, asio::buffer(Post("/db/execute?queue&wait&timeout=5s", "[[\"INSERT\", \"bob\"]]")));
  Response b = Read(s, buf);
  EXPECT_EQ(b.result_int(), 200u);
  int64_t seq_b = std::stoll(b.body().substr(b.body().find(':', 12) + 1));
  EXPECT_EQ(seq_b, seq_a + 1);
  asio::write(s, asio::buffer(std::string("GET /status?key=http.queue._default.sequence_number "
                                          "HTTP/1.1\r\nHost: x\r\n\r\n")));
  EXPECT_EQ(Read(s, buf).body(), std::to_string(seq_b));
  db_.hold_execute = true;
  asio::write(s, asio::buffer(Post("/db/execute?queue&wait&timeout=50ms", "[\"INSERT\"]")));
  Response c = Read(s, buf);
  EXPECT_EQ(c.result_int(), 408u);
  EXPECT_EQ(c.body(), "queue wait timeout\n");
  asio::write(s, asio::buffer(Post("/db/execute?queue", "[]")));
  Response d = Read(s, buf);
  EXPECT_EQ(d.result_int(), 400u);
  EXPECT_EQ(d.body(), "no statements\n");
  db_.ReleaseHeld(api::Response{});
}

TEST_F(ServerTest, StopClosesListener) {
  StartServer();
  uint16_t port = server_->port();
  server_->Stop();
  ASSERT_TRUE(Eventually([&] {
    tcp::socket s(client_io_);
    boost::system::error_code ec;
    s.connect({asio::ip::make_address("127.0.0.1"), port}, ec);
    return static_cast<bool>(ec);
  }));
}

// Unreadable or invalid TLS material is a Start() error naming the file, and nothing listens.
TEST_F(ServerTest, TlsStartFailsOnBadFiles) {
  std::string dir = ::testing::TempDir() + "/http_server_tls_" + std::to_string(getpid());
  std::filesystem::create_directories(dir);
  std::string garbage = dir + "/garbage.pem";
  std::ofstream(garbage) << "not a certificate\n";
  struct Case {
    std::string cert, key, ca, must_name;
  };
  for (const Case& c : {Case{dir + "/missing.pem", garbage, "", "missing.pem"},
                        Case{garbage, garbage, "", "garbage.pem"}}) {
    HttpConfig cfg;
    cfg.bind_addr = "127.0.0.1:0";
    cfg.tls_cert_file = c.cert;
    cfg.tls_key_file = c.key;
    cfg.tls_ca_file = c.ca;
    cfg.clock = &clock_;
    Server server(io_, db_, cfg);
    base::Status st = server.Start();
    EXPECT_FALSE(st.ok());
    EXPECT_NE(st.message().find(c.must_name), std::string::npos) << st.message();
    EXPECT_NE(st.message().find("certificate"), std::string::npos) << st.message();
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace http
