#include "command/sql.h"

#include <algorithm>
#include <cctype>
#include <cstdio>

namespace command {
namespace {

// ---------------------------------------------------------------------------------------------
// Tokenizer

enum class Tok { kSpace, kComment, kString, kQuotedId, kBlob, kNumber, kWord, kParam, kPunct };

struct Token {
  Tok kind;
  size_t begin, end;  // byte range in the input
};

bool IsWordStart(unsigned char c) { return std::isalpha(c) || c == '_' || c >= 0x80; }
bool IsWordChar(unsigned char c) { return std::isalnum(c) || c == '_' || c == '$' || c >= 0x80; }

// Length of a quoted run starting at i (quote char q, doubled quote escapes); runs to the end on
// an unterminated quote.
size_t QuotedEnd(std::string_view s, size_t i, char close) {
  size_t j = i + 1;
  while (j < s.size()) {
    if (s[j] == close) {
      if (close != ']' && j + 1 < s.size() && s[j + 1] == close) {
        j += 2;
        continue;
      }
      return j + 1;
    }
    ++j;
  }
  return s.size();
}

size_t NumberEnd(std::string_view s, size_t i) {
  size_t j = i;
  if (s[j] == '0' && j + 1 < s.size() && (s[j + 1] == 'x' || s[j + 1] == 'X')) {
    j += 2;
    while (j < s.size() && std::isxdigit(static_cast<unsigned char>(s[j]))) ++j;
    return j;
  }
  while (j < s.size() && (std::isdigit(static_cast<unsigned char>(s[j])) || s[j] == '.')) ++j;
  if (j < s.size() && (s[j] == 'e' || s[j] == 'E')) {
    size_t k = j + 1;
    if (k < s.size() && (s[k] == '+' || s[k] == '-')) ++k;
    if (k < s.size() && std::isdigit(static_cast<unsigned char>(s[k]))) {
      j = k;
      while (j < s.size() && std::isdigit(static_cast<unsigned char>(s[j]))) ++j;
    }
  }
  return j;
}

Token Next(std::string_view s, size_t i) {
  unsigned char c = s[i];
  auto at = [&](size_t k) -> char { return k < s.size() ? s[k] : '\0'; };
  if (std::isspace(c)) {
    size_t j = i;
    while (j < s.size() && std::isspace(static_cast<unsigned char>(s[j]))) ++j;
    return {Tok::kSpace, i, j};
  }
  if (c == '-' && at(i + 1) == '-') {
    size_t j = s.find('\n', i);
    return {Tok::kComment, i, j == std::string_view::npos ? s.size() : j + 1};
  }
  if (c == '/' && at(i + 1) == '*') {
    size_t j = s.find("*/", i + 2);
    return {Tok::kComment, i, j == std::string_view::npos ? s.size() : j + 2};
  }
  if (c == '\'') return {Tok::kString, i, QuotedEnd(s, i, '\'')};
  if (c == '"') return {Tok::kQuotedId, i, QuotedEnd(s, i, '"')};
  if (c == '`') return {Tok::kQuotedId, i, QuotedEnd(s, i, '`')};
  if (c == '[') return {Tok::kQuotedId, i, QuotedEnd(s, i, ']')};
  if ((c == 'x' || c == 'X') && at(i + 1) == '\'') return {Tok::kBlob, i, QuotedEnd(s, i + 1, '\'')};
  if (std::isdigit(c) || (c == '.' && std::isdigit(static_cast<unsigned char>(at(i + 1))))) {
    return {Tok::kNumber, i, NumberEnd(s, i)};
  }
  if (IsWordStart(c)) {
    size_t j = i + 1;
    while (j < s.size() && IsWordChar(static_cast<unsigned char>(s[j]))) ++j;
    return {Tok::kWord, i, j};
  }
  if (c == '?' || c == ':' || c == '@' || c == '$' || c == '#') {
    size_t j = i + 1;
    while (j < s.size() && IsWordChar(static_cast<unsigned char>(s[j]))) ++j;
    if (j > i + 1 || c == '?') return {Tok::kParam, i, j};
  }
  size_t len = 1;
  static constexpr std::string_view kTwo[] = {"||", "<=", ">=", "==", "!=", "<>", "<<", ">>", "->"};
  for (auto t : kTwo) {
    if (s.substr(i, 2) == t) len = 2;
  }
  if (s.substr(i, 3) == "->>") len = 3;
  return {Tok::kPunct, i, i + len};
}

std::vector<Token> Tokenize(std::string_view s) {
  std::vector<Token> out;
  for (size_t i = 0; i < s.size();) {
    Token t = Next(s, i);
    out.push_back(t);
    i = t.end;
  }
  return out;
}

bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

bool Significant(const Token& t) { return t.kind != Tok::kSpace && t.kind != Tok::kComment; }

// A view over the significant tokens of one statement string.
class Stream {
 public:
  explicit Stream(std::string_view sql) : sql_(sql), all_(Tokenize(sql)) {
    for (size_t i = 0; i < all_.size(); ++i) {
      if (Significant(all_[i])) sig_.push_back(i);
    }
  }
  size_t size() const { return sig_.size(); }
  const Token& tok(size_t k) const { return all_[sig_[k]]; }
  std::string_view text(size_t k) const {
    const Token& t = tok(k);
    return sql_.substr(t.begin, t.end - t.begin);
  }
  bool IsWord(size_t k, std::string_view w) const {
    return k < size() && tok(k).kind == Tok::kWord && IEquals(text(k), w);
  }
  bool IsPunct(size_t k, std::string_view p) const {
    return k < size() && tok(k).kind == Tok::kPunct && text(k) == p;
  }

