#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "api/fake_database_test_util.h"
#include "server/pending_database.h"

namespace server {
namespace {

using api::testing::FakeDatabase;

TEST(PendingDatabaseTest, NotReadyUntilAttachedThenForwards) {
  PendingDatabase pending;
  EXPECT_FALSE(pending.Ready());
  EXPECT_TRUE(pending.Leader().id.empty());
  EXPECT_TRUE(pending.Nodes({true}).empty());
  EXPECT_EQ(pending.Snapshot(0).code(), base::Code::kUnavailable);
  EXPECT_FALSE(pending.Backup(api::BackupRequest{}).ok());
  base::Code code = base::Code::kOk;
  pending.Execute(api::ExecuteRequest{}, [&](api::Response r) { code = r.status.code(); });
  EXPECT_EQ(code, base::Code::kNoLeader);
  pending.Query(api::QueryRequest{}, [&](api::Response r) { code = r.status.code(); });
  EXPECT_EQ(code, base::Code::kNoLeader);

  FakeDatabase fake;
  fake.leader.id = "n1";
  fake.nodes = {api::NodeInfo{}};
  fake.execute_response.raft_index = 7;
  pending.Attach(&fake);
  EXPECT_TRUE(pending.Ready());
  EXPECT_EQ(pending.Leader().id, "n1");
  EXPECT_EQ(pending.Nodes({false}).size(), 1u);
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
