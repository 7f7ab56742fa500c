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
constexpr uint64_t kTerm = 1;
}  // namespace

base::Result<std::unique_ptr<LocalReplica>> LocalReplica::Open(
    const LocalReplicaOptions& options, fs::FileSystem* fs, base::Executor* log,
    base::Executor* apply, Applier* applier,
    const std::function<uint64_t(uint64_t, uint64_t)>& resolve_applied) {
  std::unique_ptr<LocalReplica> r(new LocalReplica(options, log, apply, applier));
  auto entries = std::make_shared<std::vector<Committed>>();
  RQ_ASSIGN_OR_RETURN(r->log_, FileLog::Open(fs, options.dir, entries.get()));
  uint64_t first = r->log_->first_index(), last = r->log_->last_index();
  uint64_t applied = resolve_applied(first, last);
  if (applied + 1 < first || applied > last) {
    return base::Corruption("log holds [" + std::to_string(first) + ", " + std::to_string(last) +
                            "] but the database applied index is " + std::to_string(applied));
  }
  std::erase_if(*entries, [&](const Committed& c) { return c.index <= applied; });
  r->stats_.role = Role::kLeader;
  r->stats_.term = kTerm;
  r->stats_.commit_index = last;
  r->stats_.last_log_index = last;
  r->stats_.last_log_term = r->log_->last_term();
  r->stats_.first_log_index = first;
  r->stats_.snapshot_index = first - 1;
  r->stats_.log_size_bytes = r->log_->size_bytes();
  if (!entries->empty()) {
    LOG(kInfo, "replica") << "replaying " << entries->size() << " log entries after index "
                          << applied;
    r->tasks_in_flight_++;
    LocalReplica* self = r.get();
    apply->Post([self, entries] {
      self->applier_->Apply(*entries);
      self->TaskDone();
    });
  }
  return r;
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
  auto entries = std::make_shared<std::vector<Committed>>();
  entries->reserve(batch.size());
  uint64_t next = log_->last_index() + 1;
  for (auto& p : batch) entries->push_back({next++, kTerm, std::move(p.data), p.token});
  base::Status st = entries->empty() ? base::Status::Ok() : log_->Append(*entries);
  if (st.ok() && !entries->empty()) st = log_->Sync();
  {
    std::lock_guard<std::mutex> lock(mu_);
    stats_.syncs++;
    stats_.last_log_index = stats_.commit_index = log_->last_index();
    stats_.last_log_term = kTerm;
    stats_.log_size_bytes = log_->size_bytes();
    tasks_in_flight_++;
  }
  apply_exec_->Post([this, entries, st] {
    if (st.ok()) {
      applier_->Apply(*entries);
    } else {
      for (const auto& e : *entries) applier_->Dropped(e.token, st);
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
    uint64_t keep_from = index > options_.trailing_logs ? index - options_.trailing_logs : 0;
    base::Status st = log_->Compact(keep_from);
    if (!st.ok()) LOG(kWarn, "replica") << "log compaction failed: " << st.ToString();
    {
      std::lock_guard<std::mutex> lock(mu_);
      stats_.first_log_index = log_->first_index();
      stats_.snapshot_index = index;
      stats_.log_size_bytes = log_->size_bytes();
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
