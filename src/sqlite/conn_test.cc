#include "sqlite/conn.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

namespace sqlite {
namespace {

class ConnTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/sqlite_test_XXXXXX";
    dir_ = mkdtemp(tmpl);
    path_ = dir_ + "/db.sqlite";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_, path_;
};

TEST_F(ConnTest, WriterPragmas) {
  auto w = Conn::Open(path_, {.foreign_keys = true});
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  EXPECT_EQ(*(*w)->QueryString("PRAGMA journal_mode"), "wal");
  EXPECT_EQ(*(*w)->QueryString("PRAGMA synchronous"), "0");
  EXPECT_EQ(*(*w)->QueryString("PRAGMA wal_autocheckpoint"), "0");
  EXPECT_EQ(*(*w)->QueryString("PRAGMA busy_timeout"), "5000");
  EXPECT_EQ(*(*w)->QueryString("PRAGMA foreign_keys"), "1");
}

TEST_F(ConnTest, ReadOnlyRejectsWrites) {
  auto w = Conn::Open(path_, {});
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->Exec("CREATE TABLE t(x); INSERT INTO t VALUES(1)").ok());
  auto r = Conn::Open(path_, {.read_only = true});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*(*r)->QueryString("SELECT count(*) FROM t"), "1");
  EXPECT_EQ(*(*r)->QueryString("PRAGMA query_only"), "1");
  auto st = (*r)->Exec("INSERT INTO t VALUES(2)");
  EXPECT_FALSE(st.ok());
  // Reader sees writer's later commits (WAL).
  ASSERT_TRUE((*w)->Exec("INSERT INTO t VALUES(3)").ok());
  EXPECT_EQ(*(*r)->QueryString("SELECT count(*) FROM t"), "2");
}

TEST_F(ConnTest, PrepareTailAndEmpty) {
  auto w = Conn::Open(path_, {});
  ASSERT_TRUE(w.ok());
  size_t tail = 0;
  std::string sql = "SELECT 1; SELECT 2";
  auto s = (*w)->Prepare(sql, &tail);
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(*s);
  EXPECT_EQ(sql.substr(tail), " SELECT 2");
  auto e = (*w)->Prepare("  -- just a comment");
  ASSERT_TRUE(e.ok());
  EXPECT_FALSE(*e);
  auto bad = (*w)->Prepare("SELEKT 1");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "near \"SELEKT\": syntax error");
}

TEST_F(ConnTest, StatementCacheReusesAndEvicts) {
  auto w = Conn::Open(path_, {.stmt_cache_size = 2});
  ASSERT_TRUE(w.ok());
  auto a = (*w)->PrepareCached("SELECT 1");
  auto a2 = (*w)->PrepareCached("SELECT 1");
  ASSERT_TRUE(a.ok() && a2.ok());
  EXPECT_EQ(*a, *a2);
  EXPECT_EQ(*(*w)->PrepareCached("SELECT 1; SELECT 2"), nullptr);  // multi-statement: not cached
  ASSERT_NE(*(*w)->PrepareCached("SELECT 2"), nullptr);
  ASSERT_NE(*(*w)->PrepareCached("SELECT 3"), nullptr);  // evicts SELECT 1
  auto a3 = (*w)->PrepareCached("SELECT 1");
  ASSERT_TRUE(a3.ok());
  EXPECT_NE(*a3, nullptr);
}

TEST_F(ConnTest, LongStatementsAreNotCached) {
  auto w = Conn::Open(path_, {.stmt_cache_size = 4, .max_cached_sql_bytes = 64});
  ASSERT_TRUE(w.ok());
  std::string long_sql = "SELECT '" + std::string(100, 'x') + "'";
  auto s = (*w)->PrepareCached(long_sql);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(*s, nullptr);  // the caller prepares it uncached, and it is freed after use
  EXPECT_NE(*(*w)->PrepareCached("SELECT 1"), nullptr);
}

TEST_F(ConnTest, CheckpointTruncatesWalAndCopyFrom) {
  auto w = Conn::Open(path_, {});
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->Exec("CREATE TABLE t(x); INSERT INTO t VALUES('hello')").ok());
  EXPECT_GT(std::filesystem::file_size(path_ + "-wal"), 0u);
  ASSERT_TRUE((*w)->Checkpoint(SQLITE_CHECKPOINT_TRUNCATE).ok());
  EXPECT_EQ(std::filesystem::file_size(path_ + "-wal"), 0u);
  ASSERT_TRUE(SyncFile(path_).ok());
  ASSERT_TRUE(SyncDir(dir_).ok());

  auto other = Conn::Open(dir_ + "/other.sqlite", {});
  ASSERT_TRUE(other.ok());
  ASSERT_TRUE((*other)->Exec("CREATE TABLE u(y); INSERT INTO u VALUES(7)").ok());
  ASSERT_TRUE((*w)->CopyFrom(**other).ok());
  EXPECT_EQ(*(*w)->QueryString("SELECT y FROM u"), "7");
  EXPECT_FALSE((*w)->QueryString("SELECT x FROM t").ok());
}

TEST(SqliteHelpers, IsSqliteImage) {
  EXPECT_FALSE(IsSqliteImage("SQLite format"));
  EXPECT_TRUE(IsSqliteImage(std::string("SQLite format 3\0", 16)));
  EXPECT_FALSE(IsSqliteImage("CREATE TABLE x(y)"));
  EXPECT_EQ(Version().substr(0, 2), "3.");
}

}  // namespace
}  // namespace sqlite
