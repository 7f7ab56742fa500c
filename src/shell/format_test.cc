// Tests for shell/format.h: the four output modes and the key/value tree, byte for byte.
#include "shell/format.h"

#include <gtest/gtest.h>

namespace shell {
namespace {

TableData Table(const std::string& result_json) {
  auto r = ParseJson(result_json);
  EXPECT_TRUE(r.ok());
  return TableFromResult(*r);
}

const char* kFoo =
    R"({"columns":["id","name"],"types":["integer","text"],"values":[[1,"fiona"],[20,null]]})";

TEST(FormatTest, ColumnTableLikeRqlite) {
  EXPECT_EQ(RenderColumnTable(Table(kFoo)),
            "+----+-------+\n"
            "| id | name  |\n"
            "+----+-------+\n"
            "| 1  | fiona |\n"
            "+----+-------+\n"
            "| 20 | <nil> |\n"
            "+----+-------+\n");
}

TEST(FormatTest, ColumnTableHeaderOnlyAndEmpty) {
  EXPECT_EQ(RenderColumnTable(Table(R"({"columns":["name"],"types":["text"]})")),
            "+------+\n| name |\n+------+\n");
  EXPECT_EQ(RenderColumnTable(Table("{}")), "");
}

TEST(FormatTest, ColumnWidthInBytesPaddingInRunes) {
  // Go measures width with len() (bytes) but pads with %-*s (runes): "é" gets one extra space.
  EXPECT_EQ(RenderColumnTable(Table(R"({"columns":["n"],"values":[["\u00e9"]]})")),
            "+----+\n| n  |\n+----+\n| \xc3\xa9  |\n+----+\n");
}

TEST(FormatTest, Csv) {
  EXPECT_EQ(RenderCsv(Table(
                R"({"columns":["id","name"],"values":[[1,"a,b"],[2,"say \"hi\""],[3,null],[4," x"]]})")),
            "id,name\n1,\"a,b\"\n2,\"say \"\"hi\"\"\"\n3,NULL\n4,\" x\"\n");
}

TEST(FormatTest, JsonRows) {
  EXPECT_EQ(RenderJsonRows(Table(kFoo)),
            "[\n  {\n    \"id\": 1,\n    \"name\": \"fiona\"\n  },\n"
            "  {\n    \"id\": 20,\n    \"name\": null\n  }\n]\n");
  EXPECT_EQ(RenderJsonRows(Table(R"({"columns":["a"]})")), "[]\n");
}

TEST(FormatTest, Lines) {
  EXPECT_EQ(RenderLines(Table(kFoo)),
            "  id = 1\nname = fiona\n\n  id = 20\nname = NULL\n");
}

TEST(FormatTest, ModeNames) {
  for (auto m : {OutputMode::kColumn, OutputMode::kCsv, OutputMode::kJson, OutputMode::kLine}) {
    EXPECT_EQ(ParseOutputMode(OutputModeName(m)), m);
  }
  EXPECT_FALSE(ParseOutputMode("table").has_value());
}

TEST(FormatTest, PrettyTreeSortedNestedSkipsNull) {
  auto v = ParseJson(R"({"store":{"raft":{"state":"Leader"},"dir":"/x","n":null},"build":{"version":"v10"},"list":[1,2]})");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(PrettyTree(*v),
            "build:\n  version: v10\nlist: [1 2]\nstore:\n  dir: /x\n  raft:\n    state: Leader\n");
}

TEST(FormatTest, Seconds) {
  EXPECT_EQ(FormatSeconds(0.000362), "0.000362");
  EXPECT_EQ(FormatSeconds(1.5), "1.500000");
}

}  // namespace
}  // namespace shell
