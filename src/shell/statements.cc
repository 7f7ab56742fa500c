// shell/statements.cc — see statements.h.
#include "shell/statements.h"

#include <cctype>

namespace shell {
namespace {

bool IsWordChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' ||
         static_cast<unsigned char>(c) >= 0x80;
}

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// Scans one statement's worth of state. Words are recorded only outside literals and comments.
class Scanner {
 public:
  explicit Scanner(std::string_view text) : s_(text) {}

  // Returns the index of the ';' that ends the statement starting at `start`, or npos.
  size_t FindEnd(size_t start) {
    words_.clear();
    last_word_.clear();
    size_t i = start;
    while (i < s_.size()) {
      char c = s_[i];
      if (c == '\'' || c == '"' || c == '`') {
        i = SkipQuoted(i, c);
        last_word_.clear();
      } else if (c == '[') {
        i = SkipUntil(i + 1, "]");
        last_word_.clear();
      } else if (c == '-' && i + 1 < s_.size() && s_[i + 1] == '-') {
        size_t nl = s_.find('\n', i);
        i = nl == std::string_view::npos ? s_.size() : nl + 1;
      } else if (c == '/' && i + 1 < s_.size() && s_[i + 1] == '*') {
        i = SkipUntil(i + 2, "*/");
      } else if (IsWordChar(c)) {
        size_t b = i;
        while (i < s_.size() && IsWordChar(s_[i])) ++i;
        last_word_ = Upper(s_.substr(b, i - b));
        if (words_.size() < 3) words_.push_back(last_word_);
      } else if (c == ';') {
        if (!InTrigger() || last_word_ == "END") return i;
        last_word_.clear();
        ++i;
      } else {
        if (!std::isspace(static_cast<unsigned char>(c))) last_word_.clear();
        ++i;
      }
    }
    return std::string_view::npos;
  }

 private:
  bool InTrigger() const {
    if (words_.size() >= 2 && words_[0] == "CREATE" && words_[1] == "TRIGGER") return true;
    return words_.size() >= 3 && words_[0] == "CREATE" &&
           (words_[1] == "TEMP" || words_[1] == "TEMPORARY") && words_[2] == "TRIGGER";
  }
  size_t SkipQuoted(size_t i, char q) {
    ++i;
    while (i < s_.size()) {
      if (s_[i] == q) {
        if (i + 1 < s_.size() && s_[i + 1] == q) {
          i += 2;  // doubled quote inside the literal
          continue;
        }
        return i + 1;
      }
      ++i;
    }
    return s_.size();
  }
  size_t SkipUntil(size_t i, std::string_view end) {
    size_t p = s_.find(end, i);
    return p == std::string_view::npos ? s_.size() : p + end.size();
  }

  std::string_view s_;
  std::vector<std::string> words_;
  std::string last_word_;
};

}  // namespace

std::string TrimSpace(std::string_view s) {
  size_t b = 0;
  size_t e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

bool IsBlankSql(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    char c = s[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (c == '-' && i + 1 < s.size() && s[i + 1] == '-') {
      size_t nl = s.find('\n', i);
      if (nl == std::string_view::npos) return true;
      i = nl + 1;
    } else if (c == '/' && i + 1 < s.size() && s[i + 1] == '*') {
      size_t end = s.find("*/", i + 2);
      if (end == std::string_view::npos) return false;  // unterminated comment: still open
      i = end + 2;
    } else {
      return false;
    }
  }
  return true;
}

SplitResult SplitStatements(std::string_view text) {
  SplitResult out;
  Scanner scanner(text);
  size_t start = 0;
  while (start < text.size()) {
    size_t end = scanner.FindEnd(start);
    if (end == std::string_view::npos) break;
    std::string_view stmt = text.substr(start, end - start);
    if (!IsBlankSql(stmt)) out.statements.push_back(TrimSpace(stmt));
    start = end + 1;
  }
  out.remainder = std::string(text.substr(start));
  return out;
}

std::vector<std::string> StatementBuffer::AddLine(std::string_view line) {
  pending_.append(line);
  pending_.push_back('\n');
  SplitResult r = SplitStatements(pending_);
  pending_ = std::move(r.remainder);
  if (IsBlankSql(pending_)) pending_.clear();
  return std::move(r.statements);
}

std::string StatementBuffer::TakeRemainder() {
  std::string out = IsBlankSql(pending_) ? std::string() : TrimSpace(pending_);
  pending_.clear();
  return out;
}

}  // namespace shell
