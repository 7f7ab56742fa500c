#include <sys/stat.h>

#include <future>
#include <optional>

#include "base/check.h"
#include "base/log.h"
#include "command/sql.h"
#include "fs/posix_file_system.h"
#include "store/exec.h"
#include "store/store_impl.h"

namespace store {

// ---------------------------------------------------------------------------------------------
// ReadPool

base::Result<std::unique_ptr<sqlite::Conn>> ReadPool::Acquire() {
  {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return !idle_.empty() || open_ < max_; });
    if (!idle_.empty()) {
      auto c = std::move(idle_.back());
      idle_.pop_back();
      return c;
    }
    ++open_;
  }
  auto c = sqlite::Conn::Open(path_, {.read_only = true});
  if (!c.ok()) {
    std::lock_guard<std::mutex> lock(mu_);
    --open_;
    cv_.notify_one();
  }
  return c;
}

void ReadPool::Release(std::unique_ptr<sqlite::Conn> conn) {
  std::lock_guard<std::mutex> lock(mu_);
  idle_.push_back(std::move(conn));
  cv_.notify_one();
}

void ReadPool::Clear() {
  std::lock_guard<std::mutex> lock(mu_);
  open_ -= static_cast<int>(idle_.size());
  idle_.clear();
  cv_.notify_all();
}

int ReadPool::open_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return open_;
}
int ReadPool::idle_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int>(idle_.size());
}

namespace {
api::Response Fail(base::Status s) { return api::Response{std::move(s), {}, 0}; }
bool AnyTxnControl(const std::vector<api::Statement>& stmts) {
  for (const auto& st : stmts) {
    if (command::HasTransactionControl(st.sql)) return true;
  }
  return false;
}
const base::Status kDisallowed(base::Code::kInvalidArgument, "disallowed pragma");
const base::Status kNotOpen(base::Code::kUnavailable, "store not open");
const base::Status kStaleRead(base::Code::kStale, "stale read");
// /db/request has no linearizable_timeout parameter: rqlite's default outside /db/query.
constexpr int64_t kRequestLinearizableTimeoutNs = 1'000'000'000;
}  // namespace

// ---------------------------------------------------------------------------------------------
// Open / close

base::Result<std::unique_ptr<Store>> Store::Open(const StoreConfig& config, const StoreDeps& deps) {
  CHECK(deps.clock && deps.apply && deps.log && deps.read) << "StoreDeps incomplete";
  auto s = std::make_unique<StoreImpl>(config, deps);
  base::Status st = s->Init();
  if (!st.ok()) {
    s->Close();
    return st;
  }
  return std::unique_ptr<Store>(std::move(s));
}

void StoreConfig::SetRaftTimeouts(int64_t heartbeat_timeout_ns, int64_t election_timeout_ns) {
  raft_heartbeat_timeout_ns = heartbeat_timeout_ns;
  raft_election_timeout_ns = election_timeout_ns;
  raft_tick_ns = std::max<int64_t>(heartbeat_timeout_ns / 10, 1'000'000);
  raft_heartbeat_ticks = 1;
  const int64_t longest = std::max(heartbeat_timeout_ns, election_timeout_ns);
  raft_election_ticks = static_cast<int>(std::max<int64_t>(longest / raft_tick_ns, 2));
}

StoreImpl::StoreImpl(const StoreConfig& config, const StoreDeps& deps)
    : config_(config),
      deps_(deps),
      pool_(config.dir + "/db.sqlite", config.max_ro_conns > 0 ? config.max_ro_conns : 1),
      random_(config.random_seed) {}

StoreImpl::~StoreImpl() { Close(); }

