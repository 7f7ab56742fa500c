// sqlite/conn.h — RAII wrappers for a SQLite connection and statement, plus the few whole-database
// helpers the store needs (checkpoint, online backup, file sync).
//
// What: `Conn` owns one sqlite3* opened with rqlite's settings (cluster-semantics.md §15):
//   writer:    WAL, synchronous=OFF, wal_autocheckpoint=0, busy_timeout=5000, foreign_keys=<fk>,
//              checkpoint-on-close disabled (the store owns checkpointing);
//   read-only: URI mode=ro, query_only=1, busy_timeout=5000, wal_autocheckpoint=1000 (inert).
// Each Conn keeps a small cache of prepared single statements (PrepareCached).
// Callers use the raw handle (db()) for the SQLite C API where the wrapper has nothing to add.
//
// Ownership: Conn owns its sqlite3* and cached statements; Stmt owns one sqlite3_stmt*.
// Thread-safety: a Conn is used by one thread at a time (SQLite is built THREADSAFE=1, so moving a
// connection between threads is fine). Interrupt() may be called from any thread.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "base/result.h"
#include "base/status.h"

namespace sqlite {

struct OpenOptions {
  bool read_only = false;
  bool foreign_keys = false;  // writer only
  int busy_timeout_ms = 5000;
  bool create = true;  // writer: create the file if missing
  bool query_only = true;  // read-only: also PRAGMA query_only=1 (off for backup sources)
  size_t stmt_cache_size = 64;
  // SQL longer than this is never cached: a statement with a multi-megabyte literal (e.g. a
  // rewritten randomblob()) would otherwise stay in memory as long as it sits in the cache.
  size_t max_cached_sql_bytes = 4096;
};

// A prepared statement; finalized on destruction.
class Stmt {
 public:
  Stmt() = default;
  explicit Stmt(sqlite3_stmt* s) : s_(s) {}
  ~Stmt() { sqlite3_finalize(s_); }
  Stmt(Stmt&& o) noexcept : s_(o.s_) { o.s_ = nullptr; }
  Stmt& operator=(Stmt&& o) noexcept {
    if (this != &o) {
      sqlite3_finalize(s_);
      s_ = o.s_;
      o.s_ = nullptr;
    }
    return *this;
  }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  sqlite3_stmt* get() const { return s_; }
  // Gives up ownership without finalizing.
  sqlite3_stmt* release() {
    sqlite3_stmt* s = s_;
    s_ = nullptr;
    return s;
  }
  explicit operator bool() const { return s_ != nullptr; }

 private:
  sqlite3_stmt* s_ = nullptr;
};

class Conn {
 public:
  // Opens `path` with the settings above. Errors carry SQLite's message.
  static base::Result<std::unique_ptr<Conn>> Open(const std::string& path,
                                                  const OpenOptions& options);
  ~Conn();
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

  sqlite3* db() const { return db_; }
  const std::string& path() const { return path_; }
  bool read_only() const { return options_.read_only; }

  // Runs one or more statements with no parameters and no result rows (sqlite3_exec).
  base::Status Exec(const std::string& sql);
  // Exec for one parameterless statement through the statement cache (BEGIN, SAVEPOINT x...).
  base::Status ExecCached(const std::string& sql);
  // Runs a single-row, single-column query and returns column 0 as text ("" for NULL).
  base::Result<std::string> QueryString(const std::string& sql);
  // Prepares the first statement of `sql`; *tail_offset (if non-null) receives the byte offset
  // just past it. A result with get()==nullptr means `sql` held only whitespace/comments.
  base::Result<Stmt> Prepare(std::string_view sql, size_t* tail_offset = nullptr);
  // Returns a reset, unbound statement for `sql` from the cache (prepared on a miss). The Conn
  // keeps ownership; the pointer is valid until the next PrepareCached/ClearCache. Only for SQL
  // holding exactly one statement (no tail) of at most max_cached_sql_bytes; otherwise returns
  // nullptr and OK (the caller prepares it uncached).
  base::Result<sqlite3_stmt*> PrepareCached(const std::string& sql);
  // Finalizes every cached statement (before replacing the database).
  void ClearCache();

  // sqlite3_errmsg of the connection.
  std::string ErrMsg() const;
  void Interrupt() { sqlite3_interrupt(db_); }

  // wal_checkpoint(mode) on "main". mode: SQLITE_CHECKPOINT_{PASSIVE,FULL,RESTART,TRUNCATE}.
  // Returns kUnavailable if readers blocked a FULL/RESTART/TRUNCATE checkpoint (SQLITE_BUSY).
  // *log_frames / *checkpointed_frames (if non-null) receive the WAL frame counts.
  base::Status Checkpoint(int mode, int* log_frames = nullptr, int* checkpointed_frames = nullptr);
  // Copies the whole of `src` (schema "main") into this connection's "main" database with the
  // online-backup API, in one step.
  base::Status CopyFrom(Conn& src);

 private:
  Conn(sqlite3* db, std::string path, OpenOptions options)
      : db_(db), path_(std::move(path)), options_(options) {}
  base::Status Configure();

  sqlite3* db_;
  std::string path_;
  OpenOptions options_;
  // LRU statement cache: most recently used at the front.
  std::list<std::pair<std::string, sqlite3_stmt*>> lru_;
  std::unordered_map<std::string, std::list<std::pair<std::string, sqlite3_stmt*>>::iterator>
      cache_;
};

// Error Status from an SQLite result code and message.
base::Status SqliteError(int rc, const std::string& message);

// fsync (fdatasync) a file by path; a missing file is OK. CHECK-crashes if the sync itself fails.
base::Status SyncFile(const std::string& path);
// fsync a directory (after a rename/create inside it).
base::Status SyncDir(const std::string& dir);

// True if `data` starts with the SQLite file header ("SQLite format 3\0") and is longer than it.
bool IsSqliteImage(std::string_view data);

// The SQLite library version ("3.40.1").
std::string Version();

}  // namespace sqlite
