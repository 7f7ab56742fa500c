// command/sql.h — deterministic statement preprocessing (http-api.md §8): disallowed-PRAGMA
// detection, RANDOM()/RANDOMBLOB(N)/'now' rewriting, RETURNING and EXPLAIN detection, and a
// transaction-control check used by the store.
//
// What: pure functions over SQL text, built on a small SQLite-compatible tokenizer (strings,
// quoted identifiers, blob literals, comments, parameters). Rewrites are done in place on the
// token stream: everything not rewritten keeps its original bytes. Randomness and time are
// parameters, so results are reproducible under a seed.
// Thread-safety: pure functions; the caller owns the Random.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "api/database.h"
#include "base/random.h"

namespace command {

// §8.1: true if `sql` starts (after optional whitespace, case-insensitively) with one of
//   PRAGMA [schema.]journal_mode =     PRAGMA wal_autocheckpoint =
//   PRAGMA [schema.]wal_checkpoint...  PRAGMA [schema.]synchronous =
//   PRAGMA [schema.]query_only =
bool IsDisallowedPragma(std::string_view sql);
bool AnyDisallowedPragma(const std::vector<api::Statement>& statements);

struct Processed {
  std::string sql;       // rewritten text (== input when nothing was rewritten)
  bool rewritten = false;
  bool returning = false;  // has a RETURNING clause
  bool explain = false;    // starts with EXPLAIN
};

// §8.2/§8.3 for one statement string. `unix_nanos` is the wall clock used for 'now'.
Processed Process(std::string_view sql, bool rewrite_random, bool rewrite_time,
                  base::Random& random, int64_t unix_nanos);

// Applies Process() to every statement per `options` (no_parse: nothing at all; otherwise
// rewriting as enabled, and RETURNING/EXPLAIN flags always set). `rewrite` = false does only
// detection (reads below level strong).
void ProcessStatements(std::vector<api::Statement>* statements, const api::RewriteOptions& options,
                       bool rewrite, base::Random& random, int64_t unix_nanos);

// The Julian day number of `unix_nanos` with 6 decimals, as the 'now' rewrite prints it.
std::string JulianDay(int64_t unix_nanos);

// True if any statement in `sql` begins with a keyword that cannot run inside (or would change
// meaning inside) an enclosing transaction: BEGIN, COMMIT, END, ROLLBACK, SAVEPOINT, RELEASE,
// VACUUM, ATTACH, DETACH, PRAGMA.
bool HasTransactionControl(std::string_view sql);

}  // namespace command
