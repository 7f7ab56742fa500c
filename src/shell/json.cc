// shell/json.cc — see json.h.
#include "shell/json.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>

namespace shell {
namespace {

class Parser {
 public:
  explicit Parser(std::string_view text) : s_(text) {}

  base::Result<JsonValue> ParseDocument() {
    JsonValue v;
    SkipWs();
    if (!ParseValue(&v, 0)) return base::InvalidArgument(error_);
    SkipWs();
    if (pos_ != s_.size()) return base::InvalidArgument("invalid character after top-level value");
    return v;
  }

 private:
  bool Fail(std::string msg) {
    if (error_.empty()) error_ = std::move(msg);
    return false;
  }
  void SkipWs() {
    while (pos_ < s_.size() &&
           (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r')) {
      ++pos_;
    }
  }
  bool Literal(std::string_view word) {
    if (s_.substr(pos_, word.size()) != word) return Fail("invalid literal");
    pos_ += word.size();
    return true;
  }

  bool ParseValue(JsonValue* out, int depth) {
    if (depth > 512) return Fail("exceeded max depth");
    if (pos_ >= s_.size()) return Fail("unexpected end of JSON input");
    char c = s_[pos_];
    switch (c) {
      case '{': return ParseObject(out, depth);
      case '[': return ParseArray(out, depth);
      case '"': out->kind = JsonValue::Kind::kString; return ParseString(&out->text);
      case 't': out->kind = JsonValue::Kind::kBool; out->boolean = true; return Literal("true");
      case 'f': out->kind = JsonValue::Kind::kBool; out->boolean = false; return Literal("false");
      case 'n': out->kind = JsonValue::Kind::kNull; return Literal("null");
      default:
        if (c == '-' || (c >= '0' && c <= '9')) return ParseNumber(out);
        return Fail(std::string("invalid character '") + c + "' looking for beginning of value");
    }
  }

  bool ParseNumber(JsonValue* out) {
    size_t start = pos_;
    if (s_[pos_] == '-') ++pos_;
    auto digits = [&] {
      size_t b = pos_;
      while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
      return pos_ > b;
    };
    if (!digits()) return Fail("invalid number");
    if (pos_ < s_.size() && s_[pos_] == '.') {
      ++pos_;
      if (!digits()) return Fail("invalid number");
    }
    if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
      ++pos_;
      if (pos_ < s_.size() && (s_[pos_] == '+' || s_[pos_] == '-')) ++pos_;
      if (!digits()) return Fail("invalid number");
    }
    out->kind = JsonValue::Kind::kNumber;
    out->text = std::string(s_.substr(start, pos_ - start));
    return true;
  }

  static void AppendUtf8(std::string* out, unsigned cp) {
    if (cp < 0x80) {
      out->push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }

  bool Hex4(unsigned* out) {
    if (pos_ + 4 > s_.size()) return Fail("invalid unicode escape");
    unsigned v = 0;
    for (int i = 0; i < 4; ++i) {
      char c = s_[pos_++];
      v <<= 4;
      if (c >= '0' && c <= '9') v |= c - '0';
      else if (c >= 'a' && c <= 'f') v |= c - 'a' + 10;
      else if (c >= 'A' && c <= 'F') v |= c - 'A' + 10;
      else return Fail("invalid unicode escape");
    }
    *out = v;
    return true;
  }

  bool ParseEscape(std::string* out) {
    if (pos_ >= s_.size()) return Fail("unexpected end of JSON input");
    char e = s_[pos_++];
    switch (e) {
      case '"': out->push_back('"'); return true;
      case '\\': out->push_back('\\'); return true;
      case '/': out->push_back('/'); return true;
      case 'b': out->push_back('\b'); return true;
      case 'f': out->push_back('\f'); return true;
      case 'n': out->push_back('\n'); return true;
      case 'r': out->push_back('\r'); return true;
      case 't': out->push_back('\t'); return true;
      case 'u': {
        unsigned cp = 0;
        if (!Hex4(&cp)) return false;
        if (cp >= 0xD800 && cp < 0xDC00 && pos_ + 1 < s_.size() && s_[pos_] == '\\' &&
            s_[pos_ + 1] == 'u') {
          size_t save = pos_;
          pos_ += 2;
          unsigned lo = 0;
          if (Hex4(&lo) && lo >= 0xDC00 && lo < 0xE000) {
            AppendUtf8(out, 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00));
            return true;
          }
          error_.clear();
          pos_ = save;
        }
        if (cp >= 0xD800 && cp < 0xE000) cp = 0xFFFD;
        AppendUtf8(out, cp);
        return true;
      }
      default:
        return Fail("invalid character in string escape code");
    }
  }