base::Status StoreImpl::Init() {
  fs::FileSystem* fs = deps_.fs;
  if (fs == nullptr) {
    owned_fs_ = std::make_unique<fs::PosixFileSystem>();
    fs = owned_fs_.get();
  }
  RQ_RETURN_IF_ERROR(fs->CreateDir(config_.dir));
  RQ_RETURN_IF_ERROR(OpenSnapshots());  // store/snapshot.cc: rebuilds a damaged db file
  RQ_ASSIGN_OR_RETURN(writer_, sqlite::Conn::Open(db_path(), {.foreign_keys = config_.fk}));
  const uint64_t low32 = ReadAppliedLow32();
  sqlite3_wal_hook(writer_->db(), &StoreImpl::OnWal, this);
  if (auto ps = writer_->QueryString("PRAGMA page_size"); ps.ok()) page_size_ = std::stoull(*ps);
  auto resolve = [&](uint64_t first, uint64_t last) {
    // The applied index is the unique value >= first-1 whose low 32 bits are in the database.
    uint64_t lo = first - 1;
    uint64_t v = (lo & ~0xffffffffull) | low32;
    if (v < lo) v += 1ull << 32;
    v = ReconcileWithLog(first, last, v);  // store/snapshot.cc: db older than the log start
    applied_index_ = v;
    snapshot_index_ = lo;
    return v;
  };
  RQ_RETURN_IF_ERROR(OpenReplica(fs, resolve));
  // Wait until the replay (already posted to the apply executor) has run.
  RQ_RETURN_IF_ERROR(RunOnApply([] { return base::Status::Ok(); }));
  open_ = true;
  LOG(kInfo, "store") << "opened " << db_path() << " at applied index " << applied_index_.load();
  return base::Status::Ok();
}

template <typename F>
base::Status StoreImpl::RunOnApply(F&& fn) {
  std::promise<base::Status> p;
  auto f = p.get_future();
  deps_.apply->Post([&] { p.set_value(fn()); });
  return f.get();
}

void StoreImpl::Close() {
  if (closed_.exchange(true)) return;
  open_ = false;
  // Closing the replica first answers every read waiting for a ReadIndex (on the apply
  // executor); only then can no new read start.
  if (replica_) replica_->Close();
  {
    std::unique_lock<std::mutex> lock(close_mu_);
    close_cv_.wait(lock, [&] { return reads_in_flight_.load() == 0; });
  }
  if (writer_) {
    base::Status st = RunOnApply([&] {
      base::Status s = SnapshotNow(false);
      writer_.reset();
      return s;
    });
    if (!st.ok() && st.code() != base::Code::kNotFound) {
      LOG(kWarn, "store") << "snapshot at close: " << st.ToString();
    }
    if (replica_) replica_->Close();  // waits for the log compaction the snapshot posted
  }
  pool_.Clear();
  std::unordered_map<uint64_t, api::Done> orphans;
  {
    std::lock_guard<std::mutex> lock(mu_);
    orphans.swap(pending_);
  }
  for (auto& [token, done] : orphans) done(Fail(kNotOpen));
}

// ---------------------------------------------------------------------------------------------
// Requests

void StoreImpl::Preprocess(std::vector<api::Statement>* stmts, const api::RewriteOptions& o,
                           bool rewrite) {
  int64_t now = deps_.clock->UnixNanos();
  std::lock_guard<std::mutex> lock(mu_);
  command::ProcessStatements(stmts, o, rewrite, random_, now);
}

void StoreImpl::Propose(const command::Command& cmd, api::Done done) {
  std::string data = command::Encode(cmd, config_.compress_min_bytes);
  uint64_t token;
  {
    std::lock_guard<std::mutex> lock(mu_);
    token = next_token_++;
    pending_.emplace(token, std::move(done));
  }
  replica_->Propose(std::move(data), token);
}

void StoreImpl::Dropped(uint64_t token, base::Status status) {
  api::Done done;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = pending_.find(token);
    if (it == pending_.end()) return;
    done = std::move(it->second);
    pending_.erase(it);
  }
  done(api::Response{std::move(status), {}, 0});
}

void StoreImpl::RunRead(std::function<api::Response(sqlite::Conn&)> fn, api::Done done,
                        base::Executor* exec) {
  reads_in_flight_++;
  (exec ? exec : deps_.read)->Post([this, fn = std::move(fn), done = std::move(done)] {
    api::Response resp;
    auto conn = pool_.Acquire();
    if (!conn.ok()) {
      resp.status = conn.status();
    } else {
      resp = fn(**conn);
      pool_.Release(std::move(*conn));
    }
    if (done) done(std::move(resp));
    if (--reads_in_flight_ == 0) {
      std::lock_guard<std::mutex> lock(close_mu_);
      close_cv_.notify_all();
    }
  });
}


