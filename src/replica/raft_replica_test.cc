// RaftReplica with an in-process network (no sockets) and in-memory file systems that can
// crash. The real-TCP cluster test is transport/raft_cluster_test.cc.
#include "replica/raft_replica.h"
#include "replica/testing_network_test_util.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <map>
#include <set>
#include <thread>

#include "fs/mem_file_system.h"

namespace replica {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kWait = std::chrono::seconds(20);

class Recorder : public Applier {
 public:
  void Apply(std::vector<Committed>& entries) override {
    std::lock_guard<std::mutex> l(mu);
    for (auto& e : entries) {
      EXPECT_GT(e.index, last_index);
      last_index = e.index;
      applied.push_back(e);
    }
    cv.notify_all();
  }
  void Dropped(uint64_t token, base::Status status) override {
    std::lock_guard<std::mutex> l(mu);
    dropped[token] = status;
    cv.notify_all();
  }
  template <typename Pred>
  bool WaitUntil(Pred pred) {
    std::unique_lock<std::mutex> l(mu);
    return cv.wait_for(l, kWait, pred);
  }
  std::vector<std::string> Data() {
    std::lock_guard<std::mutex> l(mu);
    std::vector<std::string> out;
    for (auto& e : applied) out.push_back(e.data);
    return out;
  }
  std::mutex mu;
  std::condition_variable cv;
  std::vector<Committed> applied;
  std::map<uint64_t, base::Status> dropped;
  std::vector<raft::ConfChange> membership;  // from RaftReplicaOptions::on_membership
  uint64_t last_index = 0;
};

using testing::Network;
using LoopTransport = testing::NetworkTransport;

struct Node {
  explicit Node(Network* net) : transport(net) {}
  fs::MemFileSystem fs{7};
  base::SerialExecutor raft_exec{"raft"};
  base::SerialExecutor apply_exec{"apply"};
  Recorder applier;
  LoopTransport transport;
  std::unique_ptr<RaftReplica> replica;
};

class RaftReplicaTest : public ::testing::Test {
 protected:
  void TearDown() override {
    stop_ = true;
    if (ticker_.joinable()) ticker_.join();
    for (auto& [id, n] : nodes_) StopNode(id);
  }

  void Boot(std::vector<raft::NodeId> ids, std::vector<raft::NodeId> joiners = {}) {
    for (raft::NodeId id : ids) {
      nodes_[id] = std::make_unique<Node>(&net_);
      StartNode(id, ids, 0);
    }
    for (raft::NodeId id : joiners) {
      nodes_[id] = std::make_unique<Node>(&net_);
      StartNode(id, {}, 0);
    }
    ticker_ = std::thread([this] {
      while (!stop_) {
        {
          std::lock_guard<std::mutex> l(mu_);
          for (auto& [id, n] : nodes_) {
            if (n->replica && !frozen_.count(id)) n->replica->Tick();
          }
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));  // the clock, not a wait
      }
    });
  }
  // (Re)opens the replica of node `id` on its file system; the applier has applied `applied`.
  void StartNode(raft::NodeId id, std::vector<raft::NodeId> peers, uint64_t applied) {
    Node* n = nodes_[id].get();
    RaftReplicaOptions o;
    o.node_id = id;
    o.dir = "/log";
    o.peers = peers;
    o.seed = 5;
    o.election_ticks = 30;  // 5 ms ticks: 150-300 ms, robust against a loaded machine
    o.log_options.segment_bytes = 1 << 20;
    Recorder* rec = &n->applier;
    o.on_membership = [rec](const raft::ConfChange& cc) {
      std::lock_guard<std::mutex> l(rec->mu);
      rec->membership.push_back(cc);
      rec->cv.notify_all();
    };
    auto r = RaftReplica::Open(o, &n->fs, &n->raft_exec, &n->apply_exec, &n->applier,
                               &n->transport, [&](uint64_t, uint64_t) { return applied; });
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    std::lock_guard<std::mutex> l(mu_);
    n->replica = std::move(*r);
    net_.Attach(id, n->replica.get());
  }
  void StopNode(raft::NodeId id) {
    Node* n = nodes_[id].get();
    if (!n->replica) return;
    net_.Detach(id);
    n->replica->Close();
    std::lock_guard<std::mutex> l(mu_);
    n->replica.reset();
  }
  RaftReplica* R(raft::NodeId id) { return nodes_[id]->replica.get(); }
  Recorder& A(raft::NodeId id) { return nodes_[id]->applier; }

