// http/json_writer.cc — see json_writer.h.
#include "http/json_writer.h"

#include <charconv>
#include <cmath>

#include "base/check.h"

namespace http {
namespace {

constexpr char kHex[] = "0123456789abcdef";

void AppendU00(std::string* out, unsigned char b) {
  out->append("\\u00");
  out->push_back(kHex[b >> 4]);
  out->push_back(kHex[b & 0xF]);
}

}  // namespace

size_t ValidUtf8Length(std::string_view s, size_t i) {
  const auto at = [&](size_t k) -> unsigned { return static_cast<unsigned char>(s[k]); };
  const unsigned b0 = at(i);
  if (b0 < 0x80) return 1;
  size_t need;
  unsigned lo = 0x80, hi = 0xBF;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    need = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    need = 3;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;  // no UTF-16 surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    need = 4;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;  // <= U+10FFFF
  } else {
    return 0;
  }
  if (i + need > s.size()) return 0;
  const unsigned b1 = at(i + 1);
  if (b1 < lo || b1 > hi) return 0;
  for (size_t k = 2; k < need; ++k) {
    const unsigned b = at(i + k);
    if (b < 0x80 || b > 0xBF) return 0;
  }
  return need;
}

void AppendJsonString(std::string* out, std::string_view s) {
  out->push_back('"');
  size_t start = 0;  // first byte not yet copied
  size_t i = 0;
  while (i < s.size()) {
    const unsigned char b = static_cast<unsigned char>(s[i]);
    if (b < 0x80) {
      const bool safe = b >= 0x20 && b != '"' && b != '\\' && b != '<' && b != '>' && b != '&';
      if (safe) {
        ++i;
        continue;
      }
      out->append(s.data() + start, i - start);
      switch (b) {
        case '"': out->append("\\\""); break;
        case '\\': out->append("\\\\"); break;
        case '\b': out->append("\\b"); break;
        case '\f': out->append("\\f"); break;
        case '\n': out->append("\\n"); break;
        case '\r': out->append("\\r"); break;
        case '\t': out->append("\\t"); break;
        default: AppendU00(out, b); break;
      }
      start = ++i;
      continue;
    }
    const size_t n = ValidUtf8Length(s, i);
    if (n == 0) {
      out->append(s.data() + start, i - start);
      out->append("\\ufffd");
      start = ++i;
      continue;
    }
    // U+2028 = E2 80 A8, U+2029 = E2 80 A9.
    if (n == 3 && b == 0xE2 && static_cast<unsigned char>(s[i + 1]) == 0x80 &&
        (static_cast<unsigned char>(s[i + 2]) & 0xFE) == 0xA8) {
      out->append(s.data() + start, i - start);
      out->append(static_cast<unsigned char>(s[i + 2]) == 0xA8 ? "\\u2028" : "\\u2029");
      i += 3;
      start = i;
      continue;
    }
    i += n;
  }
  out->append(s.data() + start, s.size() - start);
  out->push_back('"');
}

std::string GoFloatErrorString(double f) {
  if (std::isnan(f)) return "NaN";
  if (std::isinf(f)) return f > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof(buf), f);
  return std::string(buf, r.ptr);
}

namespace {

// Go's strconv 'f' format with shortest digits: the digits of the shortest round-trip
// representation, padded with zeros (123456789012345680000, not the exact 123456789012345683968
// that std::to_chars(fixed) would give).
void AppendShortestFixed(std::string* out, double f) {
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof(buf), f, std::chars_format::scientific);
  CHECK(r.ec == std::errc()) << "to_chars failed";
  std::string_view sci(buf, r.ptr - buf);
  if (sci[0] == '-') {
    out->push_back('-');
    sci.remove_prefix(1);
  }
  const size_t e = sci.find('e');
  int exp = 0;
  std::from_chars(sci.data() + e + (sci[e + 1] == '+' ? 2 : 1), sci.data() + sci.size(), exp);
  std::string digits;
  for (char c : sci.substr(0, e)) {
    if (c != '.') digits.push_back(c);
  }
  // value = 0.d1d2d3... * 10^(exp+1)
  const int point = exp + 1;
  if (point <= 0) {
    out->append("0.");
    out->append(static_cast<size_t>(-point), '0');
    out->append(digits);
  } else if (static_cast<size_t>(point) >= digits.size()) {
    out->append(digits);
    out->append(static_cast<size_t>(point) - digits.size(), '0');
  } else {
    out->append(digits, 0, point);
    out->push_back('.');
    out->append(digits, point);
  }
}

}  // namespace

