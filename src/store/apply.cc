// The apply executor's half of StoreImpl: applying committed log entries to the writer
// connection, the applied-index record, database replacement and snapshots (log truncation).
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "base/check.h"
#include "base/log.h"
#include "command/sql.h"
#include "store/exec.h"
#include "store/store_impl.h"

namespace store {
namespace {

void RemoveDbFiles(const std::string& path) {
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) ::unlink((path + suffix).c_str());
}

}  // namespace

namespace {
bool Batchable(const command::Command& c) {
  return (c.type == command::Type::kExecute || c.type == command::Type::kRequest) && !c.txn_control;
}
}  // namespace

void StoreImpl::Apply(std::vector<replica::Committed>& entries) {
  std::vector<command::Command> cmds;
  cmds.reserve(entries.size());
  for (auto& e : entries) {
    auto cmd = command::Decode(e.data);
    CHECK(cmd.ok()) << "undecodable log entry " << e.index << ": " << cmd.status().ToString();
    cmds.push_back(std::move(*cmd));
  }
  const size_t n = entries.size();
  for (size_t i = 0; i < n;) {
    size_t j = i;
    while (j < n && Batchable(cmds[j])) ++j;
    std::vector<api::Response> resps;
    if (j - i >= 2 && ApplyRun(cmds, entries, i, j, &resps)) {
      for (size_t k = i; k < j; ++k) Finish(entries[k], std::move(resps[k - i]));
      i = j;
      continue;
    }
    // A single entry, or a run that must be redone entry by entry.
    size_t stop = j > i ? j : i + 1;
    for (size_t k = i; k < stop; ++k) Finish(entries[k], ApplyCommand(cmds[k], entries[k].index));
    i = stop;
  }
  MaybeSnapshot();
}

void StoreImpl::Finish(const replica::Committed& e, api::Response resp) {
  resp.raft_index = e.index;
  applied_index_ = e.index;
  applied_at_unix_ns_ = deps_.clock->UnixNanos();
  if (e.token == 0) return;
  api::Done done;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = pending_.find(e.token);
    if (it == pending_.end()) return;
    done = std::move(it->second);
    pending_.erase(it);
  }
  done(std::move(resp));
}

// Applies entries [i, j) (all Batchable) in ONE SQLite transaction, each inside a savepoint, and
// records the last index in the same transaction: one WAL commit for the whole group commit.
// Returns false, with nothing applied, if the run must be redone entry by entry (SQLite ended
// the transaction itself, or COMMIT failed).
bool StoreImpl::ApplyRun(const std::vector<command::Command>& cmds,
                         const std::vector<replica::Committed>& entries, size_t i, size_t j,
                         std::vector<api::Response>* resps) {
  sqlite3* db = writer_->db();
  if (!sqlite3_get_autocommit(db) || !writer_->ExecCached("BEGIN").ok()) return false;
  for (size_t k = i; k < j; ++k) {
    const command::Command& cmd = cmds[k];
    const int64_t deadline =
        cmd.db_timeout_ns > 0 ? deps_.clock->MonotonicNanos() + cmd.db_timeout_ns : 0;
    if (!writer_->ExecCached("SAVEPOINT rq_entry").ok()) break;
    EngineOutcome out;
    {
      Engine engine(writer_.get(), deps_.clock, deadline);
      out = cmd.type == command::Type::kRequest
                ? engine.Request(cmd.statements, cmd.transaction, cmd.qualify_columns, true)
                : engine.Execute(cmd.statements, cmd.transaction, true);
    }
    if (out.txn_lost || sqlite3_get_autocommit(db)) {
      if (!sqlite3_get_autocommit(db)) writer_->ExecCached("ROLLBACK").IgnoreError();
      return false;
    }
    if (out.aborted) writer_->ExecCached("ROLLBACK TO rq_entry").IgnoreError();
    writer_->ExecCached("RELEASE rq_entry").IgnoreError();
    resps->push_back(api::Response{{}, std::move(out.results), 0});
  }
  if (resps->size() != j - i || !writer_->Exec(AppliedPragma(entries[j - 1].index)).ok() ||
      !writer_->ExecCached("COMMIT").ok()) {
    if (!sqlite3_get_autocommit(db)) writer_->ExecCached("ROLLBACK").IgnoreError();
    resps->clear();
    return false;
  }
  return true;
}

