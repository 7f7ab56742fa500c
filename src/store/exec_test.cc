// Engine-level behaviour that the store relies on: transaction-abort reporting and detection of
// an enclosing transaction that SQLite rolled back on its own.
#include "store/exec.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

namespace store {
namespace {

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/engine_test_XXXXXX";
    dir_ = mkdtemp(tmpl);
    auto c = sqlite::Conn::Open(dir_ + "/db.sqlite", {});
    ASSERT_TRUE(c.ok());
    conn_ = std::move(*c);
    ASSERT_TRUE(conn_->Exec("CREATE TABLE t(id INTEGER PRIMARY KEY ON CONFLICT ROLLBACK)").ok());
  }
  void TearDown() override {
    conn_.reset();
    std::filesystem::remove_all(dir_);
  }
  std::vector<api::Statement> S(std::initializer_list<const char*> l) {
    std::vector<api::Statement> v;
    for (auto s : l) v.push_back({s, {}, false, false});
    return v;
  }
  std::string dir_;
  base::SystemClock clock_;
  std::unique_ptr<sqlite::Conn> conn_;
};

TEST_F(EngineTest, AbortedInTransactionMode) {
  ASSERT_TRUE(conn_->Exec("BEGIN").ok());
  Engine e(conn_.get(), &clock_, 0);
  EngineOutcome out = e.Execute(S({"INSERT INTO t VALUES(1)", "INSERT INTO nope VALUES(1)",
                                   "INSERT INTO t VALUES(2)"}), true, true);
  EXPECT_TRUE(out.aborted);
  EXPECT_EQ(out.results.size(), 2u);
  EXPECT_FALSE(out.txn_lost);
  ASSERT_TRUE(conn_->Exec("ROLLBACK").ok());
}

TEST_F(EngineTest, DetectsTransactionRolledBackBySqlite) {
  ASSERT_TRUE(conn_->Exec("BEGIN").ok());
  Engine e(conn_.get(), &clock_, 0);
  EngineOutcome out = e.Execute(S({"INSERT INTO t VALUES(1)", "INSERT INTO t VALUES(1)",
                                   "INSERT INTO t VALUES(2)"}), false, true);
  EXPECT_FALSE(out.aborted);
  EXPECT_TRUE(out.txn_lost);  // ON CONFLICT ROLLBACK ended the enclosing transaction
  ASSERT_EQ(out.results.size(), 3u);
  EXPECT_EQ(out.results[1].kind, api::StatementResult::Kind::kError);
}

TEST_F(EngineTest, ReadOnlyConnectionRemapsWriteErrors) {
  auto ro = sqlite::Conn::Open(dir_ + "/db.sqlite", {.read_only = true});
  ASSERT_TRUE(ro.ok());
  Engine e(ro->get(), &clock_, 0);
  // The first statement is read-only, so only SQLite's own check catches the write.
  api::StatementResult r = e.QueryOne({"SELECT 1; INSERT INTO t VALUES(5)", {}, false, false},
                                      false, true);
  EXPECT_EQ(r.error, "attempt to change database via query operation");
}

}  // namespace
}  // namespace store
