// cluster::Joiner with a scripted transport, a manual clock and a sleeper that only advances
// the clock: no sockets, no sleeping.
#include "cluster/joiner.h"

#include <map>

#include <gtest/gtest.h>

#include "cluster/test_node_test_util.h"

namespace cluster {
namespace {

class FakeTransport : public JoinTransport {
 public:
  JoinReply Join(const std::string& addr, const api::JoinRequest& request,
                 const CallOptions& options) override {
    joins.push_back(addr);
    last_request = request;
    last_options = options;
    auto it = join_replies.find(addr);
    if (it == join_replies.end()) return JoinReply{base::Unavailable("dial " + addr), ""};
    return it->second;
  }
  base::Status Notify(const std::string& addr, const api::NotifyRequest& request,
                      const CallOptions& options) override {
    notifies.push_back(addr);
    last_notify = request;
    return base::Status::Ok();
  }

  std::map<std::string, JoinReply> join_replies;
  std::vector<std::string> joins;
  std::vector<std::string> notifies;
  api::JoinRequest last_request;
  api::NotifyRequest last_notify;
  CallOptions last_options;
};

class ClockSleeper : public Sleeper {
 public:
  explicit ClockSleeper(base::ManualClock* clock) : clock_(clock) {}
  void SleepFor(int64_t nanos) override {
    sleeps.push_back(nanos);
    clock_->Advance(nanos);
  }
  std::vector<int64_t> sleeps;

 private:
  base::ManualClock* clock_;
};

class JoinerTest : public ::testing::Test {
 protected:
  JoinerTest() : sleeper_(&clock_), joiner_(&transport_, &clock_, &sleeper_, 42) {
    opts_.targets = {"a:1", "b:1", "c:1"};
    opts_.id = "n4";
    opts_.raft_addr = "d:1";
  }
  static JoinReply Ok() { return JoinReply{base::Status::Ok(), ""}; }
  static JoinReply NotLeader(std::string leader) {
    return JoinReply{base::Status(base::Code::kNotLeader, "not leader"), std::move(leader)};
  }