api::Response StoreImpl::ApplyCommand(const command::Command& cmd, uint64_t index) {
  switch (cmd.type) {
    case command::Type::kNoop:
      return {};
    case command::Type::kExecute:
    case command::Type::kRequest:
      return ApplyWrite(cmd, index);
    case command::Type::kQuery: {
      // Strong read: runs on the writer after every earlier entry, with read-only checks.
      int64_t deadline =
          cmd.db_timeout_ns > 0 ? deps_.clock->MonotonicNanos() + cmd.db_timeout_ns : 0;
      bool began = cmd.transaction && writer_->Exec("BEGIN").ok();
      EngineOutcome out;
      {
        Engine engine(writer_.get(), deps_.clock, deadline);
        out = engine.Query(cmd.statements, cmd.qualify_columns);  // read-only checks on
      }
      if (began) writer_->Exec("COMMIT").IgnoreError();
      strong_read_term_ = replica_->GetStats().term;  // cluster-semantics §7, step 1
      return api::Response{{}, std::move(out.results), 0};
    }
    case command::Type::kLoad:
      return ApplyLoad(cmd.data, index);
    case command::Type::kLoadSql:
      return ApplyLoadSql(cmd, index);
  }
  return {};
}

std::string StoreImpl::AppliedPragma(uint64_t index) const {
  return "PRAGMA application_id=" + std::to_string(static_cast<int32_t>(index & 0xffffffffu));
}

uint64_t StoreImpl::ReadAppliedLow32() {
  auto v = writer_->QueryString("PRAGMA application_id");
  if (!v.ok() || v->empty()) return 0;
  return static_cast<uint32_t>(std::stoll(*v));
}

base::Status StoreImpl::RecordApplied(uint64_t index) {
  return writer_->Exec(AppliedPragma(index));
}

// Execute and Request entries. Unless the statements contain transaction control, the whole
// entry runs in one transaction that also records the applied index, so after a crash the
// database and its applied index always agree (store/DESIGN.md).
api::Response StoreImpl::ApplyWrite(const command::Command& cmd, uint64_t index) {
  const bool wrap = !cmd.txn_control;
  const bool request = cmd.type == command::Type::kRequest;
  const int64_t deadline =
      cmd.db_timeout_ns > 0 ? deps_.clock->MonotonicNanos() + cmd.db_timeout_ns : 0;
  sqlite3* db = writer_->db();
  bool began = (wrap || cmd.transaction) && sqlite3_get_autocommit(db) &&
                     writer_->ExecCached("BEGIN").ok();
  auto run = [&](bool in_txn) {
    Engine engine(writer_.get(), deps_.clock, deadline);
    return request ? engine.Request(cmd.statements, cmd.transaction, cmd.qualify_columns, in_txn)
                   : engine.Execute(cmd.statements, cmd.transaction, in_txn);
  };
  EngineOutcome out = run(began);
  if (out.aborted) {
    if (!sqlite3_get_autocommit(db)) writer_->Exec("ROLLBACK").IgnoreError();
    return api::Response{{}, std::move(out.results), 0};
  }
  if (began && wrap && !cmd.transaction && out.txn_lost) {
    // SQLite rolled the wrapper back mid-entry (INSERT OR ROLLBACK, interrupt): redo the entry
    // without the wrapper so earlier statements keep their autocommit semantics.
    out = run(false);
    RecordApplied(index).IgnoreError();
    return api::Response{{}, std::move(out.results), 0};
  }
  if (began && !sqlite3_get_autocommit(db)) {
    if (wrap) writer_->Exec(AppliedPragma(index)).IgnoreError();
    base::Status st = writer_->ExecCached("COMMIT");
    if (!st.ok()) {
      writer_->Exec("ROLLBACK").IgnoreError();
      out.results.push_back(api::StatementResult{api::StatementResult::Kind::kError, 0, 0, {}, {},
                                                 {}, st.message(), 0});
    }
    if (wrap) return api::Response{{}, std::move(out.results), 0};
  }
  if (sqlite3_get_autocommit(db)) RecordApplied(index).IgnoreError();
  return api::Response{{}, std::move(out.results), 0};
}

api::Response StoreImpl::ApplyLoad(const std::string& image, uint64_t index) {
  base::Status st = ReplaceDatabase(image);
  if (!st.ok()) return api::Response{st, {}, 0};
  RecordApplied(index).IgnoreError();
  return {};
}

api::Response StoreImpl::ApplyLoadSql(const command::Command& cmd, uint64_t index) {
  api::Response resp;
  if (cmd.statements.empty()) return resp;
  Engine engine(writer_.get(), deps_.clock, 0);
  api::StatementResult r = engine.ExecuteOne(cmd.statements[0]);
  if (r.kind == api::StatementResult::Kind::kError && !sqlite3_get_autocommit(writer_->db())) {
    writer_->Exec("ROLLBACK").IgnoreError();
  }
  resp.results.push_back(std::move(r));
  RecordApplied(index).IgnoreError();
  return resp;
}

