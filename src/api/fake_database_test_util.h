// api/fake_database_test_util.h — an in-test api::Database for tests of the layers above the
// store (http/ routing, status codes and parameter plumbing; cluster/ forwarding and service).
// It records every request and answers with canned values; it is NOT a store.
// Thread-safe (one mutex). Callbacks run inline, except Execute's while `hold_execute` is set
// (they are kept until ReleaseHeld).
#pragma once

#include <mutex>
#include <string>
#include <vector>

#include "api/database.h"

namespace api::testing {

class FakeDatabase : public Database {
 public:
  void Execute(ExecuteRequest request, Done done) override {
    std::unique_lock<std::mutex> lock(mu);
    executes.push_back(request);
    if (hold_execute) {
      held.push_back(std::move(done));
      return;
    }
    Response r = NextExecute();
    lock.unlock();
    done(std::move(r));
  }
  void Query(QueryRequest request, Done done) override {
    std::unique_lock<std::mutex> lock(mu);
    queries.push_back(request);
    Response r = query_response;
    lock.unlock();
    done(std::move(r));
  }
  void Request(UnifiedRequest request, Done done) override {
    std::unique_lock<std::mutex> lock(mu);
    requests.push_back(request);
    Response r = execute_response;
    lock.unlock();
    done(std::move(r));
  }
  void Load(LoadRequest request, Done done) override {
    std::unique_lock<std::mutex> lock(mu);
    loads.push_back(request.data);
    Response r = execute_response;
    lock.unlock();
    done(std::move(r));
  }
  base::Status Boot(std::string image) override {
    std::lock_guard<std::mutex> lock(mu);
    boots.push_back(image);
    return boot_status;
  }
  base::Result<BackupFile> Backup(const BackupRequest& request) override {
    std::lock_guard<std::mutex> lock(mu);
    backups.push_back(request);
    return backup_result;
  }
  base::Status Snapshot(uint64_t trailing_logs) override {
    std::lock_guard<std::mutex> lock(mu);
    snapshot_trailing.push_back(trailing_logs);
    return snapshot_status;
  }
  LeaderInfo Leader() override {
    std::lock_guard<std::mutex> lock(mu);
    return leader;
  }
  std::vector<NodeInfo> Nodes(const NodesRequest& request) override {
    std::lock_guard<std::mutex> lock(mu);
    std::vector<NodeInfo> out;
    for (const NodeInfo& n : nodes) {
      if (n.voter || request.include_non_voters) out.push_back(n);
    }
    return out;
  }
  base::Status Remove(const RemoveRequest& request) override {
    std::lock_guard<std::mutex> lock(mu);
    removes.push_back(request.id);
    return membership_status;
  }
  base::Status Stepdown(const StepdownRequest& request) override {
    std::lock_guard<std::mutex> lock(mu);
    stepdowns.push_back(request.id);
    return membership_status;
  }
  base::Status Join(const JoinRequest& request) override {
    std::lock_guard<std::mutex> lock(mu);
    joins.push_back(request);
    return membership_status;
  }
  base::Status Notify(const NotifyRequest& request) override {
    std::lock_guard<std::mutex> lock(mu);
    notifies.push_back(request);
    return base::Status::Ok();
  }
  base::Status WaitForCommitIndex(uint64_t index, int64_t timeout_ns) override {
    std::lock_guard<std::mutex> lock(mu);
    commit_waits.push_back(index);
    return commit_wait_status;
  }
  bool Ready() override { return ready; }
  Tree Status() override {
    return TreeMap{{"leader", TreeMap{{"node_id", "1"}, {"addr", "localhost:4002"}}},
                   {"ready", true}};
  }
  Tree DebugVars() override { return TreeMap{{"store", TreeMap{{"num_ignored", int64_t{1}}}}}; }

  // Completes every held Execute with `r`.
  void ReleaseHeld(const Response& r) {
    std::vector<Done> h;
    {
      std::lock_guard<std::mutex> lock(mu);
      h.swap(held);
    }
    for (auto& d : h) d(r);
  }
  size_t ExecuteCount() {
    std::lock_guard<std::mutex> lock(mu);
    return executes.size();
  }

  std::mutex mu;
  // What was asked.
  std::vector<ExecuteRequest> executes;
  std::vector<QueryRequest> queries;
  std::vector<UnifiedRequest> requests;
  std::vector<std::string> loads;
  std::vector<std::string> boots;
  std::vector<BackupRequest> backups;
  std::vector<uint64_t> snapshot_trailing;
  std::vector<std::string> removes;
  std::vector<std::string> stepdowns;
  std::vector<JoinRequest> joins;
  std::vector<NotifyRequest> notifies;
  std::vector<uint64_t> commit_waits;  // WaitForCommitIndex indexes
  std::vector<Done> held;
  bool hold_execute = false;

  // Canned answers. execute_sequence (if non-empty) is consumed before execute_response.
  std::vector<Response> execute_sequence;
  Response execute_response;
  Response query_response;
  base::Status boot_status;
  base::Result<BackupFile> backup_result = base::Status(base::Code::kInternal, "no backup");
  base::Status snapshot_status;
  base::Status membership_status;  // Remove, Stepdown, Join
  base::Status commit_wait_status;
  LeaderInfo leader{"1", "localhost:4002", "http://localhost:4001"};
  std::vector<NodeInfo> nodes;
  bool ready = true;

 private:
  Response NextExecute() {
    if (execute_sequence.empty()) return execute_response;
    Response r = execute_sequence.front();
    execute_sequence.erase(execute_sequence.begin());
    return r;
  }
};

}  // namespace api::testing