  bool ParseString(std::string* out) {
    ++pos_;  // opening quote
    while (pos_ < s_.size()) {
      char c = s_[pos_];
      if (c == '"') {
        ++pos_;
        return true;
      }
      if (static_cast<unsigned char>(c) < 0x20) return Fail("invalid character in string literal");
      if (c == '\\') {
        ++pos_;
        if (!ParseEscape(out)) return false;
        continue;
      }
      out->push_back(c);
      ++pos_;
    }
    return Fail("unexpected end of JSON input");
  }

  bool ParseArray(JsonValue* out, int depth) {
    out->kind = JsonValue::Kind::kArray;
    ++pos_;
    SkipWs();
    if (pos_ < s_.size() && s_[pos_] == ']') {
      ++pos_;
      return true;
    }
    while (true) {
      JsonValue item;
      SkipWs();
      if (!ParseValue(&item, depth + 1)) return false;
      out->array.push_back(std::move(item));
      SkipWs();
      if (pos_ >= s_.size()) return Fail("unexpected end of JSON input");
      if (s_[pos_] == ',') { ++pos_; continue; }
      if (s_[pos_] == ']') { ++pos_; return true; }
      return Fail("invalid character after array element");
    }
  }

  bool ParseObject(JsonValue* out, int depth) {
    out->kind = JsonValue::Kind::kObject;
    ++pos_;
    SkipWs();
    if (pos_ < s_.size() && s_[pos_] == '}') {
      ++pos_;
      return true;
    }
    while (true) {
      SkipWs();
      if (pos_ >= s_.size() || s_[pos_] != '"') return Fail("invalid character looking for object key");
      std::string key;
      if (!ParseString(&key)) return false;
      SkipWs();
      if (pos_ >= s_.size() || s_[pos_] != ':') return Fail("invalid character after object key");
      ++pos_;
      SkipWs();
      JsonValue item;
      if (!ParseValue(&item, depth + 1)) return false;
      out->object.emplace_back(std::move(key), std::move(item));
      SkipWs();
      if (pos_ >= s_.size()) return Fail("unexpected end of JSON input");
      if (s_[pos_] == ',') { ++pos_; continue; }
      if (s_[pos_] == '}') { ++pos_; return true; }
      return Fail("invalid character after object key:value pair");
    }
  }

  std::string_view s_;
  size_t pos_ = 0;
  std::string error_;
};

// Decodes one UTF-8 sequence at s[i]; returns its length, or 0 if invalid.
size_t Utf8Len(std::string_view s, size_t i, unsigned* cp) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  size_t n = 0;
  unsigned v = 0;
  if (c < 0x80) { *cp = c; return 1; }
  if ((c & 0xE0) == 0xC0) { n = 2; v = c & 0x1F; }
  else if ((c & 0xF0) == 0xE0) { n = 3; v = c & 0x0F; }
  else if ((c & 0xF8) == 0xF0) { n = 4; v = c & 0x07; }
  else return 0;
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    unsigned char cc = static_cast<unsigned char>(s[i + k]);
    if ((cc & 0xC0) != 0x80) return 0;
    v = (v << 6) | (cc & 0x3F);
  }
  if ((n == 2 && v < 0x80) || (n == 3 && v < 0x800) || (n == 4 && (v < 0x10000 || v > 0x10FFFF)) ||
      (v >= 0xD800 && v < 0xE000)) {
    return 0;
  }
  *cp = v;
  return n;
}

void Indent(std::string* out, int level) {
  out->push_back('\n');
  for (int i = 0; i < level; ++i) out->append("  ");
}

}  // namespace

