// StoreImpl backups (http-api.md §7.6): binary, DELETE-mode, VACUUMed and SQL-dump copies,
// written to a temp file in the data directory that the caller streams and deletes.
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "base/log.h"
#include "store/store_impl.h"

namespace store {
namespace {

std::string QuoteIdent(const std::string& s) {
  std::string out;
  for (char c : s) {
    out += c;
    if (c == '"') out += '"';
  }
  return out;
}

std::string QuoteLiteral(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    out += c;
    if (c == '\'') out += '\'';
  }
  return out + "'";
}

// Rows of a query as text columns.
base::Result<std::vector<std::vector<std::string>>> Rows(sqlite::Conn& conn, const std::string& sql) {
  RQ_ASSIGN_OR_RETURN(sqlite::Stmt stmt, conn.Prepare(sql));
  std::vector<std::vector<std::string>> rows;
  if (!stmt) return rows;
  int n = sqlite3_column_count(stmt.get());
  for (;;) {
    int rc = sqlite3_step(stmt.get());
    if (rc == SQLITE_DONE) return rows;
    if (rc != SQLITE_ROW) return sqlite::SqliteError(rc, conn.ErrMsg());
    std::vector<std::string> row;
    for (int i = 0; i < n; ++i) {
      const unsigned char* t = sqlite3_column_text(stmt.get(), i);
      row.emplace_back(t ? reinterpret_cast<const char*>(t) : "",
                       static_cast<size_t>(sqlite3_column_bytes(stmt.get(), i)));
    }
    rows.push_back(std::move(row));
  }
}

// Post-processes a copied database file: clears the store's applied-index mark and sets the
// journal mode ("wal" for binary backups, as rqlite's file is; "delete" otherwise).
base::Status FinishCopy(const std::string& path, const char* journal_mode) {
  RQ_ASSIGN_OR_RETURN(auto conn, sqlite::Conn::Open(path, {.create = false}));
  RQ_RETURN_IF_ERROR(conn->Exec("PRAGMA application_id=0"));
  RQ_RETURN_IF_ERROR(conn->Checkpoint(SQLITE_CHECKPOINT_TRUNCATE));
  RQ_RETURN_IF_ERROR(conn->Exec(std::string("PRAGMA journal_mode=") + journal_mode));
  conn.reset();
  ::unlink((path + "-wal").c_str());
  ::unlink((path + "-shm").c_str());
  return base::Status::Ok();
}

}  // namespace

base::Status StoreImpl::DumpSql(sqlite::Conn& conn, const std::vector<std::string>& tables,
                                const std::string& path) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << "PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\n";
  RQ_ASSIGN_OR_RETURN(auto schema, Rows(conn,
      "SELECT \"name\", \"type\", \"sql\" FROM \"sqlite_master\" "
      "WHERE \"sql\" NOT NULL AND \"type\" == 'table' ORDER BY \"name\""));
  for (const auto& row : schema) {
    const std::string& table = row[0];
    if (!tables.empty() && std::find(tables.begin(), tables.end(), table) == tables.end()) continue;
    if (table == "sqlite_sequence") {
      out << "DELETE FROM \"sqlite_sequence\";\n";
    } else if (table == "sqlite_stat1") {
      out << "ANALYZE \"sqlite_master\";\n";
    } else if (table.rfind("sqlite_", 0) == 0) {
      continue;
    } else {
      out << row[2] << ";\n";
    }
    std::string t = QuoteIdent(table);
    RQ_ASSIGN_OR_RETURN(auto cols, Rows(conn, "PRAGMA table_info(\"" + t + "\")"));
    std::string list;
    for (const auto& c : cols) {
      if (!list.empty()) list += ",";
      list += "'||quote(\"" + c[1] + "\")||'";
    }
    RQ_ASSIGN_OR_RETURN(auto inserts, Rows(conn, "SELECT 'INSERT INTO \"" + t + "\" VALUES(" +
                                                     list + ")' FROM \"" + t + "\";"));
    for (const auto& ins : inserts) out << ins[0] << ";\n";
  }
  RQ_ASSIGN_OR_RETURN(auto others, Rows(conn,
      "SELECT \"name\", \"type\", \"sql\" FROM \"sqlite_master\" "
      "WHERE \"sql\" NOT NULL AND \"type\" IN ('index', 'trigger', 'view')"));
  for (const auto& row : others) out << row[2] << ";\n";
  out << "COMMIT;\n";
  out.close();
  if (!out) return base::IoError("writing " + path);
  return base::Status::Ok();
}

base::Result<api::BackupFile> StoreImpl::Backup(const api::BackupRequest& req) {
  if (!open_) return base::Unavailable("store not open");
  if (req.leader_only && !replica_->IsLeader()) return LeaderError();
  if (req.vacuum && req.format != api::BackupFormat::kBinary) {
    return base::Internal("invalid backup format");
  }
  std::string tmp = TempPath("backup");
  auto remove_tmp = [&] {
    for (const char* suffix : {"", "-wal", "-shm", "-journal"}) ::unlink((tmp + suffix).c_str());
  };
  base::Status st = [&]() -> base::Status {
    RQ_ASSIGN_OR_RETURN(auto src,
                        sqlite::Conn::Open(db_path(), {.read_only = true, .query_only = false}));
    if (req.format == api::BackupFormat::kSql) return DumpSql(*src, req.tables, tmp);
    if (req.vacuum) {
      RQ_RETURN_IF_ERROR(src->Exec("VACUUM INTO " + QuoteLiteral(tmp)));
      return FinishCopy(tmp, "delete");
    }
    {
      RQ_ASSIGN_OR_RETURN(auto dst, sqlite::Conn::Open(tmp, {}));
      RQ_RETURN_IF_ERROR(dst->CopyFrom(*src));
      RQ_RETURN_IF_ERROR(dst->Checkpoint(SQLITE_CHECKPOINT_TRUNCATE));
    }
    return FinishCopy(tmp, req.format == api::BackupFormat::kBinary ? "wal" : "delete");
  }();
  if (!st.ok()) {
    remove_tmp();
    return st;
  }
  std::ifstream in(tmp, std::ios::binary | std::ios::ate);
  api::BackupFile f{tmp, static_cast<uint64_t>(in.tellg())};
  return f;
}

}  // namespace store