 private:
  std::string_view sql_;
  std::vector<Token> all_;
  std::vector<size_t> sig_;
};

// ---------------------------------------------------------------------------------------------
// Disallowed pragmas

size_t SkipSpace(std::string_view s, size_t i) {
  // Go's \s: [\t\n\f\r ].
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\f' ||
                          s[i] == '\r')) {
    ++i;
  }
  return i;
}
size_t WordEnd(std::string_view s, size_t i) {
  while (i < s.size() && (std::isalnum(static_cast<unsigned char>(s[i])) || s[i] == '_')) ++i;
  return i;
}

}  // namespace

bool IsDisallowedPragma(std::string_view sql) {
  size_t i = SkipSpace(sql, 0);
  if (!IEquals(sql.substr(i, 6), "pragma")) return false;
  i += 6;
  size_t j = SkipSpace(sql, i);
  if (j == i) return false;
  size_t w1 = WordEnd(sql, j);
  if (w1 == j) return false;
  std::string_view name = sql.substr(j, w1 - j);
  bool schema = false;
  size_t end = w1;
  if (w1 < sql.size() && sql[w1] == '.') {
    size_t w2 = WordEnd(sql, w1 + 1);
    if (w2 > w1 + 1) {
      schema = true;
      name = sql.substr(w1 + 1, w2 - w1 - 1);
      end = w2;
    }
  }
  auto lower = [](std::string_view v) {
    std::string r(v);
    for (auto& c : r) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return r;
  };
  std::string n = lower(name);
  if (n.rfind("wal_checkpoint", 0) == 0) return true;
  size_t k = SkipSpace(sql, end);
  bool assign = k < sql.size() && sql[k] == '=';
  if (!assign) return false;
  if (n == "journal_mode" || n == "synchronous" || n == "query_only") return true;
  return n == "wal_autocheckpoint" && !schema;
}

bool AnyDisallowedPragma(const std::vector<api::Statement>& statements) {
  for (const auto& st : statements) {
    if (IsDisallowedPragma(st.sql)) return true;
  }
  return false;
}

