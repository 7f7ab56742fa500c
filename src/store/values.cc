#include "store/values.h"

#include <cctype>
#include <cstdio>
#include <cstring>

namespace store {
namespace {

std::string Lower(const char* s) {
  std::string r = s ? s : "";
  for (auto& c : r) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return r;
}

int BindValue(sqlite3_stmt* stmt, int idx, const api::Value& v) {
  if (std::holds_alternative<std::monostate>(v)) return sqlite3_bind_null(stmt, idx);
  if (auto* i = std::get_if<int64_t>(&v)) return sqlite3_bind_int64(stmt, idx, *i);
  if (auto* d = std::get_if<double>(&v)) return sqlite3_bind_double(stmt, idx, *d);
  if (auto* s = std::get_if<std::string>(&v)) {
    return sqlite3_bind_text64(stmt, idx, s->data(), s->size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  }
  if (auto* b = std::get_if<api::Blob>(&v)) {
    return sqlite3_bind_blob64(stmt, idx, b->bytes.data(), b->bytes.size(), SQLITE_TRANSIENT);
  }
  return sqlite3_bind_int64(stmt, idx, std::get<bool>(v) ? 1 : 0);
}

// Days since 1970-01-01 -> civil date (Howard Hinnant's algorithm).
void CivilFromDays(int64_t z, int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = static_cast<int64_t>(yoe) + era * 400 + (*m <= 2);
}

// RFC 3339 with nanoseconds, trailing zeros dropped; offset_s 0 -> "Z".
std::string Rfc3339(int64_t y, unsigned mo, unsigned d, int h, int mi, int s, int64_t nanos,
                    int offset_s) {
  char buf[80];
  int n = std::snprintf(buf, sizeof(buf), "%04lld-%02u-%02uT%02d:%02d:%02d",
                        static_cast<long long>(y), mo, d, h, mi, s);
  std::string out(buf, n);
  if (nanos > 0) {
    char frac[32];
    std::snprintf(frac, sizeof(frac), "%09lld", static_cast<long long>(nanos));
    std::string f = frac;
    while (!f.empty() && f.back() == '0') f.pop_back();
    out += "." + f;
  }
  if (offset_s == 0) {
    out += "Z";
  } else {
    int a = offset_s < 0 ? -offset_s : offset_s;
    std::snprintf(buf, sizeof(buf), "%c%02d:%02d", offset_s < 0 ? '-' : '+', a / 3600,
                  (a / 60) % 60);
    out += buf;
  }
  return out;
}

std::string FromUnix(int64_t secs, int64_t nanos) {
  int64_t days = secs / 86400, rem = secs % 86400;
  if (rem < 0) {
    rem += 86400;
    days -= 1;
  }
  int64_t y;
  unsigned m, d;
  CivilFromDays(days, &y, &m, &d);
  return Rfc3339(y, m, d, static_cast<int>(rem / 3600), static_cast<int>(rem / 60 % 60),
                 static_cast<int>(rem % 60), nanos, 0);
}

// Parser for the Go driver's layouts: date, optional [ T]time (HH:MM[:SS[.f]]), optional offset.
struct Cursor {
  std::string_view s;
  size_t i = 0;
  bool Digits(int n, int* out) {
    if (i + n > s.size()) return false;
    int v = 0;
    for (int k = 0; k < n; ++k) {
      char c = s[i + k];
      if (c < '0' || c > '9') return false;
      v = v * 10 + (c - '0');
    }
    i += n;
    *out = v;
    return true;
  }
  bool Lit(char c) {
    if (i < s.size() && s[i] == c) {
      ++i;
      return true;
    }
    return false;
  }
};

bool ValidDate(int y, int m, int d) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m < 1 || m > 12 || d < 1) return false;
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return d <= kDays[m - 1] + (m == 2 && leap ? 1 : 0);
}

}  // namespace

bool IsTextLikeType(std::string_view t) {
  if (t.empty() || t == "text" || t == "json") return true;
  static constexpr std::string_view kPrefixes[] = {"varchar", "varying character", "nchar",
                                                   "native character", "nvarchar", "clob"};
  for (auto p : kPrefixes) {
    if (t.substr(0, p.size()) == p) return true;
  }
  return false;
}

std::string FormatUnixTime(int64_t v) {
  if (v > 1000000000000LL || v < -1000000000000LL) {
    int64_t secs = v / 1000, ms = v % 1000;
    if (ms < 0) {
      ms += 1000;
      secs -= 1;
    }
    return FromUnix(secs, ms * 1000000);
  }
  return FromUnix(v, 0);
}

std::string FormatTimeText(std::string_view s) {
  if (!s.empty() && s.back() == 'Z') s.remove_suffix(1);
  Cursor c{s};
  int y, mo, d, h = 0, mi = 0, sec = 0;
  int64_t nanos = 0;
  int offset = 0;
  const std::string kZero = "0001-01-01T00:00:00Z";
  if (!c.Digits(4, &y) || !c.Lit('-') || !c.Digits(2, &mo) || !c.Lit('-') || !c.Digits(2, &d)) {
    return kZero;
  }
  if (!ValidDate(y, mo, d)) return kZero;
  if (c.i < s.size()) {
    if (!c.Lit(' ') && !c.Lit('T')) return kZero;
    if (!c.Digits(2, &h) || !c.Lit(':') || !c.Digits(2, &mi)) return kZero;
    if (c.Lit(':')) {
      if (!c.Digits(2, &sec)) return kZero;
      if (c.Lit('.')) {
        int n = 0;
        while (c.i < s.size() && std::isdigit(static_cast<unsigned char>(s[c.i])) && n < 9) {
          nanos = nanos * 10 + (s[c.i++] - '0');
          ++n;
        }
        if (n == 0) return kZero;
        for (; n < 9; ++n) nanos *= 10;
      }
      if (c.i < s.size() && (s[c.i] == '+' || s[c.i] == '-')) {
        bool neg = s[c.i++] == '-';
        int oh, om;
        if (!c.Digits(2, &oh) || !c.Lit(':') || !c.Digits(2, &om)) return kZero;
        offset = (oh * 3600 + om * 60) * (neg ? -1 : 1);
      }
    }
    if (c.i != s.size() || h > 23 || mi > 59 || sec > 59) return kZero;
  }
  return Rfc3339(y, mo, d, h, mi, sec, nanos, offset);
}