api::Response StoreImpl::LocalQuery(sqlite::Conn& conn, const std::vector<api::Statement>& stmts,
                                    bool transaction, int64_t db_timeout_ns, bool qualify) {
  int64_t deadline = db_timeout_ns > 0 ? deps_.clock->MonotonicNanos() + db_timeout_ns : 0;
  if (transaction) conn.Exec("BEGIN").IgnoreError();
  EngineOutcome out;
  {
    Engine engine(&conn, deps_.clock, deadline);
    out = engine.Query(stmts, qualify);
  }
  if (transaction) conn.Exec("COMMIT").IgnoreError();
  return api::Response{{}, std::move(out.results), 0};
}

void StoreImpl::Execute(api::ExecuteRequest req, api::Done done) {
  if (!open_) return done(Fail(kNotOpen));
  if (command::AnyDisallowedPragma(req.statements)) return done(Fail(kDisallowed));
  if (!replica_->IsLeader()) return done(Fail(LeaderError()));
  n_executes_++;
  Preprocess(&req.statements, req.rewrite, true);
  command::Command cmd;
  cmd.type = command::Type::kExecute;
  cmd.statements = std::move(req.statements);
  cmd.transaction = req.transaction;
  cmd.db_timeout_ns = req.db_timeout_ns;
  cmd.txn_control = AnyTxnControl(cmd.statements);
  Propose(cmd, std::move(done));
}

void StoreImpl::Query(api::QueryRequest req, api::Done done) {
  if (!open_) return done(Fail(kNotOpen));
  if (command::AnyDisallowedPragma(req.statements)) return done(Fail(kDisallowed));
  // auto: a voter reads at weak, a non-voter at none (cluster-semantics §7).
  if (req.level == api::Level::kAuto) req.level = IsVoter() ? api::Level::kWeak : api::Level::kNone;
  if (req.level == api::Level::kNone) {
    if (StaleRead(req.freshness_ns, req.freshness_strict)) return done(Fail(kStaleRead));
  } else if (!replica_->IsLeader()) {
    return done(Fail(LeaderError()));
  }
  n_queries_++;
  // A linearizable read before any strong read in this term is upgraded to strong
  // (cluster-semantics §7, step 1): it goes through the log and records the term.
  bool strong = req.level == api::Level::kStrong ||
                (req.level == api::Level::kLinearizable && NeedsStrongUpgrade());
  Preprocess(&req.statements, req.rewrite, strong);
  if (strong) {
    command::Command cmd;
    cmd.type = command::Type::kQuery;
    cmd.statements = std::move(req.statements);
    cmd.transaction = req.transaction;
    cmd.qualify_columns = req.qualify_columns;
    cmd.db_timeout_ns = req.db_timeout_ns;
    return Propose(cmd, std::move(done));
  }
  auto shared = std::make_shared<api::QueryRequest>(std::move(req));
  auto fn = [this, shared](sqlite::Conn& conn) {
    return LocalQuery(conn, shared->statements, shared->transaction, shared->db_timeout_ns,
                      shared->qualify_columns);
  };
  if (shared->level == api::Level::kLinearizable) {
    return LinearizableRead(std::move(fn), shared->linearizable_timeout_ns, std::move(done));
  }
  // none: local, possibly stale; weak: the local state of this (believed) leader.
  RunRead(std::move(fn), std::move(done));
}

namespace {
// §7.3 classification on a read-only connection: EXPLAIN -> read; else prepare: failure -> write;
// sqlite3_stmt_readonly decides.
bool AllReads(sqlite::Conn& conn, const std::vector<api::Statement>& stmts) {
  for (const auto& st : stmts) {
    if (st.sql.empty() || st.explain) continue;
    auto s = conn.PrepareCached(st.sql);
    if (!s.ok()) return false;
    if (*s != nullptr) {
      bool ro = sqlite3_stmt_readonly(*s);
      sqlite3_reset(*s);
      if (!ro) return false;
      continue;
    }
    auto p = conn.Prepare(st.sql);
    if (!p.ok()) return false;
    if (*p && !sqlite3_stmt_readonly(p->get())) return false;
  }
  return true;
}
}  // namespace

