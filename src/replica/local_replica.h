// replica/local_replica.h — the single-node replica: this node is the leader at once; proposals
// are appended to the durable Raft log (raftlog::Log) and made durable with group commit, then
// handed to the Applier in index order. The log it leaves behind (entries, hard state with
// commit index, snapshot metadata) is exactly what the Raft-driven replica reads on start-up.
//
// Group commit: Propose() queues the command; one flush task at a time runs on the `log`
// executor: it takes EVERY queued proposal, appends them, fdatasyncs once, and posts them to the
// `apply` executor. Proposals arriving while a sync is in progress form the next batch.
//
// Start-up: Open() recovers the log, asks `resolve_applied(first, last)` for the applier's
// applied index (the caller knows it from its own durable state), and posts every later entry
// (token 0) to the applier, in chunks, before any new proposal. The term is the log's hard-state
// term (1 for a new log).
// Compact(i): records snapshot metadata at i (durable) and deletes whole segments below it.
//
// Ownership: borrows fs, executors and applier (all must outlive the replica; call Close() before
// destroying the executors). Thread-safety: all methods thread-safe.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/executor.h"
#include "base/result.h"
#include "fs/file_system.h"
#include "raftlog/log.h"
#include "replica/replica.h"

namespace replica {

struct LocalReplicaOptions {
  std::string dir;  // log directory
  uint64_t trailing_logs = 0;  // entries kept below a Compact() index
  size_t max_batch = 4096;     // proposals per append+sync
  raft::NodeId node_id = 1;    // recorded as the vote and sole voter
  raftlog::Options log_options;
};

class LocalReplica final : public Replica {
 public:
  // resolve_applied(first, last): returns the applier's applied index given that the log holds
  // [first, last]; it must lie in [first - 1, last].
  static base::Result<std::unique_ptr<LocalReplica>> Open(
      const LocalReplicaOptions& options, fs::FileSystem* fs, base::Executor* log,
      base::Executor* apply, Applier* applier,
      const std::function<uint64_t(uint64_t, uint64_t)>& resolve_applied);
  ~LocalReplica() override;

  void Propose(std::string data, uint64_t token) override;
  bool IsLeader() const override { return !closed_.load(); }
  Stats GetStats() const override;
  void Compact(uint64_t index) override;
  void Close() override;

 private:
  struct Proposal {
    std::string data;
    uint64_t token;
  };
  LocalReplica(const LocalReplicaOptions& o, base::Executor* log, base::Executor* apply,
               Applier* applier)
      : options_(o), log_exec_(log), apply_exec_(apply), applier_(applier) {}
  void Flush();  // log executor
  void TaskDone();
  base::Status Replay(uint64_t applied);  // during Open

  LocalReplicaOptions options_;
  base::Executor* log_exec_;
  base::Executor* apply_exec_;
  Applier* applier_;
  std::unique_ptr<raftlog::Log> log_;  // log executor only (after Open)
  uint64_t term_ = 1;                  // constant after Open

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Proposal> queue_;  // guarded by mu_
  bool flush_scheduled_ = false;  // guarded by mu_
  int tasks_in_flight_ = 0;       // guarded by mu_: posted log/apply tasks not yet finished
  Stats stats_;                   // guarded by mu_
  std::atomic<bool> closed_{false};
};

}  // namespace replica
