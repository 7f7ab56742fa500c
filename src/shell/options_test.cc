// Tests for shell/options.h: option syntax, defaults, RQLITE_HOST, durations.
#include "shell/options.h"

#include <gtest/gtest.h>

namespace shell {
namespace {

Options Parse(std::vector<std::string> args) {
  auto r = ParseOptions(args);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : Options{};
}

TEST(OptionsTest, Defaults) {
  Options o = Parse({});
  EXPECT_EQ(o.host, "127.0.0.1");
  EXPECT_EQ(o.port, 4001);
  EXPECT_EQ(o.scheme, "http");
  EXPECT_EQ(o.prefix, "/");
  EXPECT_EQ(o.http_timeout_ms, 30000);
  EXPECT_FALSE(o.insecure);
  EXPECT_FALSE(o.host_set || o.port_set || o.scheme_set);
}

TEST(OptionsTest, AllSyntaxes) {
  Options o = Parse({"-H", "node1", "--port=4005", "-s=https", "-P", "rq", "-i", "-u", "bob:pw",
                     "-c", "ca.pem", "-d", "c.pem", "-k", "k.pem", "--alternatives", "a:1,b:2",
                     "-t", "1m30s"});
  EXPECT_EQ(o.host, "node1");
  EXPECT_EQ(o.port, 4005);
  EXPECT_EQ(o.scheme, "https");
  EXPECT_EQ(o.prefix, "/rq/");
  EXPECT_TRUE(o.insecure);
  EXPECT_EQ(o.user, "bob:pw");
  EXPECT_EQ(o.ca_cert, "ca.pem");
  EXPECT_EQ(o.client_cert, "c.pem");
  EXPECT_EQ(o.client_key, "k.pem");
  EXPECT_EQ(o.alternatives, "a:1,b:2");
  EXPECT_EQ(o.http_timeout_ms, 90000);
  EXPECT_TRUE(o.host_set && o.port_set && o.scheme_set);
  EXPECT_EQ(Parse({"-p4002"}).port, 4002);
  EXPECT_EQ(Parse({"--host", "h"}).host, "h");
  EXPECT_FALSE(Parse({"--insecure=false"}).insecure);
  EXPECT_TRUE(Parse({"-h"}).help);
  EXPECT_TRUE(Parse({"--version"}).version);
}

TEST(OptionsTest, Errors) {
  EXPECT_FALSE(ParseOptions({"-x"}).ok());
  EXPECT_FALSE(ParseOptions({"--port", "70000"}).ok());
  EXPECT_FALSE(ParseOptions({"-p", "abc"}).ok());
  EXPECT_FALSE(ParseOptions({"-H"}).ok());
  EXPECT_FALSE(ParseOptions({"-t", "10x"}).ok());
  EXPECT_FALSE(ParseOptions({"stray"}).ok());
}

TEST(OptionsTest, HostEnv) {
  Options o;
  ASSERT_TRUE(ApplyHostEnv("https://example.com:8443", &o).ok());
  EXPECT_EQ(o.scheme, "https");
  EXPECT_EQ(o.host, "example.com");
  EXPECT_EQ(o.port, 8443);
  Options p;
  ASSERT_TRUE(ApplyHostEnv("//localhost", &p).ok());
  EXPECT_EQ(p.host, "localhost");
  EXPECT_EQ(p.port, 4001);
  Options q;
  ASSERT_TRUE(ApplyHostEnv("example.com:8080", &q).ok());
  EXPECT_EQ(q.host, "example.com");
  EXPECT_EQ(q.port, 8080);
  Options r;
  EXPECT_FALSE(ApplyHostEnv("ftp://localhost:4001", &r).ok());
  EXPECT_FALSE(ApplyHostEnv("http://", &r).ok());
  // Any of -H/-p/-s on the command line wins over the environment entirely.
  Options s = Parse({"-p", "5000"});
  ASSERT_TRUE(ApplyHostEnv("example.com:8080", &s).ok());
  EXPECT_EQ(s.host, "127.0.0.1");
  EXPECT_EQ(s.port, 5000);
}

TEST(OptionsTest, DurationsAndJoin) {
  EXPECT_EQ(*ParseGoDurationMs("500ms"), 500);
  EXPECT_EQ(*ParseGoDurationMs("2h"), 7200000);
  EXPECT_EQ(*ParseGoDurationMs("0"), 0);
  EXPECT_EQ(*ParseGoDurationMs("1.5s"), 1500);
  EXPECT_FALSE(ParseGoDurationMs("5").ok());
  EXPECT_EQ(JoinHostPort("::1", 4001), "[::1]:4001");
  EXPECT_EQ(JoinHostPort("localhost", 1), "localhost:1");
}

TEST(OptionsTest, HelpListsEveryOption) {
  std::string help = HelpText();
  for (const char* s : {"-h, --help", "-a, --alternatives", "-s, --scheme[=http]",
                        "-H, --host[=127.0.0.1]", "-p, --port[=4001]", "-P, --prefix[=/]",
                        "-i, --insecure[=false]", "-c, --ca-cert", "-d, --client-cert",
                        "-k, --client-key", "-u, --user", "-v, --version",
                        "-t, --http-timeout[=30s]"}) {
    EXPECT_NE(help.find(s), std::string::npos) << s;
  }
}

}  // namespace
}  // namespace shell