base::Status AppendGoFloat(std::string* out, double f) {
  if (!std::isfinite(f)) {
    return base::InvalidArgument("json: unsupported value: " + GoFloatErrorString(f));
  }
  const double abs = std::fabs(f);
  if (abs == 0) {
    out->append(std::signbit(f) ? "-0" : "0");
    return base::Status::Ok();
  }
  if (abs >= 1e-6 && abs < 1e21) {
    AppendShortestFixed(out, f);
    return base::Status::Ok();
  }
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof(buf), f, std::chars_format::scientific);
  CHECK(r.ec == std::errc()) << "to_chars failed";
  size_t n = r.ptr - buf;
  // Go prints at least two exponent digits, then encoding/json turns "e-07" into "e-7".
  if (n >= 4 && buf[n - 4] == 'e' && buf[n - 3] == '-' && buf[n - 2] == '0') {
    buf[n - 2] = buf[n - 1];
    --n;
  }
  out->append(buf, n);
  return base::Status::Ok();
}

namespace {

void Newline(std::string* dst, std::string_view indent, int depth) {
  dst->push_back('\n');
  for (int i = 0; i < depth; ++i) dst->append(indent);
}

}  // namespace

std::string IndentJson(std::string_view src, std::string_view indent) {
  std::string dst;
  dst.reserve(src.size() * 2);
  bool need_indent = false;
  bool in_string = false;
  bool escaped = false;
  int depth = 0;
  for (char c : src) {
    if (in_string) {
      dst.push_back(c);
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') continue;
    if (need_indent && c != '}' && c != ']') {
      need_indent = false;
      ++depth;
      Newline(&dst, indent, depth);
    }
    switch (c) {
      case '{':
      case '[':
        need_indent = true;
        dst.push_back(c);
        break;
      case ',':
        dst.push_back(c);
        Newline(&dst, indent, depth);
        break;
      case ':':
        dst.push_back(':');
        dst.push_back(' ');
        break;
      case '}':
      case ']':
        if (need_indent) {
          need_indent = false;  // empty container stays "{}" / "[]"
        } else {
          --depth;
          Newline(&dst, indent, depth);
        }
        dst.push_back(c);
        break;
      case '"':
        in_string = true;
        dst.push_back(c);
        break;
      default:
        dst.push_back(c);
        break;
    }
  }
  return dst;
}

void JsonWriter::BeforeValue() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (first_.empty()) {
    CHECK(out_.empty()) << "JsonWriter: more than one top-level value";
    return;
  }
  CHECK(!is_object_.back()) << "JsonWriter: object member without Key";
  if (!first_.back()) out_.push_back(',');
  first_.back() = false;
}

void JsonWriter::BeginObject() {
  BeforeValue();
  out_.push_back('{');
  first_.push_back(true);
  is_object_.push_back(true);
}

void JsonWriter::EndObject() {
  CHECK(!first_.empty() && is_object_.back() && !after_key_) << "JsonWriter: bad EndObject";
  out_.push_back('}');
  first_.pop_back();
  is_object_.pop_back();
}

void JsonWriter::BeginArray() {
  BeforeValue();
  out_.push_back('[');
  first_.push_back(true);
  is_object_.push_back(false);
}

void JsonWriter::EndArray() {
  CHECK(!first_.empty() && !is_object_.back()) << "JsonWriter: bad EndArray";
  out_.push_back(']');
  first_.pop_back();
  is_object_.pop_back();
}

void JsonWriter::Key(std::string_view key) {
  CHECK(!first_.empty() && is_object_.back() && !after_key_) << "JsonWriter: Key outside object";
  if (!first_.back()) out_.push_back(',');
  first_.back() = false;
  AppendJsonString(&out_, key);
  out_.push_back(':');
  after_key_ = true;
}

void JsonWriter::String(std::string_view s) {
  BeforeValue();
  AppendJsonString(&out_, s);
}

void JsonWriter::Int64(int64_t v) {
  BeforeValue();
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof(buf), v);
  out_.append(buf, r.ptr);
}

void JsonWriter::Uint64(uint64_t v) {
  BeforeValue();
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof(buf), v);
  out_.append(buf, r.ptr);
}

base::Status JsonWriter::Double(double v) {
  BeforeValue();
  base::Status s = AppendGoFloat(&out_, v);
  if (!s.ok()) out_.append("null");
  return s;
}

void JsonWriter::Bool(bool v) {
  BeforeValue();
  out_.append(v ? "true" : "false");
}

void JsonWriter::Null() {
  BeforeValue();
  out_.append("null");
}

void JsonWriter::Raw(std::string_view json) {
  BeforeValue();
  out_.append(json);
}

std::string JsonWriter::Take() {
  CHECK(first_.empty() && !after_key_) << "JsonWriter: unclosed container";
  if (pretty_) return IndentJson(out_);
  return std::move(out_);
}

}  // namespace http
