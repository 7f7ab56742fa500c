// http/duration.cc — see duration.h. Mirrors Go's time.ParseDuration / Duration.String().
#include "http/duration.h"

#include <utility>

namespace http {
namespace {

constexpr uint64_t kMax = uint64_t{1} << 63;  // Go works in uint64 with this bound

// Go's time.quote: ASCII printable kept (with " and \ escaped), other bytes as \xNN.
std::string TimeQuote(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c >= 0x80 || c < ' ') {
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
    } else {
      if (c == '"' || c == '\\') out.push_back('\\');
      out.push_back(static_cast<char>(c));
    }
  }
  out.push_back('"');
  return out;
}

base::Status Invalid(std::string_view orig) {
  return base::InvalidArgument("time: invalid duration " + TimeQuote(orig));
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

uint64_t UnitNs(std::string_view u) {
  if (u == "ns") return 1;
  if (u == "us" || u == "\xC2\xB5s" || u == "\xCE\xBCs") return 1000;
  if (u == "ms") return 1000'000;
  if (u == "s") return 1000'000'000;
  if (u == "m") return 60 * uint64_t{1000'000'000};
  if (u == "h") return 3600 * uint64_t{1000'000'000};
  return 0;
}

// Parses leading digits into *x; false on overflow (Go's errLeadingInt).
bool LeadingInt(std::string_view* s, uint64_t* x) {
  size_t i = 0;
  *x = 0;
  for (; i < s->size() && IsDigit((*s)[i]); ++i) {
    if (*x > kMax / 10) return false;
    *x = *x * 10 + static_cast<uint64_t>((*s)[i] - '0');
    if (*x > kMax) return false;
  }
  s->remove_prefix(i);
  return true;
}

// Parses fraction digits; digits past the precision limit are ignored (Go's leadingFraction).
void LeadingFraction(std::string_view* s, uint64_t* x, double* scale) {
  size_t i = 0;
  *x = 0;
  *scale = 1;
  bool overflow = false;
  for (; i < s->size() && IsDigit((*s)[i]); ++i) {
    if (overflow) continue;
    if (*x > (kMax - 1) / 10) {
      overflow = true;
      continue;
    }
    const uint64_t y = *x * 10 + static_cast<uint64_t>((*s)[i] - '0');
    if (y > kMax) {
      overflow = true;
      continue;
    }
    *x = y;
    *scale *= 10;
  }
  s->remove_prefix(i);
}

// One "<number><unit>" component; adds its nanoseconds to *d.
base::Status ParseComponent(std::string_view orig, std::string_view* s, uint64_t* d) {
  if (!((*s)[0] == '.' || IsDigit((*s)[0]))) return Invalid(orig);
  uint64_t v = 0, f = 0;
  double scale = 1;
  const size_t before = s->size();
  if (!LeadingInt(s, &v)) return Invalid(orig);
  const bool pre = s->size() != before;
  bool post = false;
  if (!s->empty() && (*s)[0] == '.') {
    s->remove_prefix(1);
    const size_t at = s->size();
    LeadingFraction(s, &f, &scale);
    post = s->size() != at;
  }
  if (!pre && !post) return Invalid(orig);
  size_t i = 0;
  while (i < s->size() && (*s)[i] != '.' && !IsDigit((*s)[i])) ++i;
  if (i == 0) return base::InvalidArgument("time: missing unit in duration " + TimeQuote(orig));
  const std::string_view u = s->substr(0, i);
  s->remove_prefix(i);
  const uint64_t unit = UnitNs(u);
  if (unit == 0) {
    return base::InvalidArgument("time: unknown unit " + TimeQuote(u) + " in duration " +
                                 TimeQuote(orig));
  }
  if (v > kMax / unit) return Invalid(orig);
  v *= unit;
  if (f > 0) {
    v += static_cast<uint64_t>(static_cast<double>(f) * (static_cast<double>(unit) / scale));
    if (v > kMax) return Invalid(orig);
  }
  *d += v;
  if (*d > kMax) return Invalid(orig);
  return base::Status::Ok();
}

// Go's fmtFrac: writes ".ddd" (trailing zeros dropped) of v/10^prec before `w`.
size_t FmtFrac(char* buf, size_t w, uint64_t* v, int prec) {
  bool print = false;
  for (int i = 0; i < prec; ++i) {
    const uint64_t digit = *v % 10;
    print = print || digit != 0;
    if (print) buf[--w] = static_cast<char>('0' + digit);
    *v /= 10;
  }
  if (print) buf[--w] = '.';
  return w;
}

size_t FmtInt(char* buf, size_t w, uint64_t v) {
  if (v == 0) {
    buf[--w] = '0';
    return w;
  }
  while (v > 0) {
    buf[--w] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
  return w;
}

}  // namespace

base::Result<int64_t> ParseGoDuration(std::string_view orig) {
  std::string_view s = orig;
  bool neg = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return int64_t{0};
  if (s.empty()) return Invalid(orig);
  uint64_t d = 0;
  while (!s.empty()) RQ_RETURN_IF_ERROR(ParseComponent(orig, &s, &d));
  if (neg) return static_cast<int64_t>(0 - d);  // d <= 2^63, so -d fits
  if (d > kMax - 1) return Invalid(orig);
  return static_cast<int64_t>(d);
}

std::string FormatGoDuration(int64_t ns) {
  char buf[32];
  size_t w = sizeof(buf);
  uint64_t u = static_cast<uint64_t>(ns);
  const bool neg = ns < 0;
  if (neg) u = 0 - u;
  if (u < 1000'000'000) {
    int prec = 0;
    buf[--w] = 's';
    if (u == 0) return "0s";
    if (u < 1000) {
      buf[--w] = 'n';
    } else if (u < 1000'000) {
      prec = 3;
      buf[--w] = '\xB5';  // U+00B5 'µ' = C2 B5
      buf[--w] = '\xC2';
    } else {
      prec = 6;
      buf[--w] = 'm';
    }
    w = FmtFrac(buf, w, &u, prec);
    w = FmtInt(buf, w, u);
  } else {
    buf[--w] = 's';
    w = FmtFrac(buf, w, &u, 9);
    w = FmtInt(buf, w, u % 60);
    u /= 60;
    if (u > 0) {
      buf[--w] = 'm';
      w = FmtInt(buf, w, u % 60);
      u /= 60;
      if (u > 0) {
        buf[--w] = 'h';
        w = FmtInt(buf, w, u);
      }
    }
  }
  if (neg) buf[--w] = '-';
  return std::string(buf + w, sizeof(buf) - w);
}

}  // namespace http