  base::ManualClock clock_;
  FakeTransport transport_;
  ClockSleeper sleeper_;
  Joiner joiner_;
  JoinOptions opts_;
};

TEST_F(JoinerTest, TriesTargetsInOrderAndSucceedsWithoutSleeping) {
  transport_.join_replies["b:1"] = Ok();
  opts_.voter = false;
  opts_.username = "joiner";
  opts_.password = "pw";
  auto joined = joiner_.Join(opts_);
  ASSERT_TRUE(joined.ok()) << joined.status().ToString();
  EXPECT_EQ(*joined, "b:1");
  EXPECT_EQ(transport_.joins, (std::vector<std::string>{"a:1", "b:1"}));
  EXPECT_EQ(transport_.last_request.id, "n4");
  EXPECT_EQ(transport_.last_request.raft_addr, "d:1");
  EXPECT_FALSE(transport_.last_request.voter);
  EXPECT_EQ(transport_.last_options.username, "joiner");
  EXPECT_EQ(transport_.last_options.password, "pw");
  EXPECT_TRUE(sleeper_.sleeps.empty());
}

TEST_F(JoinerTest, FollowsNotLeaderRedirects) {
  transport_.join_replies["a:1"] = NotLeader("leader:1");
  transport_.join_replies["leader:1"] = Ok();
  auto joined = joiner_.Join(opts_);
  ASSERT_TRUE(joined.ok());
  EXPECT_EQ(*joined, "leader:1");
  EXPECT_EQ(transport_.joins, (std::vector<std::string>{"a:1", "leader:1"}));
}

TEST_F(JoinerTest, FailsAfterAllAttemptsSleepingBetweenRounds) {
  transport_.join_replies["a:1"] = NotLeader("");       // no leader
  transport_.join_replies["b:1"] = NotLeader("b:1");    // redirect loop
  opts_.attempts = 3;
  opts_.interval_ns = 3'000'000'000;
  auto joined = joiner_.Join(opts_);
  ASSERT_FALSE(joined.ok());
  EXPECT_EQ(joined.status().message(), "failed to join cluster");
  EXPECT_EQ(sleeper_.sleeps, (std::vector<int64_t>{3'000'000'000, 3'000'000'000}));
  // Per round: a once, b 1 + 10 redirects, c once.
  EXPECT_EQ(transport_.joins.size(), 3u * (1 + 11 + 1));
}

TEST_F(JoinerTest, RedirectLimitIsTen) {
  transport_.join_replies["a:1"] = NotLeader("x:1");
  transport_.join_replies["x:1"] = NotLeader("y:1");
  transport_.join_replies["y:1"] = NotLeader("x:1");
  opts_.targets = {"a:1"};
  opts_.attempts = 1;
  EXPECT_FALSE(joiner_.Join(opts_).ok());
  EXPECT_EQ(transport_.joins.size(), 11u);  // the first try plus 10 redirects
}

TEST_F(JoinerTest, BootstrapExpectNotifiesEveryTargetUntilALeaderIsKnown) {
  int checks = 0;
  auto leader_known = [&] { return ++checks > 3; };  // a leader appears before the 4th check
  ASSERT_TRUE(joiner_.BootstrapExpect(opts_, leader_known).ok());
  EXPECT_EQ(transport_.notifies.size(), 3u * 3u);
  EXPECT_EQ(transport_.notifies[0], "a:1");
  EXPECT_EQ(transport_.notifies[2], "c:1");
  EXPECT_EQ(transport_.last_notify.id, "n4");
  EXPECT_EQ(transport_.last_notify.raft_addr, "d:1");
  ASSERT_EQ(sleeper_.sleeps.size(), 3u);
  for (int64_t s : sleeper_.sleeps) {
    EXPECT_GE(s, 1'000'000'000);
    EXPECT_LE(s, 1'500'000'000);
  }
}

TEST_F(JoinerTest, BootstrapExpectJoinsAnExistingCluster) {
  transport_.join_replies["c:1"] = Ok();
  ASSERT_TRUE(joiner_.BootstrapExpect(opts_, [] { return false; }).ok());
  EXPECT_TRUE(transport_.notifies.empty());
  EXPECT_TRUE(sleeper_.sleeps.empty());
}

TEST_F(JoinerTest, BootstrapExpectTimesOut) {
  opts_.boot_timeout_ns = 10'000'000'000;
  base::Status st = joiner_.BootstrapExpect(opts_, [] { return false; });
  EXPECT_EQ(st.code(), base::Code::kTimeout);
  EXPECT_EQ(st.message(), "boot timeout");
  // 1-1.5 s per iteration within 10 s: between 7 and 10 iterations.
  EXPECT_GE(sleeper_.sleeps.size(), 7u);
  EXPECT_LE(sleeper_.sleeps.size(), 10u);
}

TEST_F(JoinerTest, NonVotersDoNotNotify) {
  opts_.voter = false;
  opts_.boot_timeout_ns = 3'000'000'000;
  EXPECT_EQ(joiner_.BootstrapExpect(opts_, [] { return false; }).code(), base::Code::kTimeout);
  EXPECT_TRUE(transport_.notifies.empty());
  EXPECT_FALSE(transport_.joins.empty());
}

TEST_F(JoinerTest, TargetsFunctionIsConsultedEachIteration) {
  int calls = 0;
  auto targets = [&] {
    ++calls;
    return std::vector<std::string>{"dns" + std::to_string(calls) + ":1"};
  };
  int checks = 0;
  ASSERT_TRUE(joiner_.BootstrapExpect(opts_, [&] { return ++checks > 2; }, targets).ok());
  EXPECT_EQ(transport_.notifies, (std::vector<std::string>{"dns1:1", "dns2:1"}));
}

TEST(JoinerSocketTest, JoinFollowsRedirectOverTheClusterService) {
  testing::TestNode follower;
  testing::TestNode leader;
  follower.db.membership_status = base::Status(base::Code::kNotLeader, "not leader");
  follower.db.leader = api::LeaderInfo{"l", leader.addr, ""};
  testing::IoThread io;
  Client client(io.io());
  ClientJoinTransport transport(&client);
  base::ManualClock clock;
  ClockSleeper sleeper(&clock);
  Joiner joiner(&transport, &clock, &sleeper, 1);
  JoinOptions o;
  o.targets = {follower.addr};
  o.id = "new";
  o.raft_addr = "new:4002";
  auto joined = joiner.Join(o);
  ASSERT_TRUE(joined.ok()) << joined.status().ToString();
  EXPECT_EQ(*joined, leader.addr);
  ASSERT_EQ(leader.db.joins.size(), 1u);
  EXPECT_EQ(leader.db.joins[0].id, "new");
  EXPECT_EQ(leader.db.joins[0].raft_addr, "new:4002");
  EXPECT_TRUE(leader.db.joins[0].voter);
  client.Close();
}

}  // namespace
}  // namespace cluster
