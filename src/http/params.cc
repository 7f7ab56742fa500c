// http/params.cc — see params.h. Mirrors Go's url.ParseQuery and rqlite's NewQueryParams.
#include "http/params.h"

#include <algorithm>
#include <cctype>

#include "http/duration.h"
#include "http/json_writer.h"

namespace http {
namespace {

int HexVal(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

api::Level ParseLevel(std::string_view v) {
  const std::string l = Lower(v);
  if (l == "none") return api::Level::kNone;
  if (l == "linearizable") return api::Level::kLinearizable;
  if (l == "strong") return api::Level::kStrong;
  if (l == "auto") return api::Level::kAuto;
  return api::Level::kWeak;
}

api::BackupFormat ParseFormat(std::string_view v) {
  const std::string l = Lower(v);
  if (l == "sql") return api::BackupFormat::kSql;
  if (l == "delete") return api::BackupFormat::kDelete;
  return api::BackupFormat::kBinary;
}

// Go's strconv.Atoi for 64-bit int: [+-]?[0-9]+ within int64.
bool GoAtoi(std::string_view s, int64_t* out) {
  bool neg = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s.empty()) return false;
  uint64_t v = 0;
  const uint64_t limit = neg ? (uint64_t{1} << 63) : (uint64_t{1} << 63) - 1;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    const uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (limit - d) / 10) return false;
    v = v * 10 + d;
  }
  *out = neg ? static_cast<int64_t>(0 - v) : static_cast<int64_t>(v);
  return true;
}

std::string_view TrimSpace(std::string_view s) {
  const auto space = [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
  };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

std::vector<std::string> SplitTables(std::string_view t) {
  std::vector<std::string> out;
  while (true) {
    const size_t comma = t.find(',');
    const std::string_view item = TrimSpace(t.substr(0, comma));
    if (!item.empty()) out.emplace_back(item);
    if (comma == std::string_view::npos) break;
    t.remove_prefix(comma + 1);
  }
  return out;
}

// Go's url.parseQuery: returns the error text ("" if none) and fills `pairs`.
std::string SplitQuery(std::string_view query,
                       std::vector<std::pair<std::string, std::string>>* pairs) {
  std::string err;
  while (!query.empty()) {
    const size_t amp = query.find('&');
    std::string_view seg = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (seg.find(';') != std::string_view::npos) {
      err = "invalid semicolon separator in query";  // Go overwrites unconditionally
      continue;
    }
    if (seg.empty()) continue;
    const size_t eq = seg.find('=');
    auto key = QueryUnescape(seg.substr(0, eq));
    if (!key.ok()) {
      if (err.empty()) err = key.status().message();
      continue;
    }
    auto value = QueryUnescape(eq == std::string_view::npos ? "" : seg.substr(eq + 1));
    if (!value.ok()) {
      if (err.empty()) err = value.status().message();
      continue;
    }
    pairs->emplace_back(std::move(key).value(), std::move(value).value());
  }
  return err;
}

}  // namespace

std::string GoQuote(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      const size_t n = ValidUtf8Length(s, i);
      if (n == 0) {
        out += "\\x";
        out.push_back(kHex[c >> 4]);
        out.push_back(kHex[c & 0xF]);
        ++i;
      } else {
        out.append(s.substr(i, n));
        i += n;
      }
      continue;
    }
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\a': out += "\\a"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\v': out += "\\v"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out += "\\x";
          out.push_back(kHex[c >> 4]);
          out.push_back(kHex[c & 0xF]);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
    ++i;
  }
  out.push_back('"');
  return out;
}

base::Result<std::string> QueryUnescape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '%') {
      if (i + 2 >= s.size() || HexVal(s[i + 1]) < 0 || HexVal(s[i + 2]) < 0) {
        return base::InvalidArgument("invalid URL escape " + GoQuote(s.substr(i, 3)));
      }
      out.push_back(static_cast<char>(HexVal(s[i + 1]) * 16 + HexVal(s[i + 2])));
      i += 2;
    } else if (c == '+') {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

bool QueryParams::Has(std::string_view name) const {
  return std::any_of(pairs.begin(), pairs.end(), [&](const auto& p) { return p.first == name; });
}

std::optional<std::string> QueryParams::Get(std::string_view name) const {
  for (const auto& [k, v] : pairs) {
    if (k == name) return v;
  }
  return std::nullopt;
}

base::Result<QueryParams> ParseQueryParams(std::string_view raw_query) {
  QueryParams qp;
  qp.raw = std::string(raw_query);
  const std::string err = SplitQuery(raw_query, &qp.pairs);
  if (!err.empty()) return base::InvalidArgument(err);

  if (qp.Has("freshness_strict") && !qp.Has("freshness")) {
    return base::InvalidArgument("freshness_strict requires freshness");
  }
  const std::pair<const char*, std::optional<int64_t>*> durations[] = {
      {"timeout", &qp.timeout_ns},
      {"freshness", &qp.freshness_ns},
      {"db_timeout", &qp.db_timeout_ns},
      {"linearizable_timeout", &qp.linearizable_timeout_ns}};
  for (const auto& [name, field] : durations) {
    if (auto v = qp.Get(name)) {
      auto d = ParseGoDuration(*v);
      if (!d.ok()) return base::InvalidArgument(std::string(name) + " is not a valid duration");
      *field = *d;
    }
  }
  const std::pair<const char*, std::optional<int64_t>*> ints[] = {
      {"retries", &qp.retries}, {"trailing_logs", &qp.trailing_logs}};
  for (const auto& [name, field] : ints) {
    if (auto v = qp.Get(name)) {
      int64_t n = 0;
      if (!GoAtoi(*v, &n)) return base::InvalidArgument(std::string(name) + " is not a valid integer");
      *field = n;
    }
  }
  qp.q = qp.Get("q");
  if (qp.q && qp.q->empty()) return base::InvalidArgument("query parameter not set");

  const std::pair<const char*, bool*> flags[] = {
      {"pretty", &qp.pretty},         {"timings", &qp.timings},
      {"transaction", &qp.transaction}, {"queue", &qp.queue},
      {"wait", &qp.wait},             {"associative", &qp.associative},
      {"blob_array", &qp.blob_array}, {"qualify_columns", &qp.qualify_columns},
      {"freshness_strict", &qp.freshness_strict}, {"redirect", &qp.redirect},
      {"noleader", &qp.noleader},     {"nonvoters", &qp.nonvoters},
      {"sync", &qp.sync},             {"vacuum", &qp.vacuum},
      {"compress", &qp.compress},     {"norwrandom", &qp.norwrandom},
      {"norwtime", &qp.norwtime},     {"noparse", &qp.noparse},
      {"raft_index", &qp.raft_index}, {"bypass", &qp.bypass}};
  for (const auto& [name, field] : flags) *field = qp.Has(name);

  qp.level = ParseLevel(qp.Get("level").value_or(""));
  qp.key = qp.Get("key");
  qp.ver = qp.Get("ver").value_or("");
  qp.fmt = ParseFormat(qp.Get("fmt").value_or(""));
  qp.tables = SplitTables(qp.Get("tables").value_or(""));
  return qp;
}

}  // namespace http
