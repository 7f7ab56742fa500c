#include "store/exec.h"

#include <cctype>

#include "store/values.h"

namespace store {
namespace {

bool IsBlank(std::string_view s) {
  for (char c : s) {
    if (!std::isspace(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

api::StatementResult ErrorResult(std::string message) {
  api::StatementResult r;
  r.kind = api::StatementResult::Kind::kError;
  r.error = std::move(message);
  return r;
}

constexpr char kReadOnlyError[] = "attempt to change database via query operation";

// A statement of a (possibly multi-statement) string: cached when the string is one statement.
class Prepared {
 public:
  // Prepares the statement starting at `sql`; *tail is the rest (whitespace-trimmed emptiness is
  // checked by the caller). Returns the SQLite error code.
  int Prepare(sqlite::Conn* conn, std::string_view sql, bool whole, std::string_view* tail) {
    owned_ = sqlite::Stmt();
    stmt_ = nullptr;
    if (whole) {
      auto cached = conn->PrepareCached(std::string(sql));
      if (!cached.ok()) return sqlite3_errcode(conn->db());
      if (*cached != nullptr) {
        stmt_ = *cached;
        *tail = std::string_view();
        return SQLITE_OK;
      }
    }
    size_t off = 0;
    auto r = conn->Prepare(sql, &off);
    if (!r.ok()) return sqlite3_errcode(conn->db()) ? sqlite3_errcode(conn->db()) : SQLITE_ERROR;
    owned_ = std::move(*r);
    stmt_ = owned_.get();
    *tail = sql.substr(off);
    return SQLITE_OK;
  }
  ~Prepared() {
    if (stmt_ && !owned_) sqlite3_reset(stmt_);  // cached: release its read snapshot
  }
  sqlite3_stmt* get() const { return stmt_; }

 private:
  sqlite::Stmt owned_;
  sqlite3_stmt* stmt_ = nullptr;
};

}  // namespace

Engine::Engine(sqlite::Conn* conn, base::Clock* clock, int64_t deadline_ns)
    : conn_(conn), clock_(clock), deadline_ns_(deadline_ns) {
  if (deadline_ns_ > 0) sqlite3_progress_handler(conn_->db(), 1000, &Engine::OnProgress, this);
}

Engine::~Engine() {
  if (deadline_ns_ > 0) sqlite3_progress_handler(conn_->db(), 0, nullptr, nullptr);
}

int Engine::OnProgress(void* self) { return static_cast<Engine*>(self)->TimedOut() ? 1 : 0; }

bool Engine::TimedOut() const {
  return deadline_ns_ > 0 && clock_->MonotonicNanos() >= deadline_ns_;
}

api::StatementResult Engine::Error(int rc, bool execute_path) const {
  if ((rc & 0xff) == SQLITE_INTERRUPT && TimedOut()) {
    return ErrorResult(execute_path ? "execute timeout" : "query timeout");
  }
  if (!execute_path && (rc & 0xff) == SQLITE_READONLY) return ErrorResult(kReadOnlyError);
  return ErrorResult(conn_->ErrMsg());
}

api::StatementResult Engine::ExecuteOne(const api::Statement& st) {
  if (TimedOut()) return ErrorResult("execute timeout");
  std::string_view sql = st.sql;
  size_t consumed = 0;
  bool first = true;
  api::StatementResult res;  // {} unless a real statement ran last
  for (;;) {
    Prepared p;
    std::string_view tail;
    int rc = p.Prepare(conn_, sql, first, &tail);
    first = false;
    if (rc != SQLITE_OK) return Error(rc, true);
    res = api::StatementResult();
    if (p.get() != nullptr) {
      base::Status bs = BindParameters(p.get(), st.parameters, &consumed, false);
      if (!bs.ok()) return ErrorResult(bs.message());
      rc = sqlite3_step(p.get());
      if (rc != SQLITE_ROW && rc != SQLITE_DONE) return Error(rc, true);
      res.last_insert_id = sqlite3_last_insert_rowid(conn_->db());
      res.rows_affected = sqlite3_changes64(conn_->db());
    }
    if (IsBlank(tail)) return res;
    sql = tail;
  }
}

api::StatementResult Engine::QueryOne(const api::Statement& st, bool qualify_columns,
                                      bool check_read_only) {
  if (TimedOut()) return ErrorResult("query timeout");
  std::string_view sql = st.sql;
  size_t consumed = 0;
  bool first = true;
  for (;;) {
    Prepared p;
    std::string_view tail;
    int rc = p.Prepare(conn_, sql, first, &tail);
    if (rc != SQLITE_OK) return Error(rc, false);
    if (first && check_read_only && p.get() && !sqlite3_stmt_readonly(p.get())) {
      return ErrorResult(kReadOnlyError);
    }
    first = false;
    if (p.get() != nullptr) {
      base::Status bs = BindParameters(p.get(), st.parameters, &consumed, true);
      if (!bs.ok()) return ErrorResult(bs.message());
    }
    if (IsBlank(tail)) {
      api::StatementResult res;
      res.kind = api::StatementResult::Kind::kRows;
      if (p.get() == nullptr) return res;
      rc = ReadRows(p.get(), qualify_columns, &res);
      if (rc != SQLITE_OK) return Error(rc, false);
      return res;
    }
    sql = tail;  // earlier statements are prepared but never stepped
  }
}

namespace {
template <typename F>
api::StatementResult Timed(base::Clock* clock, F&& f) {
  int64_t start = clock->MonotonicNanos();
  api::StatementResult r = f();
  r.time_s = static_cast<double>(clock->MonotonicNanos() - start) / 1e9;
  return r;
}

// The write-path loop shared by Execute and Request: runs `one` on every non-empty statement,
// notes when SQLite ended the enclosing transaction itself, and with `transaction` stops at the
// first error.
template <typename F>
EngineOutcome RunWrites(base::Clock* clock, sqlite::Conn* conn,
                        const std::vector<api::Statement>& statements, bool transaction,
                        bool in_txn, F&& one) {
  EngineOutcome out;
  for (const auto& st : statements) {
    if (st.sql.empty()) continue;
    api::StatementResult r = Timed(clock, [&] { return one(st); });
    bool failed = r.kind == api::StatementResult::Kind::kError;
    out.results.push_back(std::move(r));
    if (in_txn && sqlite3_get_autocommit(conn->db())) out.txn_lost = true;
    if (failed && transaction) {
      out.aborted = true;
      break;
    }
  }
  return out;
}
}  // namespace

EngineOutcome Engine::Execute(const std::vector<api::Statement>& statements, bool transaction,
                              bool in_txn) {
  return RunWrites(clock_, conn_, statements, transaction, in_txn,
                   [&](const api::Statement& st) {
                     return st.returning ? QueryOne(st, false, false) : ExecuteOne(st);
                   });
}

EngineOutcome Engine::Query(const std::vector<api::Statement>& statements, bool qualify_columns) {
  EngineOutcome out;
  for (const auto& st : statements) {
    if (st.sql.empty()) continue;
    out.results.push_back(
        Timed(clock_, [&] { return QueryOne(st, qualify_columns, !conn_->read_only()); }));
  }
  return out;
}

EngineOutcome Engine::Request(const std::vector<api::Statement>& statements, bool transaction,
                              bool qualify_columns, bool in_txn) {
  return RunWrites(clock_, conn_, statements, transaction, in_txn,
                   [&](const api::Statement& st) {
                     if (st.explain || st.returning) return QueryOne(st, qualify_columns, false);
                     Prepared p;
                     std::string_view tail;
                     int rc = p.Prepare(conn_, st.sql, true, &tail);
                     if (rc != SQLITE_OK) return ErrorResult(conn_->ErrMsg());
                     bool ro = p.get() == nullptr || sqlite3_stmt_readonly(p.get());
                     if (ro) return QueryOne(st, qualify_columns, false);
                     return ExecuteOne(st);
                   });
}

}  // namespace store
