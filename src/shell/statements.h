// shell/statements.h — splits shell input into SQL statements ended by ';'.
//
// A ';' ends a statement only outside string literals ('..', "..", `..`, [..]) and comments
// (-- to end of line, /* .. */), and — inside CREATE [TEMP|TEMPORARY] TRIGGER — only when it
// follows the keyword END, so trigger bodies stay whole (the rule SQLite's sqlite3_complete uses).
// Returned statements are trimmed and carry no trailing ';'. Statements that are empty or only
// comments are dropped.
// Thread-safety: StatementBuffer is a plain value; no shared state.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace shell {

struct SplitResult {
  std::vector<std::string> statements;
  std::string remainder;  // text after the last complete statement (untrimmed)
};

SplitResult SplitStatements(std::string_view text);

// True when text holds nothing but whitespace and comments.
bool IsBlankSql(std::string_view text);

// Accumulates input lines until statements complete (multi-line input).
class StatementBuffer {
 public:
  // Adds one line (without its newline) and returns every statement it completes.
  std::vector<std::string> AddLine(std::string_view line);
  // True when no partial statement is pending (pending whitespace/comments count as none).
  bool empty() const { return IsBlankSql(pending_); }
  // Returns and clears the pending partial statement, trimmed ("" if blank).
  std::string TakeRemainder();

 private:
  std::string pending_;
};

std::string TrimSpace(std::string_view s);

}  // namespace shell