std::string JulianDay(int64_t unix_nanos) {
  double jd = static_cast<double>(unix_nanos) / 86400e9 + 2440587.5;
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.6f", jd);
  return buf;
}

namespace {

// ---------------------------------------------------------------------------------------------
// Rewriting

struct Edit {
  size_t begin, end;  // byte range replaced
  std::string text;
};

bool ContainsAny(const std::string& lower, std::initializer_list<std::string_view> needles) {
  for (auto n : needles) {
    if (lower.find(n) != std::string::npos) return true;
  }
  return false;
}

// Arguments of the call whose '(' is significant token `open`: ranges [first, last] of
// significant tokens at depth 0, and the index of the closing ')' (or size() if unclosed).
struct Args {
  std::vector<std::pair<size_t, size_t>> ranges;
  size_t close;
};
Args CallArgs(const Stream& s, size_t open) {
  Args a{{}, s.size()};
  int depth = 0;
  size_t start = open + 1;
  for (size_t k = open + 1; k < s.size(); ++k) {
    if (s.IsPunct(k, "(")) {
      ++depth;
    } else if (s.IsPunct(k, ")")) {
      if (depth == 0) {
        if (k > start) a.ranges.push_back({start, k - 1});
        a.close = k;
        return a;
      }
      --depth;
    } else if (depth == 0 && s.IsPunct(k, ",")) {
      a.ranges.push_back({start, k - 1});
      start = k + 1;
    }
  }
  return a;
}

bool IsNowArg(const Stream& s, std::pair<size_t, size_t> r) {
  if (r.first != r.second) return false;
  const Token& t = s.tok(r.first);
  std::string_view x = s.text(r.first);
  if (t.kind == Tok::kWord) return IEquals(x, "now");
  if (t.kind == Tok::kString || t.kind == Tok::kQuotedId) {
    return x.size() == 5 && IEquals(x.substr(1, 3), "now");
  }
  return false;
}

std::string RandomBlobLiteral(base::Random& random, int64_t n) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out = "x'";
  for (int64_t i = 0; i < std::max<int64_t>(n, 1); ++i) {
    uint8_t b = static_cast<uint8_t>(random.Next());
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 15]);
  }
  out.push_back('\'');
  return out;
}

void TimeEdits(const Stream& s, size_t k, const std::string& jd, std::vector<Edit>* edits) {
  static constexpr std::string_view kFirstArg[] = {"date", "time", "datetime", "julianday",
                                                    "unixepoch"};
  bool first = false;
  for (auto f : kFirstArg) first = first || s.IsWord(k, f);
  bool strftime = s.IsWord(k, "strftime");
  bool timediff = s.IsWord(k, "timediff");
  if (!first && !strftime && !timediff) return;
  Args a = CallArgs(s, k + 1);
  if (a.close == s.size()) return;
  auto edit = [&](size_t arg) {
    if (arg < a.ranges.size() && IsNowArg(s, a.ranges[arg])) {
      const Token& t = s.tok(a.ranges[arg].first);
      edits->push_back({t.begin, t.end, jd});
    }
  };
  if (first) edit(0);
  if (strftime) edit(1);
  if (timediff) {
    edit(0);
    edit(1);
  }
}

}  // namespace

