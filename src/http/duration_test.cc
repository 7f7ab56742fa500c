// Tests for http/duration.h against Go's time.ParseDuration / Duration.String() behaviour.
#include "http/duration.h"

#include <gtest/gtest.h>

namespace http {
namespace {

constexpr int64_t kUs = 1000;
constexpr int64_t kMs = 1000 * kUs;
constexpr int64_t kS = 1000 * kMs;
constexpr int64_t kM = 60 * kS;
constexpr int64_t kH = 60 * kM;

TEST(ParseGoDurationTest, Valid) {
  struct Case {
    const char* in;
    int64_t want;
  } cases[] = {
      {"0", 0},
      {"-0", 0},
      {"+0", 0},
      {"5s", 5 * kS},
      {"30s", 30 * kS},
      {"1478s", 1478 * kS},
      {"-5s", -5 * kS},
      {"+5s", 5 * kS},
      {"-0s", 0},
      {"5.0s", 5 * kS},
      {"5.6s", 5 * kS + 600 * kMs},
      {"5.s", 5 * kS},
      {".5s", 500 * kMs},
      {"1.0s", kS},
      {"1.00s", kS},
      {"1.004s", kS + 4 * kMs},
      {"100.00100s", 100 * kS + 1 * kMs},
      {"10ns", 10},
      {"11us", 11 * kUs},
      {"12\xC2\xB5s", 12 * kUs},  // U+00B5
      {"12\xCE\xBCs", 12 * kUs},  // U+03BC
      {"13ms", 13 * kMs},
      {"14s", 14 * kS},
      {"15m", 15 * kM},
      {"16h", 16 * kH},
      {"3h30m", 3 * kH + 30 * kM},
      {"10.5s4m", 4 * kM + 10 * kS + 500 * kMs},
      {"-2m3.4s", -(2 * kM + 3 * kS + 400 * kMs)},
      {"1h2m3s4ms5us6ns", kH + 2 * kM + 3 * kS + 4 * kMs + 5 * kUs + 6},
      {"39h9m14.425s", 39 * kH + 9 * kM + 14 * kS + 425 * kMs},
      {"52763797000ns", 52763797000},
      {"0.3333333333333333333h", 20 * kM},
      {"9007199254740993ns", 9007199254740993},
      {"9223372036854775807ns", INT64_MAX},
      {"9223372036854775.807us", INT64_MAX},
      {"-9223372036854775808ns", INT64_MIN},
      {"0.100000000000000000000h", 6 * kM},
      {"0.830103483285477580700h", 49 * kM + 48 * kS + 372539827},
      {"1.5h", 90 * kM},
  };
  for (const auto& c : cases) {
    auto r = ParseGoDuration(c.in);
    ASSERT_TRUE(r.ok()) << c.in << ": " << r.status().ToString();
    EXPECT_EQ(*r, c.want) << c.in;
  }
}

TEST(ParseGoDurationTest, Errors) {
  struct Case {
    const char* in;
    const char* msg;
  } cases[] = {
      {"", "time: invalid duration \"\""},
      {"3", "time: missing unit in duration \"3\""},
      {"-", "time: invalid duration \"-\""},
      {"s", "time: invalid duration \"s\""},
      {".", "time: invalid duration \".\""},
      {"-.", "time: invalid duration \"-.\""},
      {".s", "time: invalid duration \".s\""},
      {"+.s", "time: invalid duration \"+.s\""},
      {"1d", "time: unknown unit \"d\" in duration \"1d\""},
      {"xyz", "time: invalid duration \"xyz\""},
      {"1.5", "time: missing unit in duration \"1.5\""},
      {"10 s", "time: unknown unit \" s\" in duration \"10 s\""},
      {"9223372036854775808ns", "time: invalid duration \"9223372036854775808ns\""},
      {"9223372036854775.808us", "time: invalid duration \"9223372036854775.808us\""},
      {"3000000h", "time: invalid duration \"3000000h\""},
      {"1\xC2\xB5", "time: unknown unit \"\\xc2\\xb5\" in duration \"1\\xc2\\xb5\""},
  };
  for (const auto& c : cases) {
    auto r = ParseGoDuration(c.in);
    ASSERT_FALSE(r.ok()) << c.in;
    EXPECT_EQ(r.status().message(), c.msg);
  }
}

TEST(FormatGoDurationTest, MatchesGoString) {
  struct Case {
    int64_t in;
    const char* want;
  } cases[] = {
      {0, "0s"},
      {1, "1ns"},
      {402, "402ns"},
      {1100, "1.1\xC2\xB5s"},
      {12100, "12.1\xC2\xB5s"},
      {123 * kUs, "123\xC2\xB5s"},
      {1200 * kUs, "1.2ms"},
      {2200 * kUs, "2.2ms"},
      {kS + 500 * kMs, "1.5s"},
      {3 * kS + kMs, "3.001s"},
      {4 * kM + 5 * kS, "4m5s"},
      {4 * kM + 5001 * kMs, "4m5.001s"},
      {kH, "1h0m0s"},
      {5 * kH + 6 * kM + 7001 * kMs, "5h6m7.001s"},
      {8 * kM + 1, "8m0.000000001s"},
      {INT64_MAX, "2562047h47m16.854775807s"},
      {INT64_MIN, "-2562047h47m16.854775808s"},
      {-1, "-1ns"},
      {-1500 * kMs, "-1.5s"},
  };
  for (const auto& c : cases) EXPECT_EQ(FormatGoDuration(c.in), c.want) << c.want;
}

TEST(DurationRoundTripTest, FormatThenParse) {
  for (int64_t ns : {int64_t{0}, int64_t{1}, int64_t{999}, 1234 * kUs, 90 * kM, 25 * kH + 1}) {
    auto r = ParseGoDuration(FormatGoDuration(ns));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(*r, ns);
  }
}

}  // namespace
}  // namespace http
