#include "store/values.h"

#include <gtest/gtest.h>

namespace store {
namespace {

TEST(Values, FormatUnixTime) {
  EXPECT_EQ(FormatUnixTime(1076742900), "2004-02-14T07:15:00Z");
  EXPECT_EQ(FormatUnixTime(1076742900123LL), "2004-02-14T07:15:00.123Z");
  EXPECT_EQ(FormatUnixTime(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatUnixTime(-1), "1969-12-31T23:59:59Z");
}

TEST(Values, FormatTimeTextLayouts) {
  struct Case {
    const char* in;
    const char* out;
  } cases[] = {
      {"2004-02-14", "2004-02-14T00:00:00Z"},
      {"2004-02-14 07:15", "2004-02-14T07:15:00Z"},
      {"2004-02-14T07:15", "2004-02-14T07:15:00Z"},
      {"2004-02-14 07:15:00", "2004-02-14T07:15:00Z"},
      {"2004-02-14T07:15:00Z", "2004-02-14T07:15:00Z"},
      {"2004-02-14 07:15:00.5", "2004-02-14T07:15:00.5Z"},
      {"2004-02-14 07:15:00.123456789", "2004-02-14T07:15:00.123456789Z"},
      {"2004-02-14 07:15:00+02:00", "2004-02-14T07:15:00+02:00"},
      {"2004-02-14T07:15:00.25-05:30", "2004-02-14T07:15:00.25-05:30"},
      {"not a date", "0001-01-01T00:00:00Z"},
      {"2004-02-30", "0001-01-01T00:00:00Z"},
      {"2004-02-14 25:00", "0001-01-01T00:00:00Z"},
      {"", "0001-01-01T00:00:00Z"},
  };
  for (const auto& c : cases) EXPECT_EQ(FormatTimeText(c.in), c.out) << c.in;
}

TEST(Values, TextLikeTypes) {
  for (const char* t : {"", "text", "json", "varchar(36)", "nvarchar", "clob", "nchar(2)",
                        "native character(3)", "varying character"}) {
    EXPECT_TRUE(IsTextLikeType(t)) << t;
  }
  for (const char* t : {"blob", "integer", "int", "foo", "texts"}) {
    EXPECT_FALSE(IsTextLikeType(t)) << t;
  }
}

class BindTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(sqlite3_open(":memory:", &db_), SQLITE_OK); }
  void TearDown() override { sqlite3_close(db_); }
  sqlite3_stmt* Prep(const char* sql) {
    sqlite3_stmt* s = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db_, sql, -1, &s, nullptr), SQLITE_OK);
    return s;
  }
  sqlite3* db_ = nullptr;
};

TEST_F(BindTest, PositionalAndNamed) {
  sqlite3_stmt* s = Prep("SELECT ?, :a, @a, $b");
  std::vector<api::Parameter> p = {{"", int64_t{1}}, {"a", std::string("x")}, {"b", 2.5}};
  size_t consumed = 0;
  // 4 placeholders (?, :a, @a, $b) but only 3 arguments.
  base::Status st = BindParameters(s, p, &consumed, false);
  EXPECT_EQ(st.message(), "not enough args to execute query: want 4 got 3");
  sqlite3_finalize(s);

  s = Prep("SELECT ?, :a, $b");
  consumed = 0;
  ASSERT_TRUE(BindParameters(s, p, &consumed, false).ok());
  EXPECT_EQ(consumed, 3u);
  ASSERT_EQ(sqlite3_step(s), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int64(s, 0), 1);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(s, 1)), "x");
  EXPECT_DOUBLE_EQ(sqlite3_column_double(s, 2), 2.5);
  sqlite3_finalize(s);
}

TEST_F(BindTest, NameMustBeginWithLetter) {
  sqlite3_stmt* s = Prep("SELECT :a");
  std::vector<api::Parameter> p = {{"1a", int64_t{1}}};
  size_t consumed = 0;
  EXPECT_EQ(BindParameters(s, p, &consumed, false).message(),
            "sql: name \"1a\" does not begin with a letter");
  sqlite3_finalize(s);
}

TEST_F(BindTest, SurplusPositionalIgnoredAndQueryPathCount) {
  sqlite3_stmt* s = Prep("SELECT ?");
  std::vector<api::Parameter> p = {{"", int64_t{1}}, {"", int64_t{2}}};
  size_t consumed = 0;
  ASSERT_TRUE(BindParameters(s, p, &consumed, true).ok());
  EXPECT_EQ(consumed, 1u);
  sqlite3_finalize(s);
  s = Prep("SELECT ?, ?");
  consumed = 1;
  EXPECT_EQ(BindParameters(s, p, &consumed, true).message(),
            "not enough args to execute query: want 2 got 1");
  consumed = 1;
  EXPECT_EQ(BindParameters(s, p, &consumed, false).message(),
            "not enough args to execute query: want 2 got 2");
  sqlite3_finalize(s);
}

}  // namespace
}  // namespace store