base::Status StoreImpl::ReplaceDatabase(const std::string& image) {
  std::string tmp = TempPath("load");
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(image.data(), static_cast<std::streamsize>(image.size()));
    if (!out.good()) return base::IoError("writing " + tmp);
  }
  base::Status st = [&]() -> base::Status {
    RQ_ASSIGN_OR_RETURN(auto src, sqlite::Conn::Open(tmp, {.create = false}));
    auto check = src->QueryString("SELECT count(*) FROM sqlite_master");
    if (!check.ok()) return base::InvalidArgument("invalid SQLite data: " + check.status().message());
    RQ_ASSIGN_OR_RETURN(std::string src_page, src->QueryString("PRAGMA page_size"));
    RQ_ASSIGN_OR_RETURN(std::string dst_page, writer_->QueryString("PRAGMA page_size"));
    if (src_page != dst_page) {
      // The backup API cannot change a WAL database's page size: rebuild the image first.
      RQ_RETURN_IF_ERROR(src->Exec("PRAGMA journal_mode=DELETE; PRAGMA page_size=" + dst_page +
                                   "; VACUUM;"));
    }
    writer_->ClearCache();
    return writer_->CopyFrom(*src);
  }();
  RemoveDbFiles(tmp);
  return st;
}

base::Status StoreImpl::SnapshotNow(bool force) {
  const uint64_t applied = applied_index_.load();
  if (!force && applied == snapshot_index_.load()) return base::NotFound("nothing new to snapshot");
  if (!sqlite3_get_autocommit(writer_->db())) {
    return base::Unavailable("a transaction is open on the database");
  }
  // Make the WAL durable, copy it into the database file, make that durable, then reset the
  // WAL; only then may the log drop the entries it covered.
  RQ_RETURN_IF_ERROR(sqlite::SyncFile(db_path() + "-wal"));
  int log_frames = 0, done_frames = 0;
  RQ_RETURN_IF_ERROR(writer_->Checkpoint(SQLITE_CHECKPOINT_PASSIVE, &log_frames, &done_frames));
  if (log_frames != done_frames) return base::Unavailable("checkpoint blocked by readers");
  RQ_RETURN_IF_ERROR(sqlite::SyncFile(db_path()));
  // Reset the WAL if no reader is using it; never wait for readers here.
  sqlite3_busy_timeout(writer_->db(), 0);
  writer_->Checkpoint(SQLITE_CHECKPOINT_TRUNCATE).IgnoreError();
  sqlite3_busy_timeout(writer_->db(), 5000);
  wal_frames_ = 0;
  snapshot_index_ = applied;
  last_snapshot_mono_ns_ = deps_.clock->MonotonicNanos();
  CompactAfterSnapshot(applied);  // store/snapshot.cc: image, then log compaction behind it
  return base::Status::Ok();
}

void StoreImpl::MaybeSnapshot() {
  // Not during start-up replay: replica_ is being assigned on the opening thread.
  if (!open_.load()) return;
  MaybeStartImage();  // store/snapshot.cc: an image deferred by its rate limit
  const uint64_t applied = applied_index_.load();
  bool due = applied - snapshot_index_.load() >= config_.snapshot_threshold;
  if (!due && config_.snapshot_wal_bytes > 0) {
    due = static_cast<uint64_t>(wal_frames_) * page_size_ >= config_.snapshot_wal_bytes;
  }
  if (!due) return;
  const int64_t now = deps_.clock->MonotonicNanos();
  if (now < snapshot_retry_mono_ns_) return;  // a recent attempt was blocked: back off
  base::Status st = SnapshotNow(false);
  if (!st.ok() && st.code() != base::Code::kNotFound) {
    LOG(kDebug, "store") << "snapshot deferred: " << st.ToString();
    snapshot_retry_mono_ns_ = now + 100'000'000;
  }
}

int StoreImpl::OnWal(void* self, sqlite3*, const char*, int frames) {
  static_cast<StoreImpl*>(self)->wal_frames_ = frames;
  return SQLITE_OK;
}

std::string StoreImpl::TempPath(const char* tag) {
  return config_.dir + "/" + tag + "-" + std::to_string(::getpid()) + "-" +
         std::to_string(temp_seq_++) + ".tmp";
}

}  // namespace store
