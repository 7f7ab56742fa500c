// shell/line_reader.h — where the shell's input lines come from, and its history file.
//
// EditLineReader: libedit (BSD editline, not GNU readline) on a terminal — emacs key bindings,
//   up/down history, prompt shown before each line. Ctrl-C at the prompt ends input (as rqlite's
//   shell does), Ctrl-D on an empty line too.
// StreamLineReader: plain lines from a stream (stdin not a terminal), no prompt, no history.
// History file (~/.rqlite_history): plain text, one entry per line, the newest last; written on
//   exit keeping the last RQLITE_HISTFILESIZE entries (default 100) after dropping blank entries
//   and contiguous duplicates; a size of 0 (or less) deletes the file.
// Thread-safety: not thread-safe; one reader per process (libedit keeps terminal state).
#pragma once

#include <cstdio>
#include <istream>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"

namespace shell {

class LineReader {
 public:
  virtual ~LineReader() = default;
  // Reads one line (without the newline). Returns false at end of input (EOF or Ctrl-C).
  virtual bool ReadLine(const std::string& prompt, std::string* line) = 0;
  // Adds an entry to the in-memory history (up/down arrows, saved on exit).
  virtual void AddHistory(const std::string& entry) = 0;
  // All history entries, oldest first.
  virtual std::vector<std::string> History() const = 0;
};

// REQUIRES: in/out are a terminal. `history` seeds the up/down history (oldest first).
std::unique_ptr<LineReader> NewEditLineReader(std::FILE* in, std::FILE* out,
                                              std::vector<std::string> history);
std::unique_ptr<LineReader> NewStreamLineReader(std::istream* in);

// Reads a history file; a missing file gives no entries. Blank lines are dropped.
std::vector<std::string> ReadHistoryFile(const std::string& path);
// Writes entries (see file comment for the rules). max_size <= 0 deletes the file.
base::Status WriteHistoryFile(const std::string& path, const std::vector<std::string>& entries,
                              int max_size);
// The entries WriteHistoryFile would keep.
std::vector<std::string> PruneHistory(const std::vector<std::string>& entries, int max_size);

// RQLITE_HISTFILESIZE's value ("" = unset) → the size to keep (100 by default).
int HistorySizeFromEnv(const std::string& value);

}  // namespace shell
