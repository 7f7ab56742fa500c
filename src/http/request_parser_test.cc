// Tests for http/request_parser.h: rqlite's JSON statement bodies (http-api.md §4.1, E1/E4/E10).
#include "http/request_parser.h"

#include <gtest/gtest.h>

#include <cmath>

namespace http {
namespace {

using api::Blob;
using api::Value;

std::vector<api::Statement> Parse(std::string_view body) {
  auto r = ParseStatements(body);
  EXPECT_TRUE(r.ok()) << body << ": " << r.status().ToString();
  return r.ok() ? *r : std::vector<api::Statement>{};
}

std::string Error(std::string_view body) {
  auto r = ParseStatements(body);
  EXPECT_FALSE(r.ok()) << body;
  return r.ok() ? "" : r.status().message();
}

// The single positional parameter of a one-statement body.
Value Param(std::string_view json_value) {
  auto stmts = Parse("[[\"SELECT ?\", " + std::string(json_value) + "]]");
  if (stmts.size() != 1 || stmts[0].parameters.size() != 1) {
    ADD_FAILURE() << json_value;
    return {};
  }
  EXPECT_EQ(stmts[0].parameters[0].name, "");
  return stmts[0].parameters[0].value;
}

TEST(RequestParserTest, E1SimpleAndParameterized) {
  auto s = Parse(R"J(["CREATE TABLE foo (id INTEGER NOT NULL PRIMARY KEY, name TEXT, age INTEGER)"])J");
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].sql, "CREATE TABLE foo (id INTEGER NOT NULL PRIMARY KEY, name TEXT, age INTEGER)");
  EXPECT_TRUE(s[0].parameters.empty());

  s = Parse(R"J([["INSERT INTO foo(name, age) VALUES(?, ?)", "fiona", 20], )J"
            R"J(["INSERT INTO foo(name, age) VALUES(:n, :a)", {"n":"declan","a":null}]])J");
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].sql, "INSERT INTO foo(name, age) VALUES(?, ?)");
  ASSERT_EQ(s[0].parameters.size(), 2u);
  EXPECT_EQ(s[0].parameters[0].value, Value(std::string("fiona")));
  EXPECT_EQ(s[0].parameters[1].value, Value(int64_t{20}));
  ASSERT_EQ(s[1].parameters.size(), 2u);
  EXPECT_EQ(s[1].parameters[0].name, "n");
  EXPECT_EQ(s[1].parameters[0].value, Value(std::string("declan")));
  EXPECT_EQ(s[1].parameters[1].name, "a");
  EXPECT_EQ(s[1].parameters[1].value, Value(std::monostate{}));
}

TEST(RequestParserTest, E4Blobs) {
  auto s = Parse(R"J([["INSERT INTO b(id,data) VALUES(?,?)", 1, "x'deadbeef'"], )J"
                 R"J(["INSERT INTO b(id,data) VALUES(?,?)", 2, [222,173,190,239]]])J");
  ASSERT_EQ(s.size(), 2u);
  const Value want = Blob{"\xde\xad\xbe\xef"};
  EXPECT_EQ(s[0].parameters[1].value, want);
  EXPECT_EQ(s[1].parameters[1].value, want);
}

TEST(RequestParserTest, E10ParseErrors) {
  EXPECT_EQ(Error(R"({"sql":"x"})"), "invalid request");
  EXPECT_EQ(Error("[]"), "no statements");
  EXPECT_EQ(Error("not-json"), "invalid JSON body");
}

TEST(RequestParserTest, StructureErrors) {
  struct Case {
    const char* body;
    const char* msg;
  } cases[] = {
      {"", "invalid JSON body"},
      {"   \n", "invalid JSON body"},
      {"[", "invalid JSON body"},
      {R"(["a")", "invalid JSON body"},
      {R"([["a", 1)", "invalid JSON body"},
      {R"(["a",])", "invalid JSON body"},
      {"[\"a\x01\"]", "invalid JSON body"},  // raw control character in a string
      {"{", "invalid request"},               // Go's Token() returns '{' before reading on
      {R"("abc")", "invalid request"},
      {"123", "invalid request"},
      {"null", "invalid request"},
      {"true ]", "invalid request"},  // Go's Token() reads one complete value
      {"123 x", "invalid request"},
      {"nul", "invalid JSON body"},
      {"\xEF\xBB\xBF[\"a\"]", "invalid JSON body"},  // Go rejects a byte order mark
      {"[1]", "invalid request"},
      {"[null]", "invalid request"},
      {"[true]", "invalid request"},
      {R"([{"a":1}])", "invalid request"},
      {"[[]]", "invalid request"},
      {R"([["a"], []])", "invalid request"},
      {R"([[1, "a"]])", "invalid request"},
      {R"([[null]])", "invalid request"},
      {R"([[["a"]]])", "invalid request"},
      {"[ ]", "no statements"},
  };
  for (const auto& c : cases) EXPECT_EQ(Error(c.body), c.msg) << c.body;
}