Processed Process(std::string_view sql, bool rewrite_random, bool rewrite_time,
                  base::Random& random, int64_t unix_nanos) {
  Processed p;
  p.sql = std::string(sql);
  std::string lower(sql);
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  bool want_random = rewrite_random && ContainsAny(lower, {"random(", "randomblob("});
  bool want_time = rewrite_time && ContainsAny(lower, {"time(", "date(", "julianday(",
                                                       "unixepoch(", "timediff("});
  bool want_returning = lower.find("returning") != std::string::npos;
  bool want_explain = lower.find("explain") != std::string::npos;
  if (!want_random && !want_time && !want_returning && !want_explain) return p;

  Stream s(sql);
  p.explain = s.IsWord(0, "explain");
  std::vector<Edit> edits;
  std::string jd = want_time ? JulianDay(unix_nanos) : std::string();
  int depth = 0;
  int order_by_depth = -1;  // paren depth of an active ORDER BY clause, -1 if none
  for (size_t k = 0; k < s.size(); ++k) {
    if (s.IsPunct(k, "(")) {
      ++depth;
    } else if (s.IsPunct(k, ")")) {
      if (depth == order_by_depth) order_by_depth = -1;
      --depth;
    } else if (s.IsPunct(k, ";")) {
      order_by_depth = -1;
      depth = 0;
    } else if (s.IsWord(k, "order") && s.IsWord(k + 1, "by")) {
      order_by_depth = depth;
    } else if (order_by_depth == depth && (s.IsWord(k, "limit") || s.IsWord(k, "returning"))) {
      order_by_depth = -1;
    }
    if (s.IsWord(k, "returning") && k > 0) p.returning = true;
    if (s.tok(k).kind != Tok::kWord || !s.IsPunct(k + 1, "(")) continue;
    if (k > 0 && s.IsPunct(k - 1, ".")) continue;  // schema.func or table.column
    bool in_order_by = order_by_depth >= 0;
    if (want_random && !in_order_by && s.IsWord(k, "random") && s.IsPunct(k + 2, ")")) {
      uint64_t v = random.Next() >> 1;  // non-negative 63-bit, as rqlite's code does
      edits.push_back({s.tok(k).begin, s.tok(k + 2).end, std::to_string(v)});
      k += 2;
    } else if (want_random && !in_order_by && s.IsWord(k, "randomblob") &&
               k + 3 < s.size() && s.tok(k + 2).kind == Tok::kNumber && s.IsPunct(k + 3, ")")) {
      std::string_view num = s.text(k + 2);
      if (num.find_first_not_of("0123456789") != std::string_view::npos || num.size() > 7) continue;
      edits.push_back({s.tok(k).begin, s.tok(k + 3).end,
                       RandomBlobLiteral(random, std::stoll(std::string(num)))});
      k += 3;
    } else if (want_time) {
      TimeEdits(s, k, jd, &edits);
    }
  }
  if (edits.empty()) return p;
  std::sort(edits.begin(), edits.end(), [](const Edit& a, const Edit& b) { return a.begin < b.begin; });
  std::string out;
  size_t pos = 0;
  for (const auto& e : edits) {
    if (e.begin < pos) continue;
    out.append(sql.substr(pos, e.begin - pos));
    out += e.text;
    pos = e.end;
  }
  out.append(sql.substr(pos));
  p.sql = std::move(out);
  p.rewritten = true;
  return p;
}

void ProcessStatements(std::vector<api::Statement>* statements, const api::RewriteOptions& options,
                       bool rewrite, base::Random& random, int64_t unix_nanos) {
  if (options.no_parse) return;
  for (auto& st : *statements) {
    Processed p = Process(st.sql, rewrite && !options.no_rewrite_random,
                          rewrite && !options.no_rewrite_time, random, unix_nanos);
    if (p.rewritten) st.sql = std::move(p.sql);
    st.returning = p.returning;
    st.explain = p.explain;
  }
}

bool HasTransactionControl(std::string_view sql) {
  static constexpr std::string_view kWords[] = {"begin",  "commit", "end",    "rollback",
                                                "savepoint", "release", "vacuum", "attach",
                                                "detach", "pragma"};
  std::vector<Token> toks = Tokenize(sql);
  bool at_start = true;
  for (const Token& t : toks) {
    if (!Significant(t)) continue;
    std::string_view x = sql.substr(t.begin, t.end - t.begin);
    if (at_start && t.kind == Tok::kWord) {
      for (auto w : kWords) {
        if (IEquals(x, w)) return true;
      }
    }
    at_start = t.kind == Tok::kPunct && x == ";";
  }
  return false;
}

}  // namespace command
