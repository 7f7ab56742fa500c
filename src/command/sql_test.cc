#include "command/sql.h"

#include <gtest/gtest.h>

namespace command {
namespace {

struct PragmaCase {
  const char* sql;
  bool disallowed;
};

TEST(DisallowedPragma, Table) {
  const PragmaCase cases[] = {
      {"PRAGMA journal_mode=DELETE", true},
      {"  pragma JOURNAL_MODE = wal", true},
      {"PRAGMA main.journal_mode=DELETE", true},
      {"PRAGMA journal_mode", false},
      {"PRAGMA wal_autocheckpoint=10", true},
      {"PRAGMA main.wal_autocheckpoint=10", false},
      {"PRAGMA wal_checkpoint", true},
      {"PRAGMA wal_checkpoint(TRUNCATE)", true},
      {"PRAGMA main.wal_checkpoint(FULL)", true},
      {"PRAGMA synchronous=0", true},
      {"PRAGMA synchronous", false},
      {"PRAGMA main.synchronous = OFF", true},
      {"PRAGMA query_only=1", true},
      {"PRAGMA query_only", false},
      {"PRAGMA foreign_keys=ON", false},
      {"PRAGMAjournal_mode=DELETE", false},
      {"SELECT 1; PRAGMA synchronous=0", false},
      {"\n\tPRAGMA\tsynchronous\n=\n0", true},
  };
  for (const auto& c : cases) EXPECT_EQ(IsDisallowedPragma(c.sql), c.disallowed) << c.sql;
  std::vector<api::Statement> stmts(2);
  stmts[0].sql = "SELECT 1";
  stmts[1].sql = "PRAGMA synchronous=1";
  EXPECT_TRUE(AnyDisallowedPragma(stmts));
  stmts.pop_back();
  EXPECT_FALSE(AnyDisallowedPragma(stmts));
}

constexpr int64_t kNow = 1700000000LL * 1000000000LL;  // 2023-11-14T22:13:20Z

Processed Proc(const std::string& sql, bool random = true, bool time = true) {
  base::Random rng(7);
  return Process(sql, random, time, rng, kNow);
}

std::string RandomValue(int n) {
  base::Random rng(7);
  uint64_t v = 0;
  for (int i = 0; i < n; ++i) v = rng.Next() >> 1;
  return std::to_string(v);
}

TEST(Rewrite, JulianDay) { EXPECT_EQ(JulianDay(kNow), "2460263.425926"); }

TEST(Rewrite, RandomTable) {
  struct Case {
    std::string in, out;
  } cases[] = {
      {"INSERT INTO foo(v) VALUES(RANDOM())", "INSERT INTO foo(v) VALUES(" + RandomValue(1) + ")"},
      {"INSERT INTO foo(v) VALUES(random( ))", "INSERT INTO foo(v) VALUES(" + RandomValue(1) + ")"},
      {"SELECT * FROM foo ORDER BY RANDOM()", "SELECT * FROM foo ORDER BY RANDOM()"},
      {"SELECT random() FROM foo ORDER BY random() LIMIT 1",
       "SELECT " + RandomValue(1) + " FROM foo ORDER BY random() LIMIT 1"},
      {"SELECT 'random()'", "SELECT 'random()'"},
      {"SELECT \"random()\" -- random()", "SELECT \"random()\" -- random()"},
      {"SELECT random(1)", "SELECT random(1)"},
      {"SELECT (SELECT x FROM t ORDER BY random()), random()",
       "SELECT (SELECT x FROM t ORDER BY random()), " + RandomValue(1)},
  };
  for (const auto& c : cases) EXPECT_EQ(Proc(c.in).sql, c.out) << c.in;
  EXPECT_EQ(Proc("SELECT random()", false).sql, "SELECT random()");
}

TEST(Rewrite, RandomBlob) {
  Processed p = Proc("INSERT INTO t VALUES(randomblob(4))");
  ASSERT_TRUE(p.rewritten);
  EXPECT_EQ(p.sql.size(), std::string("INSERT INTO t VALUES(x'12345678')").size());
  EXPECT_NE(p.sql.find("VALUES(x'"), std::string::npos);
  EXPECT_EQ(Proc("SELECT randomblob(0)").sql.size(), std::string("SELECT x'00'").size());
  EXPECT_EQ(Proc("SELECT randomblob(n) FROM t").sql, "SELECT randomblob(n) FROM t");
  // Deterministic under the same seed.
  EXPECT_EQ(Proc("SELECT randomblob(16)").sql, Proc("SELECT randomblob(16)").sql);
}

TEST(Rewrite, TimeTable) {
  const std::string jd = "2460263.425926";
  struct Case {
    std::string in, out;
  } cases[] = {
      {"INSERT INTO t VALUES(datetime('now'))", "INSERT INTO t VALUES(datetime(" + jd + "))"},
      {"SELECT date('NOW', 'start of month')", "SELECT date(" + jd + ", 'start of month')"},
      {"SELECT time(now)", "SELECT time(" + jd + ")"},
      {"SELECT julianday('now'), unixepoch('now')",
       "SELECT julianday(" + jd + "), unixepoch(" + jd + ")"},
      {"SELECT strftime('%s', 'now')", "SELECT strftime('%s', " + jd + ")"},
      {"SELECT strftime('now', 'now')", "SELECT strftime('now', " + jd + ")"},
      {"SELECT timediff('now', 'now')", "SELECT timediff(" + jd + ", " + jd + ")"},
      {"SELECT date()", "SELECT date()"},
      {"SELECT CURRENT_TIMESTAMP, datetime('2020-01-01')",
       "SELECT CURRENT_TIMESTAMP, datetime('2020-01-01')"},
      {"SELECT date('now', '+1 day')", "SELECT date(" + jd + ", '+1 day')"},
  };
  for (const auto& c : cases) EXPECT_EQ(Proc(c.in).sql, c.out) << c.in;
  EXPECT_EQ(Proc("SELECT date('now')", true, false).sql, "SELECT date('now')");
}

TEST(Detect, ReturningAndExplain) {
  EXPECT_TRUE(Proc("INSERT INTO foo(id) VALUES(5) RETURNING *").returning);
  EXPECT_TRUE(Proc("delete from foo returning id").returning);
  EXPECT_FALSE(Proc("INSERT INTO foo(v) VALUES('returning ')").returning);
  EXPECT_FALSE(Proc("SELECT 1").returning);
  EXPECT_TRUE(Proc("EXPLAIN QUERY PLAN INSERT INTO foo VALUES(1)").explain);
  EXPECT_TRUE(Proc("  explain select 1").explain);
  EXPECT_FALSE(Proc("SELECT 'explain'").explain);
}

TEST(ProcessStatements, HonoursOptions) {
  base::Random rng(1);
  std::vector<api::Statement> s(2);
  s[0].sql = "SELECT random()";
  s[1].sql = "INSERT INTO t VALUES(1) RETURNING *";
  auto copy = s;
  ProcessStatements(&copy, {.no_parse = true}, true, rng, kNow);
  EXPECT_EQ(copy[0].sql, "SELECT random()");
  EXPECT_FALSE(copy[1].returning);
  copy = s;
  ProcessStatements(&copy, {}, false, rng, kNow);  // detection only
  EXPECT_EQ(copy[0].sql, "SELECT random()");
  EXPECT_TRUE(copy[1].returning);
  copy = s;
  ProcessStatements(&copy, {}, true, rng, kNow);
  EXPECT_NE(copy[0].sql, "SELECT random()");
}

TEST(TransactionControl, Table) {
  EXPECT_TRUE(HasTransactionControl("BEGIN; INSERT INTO t VALUES(1); COMMIT;"));
  EXPECT_TRUE(HasTransactionControl("INSERT INTO t VALUES(1); commit"));
  EXPECT_TRUE(HasTransactionControl("/* c */ VACUUM"));
  EXPECT_TRUE(HasTransactionControl("PRAGMA foreign_keys=ON"));
  EXPECT_FALSE(HasTransactionControl("INSERT INTO t(begin) VALUES('commit')"));
  EXPECT_FALSE(HasTransactionControl("SELECT CASE WHEN 1 THEN 2 END"));
  EXPECT_FALSE(HasTransactionControl("UPDATE t SET x = 1"));
}

}  // namespace
}  // namespace command
