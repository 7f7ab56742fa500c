#include "server/flagset.h"

#include <cstdio>
#include <limits>
#include <utility>

#include "base/check.h"
#include "http/duration.h"

namespace server {
namespace {

constexpr const char* kParseError = "parse error";
constexpr const char* kRangeError = "value out of range";

int DigitValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'z') return c - 'a' + 10;
  if (c >= 'A' && c <= 'Z') return c - 'A' + 10;
  return 99;
}

// Go's underscoreOK for base-0 literals: '_' may only separate digits (or follow a base prefix).
bool UnderscoresOk(const std::string& s) {
  size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  bool hex_prefix = false;
  char prev = '^';  // '^' start, '0' digit or prefix, '_' underscore, '!' other
  if (s.size() - i >= 2 && s[i] == '0') {
    char p = static_cast<char>(s[i + 1] | 0x20);
    if (p == 'x' || p == 'o' || p == 'b') {
      hex_prefix = p == 'x';
      prev = '0';
      i += 2;
    }
  }
  for (; i < s.size(); ++i) {
    char c = s[i];
    bool digit = (c >= '0' && c <= '9') || (hex_prefix && DigitValue(c) < 16);
    if (digit) {
      prev = '0';
    } else if (c == '_') {
      if (prev != '0') return false;
      prev = '_';
    } else {
      if (prev == '_') return false;
      prev = '!';
    }
  }
  return prev != '_';
}

// Magnitude of an unsigned base-0 literal (no sign), as strconv.ParseUint(s, 0, 64).
// Returns "" or an error word.
std::string ParseMagnitude(const std::string& s0, uint64_t* out) {
  if (s0.empty()) return kParseError;
  std::string s = s0;
  int base = 10;
  if (s[0] == '0') {
    char p = s.size() >= 3 ? static_cast<char>(s[1] | 0x20) : '\0';
    if (p == 'x') base = 16;
    else if (p == 'o') base = 8;
    else if (p == 'b') base = 2;
    s = p == 'x' || p == 'o' || p == 'b' ? s.substr(2) : s.substr(1);
    if (p != 'x' && p != 'o' && p != 'b') base = 8;
  }
  bool underscores = false;
  uint64_t n = 0;
  for (char c : s) {
    if (c == '_') {
      underscores = true;
      continue;
    }
    int d = DigitValue(c);
    if (d >= base) return kParseError;
    if (n > (std::numeric_limits<uint64_t>::max() - d) / base) return kRangeError;
    n = n * base + d;
  }
  if (underscores && !UnderscoresOk(s0)) return kParseError;
  *out = n;
  return "";
}

void AppendUtf8Escaped(std::string& out, const std::string& s, size_t& i) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  int len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 0;
  bool valid = len > 0 && c < 0xF5 && i + len <= s.size();
  for (int k = 1; valid && k < len; ++k) {
    valid = (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80;
  }
  if (valid && len == 2 && c < 0xC2) valid = false;  // overlong
  if (valid) {
    out.append(s, i, len);
    i += len;
    return;
  }
  char buf[8];
  std::snprintf(buf, sizeof buf, "\\x%02x", c);
  out += buf;
  ++i;
}

}  // namespace

std::string ParseGoUint(const std::string& s, uint64_t* out) {
  if (s.empty() || s[0] == '+' || s[0] == '-') return kParseError;
  return ParseMagnitude(s, out);
}

std::string ParseGoInt(const std::string& s, int64_t* out) {
  if (s.empty()) return kParseError;
  bool neg = s[0] == '-';
  std::string mag = (s[0] == '+' || s[0] == '-') ? s.substr(1) : s;
  if (mag.empty() || mag[0] == '+' || mag[0] == '-') return kParseError;
  uint64_t u = 0;
  std::string err = ParseMagnitude(mag, &u);
  if (!err.empty()) return err;
  constexpr uint64_t kMaxPos = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  if (!neg && u > kMaxPos) return kRangeError;
  if (neg && u > kMaxPos + 1) return kRangeError;
  *out = neg ? static_cast<int64_t>(0 - u) : static_cast<int64_t>(u);
  return "";
}

bool ParseGoBool(const std::string& s, bool* out) {
  static const char* const kTrue[] = {"1", "t", "T", "TRUE", "true", "True"};
  static const char* const kFalse[] = {"0", "f", "F", "FALSE", "false", "False"};
  for (const char* t : kTrue) {
    if (s == t) { *out = true; return true; }
  }
  for (const char* f : kFalse) {
    if (s == f) { *out = false; return true; }
  }
  return false;
}

std::string GoQuote(const std::string& s) {
  std::string out = "\"";
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      AppendUtf8Escaped(out, s, i);
      continue;
    }
    ++i;
    switch (c) {
      case '"': out += "\\\""; continue;
      case '\\': out += "\\\\"; continue;
      case '\a': out += "\\a"; continue;
      case '\b': out += "\\b"; continue;
      case '\f': out += "\\f"; continue;
      case '\n': out += "\\n"; continue;
      case '\r': out += "\\r"; continue;
      case '\t': out += "\\t"; continue;
      case '\v': out += "\\v"; continue;
      default: break;
    }
    if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  out += "\"";
  return out;
}

void FlagSet::Add(const std::string& name, Type type, const std::string& default_text,
                  const std::string& usage) {
  CHECK(!name.empty());
  CHECK(flags_.count(name) == 0) << "duplicate flag " << name;
  Flag flag;
  flag.type = type;
  flag.usage = usage;
  std::string err = SetValue(flag, default_text);
  CHECK(err.empty()) << "bad default for -" << name << ": " << default_text;
  flag.default_text = ValueString(flag);
  flags_.emplace(name, std::move(flag));
}

