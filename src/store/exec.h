// store/exec.h — the statement engine: runs api::Statements on one SQLite connection with
// rqlite's (Go driver's) semantics (http-api.md §4.3, §5.2, §7.1–§7.3).
//
// The engine never issues BEGIN/COMMIT/ROLLBACK itself: the caller owns transaction control
// (the store wraps each log entry, see store/DESIGN.md). With `transaction` set, the engine stops
// at the first error and reports `aborted`, and the caller rolls back.
//
// Thread-safety: an Engine is a short-lived object used on the thread that owns the connection.
#pragma once

#include <cstdint>
#include <vector>

#include "api/database.h"
#include "base/clock.h"
#include "sqlite/conn.h"

namespace store {

struct EngineOutcome {
  std::vector<api::StatementResult> results;
  bool aborted = false;   // transaction mode: stopped at an error; the caller must roll back
  bool txn_lost = false;  // an enclosing transaction was rolled back by SQLite mid-way
};

class Engine {
 public:
  // deadline_ns: monotonic deadline (clock->MonotonicNanos()) for db_timeout; 0 = none.
  Engine(sqlite::Conn* conn, base::Clock* clock, int64_t deadline_ns);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // /db/execute semantics (writer). in_txn: the caller began a transaction around the call.
  EngineOutcome Execute(const std::vector<api::Statement>& statements, bool transaction,
                        bool in_txn);
  // /db/query semantics (read-only connection, or the writer for strong reads).
  EngineOutcome Query(const std::vector<api::Statement>& statements, bool qualify_columns);
  // /db/request semantics on the writer: each statement classified with sqlite3_stmt_readonly.
  EngineOutcome Request(const std::vector<api::Statement>& statements, bool transaction,
                        bool qualify_columns, bool in_txn);

  // One statement string with execute semantics (every statement stepped once; counters after
  // the last). Used by SQL-text load too.
  api::StatementResult ExecuteOne(const api::Statement& st);
  // One statement string with query semantics: only the last statement's rows.
  api::StatementResult QueryOne(const api::Statement& st, bool qualify_columns,
                                bool check_read_only);

 private:
  static int OnProgress(void* self);
  api::StatementResult Error(int rc, bool execute_path) const;
  bool TimedOut() const;

  sqlite::Conn* conn_;
  base::Clock* clock_;
  int64_t deadline_ns_;
};

}  // namespace store
