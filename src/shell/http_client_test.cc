// Tests for shell/http_client.h: failover, manual 301 following, auth, error messages.
#include "shell/http_client.h"

#include <gtest/gtest.h>

#include "shell/fake_transport.h"

namespace shell {
namespace {

struct Fixture {
  explicit Fixture(std::vector<std::string> hosts, std::string creds = "") {
    auto t = std::make_unique<FakeTransport>();
    fake = t.get();
    HttpClientConfig cfg;
    cfg.hosts = std::move(hosts);
    cfg.credentials = std::move(creds);
    client = std::make_unique<HttpClient>(cfg, std::move(t));
  }
  FakeTransport* fake;
  std::unique_ptr<HttpClient> client;
};

HttpRequest Post(std::string path, std::string body) {
  HttpRequest r;
  r.method = "POST";
  r.path = std::move(path);
  r.body = std::move(body);
  r.has_body = true;
  return r;
}

TEST(HttpClientTest, FailsOverToAlternativeAndStaysThere) {
  Fixture f({"127.0.0.1:1", "127.0.0.1:2"});
  f.fake->OnJson("GET http://127.0.0.1:2/status", 200, "{}");
  auto r = f.client->Do(HttpRequest::Make("GET", "/status"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(f.client->host_changed());
  EXPECT_EQ(f.client->current_host(), "127.0.0.1:2");
  ASSERT_TRUE(f.client->Do(HttpRequest::Make("GET", "/status")).ok());
  EXPECT_FALSE(f.client->host_changed());
  EXPECT_EQ(f.fake->requests.size(), 3u);
}

TEST(HttpClientTest, AllHostsDownGivesConnectMessage) {
  Fixture f({"127.0.0.1:1", "127.0.0.1:2"});
  auto r = f.client->Do(HttpRequest::Make("GET", "/status"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "Unable to connect to rqlited at http://127.0.0.1:1 - is it running?");
}

TEST(HttpClientTest, Follows301WithSameMethodAndBody) {
  Fixture f({"n1:4001"});
  f.fake->OnJson("POST http://n1:4001/db/request", 301, "",
                 {{"Location", "http://n2:4003/db/request?timings="}});
  f.fake->OnJson("POST http://n2:4003/db/request?timings=", 200, "{\"results\":[]}");
  auto r = f.client->Do(Post("/db/request", "[\"x\"]"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 200);
  ASSERT_EQ(f.fake->requests.size(), 2u);
  EXPECT_EQ(f.fake->requests[1].method, "POST");
  EXPECT_EQ(f.fake->requests[1].body, "[\"x\"]");
  EXPECT_FALSE(f.client->host_changed());  // a redirect is not a failover
}

TEST(HttpClientTest, RedirectLoopIsCappedAt21) {
  Fixture f({"n1:4001"});
  f.fake->OnJson("GET http://n1:4001/x", 301, "", {{"Location", "http://n1:4001/x"}});
  auto r = f.client->Do(HttpRequest::Make("GET", "/x"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "maximum leader redirect limit exceeded");
  EXPECT_EQ(f.fake->requests.size(), 22u);
}

TEST(HttpClientTest, BasicAuthHeaderAndBadFormat) {
  Fixture f({"n1:4001"}, "bob:secret");
  f.fake->OnJson("GET", 200, "{}");
  ASSERT_TRUE(f.client->Do(HttpRequest::Make("GET", "/status")).ok());
  ASSERT_EQ(f.fake->requests.size(), 1u);
  bool found = false;
  for (const auto& [k, v] : f.fake->requests[0].headers) {
    if (k == "Authorization") {
      EXPECT_EQ(v, "Basic Ym9iOnNlY3JldA==");
      found = true;
    }
  }
  EXPECT_TRUE(found);
  Fixture g({"n1:4001"}, "bob:a:b");
  g.fake->OnJson("GET", 200, "{}");
  auto r = g.client->Do(HttpRequest::Make("GET", "/status"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "invalid Basic Auth credential format");
  EXPECT_TRUE(g.fake->requests.empty());
}

TEST(HttpClientTest, NoTimeoutForUploads) {
  Fixture f({"n1:4001"});
  f.fake->OnJson("POST", 200, "{}");
  HttpRequest up = Post("/db/load", "data");
  up.no_timeout = true;
  ASSERT_TRUE(f.client->Do(up).ok());
  ASSERT_TRUE(f.client->Do(Post("/db/request", "[]")).ok());
  EXPECT_EQ(f.fake->requests[0].timeout_ms, 0);
  EXPECT_EQ(f.fake->requests[1].timeout_ms, 30000);
}

TEST(HttpClientTest, Helpers) {
  EXPECT_EQ(Base64Encode(""), "");
  EXPECT_EQ(Base64Encode("a"), "YQ==");
  EXPECT_EQ(Base64Encode("ab"), "YWI=");
  EXPECT_EQ(Base64Encode("abc"), "YWJj");
  EXPECT_EQ(QueryEscape("SELECT name FROM t WHERE type=\"x\""),
            "SELECT+name+FROM+t+WHERE+type%3D%22x%22");
  EXPECT_EQ(StatusTextFor(401), "401 Unauthorized");
}

}  // namespace
}  // namespace shell