const JsonValue* JsonValue::Find(std::string_view key) const {
  if (kind != Kind::kObject) return nullptr;
  for (auto it = object.rbegin(); it != object.rend(); ++it) {
    if (it->first == key) return &it->second;
  }
  return nullptr;
}

std::vector<std::pair<std::string, const JsonValue*>> JsonValue::SortedMembers() const {
  std::map<std::string, const JsonValue*> m;
  for (const auto& [k, v] : object) m[k] = &v;
  return {m.begin(), m.end()};
}

long long JsonValue::AsInt() const {
  if (kind != Kind::kNumber) return 0;
  return std::strtoll(text.c_str(), nullptr, 10);
}

double JsonValue::AsDouble() const {
  if (kind != Kind::kNumber) return 0;
  return std::strtod(text.c_str(), nullptr);
}

base::Result<JsonValue> ParseJson(std::string_view text) { return Parser(text).ParseDocument(); }

std::string FormatGoValue(const JsonValue& v) {
  switch (v.kind) {
    case JsonValue::Kind::kNull: return "<nil>";
    case JsonValue::Kind::kBool: return v.boolean ? "true" : "false";
    case JsonValue::Kind::kNumber:
    case JsonValue::Kind::kString: return v.text;
    case JsonValue::Kind::kArray: {
      std::string out = "[";
      for (size_t i = 0; i < v.array.size(); ++i) {
        if (i > 0) out.push_back(' ');
        out += FormatGoValue(v.array[i]);
      }
      return out + "]";
    }
    case JsonValue::Kind::kObject: {
      std::string out = "map[";
      bool first = true;
      for (const auto& [k, val] : v.SortedMembers()) {
        if (!first) out.push_back(' ');
        first = false;
        out += k + ":" + FormatGoValue(*val);
      }
      return out + "]";
    }
  }
  return "";
}

std::string MarshalGoString(std::string_view s) {
  static const char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        default:
          if (c < 0x20 || c == '<' || c == '>' || c == '&') {
            out += "\\u00";
            out.push_back(kHex[c >> 4]);
            out.push_back(kHex[c & 0xF]);
          } else {
            out.push_back(static_cast<char>(c));
          }
      }
      ++i;
      continue;
    }
    unsigned cp = 0;
    size_t n = Utf8Len(s, i, &cp);
    if (n == 0) {
      out += "\\ufffd";
      ++i;
    } else if (cp == 0x2028 || cp == 0x2029) {
      out += cp == 0x2028 ? "\\u2028" : "\\u2029";
      i += n;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
  return out + "\"";
}

std::string MarshalIndentGo(const JsonValue& v, int level) {
  switch (v.kind) {
    case JsonValue::Kind::kNull: return "null";
    case JsonValue::Kind::kBool: return v.boolean ? "true" : "false";
    case JsonValue::Kind::kNumber: return v.text;
    case JsonValue::Kind::kString: return MarshalGoString(v.text);
    case JsonValue::Kind::kArray: {
      if (v.array.empty()) return "[]";
      std::string out = "[";
      for (size_t i = 0; i < v.array.size(); ++i) {
        if (i > 0) out.push_back(',');
        Indent(&out, level + 1);
        out += MarshalIndentGo(v.array[i], level + 1);
      }
      Indent(&out, level);
      return out + "]";
    }
    case JsonValue::Kind::kObject: {
      auto members = v.SortedMembers();
      if (members.empty()) return "{}";
      std::string out = "{";
      bool first = true;
      for (const auto& [k, val] : members) {
        if (!first) out.push_back(',');
        first = false;
        Indent(&out, level + 1);
        out += MarshalGoString(k) + ": " + MarshalIndentGo(*val, level + 1);
      }
      Indent(&out, level);
      return out + "}";
    }
  }
  return "";
}

size_t RuneCount(std::string_view s) {
  size_t n = 0;
  for (size_t i = 0; i < s.size();) {
    unsigned cp = 0;
    size_t len = Utf8Len(s, i, &cp);
    i += len == 0 ? 1 : len;
    ++n;
  }
  return n;
}

}  // namespace shell
