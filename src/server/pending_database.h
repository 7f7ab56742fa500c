// server/pending_database.h — an api::Database that answers "not ready" until the real store is
// attached, then forwards every call to it.
//
// Why: cli.md §4 starts the HTTP server BEFORE the store opens, so /readyz and /status answer
// during start-up. http::Server needs a Database at construction; this is it.
// Before Attach(): reads/writes complete with kNoLeader (HTTP 503 "leader not found", as rqlite
// answers while its store has no leader), Ready() is false, Leader()/Nodes() are empty, the
// rest return kUnavailable("store not ready").
// Ownership: borrows the attached Database, which must outlive every call made through this
// object (server/ stops HTTP before it closes the store). Thread-safety: all methods may be called
// from any thread; Attach() publishes the target with release/acquire ordering.
#pragma once

#include <atomic>

#include "api/database.h"

namespace server {

class PendingDatabase final : public api::Database {
 public:
  // REQUIRES: target non-null; called at most once.
  void Attach(api::Database* target);

  void Execute(api::ExecuteRequest request, api::Done done) override;
  void Query(api::QueryRequest request, api::Done done) override;
  void Request(api::UnifiedRequest request, api::Done done) override;
  void Load(api::LoadRequest request, api::Done done) override;
  base::Status Boot(std::string sqlite_image) override;
  base::Result<api::BackupFile> Backup(const api::BackupRequest& request) override;
  base::Status Snapshot(uint64_t trailing_logs) override;
  api::LeaderInfo Leader() override;
  std::vector<api::NodeInfo> Nodes(const api::NodesRequest& request) override;
  base::Status Remove(const api::RemoveRequest& request) override;
  base::Status Stepdown(const api::StepdownRequest& request) override;
  base::Status Join(const api::JoinRequest& request) override;
  base::Status Notify(const api::NotifyRequest& request) override;
  base::Status SyncWithLeader(int64_t timeout_ns) override;
  base::Status WaitForCommitIndex(uint64_t index, int64_t timeout_ns) override;
  bool Ready() override;
  api::Tree Status() override;
  api::Tree DebugVars() override;

 private:
  api::Database* target() const { return target_.load(std::memory_order_acquire); }

  std::atomic<api::Database*> target_{nullptr};
};

}  // namespace server
