#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "server/pending_database.h"

namespace server {
namespace {

class FakeDatabase : public api::Database {
 public:
  void Execute(api::ExecuteRequest, api::Done done) override {
    api::Response r;
    r.raft_index = 7;
    done(r);
  }
  void Query(api::QueryRequest, api::Done done) override { done(api::Response{}); }
  void Request(api::UnifiedRequest, api::Done done) override { done(api::Response{}); }
  void Load(std::string, api::Done done) override { done(api::Response{}); }
  base::Status Boot(std::string) override { return base::Status::Ok(); }
  base::Result<api::BackupFile> Backup(const api::BackupRequest&) override {
    return api::BackupFile{"/x", 1};
  }
  base::Status Snapshot(uint64_t) override { return base::Status::Ok(); }
  api::LeaderInfo Leader() override { return {"n1", "r:1", "http://a:1"}; }
  std::vector<api::NodeInfo> Nodes(bool) override { return {api::NodeInfo{}}; }
  base::Status Remove(const std::string&) override { return base::Status::Ok(); }
  base::Status Stepdown(const std::string&, bool) override { return base::Status::Ok(); }
  bool Ready() override { return true; }
  api::Tree Status() override { return api::TreeMap{{"open", true}}; }
  api::Tree DebugVars() override { return api::TreeMap{}; }
};

TEST(PendingDatabaseTest, NotReadyUntilAttachedThenForwards) {
  PendingDatabase pending;
  EXPECT_FALSE(pending.Ready());
  EXPECT_TRUE(pending.Leader().id.empty());
  EXPECT_TRUE(pending.Nodes(true).empty());
  EXPECT_EQ(pending.Snapshot(0).code(), base::Code::kUnavailable);
  EXPECT_FALSE(pending.Backup(api::BackupRequest{}).ok());
  base::Code code = base::Code::kOk;
  pending.Execute(api::ExecuteRequest{}, [&](api::Response r) { code = r.status.code(); });
  EXPECT_EQ(code, base::Code::kNoLeader);
  pending.Query(api::QueryRequest{}, [&](api::Response r) { code = r.status.code(); });
  EXPECT_EQ(code, base::Code::kNoLeader);

  FakeDatabase fake;
  pending.Attach(&fake);
  EXPECT_TRUE(pending.Ready());
  EXPECT_EQ(pending.Leader().id, "n1");
  EXPECT_EQ(pending.Nodes(false).size(), 1u);
  EXPECT_TRUE(pending.Snapshot(0).ok());
  uint64_t index = 0;
  pending.Execute(api::ExecuteRequest{}, [&](api::Response r) { index = r.raft_index; });
  EXPECT_EQ(index, 7u);
}

TEST(PendingDatabaseDeathTest, AttachTwiceCrashes) {
  PendingDatabase pending;
  FakeDatabase fake;
  pending.Attach(&fake);
  EXPECT_DEATH(pending.Attach(&fake), "attached twice");
}

}  // namespace
}  // namespace server