  raft::NodeId WaitForLeader(std::set<raft::NodeId> among) {
    const auto deadline = Clock::now() + kWait;
    while (Clock::now() < deadline) {
      std::set<raft::NodeId> seen;
      for (raft::NodeId id : among) seen.insert(R(id)->GetRaftStatus().leader);
      if (seen.size() == 1 && among.count(*seen.begin()) && R(*seen.begin())->IsLeader()) {
        return *seen.begin();
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));  // poll interval
    }
    return 0;
  }

  Network net_;
  std::mutex mu_;
  std::map<raft::NodeId, std::unique_ptr<Node>> nodes_;
  std::set<raft::NodeId> frozen_;  // guarded by mu_: not ticked
  std::atomic<bool> stop_{false};
  std::thread ticker_;
};

TEST_F(RaftReplicaTest, SingleVoterBootstrapsCommitsAndReads) {
  Boot({1});
  ASSERT_EQ(WaitForLeader({1}), 1u);
  for (uint64_t i = 1; i <= 20; ++i) R(1)->Propose("c" + std::to_string(i), i);
  ASSERT_TRUE(A(1).WaitUntil([&] { return A(1).applied.size() == 20; }));
  for (uint64_t i = 0; i < 20; ++i) EXPECT_EQ(A(1).applied[i].token, i + 1);
  // Index 1 is the bootstrap ConfChange, 2 the leader's no-op: commands start at 3.
  EXPECT_EQ(A(1).applied[0].index, 3u);

  std::promise<base::Result<uint64_t>> read;
  R(1)->ReadIndex([&](base::Result<uint64_t> r) { read.set_value(std::move(r)); });
  auto got = read.get_future().get();
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, 22u);

  Stats s = R(1)->GetStats();
  EXPECT_EQ(s.role, Role::kLeader);
  EXPECT_EQ(s.commit_index, 22u);
  EXPECT_EQ(s.last_log_index, 22u);
  EXPECT_EQ(s.proposals, 20u);
  R(1)->Close();
  EXPECT_EQ(R(1)->GetStats().role, Role::kShutdown);
  R(1)->Propose("late", 99);
  EXPECT_EQ(A(1).dropped[99].code(), base::Code::kUnavailable);
}

TEST_F(RaftReplicaTest, LeadershipLossAbortsPendingProposalsAndReads) {
  Boot({1, 2, 3});
  const raft::NodeId leader = WaitForLeader({1, 2, 3});
  ASSERT_NE(leader, 0u);
  R(leader)->Propose("before", 1);
  for (raft::NodeId id = 1; id <= 3; ++id) {
    ASSERT_TRUE(A(id).WaitUntil([&] { return A(id).applied.size() == 1; }));
  }
  net_.Isolate(leader, true);
  for (uint64_t t = 10; t < 15; ++t) R(leader)->Propose("lost", t);
  std::promise<base::Result<uint64_t>> read;
  R(leader)->ReadIndex([&](base::Result<uint64_t> r) { read.set_value(std::move(r)); });
  // Check-quorum makes the isolated leader step down: its proposals can no longer be tracked.
  ASSERT_TRUE(A(leader).WaitUntil([&] { return A(leader).dropped.size() == 5; }));
  for (auto& [token, st] : A(leader).dropped) {
    EXPECT_EQ(st.code(), base::Code::kAborted);
    EXPECT_EQ(st.message(), "leadership lost while committing log");
  }
  EXPECT_EQ(read.get_future().get().status().code(), base::Code::kAborted);

  std::set<raft::NodeId> rest;
  for (raft::NodeId id = 1; id <= 3; ++id) {
    if (id != leader) rest.insert(id);
  }
  const raft::NodeId next = WaitForLeader(rest);
  ASSERT_NE(next, 0u);
  R(next)->Propose("after", 2);
  net_.Isolate(leader, false);
  for (raft::NodeId id = 1; id <= 3; ++id) {
    ASSERT_TRUE(A(id).WaitUntil([&] { return A(id).applied.size() >= 2; })) << id;
    EXPECT_EQ(A(id).Data(), (std::vector<std::string>{"before", "after"})) << id;
  }
}

TEST_F(RaftReplicaTest, CloseDropsAcceptedProposalsWithUnavailable) {
  Boot({1, 2, 3});
  const raft::NodeId leader = WaitForLeader({1, 2, 3});
  ASSERT_NE(leader, 0u);
  {
    std::lock_guard<std::mutex> l(mu_);
    frozen_.insert(leader);  // no ticks: it keeps believing it leads
  }
  net_.Isolate(leader, true);
  R(leader)->Propose("never", 5);
  StopNode(leader);
  ASSERT_EQ(A(leader).dropped.count(5), 1u);
  EXPECT_EQ(A(leader).dropped[5].code(), base::Code::kUnavailable);
}

