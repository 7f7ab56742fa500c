// Tests for shell/statements.h: ';' termination, literals, comments, triggers, multi-line input.
#include "shell/statements.h"

#include <gtest/gtest.h>

namespace shell {
namespace {

using V = std::vector<std::string>;

TEST(StatementsTest, SplitsOnSemicolons) {
  SplitResult r = SplitStatements("SELECT 1; SELECT 2 ;\n SELECT 3");
  EXPECT_EQ(r.statements, (V{"SELECT 1", "SELECT 2"}));
  EXPECT_EQ(TrimSpace(r.remainder), "SELECT 3");
}

TEST(StatementsTest, IgnoresSemicolonsInLiteralsAndComments) {
  SplitResult r = SplitStatements(
      "INSERT INTO t VALUES('a;b', \"c;d\", `e;f`, [g;h]); -- x; y\n"
      "SELECT 'it''s;' /* ; */;");
  EXPECT_EQ(r.statements,
            (V{"INSERT INTO t VALUES('a;b', \"c;d\", `e;f`, [g;h])",
               "-- x; y\nSELECT 'it''s;' /* ; */"}));
  EXPECT_TRUE(IsBlankSql(r.remainder));
}

TEST(StatementsTest, TriggerBodyStaysWhole) {
  SplitResult r = SplitStatements(
      "CREATE TRIGGER tr AFTER INSERT ON t BEGIN INSERT INTO u VALUES(1); UPDATE u SET a=2; END; "
      "SELECT 1;");
  ASSERT_EQ(r.statements.size(), 2u);
  EXPECT_EQ(r.statements[0],
            "CREATE TRIGGER tr AFTER INSERT ON t BEGIN INSERT INTO u VALUES(1); UPDATE u SET a=2; "
            "END");
  EXPECT_EQ(r.statements[1], "SELECT 1");
  EXPECT_EQ(SplitStatements("create temp trigger x before delete on t begin select 1; end;")
                .statements.size(),
            1u);
}

TEST(StatementsTest, DropsEmptyAndCommentOnly) {
  EXPECT_TRUE(SplitStatements(";;  ; -- c\n;").statements.empty());
  EXPECT_TRUE(IsBlankSql("  -- only a comment"));
  EXPECT_TRUE(IsBlankSql("/* c */ \n"));
  EXPECT_FALSE(IsBlankSql("/* open"));
  EXPECT_FALSE(IsBlankSql("x"));
}

TEST(StatementsTest, BufferAccumulatesLines) {
  StatementBuffer b;
  EXPECT_TRUE(b.empty());
  EXPECT_TRUE(b.AddLine("CREATE TABLE foo (").empty());
  EXPECT_FALSE(b.empty());
  EXPECT_TRUE(b.AddLine("  id INTEGER PRIMARY KEY,").empty());
  V got = b.AddLine("  name TEXT);  SELECT 1; SELECT");
  EXPECT_EQ(got, (V{"CREATE TABLE foo (\n  id INTEGER PRIMARY KEY,\n  name TEXT)", "SELECT 1"}));
  EXPECT_FALSE(b.empty());
  EXPECT_EQ(b.TakeRemainder(), "SELECT");
  EXPECT_TRUE(b.empty());
}

TEST(StatementsTest, OpenStringSpansLines) {
  StatementBuffer b;
  EXPECT_TRUE(b.AddLine("INSERT INTO t VALUES('a;").empty());
  EXPECT_EQ(b.AddLine("b');"), (V{"INSERT INTO t VALUES('a;\nb')"}));
  EXPECT_TRUE(b.empty());
}

TEST(StatementsTest, CommentOnlyLineLeavesBufferEmpty) {
  StatementBuffer b;
  EXPECT_TRUE(b.AddLine("-- hello").empty());
  EXPECT_TRUE(b.empty());
}

}  // namespace
}  // namespace shell
