// raft/raft_extensions_test.cc — Figure 8 of the Raft paper, and the extensions beyond
// Figure 2 that we rely on: pre-vote, check-quorum, leadership transfer, read index,
// membership changes and snapshot restore. (Golden traces of the same in testdata/.)
#include <gtest/gtest.h>

#include "raft/testing_cluster.h"

namespace raft {
namespace {

using testing::Cluster;

Config Cfg(bool pre_vote = true, bool check_quorum = true) {
  Config c;
  c.pre_vote = pre_vote;
  c.check_quorum = check_quorum;
  return c;
}

void TickAll(Cluster& c, int n) {
  for (int i = 0; i < n; ++i) {
    for (NodeId id : c.ids()) c.Tick(id);
    c.Stabilize();
  }
}

bool InLog(const MemoryStorage& s, const std::string& data) {
  if (s.LastIndex() < s.FirstIndex()) return false;
  auto ents = s.Entries(s.FirstIndex(), s.LastIndex() + 1, UINT64_MAX);
  for (const Entry& e : *ents) {
    if (e.data == data) return true;
  }
  return false;
}

// Runs the cluster, dropping every message for which `drop` is true, until it is quiet.
template <typename F>
void StabilizeDropping(Cluster& c, F drop) {
  for (int round = 0; round < 1000; ++round) {
    bool any = false;
    for (NodeId id : c.ids()) any = c.ProcessReady(id) || any;
    while (!c.queue().empty()) {
      any = true;
      if (drop(c.queue()[0])) {
        c.DropAt(0);
      } else {
        c.DeliverAt(0);
      }
    }
    if (!any) return;
  }
}

bool CarriesTerm(const Message& m, uint64_t term) {
  for (const Entry& e : m.entries) {
    if (e.term == term) return true;
  }
  return false;
}

// Figure 8: S1 leads term 2 and replicates "x2" to S2 only, then crashes. S5 wins term 3 with
// votes from S3, S4 (its no-op reaches nobody) and appends "y3". S5 crashes; S1 restarts and
// wins term 4, and gets x2 onto S3 and S4 — a majority — while its own term-4 entry has not
// reached them. x2 must NOT be committed: S5 could still be elected (its last term 3 beats 2)
// and overwrite it. It commits only together with S1's term-4 entry.
TEST(Figure8, PreviousTermEntryOnMajorityIsNotCommitted) {
  Config cfg = Cfg(false, false);
  cfg.max_size_per_msg = 0;  // one entry per MsgApp
  Cluster c({1, 2, 3, 4, 5}, cfg);
  ASSERT_EQ(c.ElectLeader(1), 1u);
  uint64_t base = c.node(1).commit();  // S1's term-2 no-op
  // (a)
  for (NodeId id : {3, 4, 5}) c.Cut(1, id);
  ASSERT_TRUE(c.node(1).Propose("x2").ok());
  c.Stabilize();
  ASSERT_TRUE(InLog(c.peer(2).storage, "x2"));
  ASSERT_EQ(c.node(1).commit(), base);
  // (b)
  c.Heal();
  c.Isolate(1);
  c.Cut(5, 2);
  ASSERT_TRUE(c.node(5).Campaign().ok());
  StabilizeDropping(c, [](const Message& m) { return m.type == MessageType::kApp; });
  ASSERT_EQ(c.node(5).role(), Role::kLeader);
  ASSERT_EQ(c.node(5).term(), 3u);
  c.Isolate(5);
  ASSERT_TRUE(c.node(5).Propose("y3").ok());
  c.Stabilize();
  // (c)
  c.Heal();
  c.Isolate(5);
  c.Restart(1);
  // Hold back S1's term-4 entries from S3 and S4 (but not the probes they will reject).
  auto hold_back = [&c](const Message& m) {
    return m.type == MessageType::kApp && (m.to == 3 || m.to == 4) && CarriesTerm(m, 4) &&
           c.peer(m.to).storage.LastIndex() >= m.index;
  };
  for (int i = 0; i < 3 && c.node(1).role() != Role::kLeader; ++i) {
    ASSERT_TRUE(c.node(1).Campaign().ok());
    StabilizeDropping(c, hold_back);
  }
  ASSERT_EQ(c.node(1).role(), Role::kLeader);
  ASSERT_EQ(c.node(1).term(), 4u);
  ASSERT_TRUE(InLog(c.peer(3).storage, "x2"));
  ASSERT_TRUE(InLog(c.peer(4).storage, "x2"));
  EXPECT_EQ(c.node(1).commit(), base) << "a term-2 entry was committed by counting replicas";
  // (e) Once S1's term-4 entry is on a majority, x2 commits with it.
  c.Tick(1);
  c.Stabilize();
  EXPECT_GE(c.node(1).commit(), base + 2);
  std::string why;
  EXPECT_TRUE(c.StateMachinesConsistent(&why)) << why;
}

TEST(PreVote, PartitionedNodeDoesNotInflateTermOrDisruptLeader) {
  Cluster c({1, 2, 3}, Cfg(true, true));
  ASSERT_EQ(c.ElectLeader(1), 1u);
  uint64_t term = c.node(1).term();
  c.Isolate(3);
  for (int i = 0; i < 100; ++i) {
    c.Tick(3);
    c.Stabilize();
  }
  EXPECT_EQ(c.node(3).term(), term) << "pre-vote must not bump the term";
  c.Heal();
  TickAll(c, 30);
  EXPECT_EQ(c.Leader(), 1u);
  EXPECT_EQ(c.node(1).term(), term);
}

TEST(PreVote, WithoutItAPartitionedNodeDisruptsTheLeader) {
  Cluster c({1, 2, 3}, Cfg(false, false));
  ASSERT_EQ(c.ElectLeader(1), 1u);
  uint64_t term = c.node(1).term();
  c.Isolate(3);
  for (int i = 0; i < 100; ++i) {
    c.Tick(3);
    c.Stabilize();
  }
  EXPECT_GT(c.node(3).term(), term + 2);
  c.Heal();
  TickAll(c, 30);
  EXPECT_GT(c.node(1).term(), term) << "the returning node's term deposed the leader";
}

TEST(CheckQuorum, LeaderWithoutQuorumStepsDown) {
  Cluster c({1, 2, 3}, Cfg());
  ASSERT_EQ(c.ElectLeader(1), 1u);
  c.Isolate(1);
  for (int i = 0; i < 25; ++i) c.Tick(1);
  EXPECT_EQ(c.node(1).role(), Role::kFollower);
  // And without check-quorum it would stay leader forever.
  Cluster d({1, 2, 3}, Cfg(true, false));
  ASSERT_EQ(d.ElectLeader(1), 1u);
  d.Isolate(1);
  for (int i = 0; i < 100; ++i) d.Tick(1);
  EXPECT_EQ(d.node(1).role(), Role::kLeader);
}

TEST(CheckQuorum, FollowersWithLeaseIgnoreVoteRequests) {
  Cluster c({1, 2, 3}, Cfg(false, true));
  ASSERT_EQ(c.ElectLeader(1), 1u);
  uint64_t term = c.node(1).term();
  ASSERT_TRUE(c.node(3).Campaign().ok());  // a disruptive candidate with an up-to-date log
  c.Stabilize();
  EXPECT_EQ(c.node(1).role(), Role::kLeader);
  EXPECT_EQ(c.node(1).term(), term);
  EXPECT_EQ(c.node(2).term(), term);
}

TEST(Transfer, CatchesUpTransfereeThenHandsOver) {
  Cluster c({1, 2, 3});
  ASSERT_EQ(c.ElectLeader(1), 1u);
  c.Isolate(3);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(c.node(1).Propose("p").ok());
  c.Stabilize();
  c.Heal();
  ASSERT_TRUE(c.node(1).TransferLeadership(3).ok());
  EXPECT_EQ(c.node(1).Propose("during").code(), base::Code::kAborted);
  c.Stabilize();
  EXPECT_EQ(c.Leader(), 3u);
  EXPECT_EQ(c.node(3).commit(), c.node(1).commit());
  EXPECT_FALSE(c.node(3).TransferLeadership(9).ok()) << "not a voter";
}

TEST(Transfer, AbandonedAfterElectionTimeout) {
  Cluster c({1, 2, 3});
  ASSERT_EQ(c.ElectLeader(1), 1u);
  c.Isolate(3);
  ASSERT_TRUE(c.node(1).TransferLeadership(3).ok());
  EXPECT_EQ(c.node(1).Status().lead_transferee, 3u);
  for (int i = 0; i < 10; ++i) c.Tick(1);
  EXPECT_EQ(c.node(1).Status().lead_transferee, kNoNode);
  EXPECT_TRUE(c.node(1).Propose("after").ok());
}

TEST(ReadIndex, NeedsQuorumConfirmation) {
  Cluster c({1, 2, 3});
  ASSERT_EQ(c.ElectLeader(1), 1u);
  c.Isolate(1);
  c.node(1).ReadIndex("a");
  c.Stabilize();
  EXPECT_TRUE(c.peer(1).read_states.empty()) << "a partitioned leader must not serve reads";
  c.Heal();
  c.Tick(1);  // the next heartbeat carries the pending context
  c.Stabilize();
  ASSERT_EQ(c.peer(1).read_states.size(), 1u);
  EXPECT_EQ(c.peer(1).read_states[0].context, "a");
  EXPECT_EQ(c.peer(1).read_states[0].index, c.node(1).commit());
}

TEST(ReadIndex, FollowerReadIsForwardedAndReturnsLeaderCommit) {
  Cluster c({1, 2, 3});
  ASSERT_EQ(c.ElectLeader(1), 1u);
  ASSERT_TRUE(c.node(1).Propose("v").ok());
  c.Stabilize();
  c.node(2).ReadIndex("f");
  c.Stabilize();
  ASSERT_EQ(c.peer(2).read_states.size(), 1u);
  EXPECT_EQ(c.peer(2).read_states[0].index, c.node(1).commit());
}

TEST(ReadIndex, SingleVoterAnswersAtOnce) {
  Cluster c({1});
  ASSERT_EQ(c.ElectLeader(1), 1u);
  c.node(1).ReadIndex("s");
  c.Stabilize();
  ASSERT_EQ(c.peer(1).read_states.size(), 1u);
}

TEST(Membership, LearnerReplicatesButDoesNotVoteOrCount) {
  Cluster c({1, 2});
  ASSERT_EQ(c.ElectLeader(1), 1u);
  c.AddEmptyNode(3);
  ASSERT_TRUE(c.node(1).ProposeConfChange(ConfChange{ConfChangeType::kAddLearner, 3, ""}).ok());
  c.Stabilize();
  EXPECT_EQ(c.node(3).conf().learners, std::vector<NodeId>{3});
  // With 2 down, the learner cannot form a quorum with the leader.
  c.Isolate(2);
  uint64_t commit = c.node(1).commit();
  ASSERT_TRUE(c.node(1).Propose("needs 2").ok());
  c.Stabilize();
  EXPECT_EQ(c.node(1).commit(), commit);
  EXPECT_TRUE(InLog(c.peer(3).storage, "needs 2"));
  // A learner never campaigns.
  for (int i = 0; i < 100; ++i) c.Tick(3);
  EXPECT_EQ(c.node(3).role(), Role::kFollower);
}

TEST(Membership, OneChangeAtATimeAndOnlyAfterCommitInTerm) {
  Cluster c({1, 2, 3});
  ASSERT_TRUE(c.node(1).Campaign().ok());
  // Let the election finish but not the no-op's commit.
  for (int i = 0; i < 12 && c.node(1).role() != Role::kLeader; ++i) {
    for (NodeId id : c.ids()) c.ProcessReady(id);
    c.Deliver();
  }
  ASSERT_EQ(c.node(1).role(), Role::kLeader);
  EXPECT_EQ(c.node(1).ProposeConfChange({ConfChangeType::kRemoveNode, 3, ""}).code(),
            base::Code::kUnavailable);
  c.Stabilize();
  EXPECT_TRUE(c.node(1).ProposeConfChange({ConfChangeType::kRemoveNode, 3, ""}).ok());
  EXPECT_EQ(c.node(1).ProposeConfChange({ConfChangeType::kRemoveNode, 2, ""}).code(),
            base::Code::kUnavailable);
  c.Stabilize();
  EXPECT_EQ(c.node(1).conf().voters, (std::vector<NodeId>{1, 2}));
  EXPECT_EQ(c.node(2).conf().voters, (std::vector<NodeId>{1, 2}));
}

// Seed 2987 of the simulator: leader 1 of {1, 2} removes itself. The removal commits (2 acked
// it), but every message that would tell 2 so is lost, and 1 holds an extra, uncommitted entry.
// 1 then loses its quorum and steps down; 2 still sees {1, 2} and needs 1's vote, which 1
// refuses (its log is longer). The commit hint in 1's rejection lets 2 learn that the removal
// committed, so 2 leads the one-voter cluster {2}.
TEST(Membership, RemovedLeaderLeavesLastVoterAbleToElect) {
  Cluster c({1, 2});
  ASSERT_EQ(c.ElectLeader(1), 1u);
  ASSERT_TRUE(c.node(1).ProposeConfChange({ConfChangeType::kRemoveNode, 1, ""}).ok());
  c.ProcessReady(1);
  uint64_t removal = c.node(1).last_index();
  ASSERT_TRUE(c.node(1).Propose("extra").ok());
  auto hides_commit = [&](const Message& m) {
    if (m.from != 1 || m.to != 2) return false;
    for (const Entry& e : m.entries) {
      if (e.data == "extra") return true;
    }
    return m.commit >= removal || m.type == MessageType::kTimeoutNow;
  };
  StabilizeDropping(c, hides_commit);
  ASSERT_GE(c.node(1).commit(), removal);
  ASSERT_LT(c.node(2).commit(), removal);
  for (int i = 0; i < 100 && c.node(1).role() == Role::kLeader; ++i) {
    c.Tick(1);
    StabilizeDropping(c, hides_commit);
  }
  ASSERT_NE(c.node(1).role(), Role::kLeader);
  for (int i = 0; i < 300 && c.node(2).role() != Role::kLeader; ++i) {
    c.Tick(2);
    c.Stabilize();
  }
  EXPECT_EQ(c.node(2).role(), Role::kLeader);
  EXPECT_EQ(c.node(2).conf().voters, std::vector<NodeId>{2});
}

TEST(Membership, RestartRecoversMembershipFromLog) {
  Cluster c({1, 2, 3});
  ASSERT_EQ(c.ElectLeader(1), 1u);
  c.AddEmptyNode(4);
  ASSERT_TRUE(c.node(1).ProposeConfChange({ConfChangeType::kAddVoter, 4, ""}).ok());
  c.Stabilize();
  c.Restart(2);
  EXPECT_EQ(c.node(2).conf().voters, (std::vector<NodeId>{1, 2, 3, 4}));
  // A new voter can be elected.
  c.Isolate(1);
  NodeId leader = kNoNode;
  for (int i = 0; i < 300 && (leader == kNoNode || leader == 1); ++i) {
    for (NodeId id : {2, 3, 4}) c.Tick(id);
    c.Stabilize();
    leader = c.Leader();
    if (leader == 1 && c.node(1).role() == Role::kLeader) c.Tick(1);
  }
  EXPECT_NE(leader, 1u);
}

TEST(Snapshot, FollowerRestoresFromSnapshotAndCatchesUp) {
  Cluster c({1, 2, 3});
  ASSERT_EQ(c.ElectLeader(1), 1u);
  c.Isolate(3);
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(c.node(1).Propose("e" + std::to_string(i)).ok());
  c.Stabilize();
  uint64_t applied = c.node(1).applied();
  c.Compact(1, applied, 0);
  ASSERT_EQ(c.peer(1).storage.FirstIndex(), applied + 1);
  c.Heal();
  ASSERT_TRUE(c.node(1).Propose("after").ok());
  c.Stabilize();
  c.Tick(1);
  c.Stabilize();
  EXPECT_EQ(c.peer(3).storage.Snapshot().index, applied);
  EXPECT_EQ(c.node(3).commit(), c.node(1).commit());
  EXPECT_EQ(c.peer(3).applied.back().data, "after");
  std::string why;
  EXPECT_TRUE(c.StateMachinesConsistent(&why)) << why;
  // A restart from the snapshot + log gives the same state.
  c.Restart(3);
  c.Stabilize();
  EXPECT_EQ(c.peer(3).applied.back().data, "after");
  EXPECT_EQ(c.node(3).conf().voters, (std::vector<NodeId>{1, 2, 3}));
}

// The hard state's commit index is not synced on its own, so after a crash the application
// may have applied more than the stored commit: those entries must not be applied again.
TEST(Restart, AppliedBeyondStoredCommitIsNotReapplied) {
  MemoryStorage storage;
  std::vector<Entry> ents;
  for (NodeId p : {1, 2, 3}) {
    ents.push_back(Entry{1, ents.size() + 1, EntryType::kConfChange,
                         EncodeConfChange(ConfChange{ConfChangeType::kAddVoter, p, ""})});
  }
  for (int i = 0; i < 3; ++i) ents.push_back(Entry{2, ents.size() + 1, EntryType::kNormal, "x"});
  ASSERT_TRUE(storage.Append(ents).ok());
  storage.SetHardState(HardState{2, 1, 3});
  base::Random rnd(1);
  Config cfg;
  cfg.id = 1;
  cfg.applied = 5;
  Node n(cfg, &storage, &rnd);
  EXPECT_EQ(n.commit(), 5u);
  EXPECT_EQ(n.applied(), 5u);
  Ready rd = n.GetReady();
  EXPECT_TRUE(rd.committed_entries.empty());
  n.Advance(rd);
  // Index 6 arrives as committed from the leader and is the first one handed out.
  Message hb;
  hb.type = MessageType::kHeartbeat;
  hb.from = 2;
  hb.to = 1;
  hb.term = 2;
  hb.commit = 6;
  ASSERT_TRUE(n.Step(hb).ok());
  rd = n.GetReady();
  ASSERT_EQ(rd.committed_entries.size(), 1u);
  EXPECT_EQ(rd.committed_entries[0].index, 6u);
}

TEST(NodeApi, RejectsMisroutedAndLocalMessagesFromTheNetwork) {
  Cluster c({1, 2, 3});
  ASSERT_EQ(c.ElectLeader(1), 1u);
  Message m;
  m.type = MessageType::kHeartbeat;
  m.from = 1;
  m.to = 3;
  m.term = c.node(1).term();
  EXPECT_EQ(c.node(2).Step(m).code(), base::Code::kInvalidArgument);
  m.to = 2;
  EXPECT_TRUE(c.node(2).Step(m).ok());
  m.type = MessageType::kHup;
  EXPECT_EQ(c.node(2).Step(m).code(), base::Code::kInvalidArgument);
  EXPECT_EQ(c.node(2).role(), Role::kFollower);
  // A follower without a leader cannot forward a proposal.
  Cluster d({1, 2, 3});
  EXPECT_EQ(d.node(2).Propose("x").code(), base::Code::kNoLeader);
}

}  // namespace
}  // namespace raft
