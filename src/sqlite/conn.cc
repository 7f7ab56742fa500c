#include "sqlite/conn.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/check.h"

namespace sqlite {

base::Status SqliteError(int rc, const std::string& message) {
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return base::Unavailable(message);
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return base::Corruption(message);
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_FULL:
      return base::IoError(message);
    default:
      return base::InvalidArgument(message);
  }
}

base::Result<std::unique_ptr<Conn>> Conn::Open(const std::string& path,
                                               const OpenOptions& options) {
  sqlite3* db = nullptr;
  int flags = SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX;
  std::string target = path;
  if (options.read_only) {
    flags |= SQLITE_OPEN_READONLY;
    target = "file:" + path + "?mode=ro";
  } else {
    flags |= SQLITE_OPEN_READWRITE;
    if (options.create) flags |= SQLITE_OPEN_CREATE;
    target = "file:" + path;
  }
  int rc = sqlite3_open_v2(target.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close_v2(db);
    return SqliteError(rc, "open " + path + ": " + msg);
  }
  sqlite3_extended_result_codes(db, 0);
  std::unique_ptr<Conn> conn(new Conn(db, path, options));
  RQ_RETURN_IF_ERROR(conn->Configure());
  return conn;
}

base::Status Conn::Configure() {
  sqlite3_busy_timeout(db_, options_.busy_timeout_ms);
  if (options_.read_only) {
    // rqlite's read-only DSN keeps wal_autocheckpoint=1000; a mode=ro connection never commits,
    // so it never checkpoints either.
    return Exec(options_.query_only ? "PRAGMA query_only=1; PRAGMA wal_autocheckpoint=1000;"
                                    : "PRAGMA wal_autocheckpoint=1000;");
  }
  int unused = 0;
  sqlite3_db_config(db_, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, &unused);
  std::string sql =
      "PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF; PRAGMA wal_autocheckpoint=0; "
      "PRAGMA foreign_keys=";
  sql += options_.foreign_keys ? "ON;" : "OFF;";
  return Exec(sql);
}

Conn::~Conn() {
  ClearCache();
  sqlite3_close_v2(db_);
}

std::string Conn::ErrMsg() const { return sqlite3_errmsg(db_); }

base::Status Conn::Exec(const std::string& sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    return SqliteError(rc, msg);
  }
  return base::Status::Ok();
}

base::Status Conn::ExecCached(const std::string& sql) {
  RQ_ASSIGN_OR_RETURN(sqlite3_stmt * s, PrepareCached(sql));
  if (s == nullptr) return Exec(sql);
  int rc = sqlite3_step(s);
  sqlite3_reset(s);
  if (rc != SQLITE_DONE && rc != SQLITE_ROW) return SqliteError(rc, ErrMsg());
  return base::Status::Ok();
}

base::Result<std::string> Conn::QueryString(const std::string& sql) {
  RQ_ASSIGN_OR_RETURN(Stmt stmt, Prepare(sql));
  if (!stmt) return base::InvalidArgument("empty statement");
  int rc = sqlite3_step(stmt.get());
  if (rc == SQLITE_ROW) {
    const unsigned char* t = sqlite3_column_text(stmt.get(), 0);
    return std::string(t ? reinterpret_cast<const char*>(t) : "");
  }
  if (rc == SQLITE_DONE) return std::string();
  return SqliteError(rc, ErrMsg());
}

base::Result<Stmt> Conn::Prepare(std::string_view sql, size_t* tail_offset) {
  sqlite3_stmt* s = nullptr;
  const char* tail = nullptr;
  int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &s, &tail);
  if (tail_offset) *tail_offset = tail ? static_cast<size_t>(tail - sql.data()) : sql.size();
  if (rc != SQLITE_OK) {
    sqlite3_finalize(s);
    return SqliteError(rc, ErrMsg());
  }
  return Stmt(s);
}

base::Result<sqlite3_stmt*> Conn::PrepareCached(const std::string& sql) {
  if (sql.size() > options_.max_cached_sql_bytes) return static_cast<sqlite3_stmt*>(nullptr);
  auto it = cache_.find(sql);
  if (it != cache_.end()) {
    lru_.splice(lru_.begin(), lru_, it->second);
    sqlite3_stmt* s = it->second->second;
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return s;
  }
  size_t tail = 0;
  RQ_ASSIGN_OR_RETURN(Stmt stmt, Prepare(sql, &tail));
  if (!stmt) return static_cast<sqlite3_stmt*>(nullptr);
  for (size_t i = tail; i < sql.size(); ++i) {
    if (!isspace(static_cast<unsigned char>(sql[i]))) return static_cast<sqlite3_stmt*>(nullptr);
  }
  if (options_.stmt_cache_size == 0) return static_cast<sqlite3_stmt*>(nullptr);
  if (lru_.size() >= options_.stmt_cache_size) {
    sqlite3_finalize(lru_.back().second);
    cache_.erase(lru_.back().first);
    lru_.pop_back();
  }
  sqlite3_stmt* raw = stmt.release();  // the cache owns it now
  lru_.emplace_front(sql, raw);
  cache_[sql] = lru_.begin();
  return raw;
}

void Conn::ClearCache() {
  for (auto& [sql, s] : lru_) sqlite3_finalize(s);
  lru_.clear();
  cache_.clear();
}

base::Status Conn::Checkpoint(int mode, int* log_frames, int* checkpointed_frames) {
  int lf = 0, cf = 0;
  int rc = sqlite3_wal_checkpoint_v2(db_, "main", mode, &lf, &cf);
  if (log_frames) *log_frames = lf;
  if (checkpointed_frames) *checkpointed_frames = cf;
  if (rc != SQLITE_OK) return SqliteError(rc, "checkpoint: " + ErrMsg());
  return base::Status::Ok();
}

base::Status Conn::CopyFrom(Conn& src) {
  sqlite3_backup* b = sqlite3_backup_init(db_, "main", src.db(), "main");
  if (b == nullptr) return SqliteError(sqlite3_errcode(db_), "backup: " + ErrMsg());
  int rc = sqlite3_backup_step(b, -1);
  int rc2 = sqlite3_backup_finish(b);
  if (rc != SQLITE_DONE) return SqliteError(rc, std::string("backup: ") + sqlite3_errstr(rc));
  if (rc2 != SQLITE_OK) return SqliteError(rc2, "backup: " + ErrMsg());
  return base::Status::Ok();
}

namespace {
base::Status SyncPath(const std::string& path, int flags, bool data_only) {
  int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return base::Status::Ok();
    return base::IoError("open " + path + ": " + std::strerror(errno));
  }
  int rc = data_only ? ::fdatasync(fd) : ::fsync(fd);
  int err = errno;
  ::close(fd);
  CHECK(rc == 0) << "fsync " << path << " failed: " << std::strerror(err);
  return base::Status::Ok();
}
}  // namespace

base::Status SyncFile(const std::string& path) { return SyncPath(path, O_RDWR, true); }
base::Status SyncDir(const std::string& dir) { return SyncPath(dir, O_RDONLY | O_DIRECTORY, false); }

bool IsSqliteImage(std::string_view data) {
  static constexpr std::string_view kHeader = "SQLite format";
  return data.size() > kHeader.size() && data.substr(0, kHeader.size()) == kHeader;
}

std::string Version() { return sqlite3_libversion(); }

}  // namespace sqlite