void StoreImpl::Request(api::UnifiedRequest req, api::Done done) {
  if (!open_) return done(Fail(kNotOpen));
  if (command::AnyDisallowedPragma(req.statements)) return done(Fail(kDisallowed));
  n_requests_++;
  Preprocess(&req.statements, req.rewrite, true);
  auto cmd = std::make_shared<command::Command>();
  cmd->type = command::Type::kRequest;
  cmd->statements = std::move(req.statements);
  cmd->transaction = req.transaction;
  cmd->txn_control = AnyTxnControl(cmd->statements);
  cmd->qualify_columns = req.qualify_columns;
  cmd->db_timeout_ns = req.db_timeout_ns;
  if (req.level == api::Level::kStrong ||
      (req.level == api::Level::kLinearizable && NeedsStrongUpgrade())) {
    if (!replica_->IsLeader()) return done(Fail(LeaderError()));
    return Propose(*cmd, std::move(done));
  }
  // All-read requests at none (and, a quirk, auto) are served locally without a leader check.
  const api::Level level = req.level;
  const bool local_ok = level == api::Level::kNone || level == api::Level::kAuto;
  if (level == api::Level::kNone && StaleRead(req.freshness_ns, req.freshness_strict)) {
    return done(Fail(kStaleRead));
  }
  auto shared_done = std::make_shared<api::Done>(std::move(done));
  RunRead([this, cmd, shared_done, local_ok, level](sqlite::Conn& conn) -> api::Response {
    const bool leader = replica_->IsLeader();
    const bool reads = AllReads(conn, cmd->statements);
    if (reads && level == api::Level::kLinearizable && leader) {
      LinearizableRead([this, cmd](sqlite::Conn& c) {
        return LocalQuery(c, cmd->statements, cmd->transaction, cmd->db_timeout_ns,
                          cmd->qualify_columns);
      }, kRequestLinearizableTimeoutNs, std::move(*shared_done));
    } else if (reads && (leader || local_ok)) {
      api::Response r = LocalQuery(conn, cmd->statements, cmd->transaction, cmd->db_timeout_ns,
                                   cmd->qualify_columns);
      (*shared_done)(std::move(r));
    } else if (!leader) {
      (*shared_done)(Fail(LeaderError()));
    } else {
      Propose(*cmd, std::move(*shared_done));
    }
    return api::Response{};
  }, nullptr);
}

void StoreImpl::Load(api::LoadRequest request, api::Done done) {
  std::string data = std::move(request.data);
  if (!open_) return done(Fail(kNotOpen));
  if (!replica_->IsLeader()) return done(Fail(LeaderError()));
  command::Command cmd;
  if (sqlite::IsSqliteImage(data)) {
    cmd.type = command::Type::kLoad;
    cmd.data = std::move(data);
  } else {
    if (command::IsDisallowedPragma(data)) return done(Fail(kDisallowed));
    cmd.type = command::Type::kLoadSql;
    cmd.statements.push_back(api::Statement{std::move(data), {}, false, false});
  }
  Propose(cmd, std::move(done));
}

base::Status StoreImpl::Boot(std::string image) {
  if (!open_) return kNotOpen;
  if (!sqlite::IsSqliteImage(image)) return base::InvalidArgument("invalid SQLite data");
  // http-api §7.5: the leader of a single-node cluster only (never forwarded).
  if (!replica_->IsLeader()) return base::Status(base::Code::kNotLeader, "not leader");
  const raft::ConfState conf = replica_->GetRaftStatus().conf;
  if (conf.voters.size() + conf.learners.size() > 1) return base::Unavailable("not single-node");
  return RunOnApply([&] {
    RQ_RETURN_IF_ERROR(ReplaceDatabase(image));
    RQ_RETURN_IF_ERROR(RecordApplied(applied_index_.load()));
    return SnapshotNow(true);
  });
}

base::Status StoreImpl::Snapshot(uint64_t trailing_logs) {
  if (!open_) return kNotOpen;
  n_snapshots_++;
  return RunOnApply([&] {
    base::Status st = SnapshotNow(false);
    StartUserImage(trailing_logs);  // store/snapshot.cc: an image now, then log truncation
    return st;
  });
}

void StoreImpl::Tick() {
  if (!open_) return;
  deps_.apply->Post([this] {
    if (!writer_) return;
    int64_t now = deps_.clock->MonotonicNanos();
    if (now - last_snapshot_mono_ns_ >= config_.snapshot_interval_ns) MaybeSnapshot();
  });
}

bool StoreImpl::NeedsStrongUpgrade() {
  return strong_read_term_.load() != replica_->GetStats().term;
}

}  // namespace store