TEST_F(RaftReplicaTest, CommittedEntriesSurviveACrashOfEveryNode) {
  Boot({1, 2, 3});
  const raft::NodeId leader = WaitForLeader({1, 2, 3});
  ASSERT_NE(leader, 0u);
  for (uint64_t i = 1; i <= 50; ++i) R(leader)->Propose("c" + std::to_string(i), i);
  ASSERT_TRUE(A(leader).WaitUntil([&] { return A(leader).applied.size() == 50; }));
  const std::vector<std::string> committed = A(leader).Data();
  for (raft::NodeId id = 1; id <= 3; ++id) {
    StopNode(id);
    nodes_[id]->fs.Crash(fs::CrashOptions{});  // every unsynced write is lost
    std::lock_guard<std::mutex> l(A(id).mu);
    A(id).applied.clear();
    A(id).last_index = 0;
  }
  for (raft::NodeId id = 1; id <= 3; ++id) StartNode(id, {}, 0);
  ASSERT_NE(WaitForLeader({1, 2, 3}), 0u);
  for (raft::NodeId id = 1; id <= 3; ++id) {
    ASSERT_TRUE(A(id).WaitUntil([&] { return A(id).applied.size() >= 50; })) << id;
    EXPECT_EQ(A(id).Data(), committed) << id;
  }
}

TEST_F(RaftReplicaTest, RestartReplaysOnlyEntriesAfterTheAppliedIndex) {
  Boot({1});
  ASSERT_EQ(WaitForLeader({1}), 1u);
  for (uint64_t i = 1; i <= 10; ++i) R(1)->Propose("c" + std::to_string(i), i);
  ASSERT_TRUE(A(1).WaitUntil([&] { return A(1).applied.size() == 10; }));
  const uint64_t seventh = A(1).applied[6].index;
  StopNode(1);
  {
    std::lock_guard<std::mutex> l(A(1).mu);
    A(1).applied.clear();
    A(1).last_index = 0;
  }
  StartNode(1, {1}, seventh);
  ASSERT_TRUE(A(1).WaitUntil([&] { return A(1).applied.size() >= 3; }));
  EXPECT_EQ(A(1).Data(), (std::vector<std::string>{"c8", "c9", "c10"}));
  for (auto& e : A(1).applied) EXPECT_EQ(e.token, 0u);
}

TEST_F(RaftReplicaTest, JoinByMembershipChange) {
  Boot({1}, {2});
  ASSERT_EQ(WaitForLeader({1}), 1u);
  for (uint64_t i = 1; i <= 5; ++i) R(1)->Propose("c" + std::to_string(i), i);
  std::promise<base::Status> on_follower, added;
  R(2)->ChangeMembership({raft::ConfChangeType::kAddVoter, 2, "n2"},
                         [&](base::Status st) { on_follower.set_value(st); });
  EXPECT_EQ(on_follower.get_future().get().code(), base::Code::kNotLeader);
  R(1)->ChangeMembership({raft::ConfChangeType::kAddVoter, 2, "n2"},
                         [&](base::Status st) { added.set_value(st); });
  base::Status st = added.get_future().get();
  ASSERT_TRUE(st.ok()) << st.ToString();
  for (uint64_t i = 6; i <= 10; ++i) R(1)->Propose("c" + std::to_string(i), i);
  for (raft::NodeId id : {1, 2}) {
    ASSERT_TRUE(A(id).WaitUntil([&] { return A(id).applied.size() == 10; })) << id;
    ASSERT_TRUE(A(id).WaitUntil([&] { return A(id).membership.size() == 2; })) << id;
    EXPECT_EQ(A(id).membership[0], (raft::ConfChange{raft::ConfChangeType::kAddVoter, 1, ""}));
    EXPECT_EQ(A(id).membership[1], (raft::ConfChange{raft::ConfChangeType::kAddVoter, 2, "n2"}));
  }
  EXPECT_EQ(A(2).Data(), A(1).Data());
  EXPECT_EQ(R(1)->GetRaftStatus().conf.voters, (std::vector<raft::NodeId>{1, 2}));
  // Two voters: commits and read indexes now need node 2; they complete once it is back.
  net_.Isolate(2, true);
  R(1)->Propose("stalled", 11);
  const uint64_t commit = R(1)->GetRaftStatus().commit_index;
  std::promise<base::Result<uint64_t>> read;
  R(1)->ReadIndex([&](base::Result<uint64_t> r) { read.set_value(std::move(r)); });
  net_.Isolate(2, false);
  auto got = read.get_future().get();
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_GE(*got, commit);
  ASSERT_TRUE(A(2).WaitUntil([&] { return A(2).applied.size() == 11; }));
}

}  // namespace
}  // namespace replica