TEST(RequestParserTest, AcceptedShapes) {
  auto s = Parse(R"([""])");
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].sql, "");
  s = Parse(R"(["a", ["b", 1], ["c"]])");  // mixed forms
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s[1].parameters.size(), 1u);
  EXPECT_TRUE(s[2].parameters.empty());
  s = Parse(" \n\t[\"a\"]\r\n ");
  ASSERT_EQ(s.size(), 1u);
  // Go's json.Decoder reads one value and ignores what follows.
  EXPECT_EQ(Parse(R"(["a"] trailing garbage)").size(), 1u);
  EXPECT_EQ(Parse(R"(["a"]])").size(), 1u);
  EXPECT_EQ(Parse(R"(["a"]["b"])").size(), 1u);
  EXPECT_EQ(Parse(R"(["x\"y\\z\n\u00e9"])")[0].sql, "x\"y\\z\n\xC3\xA9");
  EXPECT_EQ(Parse(R"(["a\u0001\u0000"])")[0].sql, std::string("a\x01\x00", 3));
}

TEST(RequestParserTest, NumberMapping) {
  EXPECT_EQ(Param("0"), Value(int64_t{0}));
  EXPECT_EQ(Param("-0"), Value(int64_t{0}));
  EXPECT_EQ(Param("42"), Value(int64_t{42}));
  EXPECT_EQ(Param("-7"), Value(int64_t{-7}));
  EXPECT_EQ(Param("9223372036854775807"), Value(INT64_MAX));
  EXPECT_EQ(Param("-9223372036854775808"), Value(INT64_MIN));
  EXPECT_EQ(Param("9223372036854775808"), Value(9223372036854775808.0));
  EXPECT_EQ(Param("18446744073709551615"), Value(18446744073709551615.0));
  EXPECT_EQ(Param("18446744073709551616"), Value(18446744073709551616.0));
  EXPECT_EQ(Param("-9223372036854775809"), Value(-9223372036854775809.0));
  EXPECT_EQ(Param("123456789012345678901234567890"), Value(1.2345678901234568e29));
  EXPECT_EQ(Param("1.0"), Value(1.0));
  EXPECT_EQ(Param("1.5"), Value(1.5));
  EXPECT_EQ(Param("1e3"), Value(1000.0));
  EXPECT_EQ(Param("1E3"), Value(1000.0));
  EXPECT_EQ(Param("-2.5e-3"), Value(-0.0025));
  EXPECT_EQ(Param("1e-400"), Value(0.0));
  EXPECT_EQ(Param("1.7976931348623157e308"), Value(1.7976931348623157e308));
}

TEST(RequestParserTest, InvalidNumbers) {
  EXPECT_EQ(Error(R"([["SELECT ?", 1e400]])"), "invalid number 1e400");
  EXPECT_EQ(Error(R"([["SELECT ?", -1e400]])"), "invalid number -1e400");
  EXPECT_EQ(Error(R"([["SELECT ?", {"a": 2e308}]])"), "invalid number 2e308");
  // A 400-digit integer does not fit float64 either.
  EXPECT_EQ(Error("[[\"SELECT ?\", 1" + std::string(400, '0') + "]]"),
            "invalid number 1" + std::string(400, '0'));
  // Where a statement is expected, a number is an invalid request, whatever its size.
  EXPECT_EQ(Error("[1e400]"), "invalid request");
  EXPECT_EQ(Error(R"([[1e400, "a"]])"), "invalid request");
  EXPECT_EQ(Error(R"([["SELECT ?", [1e400]]])"), "unsupported type");
  // A client string that looks like the internal marker stays a string.
  EXPECT_EQ(Param(R"("\u0000rq-invalid-number:5")"),
            Value(std::string("\0rq-invalid-number:5", 20)));
  // Malformed numbers are syntax errors.
  EXPECT_EQ(Error(R"([["SELECT ?", 01]])"), "invalid JSON body");
  EXPECT_EQ(Error(R"([["SELECT ?", 1.]])"), "invalid JSON body");
  EXPECT_EQ(Error(R"([["SELECT ?", +1]])"), "invalid JSON body");
  EXPECT_EQ(Error(R"([["SELECT ?", NaN]])"), "invalid JSON body");
}

