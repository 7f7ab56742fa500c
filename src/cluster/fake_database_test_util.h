// cluster/fake_database_test_util.h — an in-test api::Database for cluster/ tests: records
// what it is asked, answers with canned values. Thread-safe (one mutex). Execute can be held
// (callbacks stored, completed by the test). It is NOT a store.
#pragma once

#include <mutex>
#include <string>
#include <vector>

#include "api/database.h"

namespace cluster::testing {

class FakeDatabase : public api::Database {
 public:
  void Execute(api::ExecuteRequest request, api::Done done) override {
    std::unique_lock<std::mutex> lock(mu);
    executes.push_back(request);
    if (hold_execute) {
      held.push_back(std::move(done));
      return;
    }
    api::Response r = execute_response;
    lock.unlock();
    done(std::move(r));
  }
  void Query(api::QueryRequest request, api::Done done) override {
    std::unique_lock<std::mutex> lock(mu);
    queries.push_back(request);
    api::Response r = query_response;
    lock.unlock();
    done(std::move(r));
  }
  void Request(api::UnifiedRequest request, api::Done done) override {
    std::unique_lock<std::mutex> lock(mu);
    requests.push_back(request);
    api::Response r = query_response;
    lock.unlock();
    done(std::move(r));
  }
  void Load(std::string data, api::Done done) override {
    std::unique_lock<std::mutex> lock(mu);
    loads.push_back(data);
    api::Response r = execute_response;
    lock.unlock();
    done(std::move(r));
  }
  base::Status Boot(std::string) override { return base::Status::Ok(); }
  base::Result<api::BackupFile> Backup(const api::BackupRequest& request) override {
    std::lock_guard<std::mutex> lock(mu);
    backups.push_back(request);
    return backup_result;
  }
  base::Status Snapshot(uint64_t) override { return base::Status::Ok(); }
  api::LeaderInfo Leader() override {
    std::lock_guard<std::mutex> lock(mu);
    return leader;
  }
  std::vector<api::NodeInfo> Nodes(bool include_non_voters) override {
    std::lock_guard<std::mutex> lock(mu);
    std::vector<api::NodeInfo> out;
    for (const api::NodeInfo& n : nodes) {
      if (n.voter || include_non_voters) out.push_back(n);
    }
    return out;
  }
  base::Status Remove(const std::string& node_id) override {
    std::lock_guard<std::mutex> lock(mu);
    removes.push_back(node_id);
    return membership_status;
  }
  base::Status Stepdown(const std::string& node_id, bool wait) override {
    std::lock_guard<std::mutex> lock(mu);
    stepdowns.push_back(node_id);
    return membership_status;
  }
  base::Status Join(const api::JoinRequest& request) override {
    std::lock_guard<std::mutex> lock(mu);
    joins.push_back(request);
    return membership_status;
  }
  base::Status Notify(const api::NotifyRequest& request) override {
    std::lock_guard<std::mutex> lock(mu);
    notifies.push_back(request);
    return base::Status::Ok();
  }
  bool Ready() override { return true; }
  api::Tree Status() override { return api::TreeMap{}; }
  api::Tree DebugVars() override { return api::TreeMap{}; }

  // Completes every held Execute with `r`.
  void ReleaseHeld(const api::Response& r) {
    std::vector<api::Done> h;
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
  bool hold_execute = false;
  std::vector<api::Done> held;
  api::Response execute_response;
  api::Response query_response;
  base::Result<api::BackupFile> backup_result = base::Unavailable("no backup configured");
  base::Status membership_status;
  api::LeaderInfo leader;
  std::vector<api::NodeInfo> nodes;
  std::vector<api::ExecuteRequest> executes;
  std::vector<api::QueryRequest> queries;
  std::vector<api::UnifiedRequest> requests;
  std::vector<std::string> loads;
  std::vector<api::BackupRequest> backups;
  std::vector<std::string> removes;
  std::vector<std::string> stepdowns;
  std::vector<api::JoinRequest> joins;
  std::vector<api::NotifyRequest> notifies;
};

}  // namespace cluster::testing
