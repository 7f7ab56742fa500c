// Tests for http/params.h: rqlite NewQueryParams + Go url.ParseQuery behaviour.
#include "http/params.h"

#include <gtest/gtest.h>

namespace http {
namespace {

QueryParams Parse(std::string_view q) {
  auto r = ParseQueryParams(q);
  EXPECT_TRUE(r.ok()) << q << ": " << r.status().ToString();
  return r.ok() ? *r : QueryParams{};
}

std::string Error(std::string_view q) {
  auto r = ParseQueryParams(q);
  EXPECT_FALSE(r.ok()) << q;
  return r.ok() ? "" : r.status().message();
}

TEST(ParamsTest, EmptyQueryHasDefaults) {
  QueryParams p = Parse("");
  EXPECT_FALSE(p.pretty);
  EXPECT_EQ(p.level, api::Level::kWeak);
  EXPECT_FALSE(p.q.has_value());
  EXPECT_EQ(p.TimeoutNs(), 30'000'000'000);
  EXPECT_EQ(p.LinearizableTimeoutNs(), 10'000'000'000);
  EXPECT_EQ(p.DbTimeoutNs(), 0);
  EXPECT_EQ(p.FreshnessNs(), 0);
  EXPECT_EQ(p.Retries(), 0);
  EXPECT_EQ(p.fmt, api::BackupFormat::kBinary);
  EXPECT_TRUE(p.tables.empty());
  EXPECT_EQ(p.ver, "");
}

TEST(ParamsTest, FlagsArePresenceBased) {
  for (const char* q : {"pretty", "pretty=", "pretty=true", "pretty=false", "pretty=0",
                        "x=1&pretty&y=2"}) {
    EXPECT_TRUE(Parse(q).pretty) << q;
  }
  EXPECT_FALSE(Parse("prettyx").pretty);
  EXPECT_FALSE(Parse("Pretty").pretty);  // keys are case-sensitive
  QueryParams p = Parse(
      "timings&transaction&queue&wait&associative&blob_array&qualify_columns&redirect&"
      "noleader&nonvoters&sync&vacuum&compress&norwrandom&norwtime&noparse&raft_index&bypass");
  EXPECT_TRUE(p.timings && p.transaction && p.queue && p.wait && p.associative && p.blob_array &&
              p.qualify_columns && p.redirect && p.noleader && p.nonvoters && p.sync &&
              p.vacuum && p.compress && p.norwrandom && p.norwtime && p.noparse &&
              p.raft_index && p.bypass);
  EXPECT_FALSE(p.pretty || p.freshness_strict);
  api::RewriteOptions rw = p.Rewrite();
  EXPECT_TRUE(rw.no_rewrite_random && rw.no_rewrite_time && rw.no_parse);
}

TEST(ParamsTest, Level) {
  struct Case {
    const char* q;
    api::Level want;
  } cases[] = {
      {"level=none", api::Level::kNone},
      {"level=weak", api::Level::kWeak},
      {"level=linearizable", api::Level::kLinearizable},
      {"level=strong", api::Level::kStrong},
      {"level=auto", api::Level::kAuto},
      {"level=STRONG", api::Level::kStrong},
      {"level=NoNe", api::Level::kNone},
      {"level=", api::Level::kWeak},
      {"level", api::Level::kWeak},
      {"level=bogus", api::Level::kWeak},
      {"level=strong&level=none", api::Level::kStrong},  // first value wins
  };
  for (const auto& c : cases) EXPECT_EQ(Parse(c.q).level, c.want) << c.q;
}

TEST(ParamsTest, Durations) {
  QueryParams p = Parse("timeout=10s&freshness=1m30s&db_timeout=500ms&linearizable_timeout=2.5s");
  EXPECT_EQ(p.timeout_ns, 10'000'000'000);
  EXPECT_EQ(p.freshness_ns, 90'000'000'000);
  EXPECT_EQ(p.db_timeout_ns, 500'000'000);
  EXPECT_EQ(p.linearizable_timeout_ns, 2'500'000'000);
  EXPECT_EQ(Parse("timeout=0").timeout_ns, 0);
  EXPECT_EQ(Parse("timeout=-1s").timeout_ns, -1'000'000'000);
  EXPECT_EQ(Parse("timeout=5%C2%B5s").timeout_ns, 5000);  // µs percent-encoded
  EXPECT_EQ(Parse("timeout=1s&timeout=xyz").timeout_ns, 1'000'000'000);
}

TEST(ParamsTest, ValidationMessagesOfSection33) {
  EXPECT_EQ(Error("timeout=xyz"), "timeout is not a valid duration");
  EXPECT_EQ(Error("timeout="), "timeout is not a valid duration");
  EXPECT_EQ(Error("timeout=10"), "timeout is not a valid duration");
  EXPECT_EQ(Error("freshness=1x"), "freshness is not a valid duration");
  EXPECT_EQ(Error("db_timeout=abc"), "db_timeout is not a valid duration");
  EXPECT_EQ(Error("linearizable_timeout=1"), "linearizable_timeout is not a valid duration");
  EXPECT_EQ(Error("retries=x"), "retries is not a valid integer");
  EXPECT_EQ(Error("retries="), "retries is not a valid integer");
  EXPECT_EQ(Error("retries=1.5"), "retries is not a valid integer");
  EXPECT_EQ(Error("trailing_logs=9223372036854775808"), "trailing_logs is not a valid integer");
  EXPECT_EQ(Error("q="), "query parameter not set");
  EXPECT_EQ(Error("q"), "query parameter not set");
  EXPECT_EQ(Error("level=none&freshness_strict&q=SELECT%201"),
            "freshness_strict requires freshness");
  // rqlite's order: freshness_strict, then durations, then integers, then q.
  EXPECT_EQ(Error("freshness_strict&timeout=bad"), "freshness_strict requires freshness");
  EXPECT_EQ(Error("retries=x&timeout=bad"), "timeout is not a valid duration");
  EXPECT_EQ(Error("q=&retries=x"), "retries is not a valid integer");
  // freshness present (even invalid) satisfies freshness_strict; then the duration fails.
  EXPECT_EQ(Error("freshness_strict&freshness=bad"), "freshness is not a valid duration");
}

TEST(ParamsTest, Integers) {
  EXPECT_EQ(Parse("retries=3").retries, 3);
  EXPECT_EQ(Parse("retries=%2B3").retries, 3);
  EXPECT_EQ(Error("retries=+3"), "retries is not a valid integer");  // "+" decodes to a space
  EXPECT_EQ(Parse("retries=-2").retries, -2);
  EXPECT_EQ(Parse("trailing_logs=9223372036854775807").trailing_logs, INT64_MAX);
  EXPECT_EQ(Parse("trailing_logs=-9223372036854775808").trailing_logs, INT64_MIN);
  EXPECT_EQ(Parse("retries=3").Retries(), 3);
}

TEST(ParamsTest, FreshnessStrict) {
  QueryParams p = Parse("level=none&freshness=1s&freshness_strict");
  EXPECT_TRUE(p.freshness_strict);
  EXPECT_EQ(p.FreshnessNs(), 1'000'000'000);
}

TEST(ParamsTest, QueryStringDecoding) {
  QueryParams p = Parse("q=SELECT%20*%20FROM%20foo%20WHERE%20id%3D99");
  EXPECT_EQ(p.q, "SELECT * FROM foo WHERE id=99");
  EXPECT_EQ(Parse("q=SELECT+1").q, "SELECT 1");
  EXPECT_EQ(Parse("q=a%2Bb").q, "a+b");
  EXPECT_EQ(Parse("q=a=b").q, "a=b");  // split at the first '='
  EXPECT_EQ(Parse("q=1&q=2").q, "1");
  EXPECT_EQ(Parse("q=%e2%82%ac").q, "\xE2\x82\xAC");
  EXPECT_EQ(Parse("&&q=x&&").q, "x");  // empty segments skipped
  EXPECT_EQ(Parse("%71=x").q, "x");    // keys are unescaped too
  QueryParams raw = Parse("redirect&pretty&q=a%20b");
  EXPECT_EQ(raw.raw, "redirect&pretty&q=a%20b");
  ASSERT_EQ(raw.pairs.size(), 3u);
  EXPECT_EQ(raw.pairs[2].second, "a b");
  EXPECT_TRUE(raw.Has("redirect"));
  EXPECT_EQ(raw.Get("redirect"), "");
  EXPECT_EQ(raw.Get("missing"), std::nullopt);
}

TEST(ParamsTest, GoParseQueryErrors) {
  EXPECT_EQ(Error("a=1;b=2"), "invalid semicolon separator in query");
  EXPECT_EQ(Error("q=%zz"), "invalid URL escape \"%zz\"");
  EXPECT_EQ(Error("q=%"), "invalid URL escape \"%\"");
  EXPECT_EQ(Error("q=%4"), "invalid URL escape \"%4\"");
  EXPECT_EQ(Error("q=abc%4g"), "invalid URL escape \"%4g\"");
  EXPECT_EQ(Error("%zz=1"), "invalid URL escape \"%zz\"");
  EXPECT_EQ(Error("q=%\xff" "a"), "invalid URL escape \"%\\xffa\"");
  // The first escape error is kept, but a semicolon error always wins.
  EXPECT_EQ(Error("a=%zz&b=%yy"), "invalid URL escape \"%zz\"");
  EXPECT_EQ(Error("a=%zz&b;c"), "invalid semicolon separator in query");
  // Parsing errors come before rqlite's own validation.
  EXPECT_EQ(Error("timeout=bad&a;b"), "invalid semicolon separator in query");
}

TEST(ParamsTest, StringsAndBackupOptions) {
  QueryParams p = Parse("key=store.leader&ver=2&fmt=SQL&tables=%20foo%20,,bar%20,%20");
  EXPECT_EQ(p.key, "store.leader");
  EXPECT_EQ(p.ver, "2");
  EXPECT_EQ(p.fmt, api::BackupFormat::kSql);
  EXPECT_EQ(p.tables, (std::vector<std::string>{"foo", "bar"}));
  EXPECT_EQ(Parse("fmt=delete").fmt, api::BackupFormat::kDelete);
  EXPECT_EQ(Parse("fmt=binary").fmt, api::BackupFormat::kBinary);
  EXPECT_EQ(Parse("fmt=zip").fmt, api::BackupFormat::kBinary);
  EXPECT_TRUE(Parse("tables=").tables.empty());
  EXPECT_TRUE(Parse("tables=,%20,").tables.empty());
  EXPECT_EQ(Parse("key=").key, "");
}

TEST(ParamsTest, E7RedirectKeepsRawQuery) {
  // 301 Location copies the raw query byte for byte, including `redirect` itself.
  QueryParams p = Parse("redirect&pretty");
  EXPECT_TRUE(p.redirect);
  EXPECT_TRUE(p.pretty);
  EXPECT_EQ(p.raw, "redirect&pretty");
  EXPECT_EQ(Parse("q=SELECT%20*&redirect=&x=%41+").raw, "q=SELECT%20*&redirect=&x=%41+");
}

TEST(ParamsTest, E10Messages) {
  EXPECT_EQ(Error("q="), "query parameter not set");
  EXPECT_EQ(Error("level=none&freshness_strict&q=SELECT%201"),
            "freshness_strict requires freshness");
}

TEST(GoQuoteTest, Escapes) {
  EXPECT_EQ(GoQuote("abc"), "\"abc\"");
  EXPECT_EQ(GoQuote("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(GoQuote("\n\t\x01\x7f"), "\"\\n\\t\\x01\\x7f\"");
  EXPECT_EQ(GoQuote("\xff\xC3\xA9"), "\"\\xff\xC3\xA9\"");
}

}  // namespace
}  // namespace http