TEST(RequestParserTest, OtherScalars) {
  EXPECT_EQ(Param("true"), Value(int64_t{1}));
  EXPECT_EQ(Param("false"), Value(int64_t{0}));
  EXPECT_EQ(Param("null"), Value(std::monostate{}));
  EXPECT_EQ(Param(R"("hello")"), Value(std::string("hello")));
  EXPECT_EQ(Param(R"("")"), Value(std::string("")));
}

TEST(RequestParserTest, HexBlobLiterals) {
  EXPECT_EQ(Param(R"("x'deadbeef'")"), Value(Blob{"\xde\xad\xbe\xef"}));
  EXPECT_EQ(Param(R"("X'DEADBEEF'")"), Value(Blob{"\xde\xad\xbe\xef"}));
  EXPECT_EQ(Param(R"("  x'00ff'\n")"), Value(Blob{std::string("\x00\xff", 2)}));
  EXPECT_EQ(Param(R"("x''")"), Value(Blob{""}));
  EXPECT_EQ(Param(R"("x'abc'")"), Value(std::string("x'abc'")));  // odd length
  EXPECT_EQ(Param(R"("x'zz'")"), Value(std::string("x'zz'")));
  EXPECT_EQ(Param(R"("x'ab")"), Value(std::string("x'ab")));
  EXPECT_EQ(Param(R"("y'ab'")"), Value(std::string("y'ab'")));
  EXPECT_EQ(Param(R"("x 'ab'")"), Value(std::string("x 'ab'")));
}

TEST(RequestParserTest, ByteArrays) {
  EXPECT_EQ(Param("[0, 1, 255]"), Value(Blob{std::string("\x00\x01\xff", 3)}));
  EXPECT_EQ(Param("[]"), Value(Blob{""}));
  EXPECT_EQ(Error(R"([["SELECT ?", [256]]])"), "unsupported type");
  EXPECT_EQ(Error(R"([["SELECT ?", [-1]]])"), "unsupported type");
  EXPECT_EQ(Error(R"([["SELECT ?", [1.5]]])"), "unsupported type");
  EXPECT_EQ(Error(R"([["SELECT ?", [1.0]]])"), "unsupported type");
  EXPECT_EQ(Error(R"([["SELECT ?", ["a"]]])"), "unsupported type");
  EXPECT_EQ(Error(R"([["SELECT ?", [[1]]]])"), "unsupported type");
  EXPECT_EQ(Error(R"([["SELECT ?", [null]]])"), "unsupported type");
}

TEST(RequestParserTest, NamedParameters) {
  auto s = Parse(R"([["SELECT :b, :a, ?, :c", {"b": 1, "a": "x"}, 7, {"c": [1, 2]}]])");
  ASSERT_EQ(s.size(), 1u);
  const auto& p = s[0].parameters;
  ASSERT_EQ(p.size(), 4u);
  EXPECT_EQ(p[0].name, "b");  // document order kept
  EXPECT_EQ(p[0].value, Value(int64_t{1}));
  EXPECT_EQ(p[1].name, "a");
  EXPECT_EQ(p[2].name, "");
  EXPECT_EQ(p[2].value, Value(int64_t{7}));
  EXPECT_EQ(p[3].name, "c");
  EXPECT_EQ(p[3].value, Value(Blob{"\x01\x02"}));
  // Keys not starting with a letter are accepted here; the SQL layer reports them per statement.
  s = Parse(R"([["SELECT :1", {"1": 1}]])");
  EXPECT_EQ(s[0].parameters[0].name, "1");
  EXPECT_EQ(Parse(R"([["SELECT 1", {}]])")[0].parameters.size(), 0u);
  EXPECT_EQ(Error(R"([["SELECT :a", {"a": {"b": 1}}]])"), "unsupported type");
}

TEST(RequestParserTest, InvalidUtf8BecomesReplacementCharacter) {
  // Go's decoder replaces each invalid byte inside a string by U+FFFD.
  auto s = Parse("[\"SELECT '\xff'\", [\"x\", \"a\xC3\"]]");
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].sql, "SELECT '\xEF\xBF\xBD'");
  EXPECT_EQ(s[1].parameters[0].value, Value(std::string("a\xEF\xBF\xBD")));
  EXPECT_EQ(Parse("[\"\xE2\x82\"]")[0].sql, "\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(Parse("[\"\xED\xA0\x80\"]")[0].sql, "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
  // Valid multi-byte text is untouched.
  EXPECT_EQ(Parse("[\"\xE2\x82\xAC\xF0\x9F\x98\x80\"]")[0].sql, "\xE2\x82\xAC\xF0\x9F\x98\x80");
  // Invalid bytes outside strings are still syntax errors.
  EXPECT_EQ(Error("[\"a\" \xff]"), "invalid JSON body");
  // Combined with a number simdjson cannot hold.
  s = Parse("[[\"\xff\", 18446744073709551616]]");
  EXPECT_EQ(s[0].sql, "\xEF\xBF\xBD");
  EXPECT_EQ(s[0].parameters[0].value, Value(18446744073709551616.0));
}

TEST(RequestParserTest, SurrogateEscapes) {
  EXPECT_EQ(Parse(R"(["\ud83d\ude00"])")[0].sql, "\xF0\x9F\x98\x80");
  EXPECT_EQ(Parse(R"(["\ud800x"])")[0].sql, "\xEF\xBF\xBDx");
  EXPECT_EQ(Parse(R"(["\udc00"])")[0].sql, "\xEF\xBF\xBD");
  EXPECT_EQ(Parse(R"(["\ud800\u0041"])")[0].sql, "\xEF\xBF\xBD" "A");
}

TEST(RequestParserTest, ManyStatements) {
  std::string body = "[";
  for (int i = 0; i < 20000; ++i) {
    if (i) body += ",";
    body += R"J(["INSERT INTO t VALUES(?, ?)", )J" + std::to_string(i) + R"J(, "x'0102'"])J";
  }
  body += "]";
  auto s = Parse(body);
  ASSERT_EQ(s.size(), 20000u);
  EXPECT_EQ(s[19999].parameters[0].value, Value(int64_t{19999}));
}

// Robustness: random mutations of a valid body never crash and only ever yield the documented
// errors. (Run under RQ_ASAN to catch memory errors in the normalising path.)
TEST(RequestParserTest, MutatedBodiesGiveDocumentedErrors) {
  const std::string base =
      R"J([["INSERT INTO t VALUES(?, ?, :n)", 18446744073709551616, "x'00ff'", {"n": [1, 2]}],)J"
      R"J( "SELECT \"a\" FROM t", ["q", true, null, -1.5e3, "\ud83d\ude00"]])J";
  const char kAlphabet[] = "[]{}\",:.-+e0189\\u xtn\xff\xc3\x80";
  uint64_t x = 88172645463325252u;
  auto next = [&x] {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
  };
  for (int i = 0; i < 20000; ++i) {
    std::string body = base;
    const int edits = 1 + static_cast<int>(next() % 4);
    for (int k = 0; k < edits; ++k) {
      const size_t pos = next() % (body.size() + 1);
      const char c = kAlphabet[next() % (sizeof(kAlphabet) - 1)];
      switch (next() % 3) {
        case 0: if (pos < body.size()) body[pos] = c; break;
        case 1: body.insert(body.begin() + static_cast<long>(pos), c); break;
        default: if (pos < body.size()) body.erase(pos, 1 + next() % 8); break;
      }
    }
    auto r = ParseStatements(body);
    if (r.ok()) continue;
    const std::string& m = r.status().message();
    ASSERT_TRUE(m == "invalid JSON body" || m == "invalid request" || m == "no statements" ||
                m == "unsupported type" || m.rfind("invalid number ", 0) == 0)
        << m << " for " << body;
  }
}

TEST(RequestParserTest, PlainText) {
  auto s = ParsePlainText("SELECT 1; SELECT 2");
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].sql, "SELECT 1; SELECT 2");
  EXPECT_TRUE(s[0].parameters.empty());
}

}  // namespace
}  // namespace http
