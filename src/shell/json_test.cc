// Tests for shell/json.h: parsing that keeps number text, and Go-compatible printing.
#include "shell/json.h"

#include <gtest/gtest.h>

namespace shell {
namespace {

JsonValue Parse(const std::string& s) {
  auto r = ParseJson(s);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : JsonValue{};
}

TEST(JsonTest, KeepsNumberTextAndOrder) {
  JsonValue v = Parse(R"({"b": 1.50, "a": [1, -2e3, 12345678901234567890], "c": null})");
  ASSERT_TRUE(v.is_object());
  EXPECT_EQ(v.object[0].first, "b");
  EXPECT_EQ(v.Find("b")->text, "1.50");
  EXPECT_EQ(v.Find("a")->array[2].text, "12345678901234567890");
  EXPECT_TRUE(v.Find("c")->is_null());
  EXPECT_EQ(v.Find("zz"), nullptr);
}

TEST(JsonTest, DecodesEscapes) {
  JsonValue v = Parse(R"("a\"b\\c\n\u00e9\ud83d\ude00")");
  EXPECT_EQ(v.text, "a\"b\\c\n\xc3\xa9\xf0\x9f\x98\x80");
}

TEST(JsonTest, RejectsBadInput) {
  EXPECT_FALSE(ParseJson("").ok());
  EXPECT_FALSE(ParseJson("{").ok());
  EXPECT_FALSE(ParseJson("[1,]").ok());
  EXPECT_FALSE(ParseJson("{\"a\":1} x").ok());
  EXPECT_FALSE(ParseJson("unauthorized").ok());
}

TEST(JsonTest, FormatGoValueMatchesPercentV) {
  EXPECT_EQ(FormatGoValue(Parse("null")), "<nil>");
  EXPECT_EQ(FormatGoValue(Parse("true")), "true");
  EXPECT_EQ(FormatGoValue(Parse("\"x y\"")), "x y");
  EXPECT_EQ(FormatGoValue(Parse("[1,\"a\",null]")), "[1 a <nil>]");
  EXPECT_EQ(FormatGoValue(Parse(R"({"z":1,"a":{"k":"v"}})")), "map[a:map[k:v] z:1]");
}

TEST(JsonTest, MarshalGoStringEscapesLikeGo) {
  EXPECT_EQ(MarshalGoString("SELECT \"a\" <b> & c\n"),
            "\"SELECT \\\"a\\\" \\u003cb\\u003e \\u0026 c\\n\"");
  EXPECT_EQ(MarshalGoString(std::string("\x01", 1)), "\"\\u0001\"");
  EXPECT_EQ(MarshalGoString("\xff"), "\"\\ufffd\"");
  EXPECT_EQ(MarshalGoString("\xe2\x80\xa8"), "\"\\u2028\"");
  EXPECT_EQ(MarshalGoString("caf\xc3\xa9"), "\"caf\xc3\xa9\"");
}

TEST(JsonTest, MarshalIndentSortsKeys) {
  JsonValue v = Parse(R"([{"name":"fiona","id":1,"tags":[1,2],"e":{}}])");
  EXPECT_EQ(MarshalIndentGo(v),
            "[\n  {\n    \"e\": {},\n    \"id\": 1,\n    \"name\": \"fiona\",\n    \"tags\": [\n"
            "      1,\n      2\n    ]\n  }\n]");
  EXPECT_EQ(MarshalIndentGo(Parse("[]")), "[]");
}

TEST(JsonTest, RuneCount) {
  EXPECT_EQ(RuneCount("abc"), 3u);
  EXPECT_EQ(RuneCount("caf\xc3\xa9"), 4u);
  EXPECT_EQ(RuneCount("\xff\xfe"), 2u);
}

}  // namespace
}  // namespace shell
