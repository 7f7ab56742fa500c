// http/fake_database_test_util.h — an in-test api::Database for HTTP-layer tests only (routing,
// status codes, parameter plumbing). It records requests and answers with canned responses;
// it is NOT a store. Thread-safe (one mutex); callbacks run inline unless `hold_execute`.
#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "api/database.h"

namespace http::testing {

class FakeDatabase : public api::Database {
 public:
  void Execute(api::ExecuteRequest request, api::Done done) override {
    std::unique_lock<std::mutex> lock(mu);
    executes.push_back(request);
    if (hold_execute) {
      held.push_back(std::move(done));
      return;
    }
    api::Response r = NextExecute();
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
    api::Response r = execute_response;
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
  base::Status Boot(std::string image) override {
    std::lock_guard<std::mutex> lock(mu);
    boots.push_back(image);
    return boot_status;
  }
  base::Result<api::BackupFile> Backup(const api::BackupRequest& request) override {
    std::lock_guard<std::mutex> lock(mu);
    backups.push_back(request);
    return backup_result;
  }
  base::Status Snapshot(uint64_t trailing_logs) override {
    std::lock_guard<std::mutex> lock(mu);
    snapshot_trailing.push_back(trailing_logs);
    return snapshot_status;
  }
  api::LeaderInfo Leader() override {
    std::lock_guard<std::mutex> lock(mu);
    return leader;
  }
  std::vector<api::NodeInfo> Nodes(bool include_non_voters) override {
    std::lock_guard<std::mutex> lock(mu);
    return nodes;
  }
  base::Status Remove(const std::string& node_id) override {
    std::lock_guard<std::mutex> lock(mu);
    removed.push_back(node_id);
    return base::Status::Ok();
  }
  base::Status Stepdown(const std::string& node_id, bool wait) override {
    std::lock_guard<std::mutex> lock(mu);
    stepdowns.push_back(node_id);
    return stepdown_status;
  }
  bool Ready() override { return ready; }
  api::Tree Status() override {
    return api::TreeMap{{"leader", api::TreeMap{{"node_id", "1"}, {"addr", "localhost:4002"}}},
                        {"ready", true}};
  }
  api::Tree DebugVars() override {
    return api::TreeMap{{"store", api::TreeMap{{"num_ignored", int64_t{1}}}}};
  }

  // Releases held Execute callbacks with `r`.
  void ReleaseHeld(const api::Response& r) {
    std::vector<api::Done> h;
    {
      std::lock_guard<std::mutex> lock(mu);
      h.swap(held);
    }
    for (auto& d : h) d(r);
  }

  std::mutex mu;
  std::vector<api::ExecuteRequest> executes;
  std::vector<api::QueryRequest> queries;
  std::vector<api::UnifiedRequest> requests;
  std::vector<std::string> loads;
  std::vector<std::string> boots;
  std::vector<api::BackupRequest> backups;
  std::vector<uint64_t> snapshot_trailing;
  std::vector<std::string> removed;
  std::vector<std::string> stepdowns;
  std::vector<api::Done> held;
  bool hold_execute = false;

  // Canned answers. execute_sequence (if non-empty) is consumed first.
  std::vector<api::Response> execute_sequence;
  api::Response execute_response;
  api::Response query_response;
  base::Status boot_status;
  base::Result<api::BackupFile> backup_result = base::Status(base::Code::kInternal, "no backup");
  base::Status snapshot_status;
  base::Status stepdown_status;
  api::LeaderInfo leader{"1", "localhost:4002", "http://localhost:4001"};
  std::vector<api::NodeInfo> nodes;
  bool ready = true;

 private:
  api::Response NextExecute() {
    if (execute_sequence.empty()) return execute_response;
    api::Response r = execute_sequence.front();
    execute_sequence.erase(execute_sequence.begin());
    return r;
  }
};

}  // namespace http::testing