std::string FlagSet::SetValue(Flag& flag, const std::string& text) {
  switch (flag.type) {
    case Type::kBool:
      return ParseGoBool(text, &flag.b) ? "" : kParseError;
    case Type::kString:
      flag.s = text;
      return "";
    case Type::kInt:
      return ParseGoInt(text, &flag.i);
    case Type::kUint:
      return ParseGoUint(text, &flag.u);
    case Type::kDuration: {
      auto d = http::ParseGoDuration(text);
      if (!d.ok()) return kParseError;
      flag.i = *d;
      return "";
    }
  }
  return kParseError;
}

std::string FlagSet::ValueString(const Flag& flag) {
  switch (flag.type) {
    case Type::kBool: return flag.b ? "true" : "false";
    case Type::kString: return flag.s;
    case Type::kInt: return std::to_string(flag.i);
    case Type::kUint: return std::to_string(flag.u);
    case Type::kDuration: return http::FormatGoDuration(flag.i);
  }
  return "";
}

FlagSet::Outcome FlagSet::Fail(std::string message) {
  error_ = std::move(message);
  return Outcome::kError;
}

FlagSet::Outcome FlagSet::Parse(const std::vector<std::string>& args) {
  std::vector<std::string> rest = args;
  Outcome outcome = Outcome::kOk;
  while (ParseOne(rest, outcome)) {
  }
  if (outcome == Outcome::kOk) args_ = std::move(rest);
  return outcome;
}

// Mirrors Go's (*FlagSet).parseOne: consumes one flag (and maybe its value) from the front.
bool FlagSet::ParseOne(std::vector<std::string>& rest, Outcome& outcome) {
  if (rest.empty()) return false;
  const std::string s = rest.front();
  if (s.size() < 2 || s[0] != '-') return false;
  size_t minuses = 1;
  if (s[1] == '-') {
    minuses = 2;
    if (s.size() == 2) {  // "--" terminates the flags
      rest.erase(rest.begin());
      return false;
    }
  }
  std::string name = s.substr(minuses);
  if (name.empty() || name[0] == '-' || name[0] == '=') {
    outcome = Fail("bad flag syntax: " + s);
    return false;
  }
  rest.erase(rest.begin());
  bool has_value = false;
  std::string value;
  if (size_t eq = name.find('='); eq != std::string::npos) {
    value = name.substr(eq + 1);
    name = name.substr(0, eq);
    has_value = true;
  }
  auto it = flags_.find(name);
  if (it == flags_.end()) {
    if (name == "help" || name == "h") {
      outcome = Outcome::kHelp;
      return false;
    }
    outcome = Fail("flag provided but not defined: -" + name);
    return false;
  }
  Flag& flag = it->second;
  if (flag.type == Type::kBool) {
    if (!has_value) value = "true";
    if (!SetValue(flag, value).empty()) {
      outcome = Fail("invalid boolean value " + GoQuote(value) + " for -" + name + ": " +
                     kParseError);
      return false;
    }
  } else {
    if (!has_value && !rest.empty()) {
      value = rest.front();
      rest.erase(rest.begin());
      has_value = true;
    }
    if (!has_value) {
      outcome = Fail("flag needs an argument: -" + name);
      return false;
    }
    std::string err = SetValue(flag, value);
    if (!err.empty()) {
      outcome = Fail("invalid value " + GoQuote(value) + " for flag -" + name + ": " + err);
      return false;
    }
  }
  set_.insert(name);
  return true;
}

const FlagSet::Flag& FlagSet::Lookup(const std::string& name, Type type) const {
  auto it = flags_.find(name);
  CHECK(it != flags_.end()) << "unknown flag " << name;
  CHECK(it->second.type == type) << "flag " << name << " has another type";
  return it->second;
}

bool FlagSet::IsDefault(const std::string& name) const {
  auto it = flags_.find(name);
  CHECK(it != flags_.end()) << "unknown flag " << name;
  return ValueString(it->second) == it->second.default_text;
}

bool FlagSet::GetBool(const std::string& name) const { return Lookup(name, Type::kBool).b; }
const std::string& FlagSet::GetString(const std::string& name) const {
  return Lookup(name, Type::kString).s;
}
int64_t FlagSet::GetInt(const std::string& name) const { return Lookup(name, Type::kInt).i; }
uint64_t FlagSet::GetUint(const std::string& name) const { return Lookup(name, Type::kUint).u; }
int64_t FlagSet::GetDurationNanos(const std::string& name) const {
  return Lookup(name, Type::kDuration).i;
}

// Go's PrintDefaults: "  -name type\n    \tusage (default ...)\n" per flag, sorted by name.
std::string FlagSet::Usage() const {
  std::string out;
  for (const auto& [name, flag] : flags_) {
    std::string line = "  -" + name;
    const char* type_name = "";
    switch (flag.type) {
      case Type::kBool: type_name = ""; break;
      case Type::kString: type_name = "string"; break;
      case Type::kInt: type_name = "int"; break;
      case Type::kUint: type_name = "uint"; break;
      case Type::kDuration: type_name = "duration"; break;
    }
    if (*type_name != '\0') line += std::string(" ") + type_name;
    line += line.size() <= 4 ? "\t" : "\n    \t";
    for (char c : flag.usage) line += c == '\n' ? std::string("\n    \t") : std::string(1, c);
    static const char* const kZero[] = {"false", "", "0", "0", "0s"};
    if (flag.default_text != kZero[static_cast<int>(flag.type)]) {
      line += " (default " +
              (flag.type == Type::kString ? GoQuote(flag.default_text) : flag.default_text) + ")";
    }
    out += line + "\n";
  }
  return out;
}

}  // namespace server
