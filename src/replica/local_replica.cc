#include "replica/local_replica.h"

#include "base/check.h"
#include "base/log.h"

namespace replica {

const char* RoleName(Role role) {
  switch (role) {
    case Role::kLeader: return "Leader";
    case Role::kFollower: return "Follower";
    case Role::kCandidate: return "Candidate";
    case Role::kShutdown: return "Shutdown";
  }
  return "Unknown";
}

namespace {
constexpr uint64_t kReplayChunkBytes = 32ull << 20;
}  // namespace

base::Result<std::unique_ptr<LocalReplica>> LocalReplica::Open(
    const LocalReplicaOptions& options, fs::FileSystem* fs, base::Executor* log,
    base::Executor* apply, Applier* applier,
    const std::function<uint64_t(uint64_t, uint64_t)>& resolve_applied) {
  std::unique_ptr<LocalReplica> r(new LocalReplica(options, log, apply, applier));
  RQ_ASSIGN_OR_RETURN(r->log_, raftlog::Log::Open(fs, options.dir, options.log_options));
  raft::HardState hs = r->log_->hard_state();
  if (hs.term == 0) {
    hs = {1, options.node_id, r->log_->last_index()};
    RQ_RETURN_IF_ERROR(r->log_->SetHardState(hs));
    RQ_RETURN_IF_ERROR(r->log_->Sync());
  }
  r->term_ = hs.term;
  uint64_t first = r->log_->first_index(), last = r->log_->last_index();
  uint64_t applied = resolve_applied(first, last);
  if (applied + 1 < first || applied > last) {
    return base::Corruption("log holds [" + std::to_string(first) + ", " + std::to_string(last) +
                            "] but the database applied index is " + std::to_string(applied));
  }
  r->stats_.role = Role::kLeader;
  r->stats_.term = r->term_;
  r->stats_.commit_index = last;
  r->stats_.last_log_index = last;
  r->stats_.last_log_term = last >= first ? *r->log_->Term(last) : r->log_->snapshot().term;
  r->stats_.first_log_index = first;
  r->stats_.snapshot_index = r->log_->snapshot().index;
  RQ_RETURN_IF_ERROR(r->Replay(applied));
  return r;
}

base::Status LocalReplica::Replay(uint64_t applied) {
  const uint64_t last = log_->last_index();
  if (applied >= last) return base::Status::Ok();
  LOG(kInfo, "replica") << "replaying log entries " << applied + 1 << ".." << last;
  for (uint64_t lo = applied + 1; lo <= last;) {
    RQ_ASSIGN_OR_RETURN(std::vector<raft::Entry> got,
                        log_->Entries(lo, last + 1, kReplayChunkBytes));
    CHECK(!got.empty());
    auto batch = std::make_shared<std::vector<Committed>>();
    batch->reserve(got.size());
    for (auto& e : got) {
      if (e.type == raft::EntryType::kNormal) {
        batch->push_back({e.index, e.term, std::move(e.data), 0});
      }
    }
    lo = got.back().index + 1;
    if (batch->empty()) continue;
    {
      std::lock_guard<std::mutex> lock(mu_);
      tasks_in_flight_++;
    }
    apply_exec_->Post([this, batch] {
      applier_->Apply(*batch);
      TaskDone();
    });
  }
  return base::Status::Ok();
}

LocalReplica::~LocalReplica() { Close(); }

void LocalReplica::Propose(std::string data, uint64_t token) {
  std::unique_lock<std::mutex> lock(mu_);
  if (closed_.load()) {
    lock.unlock();
    applier_->Dropped(token, base::Unavailable("store not open"));
    return;
  }
  queue_.push_back({std::move(data), token});
  stats_.proposals++;
  if (!flush_scheduled_) {
    flush_scheduled_ = true;
    tasks_in_flight_++;
    log_exec_->Post([this] { Flush(); });
  }
}

void LocalReplica::Flush() {
  std::vector<Proposal> batch;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (queue_.size() <= options_.max_batch) {
      batch.swap(queue_);
      flush_scheduled_ = false;
    } else {
      batch.assign(std::make_move_iterator(queue_.begin()),
                   std::make_move_iterator(queue_.begin() + options_.max_batch));
      queue_.erase(queue_.begin(), queue_.begin() + options_.max_batch);
      tasks_in_flight_++;
      log_exec_->Post([this] { Flush(); });  // flush_scheduled_ stays true
    }
  }
  std::vector<raft::Entry> entries;
  entries.reserve(batch.size());
  uint64_t next = log_->last_index() + 1;
  for (auto& p : batch) entries.push_back({term_, next++, raft::EntryType::kNormal, std::move(p.data)});
  base::Status st = base::Status::Ok();
  if (!entries.empty()) {
    st = log_->Append(entries);
    // Single node: an entry is committed once it is durable here.
    if (st.ok()) st = log_->SetHardState({term_, options_.node_id, entries.back().index});
    if (st.ok()) st = log_->Sync();
  }
  auto committed = std::make_shared<std::vector<Committed>>();
  committed->reserve(entries.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    committed->push_back({entries[i].index, term_, std::move(entries[i].data), batch[i].token});
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    stats_.syncs++;
    stats_.last_log_index = stats_.commit_index = log_->last_index();
    stats_.last_log_term = term_;
    tasks_in_flight_++;
  }
  apply_exec_->Post([this, committed, st] {
    if (st.ok()) {
      applier_->Apply(*committed);
    } else {
      for (const auto& e : *committed) applier_->Dropped(e.token, st);
    }
    TaskDone();
  });
  TaskDone();
}

void LocalReplica::TaskDone() {
  std::lock_guard<std::mutex> lock(mu_);
  if (--tasks_in_flight_ == 0) cv_.notify_all();
}

Stats LocalReplica::GetStats() const {
  std::lock_guard<std::mutex> lock(mu_);
  Stats s = stats_;
  if (closed_.load()) s.role = Role::kShutdown;
  return s;
}

void LocalReplica::Compact(uint64_t index) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    tasks_in_flight_++;
  }
  log_exec_->Post([this, index] {
    uint64_t upto = index > options_.trailing_logs ? index - options_.trailing_logs : 0;
    base::Status st = base::Status::Ok();
    if (upto > log_->snapshot().index && upto <= log_->last_index()) {
      auto term = log_->Term(upto);
      st = term.ok() ? log_->SetSnapshot({upto, *term, raft::ConfState{{options_.node_id}, {}}})
                     : term.status();
      if (st.ok()) st = log_->Compact(upto);
    }
    if (!st.ok()) {
      LOG(kWarn, "replica") << "log compaction failed: " << st.ToString();
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      stats_.first_log_index = log_->first_index();
      stats_.snapshot_index = log_->snapshot().index;
    }
    TaskDone();
  });
}

void LocalReplica::Close() {
  std::unique_lock<std::mutex> lock(mu_);
  closed_.store(true);
  cv_.wait(lock, [this] { return tasks_in_flight_ == 0; });
}

}  // namespace replica