base::Status BindParameters(sqlite3_stmt* stmt, const std::vector<api::Parameter>& params,
                            size_t* consumed, bool query_path) {
  int na = sqlite3_bind_parameter_count(stmt);
  size_t start = *consumed;
  if (params.size() < start + static_cast<size_t>(na)) {
    size_t got = query_path ? params.size() - start : params.size();
    return base::InvalidArgument("not enough args to execute query: want " + std::to_string(na) +
                                 " got " + std::to_string(got));
  }
  for (const auto& p : params) {
    if (!p.name.empty() && !std::isalpha(static_cast<unsigned char>(p.name[0]))) {
      return base::InvalidArgument("sql: name \"" + p.name + "\" does not begin with a letter");
    }
  }
  // The Go driver's argument list for this statement: params[start, start+na), then every named
  // param outside that window (its quirky test is i < start || i >= na).
  std::vector<const api::Parameter*> args;
  for (size_t i = start; i < start + na; ++i) args.push_back(&params[i]);
  for (size_t i = 0; i < params.size(); ++i) {
    if ((i < start || i >= static_cast<size_t>(na)) && !params[i].name.empty()) {
      args.push_back(&params[i]);
    }
  }
  for (size_t i = 0; i < args.size(); ++i) {
    const api::Parameter& p = *args[i];
    if (p.name.empty()) {
      if (static_cast<int>(i + 1) > na) continue;
      int rc = BindValue(stmt, static_cast<int>(i + 1), p.value);
      if (rc != SQLITE_OK) return base::InvalidArgument(sqlite3_errstr(rc));
      continue;
    }
    for (const char* prefix : {":", "@", "$"}) {
      std::string key = prefix + p.name;
      int idx = sqlite3_bind_parameter_index(stmt, key.c_str());
      if (idx == 0) continue;
      int rc = BindValue(stmt, idx, p.value);
      if (rc != SQLITE_OK) return base::InvalidArgument(sqlite3_errstr(rc));
    }
  }
  *consumed = start + na;
  return base::Status::Ok();
}

void ReadColumns(sqlite3_stmt* stmt, bool qualify_columns, api::StatementResult* out) {
  out->kind = api::StatementResult::Kind::kRows;
  int n = sqlite3_column_count(stmt);
  out->columns.clear();
  out->types.clear();
  for (int i = 0; i < n; ++i) {
    std::string name = sqlite3_column_name(stmt, i) ? sqlite3_column_name(stmt, i) : "";
    if (qualify_columns) {
      const char* table = sqlite3_column_table_name(stmt, i);
      if (table && *table) name = std::string(table) + "." + name;
    }
    out->columns.push_back(std::move(name));
    out->types.push_back(Lower(sqlite3_column_decltype(stmt, i)));
  }
}

namespace {
api::Value ReadValue(sqlite3_stmt* stmt, int i, const std::string& decl) {
  bool is_time = decl == "date" || decl == "datetime" || decl == "timestamp";
  switch (sqlite3_column_type(stmt, i)) {
    case SQLITE_INTEGER: {
      int64_t v = sqlite3_column_int64(stmt, i);
      if (decl == "boolean") return v > 0;
      if (is_time) return FormatUnixTime(v);
      return v;
    }
    case SQLITE_FLOAT:
      return sqlite3_column_double(stmt, i);
    case SQLITE_TEXT: {
      const char* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt, i));
      std::string s(p ? p : "", sqlite3_column_bytes(stmt, i));
      if (is_time) return FormatTimeText(s);
      return s;
    }
    case SQLITE_BLOB: {
      const char* p = static_cast<const char*>(sqlite3_column_blob(stmt, i));
      std::string s(p ? p : "", sqlite3_column_bytes(stmt, i));
      if (IsTextLikeType(decl)) return s;
      return api::Blob{std::move(s)};
    }
    default:
      return std::monostate{};
  }
}

const char* FillType(int sqlite_type) {
  switch (sqlite_type) {
    case SQLITE_INTEGER: return "integer";
    case SQLITE_FLOAT: return "real";
    case SQLITE_TEXT: return "text";
    case SQLITE_BLOB: return "text";
    default: return "";
  }
}
}  // namespace

int ReadRows(sqlite3_stmt* stmt, bool qualify_columns, api::StatementResult* out) {
  ReadColumns(stmt, qualify_columns, out);
  const std::vector<std::string> decl = out->types;
  const int n = static_cast<int>(decl.size());
  bool first = true;
  for (;;) {
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_DONE) return SQLITE_OK;
    if (rc != SQLITE_ROW) return rc;
    if (first) {
      for (int i = 0; i < n; ++i) {
        if (decl[i].empty()) out->types[i] = FillType(sqlite3_column_type(stmt, i));
      }
      first = false;
    }
    std::vector<api::Value> row;
    row.reserve(n);
    for (int i = 0; i < n; ++i) row.push_back(ReadValue(stmt, i, decl[i]));
    out->values.push_back(std::move(row));
  }
}

}  // namespace store
