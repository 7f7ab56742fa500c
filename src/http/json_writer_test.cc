// Tests for http/json_writer.h: Go encoding/json compatibility of strings, floats, indenting.
#include "http/json_writer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>

namespace http {
namespace {

std::string Str(std::string_view s) {
  std::string out;
  AppendJsonString(&out, s);
  return out;
}

std::string Float(double f) {
  std::string out;
  base::Status s = AppendGoFloat(&out, f);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return out;
}

TEST(JsonStringTest, GoEscaping) {
  struct Case {
    std::string in, want;
  } cases[] = {
      {"", R"("")"},
      {"plain", R"("plain")"},
      {"a\"b", R"("a\"b")"},
      {"a\\b", R"("a\\b")"},
      {"\n\r\t", R"("\n\r\t")"},
      {"\b\f", R"("\b\f")"},  // Go >= 1.22
      {std::string("\x00\x01\x1f", 3), R"("\u0000\u0001\u001f")"},
      {"<a href=\"x\">&</a>", R"("\u003ca href=\"x\"\u003e\u0026\u003c/a\u003e")"},
      {"\x7f", "\"\x7f\""},
      {"/", R"("/")"},
      {"caf\xC3\xA9", "\"caf\xC3\xA9\""},
      {"\xE2\x80\xA8\xE2\x80\xA9", R"("\u2028\u2029")"},
      {"\xE2\x80\xA7", "\"\xE2\x80\xA7\""},
      {"\xF0\x9F\x98\x80", "\"\xF0\x9F\x98\x80\""},  // 4-byte emoji kept
      {"a\xff" "b", R"("a\ufffdb")"},
      {"\xC3", R"("\ufffd")"},                        // truncated sequence
      {"\xE2\x82" "a", R"("\ufffd\ufffda")"},         // each bad byte → one U+FFFD
      {"\xC0\xAF", R"("\ufffd\ufffd")"},              // overlong
      {"\xED\xA0\x80", R"("\ufffd\ufffd\ufffd")"},    // surrogate
      {"\xF4\x90\x80\x80", R"("\ufffd\ufffd\ufffd\ufffd")"},  // > U+10FFFF
      {"\xEF\xBF\xBD", "\"\xEF\xBF\xBD\""},           // a real U+FFFD stays as is
  };
  for (const auto& c : cases) EXPECT_EQ(Str(c.in), c.want) << c.want;
}

TEST(GoFloatTest, MatchesEncodingJson) {
  struct Case {
    double in;
    const char* want;
  } cases[] = {
      {20.0, "20"},
      {0.0, "0"},
      {-0.0, "-0"},
      {0.1, "0.1"},
      {1.5, "1.5"},
      {-2.25, "-2.25"},
      {0.000081, "0.000081"},
      {0.000001, "0.000001"},
      {1e-7, "1e-7"},
      {1.5e-7, "1.5e-7"},
      {1e-10, "1e-10"},
      {1e21, "1e+21"},
      {1.5e300, "1.5e+300"},
      {1e20, "100000000000000000000"},
      {123456789012345680000.0, "123456789012345680000"},
      {5e-324, "5e-324"},
      {1.7976931348623157e308, "1.7976931348623157e+308"},
      {-1e-7, "-1e-7"},
      {3.141592653589793, "3.141592653589793"},
      {0.30000000000000004, "0.30000000000000004"},
      {100, "100"},
      {9007199254740993.0, "9007199254740992"},
      {123.456, "123.456"},
  };
  for (const auto& c : cases) EXPECT_EQ(Float(c.in), c.want) << c.want;
}

// Property check over many doubles: the text round-trips exactly, uses the exponent form exactly
// when Go does, and never has a redundant ".0" or a two-digit negative exponent.
TEST(GoFloatTest, RandomRoundTrip) {
  uint64_t x = 0x9E3779B97F4A7C15u;
  for (int i = 0; i < 200000; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    double d;
    static_assert(sizeof d == sizeof x);
    std::memcpy(&d, &x, sizeof d);
    if (!std::isfinite(d)) continue;
    const std::string s = Float(d);
    ASSERT_EQ(std::strtod(s.c_str(), nullptr), d) << s;
    const double a = std::fabs(d);
    const bool exp_form = a != 0 && (a < 1e-6 || a >= 1e21);
    ASSERT_EQ(s.find('e') != std::string::npos, exp_form) << s;
    ASSERT_EQ(s.find("e-0"), std::string::npos) << s;
    if (s.find('.') != std::string::npos && !exp_form) ASSERT_NE(s.back(), '0') << s;
  }
}

TEST(GoFloatTest, NonFiniteIsAnError) {
  std::string out;
  base::Status s = AppendGoFloat(&out, std::nan(""));
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.message(), "json: unsupported value: NaN");
  s = AppendGoFloat(&out, std::numeric_limits<double>::infinity());
  EXPECT_EQ(s.message(), "json: unsupported value: +Inf");
  s = AppendGoFloat(&out, -std::numeric_limits<double>::infinity());
  EXPECT_EQ(s.message(), "json: unsupported value: -Inf");
  EXPECT_EQ(out, "");
}

TEST(JsonWriterTest, CompactDocument) {
  JsonWriter w;
  w.BeginObject();
  w.Key("results");
  w.BeginArray();
  w.BeginObject();
  w.KeyInt64("last_insert_id", 1);
  w.EndObject();
  w.BeginObject();
  w.EndObject();
  w.EndArray();
  w.Key("f");
  EXPECT_TRUE(w.Double(0.5).ok());
  w.Key("b");
  w.Bool(true);
  w.Key("n");
  w.Null();
  w.Key("u");
  w.Uint64(18446744073709551615u);
  w.Key("i");
  w.Int64(INT64_MIN);
  w.Key("raw");
  w.Raw(R"({"x":[1,2]})");
  w.Key("<k>");
  w.String("v");
  w.EndObject();
  EXPECT_EQ(w.Take(),
            R"({"results":[{"last_insert_id":1},{}],"f":0.5,"b":true,"n":null,)"
            R"("u":18446744073709551615,"i":-9223372036854775808,"raw":{"x":[1,2]},)"
            R"("\u003ck\u003e":"v"})");
}

TEST(JsonWriterTest, DoubleErrorKeepsDocumentWellFormed) {
  JsonWriter w;
  w.BeginArray();
  EXPECT_FALSE(w.Double(std::nan("")).ok());
  w.Int64(1);
  w.EndArray();
  EXPECT_EQ(w.Take(), "[null,1]");
}

TEST(JsonWriterTest, PrettyLikeMarshalIndent) {
  JsonWriter w(/*pretty=*/true);
  w.BeginObject();
  w.Key("results");
  w.BeginArray();
  w.BeginObject();
  w.Key("columns");
  w.BeginArray();
  w.String("id");
  w.EndArray();
  w.Key("values");
  w.BeginArray();
  w.BeginArray();
  w.EndArray();
  w.BeginArray();
  w.Int64(1);
  w.EndArray();
  w.EndArray();
  w.Key("empty");
  w.BeginObject();
  w.EndObject();
  w.EndObject();
  w.EndArray();
  w.Key("s");
  w.String("a,b:{[c]}\"");
  w.EndObject();
  EXPECT_EQ(w.Take(),
            "{\n"
            "    \"results\": [\n"
            "        {\n"
            "            \"columns\": [\n"
            "                \"id\"\n"
            "            ],\n"
            "            \"values\": [\n"
            "                [],\n"
            "                [\n"
            "                    1\n"
            "                ]\n"
            "            ],\n"
            "            \"empty\": {}\n"
            "        }\n"
            "    ],\n"
            "    \"s\": \"a,b:{[c]}\\\"\"\n"
            "}");
}

TEST(JsonWriterTest, PrettyEmptyTopLevel) {
  JsonWriter a(true);
  a.BeginArray();
  a.EndArray();
  EXPECT_EQ(a.Take(), "[]");
  JsonWriter o(true);
  o.BeginObject();
  o.Key("results");
  o.BeginArray();
  o.EndArray();
  o.EndObject();
  EXPECT_EQ(o.Take(), "{\n    \"results\": []\n}");
}

TEST(IndentJsonTest, SkipsWhitespaceOutsideStrings) {
  EXPECT_EQ(IndentJson(R"({ "a" : [ 1 , "x y" ] })"), "{\n    \"a\": [\n        1,\n        \"x y\"\n    ]\n}");
  EXPECT_EQ(IndentJson(R"(["\\", "\"]"])"), "[\n    \"\\\\\",\n    \"\\\"]\"\n]");
}

TEST(Utf8Test, ValidLengths) {
  EXPECT_EQ(ValidUtf8Length("a", 0), 1u);
  EXPECT_EQ(ValidUtf8Length("\xC2\xB5", 0), 2u);
  EXPECT_EQ(ValidUtf8Length("\xE2\x82\xAC", 0), 3u);
  EXPECT_EQ(ValidUtf8Length("\xF0\x9F\x98\x80", 0), 4u);
  EXPECT_EQ(ValidUtf8Length("\x80", 0), 0u);
  EXPECT_EQ(ValidUtf8Length("\xE0\x80\x80", 0), 0u);  // overlong
  EXPECT_EQ(ValidUtf8Length("\xF0\x9F\x98", 0), 0u);  // truncated
}

}  // namespace
}  // namespace http
