// raft/raft_paper_test.cc — one test per claim of the Raft paper (Ongaro & Ousterhout,
// "In Search of an Understandable Consensus Algorithm"): Figure 2 (rules for all servers,
// followers, candidates, leaders; RequestVote and AppendEntries receivers), Figure 8, and the
// extensions we rely on (pre-vote, check-quorum, transfer, read index, membership, snapshots).
// Figure 3's properties are checked over randomized runs in raft_safety_test.cc.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <set>

#include "raft/testing_cluster.h"

namespace raft {
namespace {

using testing::Cluster;

// One node driven by hand: its storage holds a 3-voter bootstrap (indexes 1..3, term 1)
// followed by entries with the given terms.
struct Solo {
  Solo(NodeId id, const std::vector<uint64_t>& terms, uint64_t term, Config cfg = Config{})
      : random(id) {
    std::vector<Entry> ents;
    for (NodeId p : {1, 2, 3}) {
      ents.push_back(Entry{1, ents.size() + 1, EntryType::kConfChange,
                           EncodeConfChange(ConfChange{ConfChangeType::kAddVoter, p, ""})});
    }
    for (uint64_t t : terms) ents.push_back(Entry{t, ents.size() + 1, EntryType::kNormal, "x"});
    CHECK_OK(storage.Append(ents));
    storage.SetHardState(HardState{std::max<uint64_t>(term, 1), kNoNode, 3});
    cfg.id = id;
    node = std::make_unique<Node>(cfg, &storage, &random);
  }
  // Handles every Ready (persisting to storage); returns the messages sent.
  std::vector<Message> Drain() {
    std::vector<Message> out;
    while (node->HasReady()) {
      Ready rd = node->GetReady();
      if (rd.snapshot) CHECK_OK(storage.ApplySnapshot(*rd.snapshot));
      CHECK_OK(storage.Append(rd.entries));
      if (rd.hard_state) storage.SetHardState(*rd.hard_state);
      out.insert(out.end(), rd.messages.begin(), rd.messages.end());
      for (const Entry& e : rd.committed_entries) applied.push_back(e);
      node->Advance(rd);
    }
    return out;
  }
  MemoryStorage storage;
  base::Random random;
  std::unique_ptr<Node> node;
  std::vector<Entry> applied;
};

Config NoPreVote() {
  Config c;
  c.pre_vote = false;
  c.check_quorum = false;
  return c;
}

Message Msg(MessageType type, NodeId from, NodeId to, uint64_t term) {
  Message m;
  m.type = type;
  m.from = from;
  m.to = to;
  m.term = term;
  return m;
}

std::vector<Message> OfType(const std::vector<Message>& ms, MessageType t) {
  std::vector<Message> out;
  for (const Message& m : ms) {
    if (m.type == t) out.push_back(m);
  }
  return out;
}

// ---------------- Figure 2: rules for all servers ----------------

// "If commitIndex > lastApplied: increment lastApplied, apply log[lastApplied] to state
// machine" — every committed entry is handed out exactly once, in order, on every node.
TEST(Figure2AllServers, CommittedEntriesAreAppliedOnceInOrder) {
  Cluster c({1, 2, 3});
  ASSERT_EQ(c.ElectLeader(1), 1u);
  for (const char* s : {"a", "b", "c"}) ASSERT_TRUE(c.node(1).Propose(s).ok());
  c.Stabilize();
  for (NodeId id : {1, 2, 3}) {
    const auto& ap = c.peer(id).applied;
    ASSERT_EQ(ap.size(), 7u) << id;  // 3 bootstrap, no-op, a, b, c
    for (size_t i = 0; i < ap.size(); ++i) EXPECT_EQ(ap[i].index, i + 1);
    EXPECT_EQ(ap.back().data, "c");
    EXPECT_EQ(c.node(id).applied(), 7u);
    EXPECT_FALSE(c.node(id).HasReady());
  }
}

// "If RPC request or response contains term T > currentTerm: set currentTerm = T, convert to
// follower" — for a follower, a candidate and a leader.
TEST(Figure2AllServers, HigherTermConvertsToFollower) {
  for (Role start : {Role::kFollower, Role::kCandidate, Role::kLeader}) {
    Solo s(1, {}, 1, NoPreVote());
    if (start != Role::kFollower) ASSERT_TRUE(s.node->Campaign().ok());
    if (start == Role::kLeader) {
      s.Drain();
      Message v = Msg(MessageType::kVoteResp, 2, 1, s.node->term());
      ASSERT_TRUE(s.node->Step(v).ok());
    }
    ASSERT_EQ(s.node->role(), start);
    Message app = Msg(MessageType::kApp, 3, 1, 10);
    app.index = 3;
    app.log_term = 1;
    ASSERT_TRUE(s.node->Step(app).ok());
    EXPECT_EQ(s.node->role(), Role::kFollower);
    EXPECT_EQ(s.node->term(), 10u);
    EXPECT_EQ(s.node->leader(), 3u);
  }
}

// ---------------- Figure 2: followers ----------------

// "Respond to RPCs from candidates and leaders" and do not start elections while a leader's
// heartbeats keep arriving.
TEST(Figure2Followers, HeartbeatsPreventElections) {
  Cluster c({1, 2, 3});
  ASSERT_EQ(c.ElectLeader(1), 1u);
  for (int i = 0; i < 100; ++i) {
    for (NodeId id : {1, 2, 3}) c.Tick(id);
    c.Stabilize();
  }
  EXPECT_EQ(c.Leader(), 1u);
  EXPECT_EQ(c.node(2).term(), c.node(1).term());
  EXPECT_EQ(c.node(3).role(), Role::kFollower);
}

// "If election timeout elapses without receiving AppendEntries from current leader or
// granting vote to candidate: convert to candidate." The timeout is random in
// [election, 2*election) ticks.
TEST(Figure2Followers, ElectionTimeoutIsRandomizedInRange) {
  std::set<int> seen;
  for (NodeId id = 1; id <= 40; ++id) {
    Solo s(1, {}, 1, NoPreVote());
    s.random = base::Random(id);  // different seeds
    s.node = std::make_unique<Node>(
        [&] {
          Config c = NoPreVote();
          c.id = 1;
          return c;
        }(),
        &s.storage, &s.random);
    int ticks = 0;
    while (s.node->role() == Role::kFollower && ticks < 100) {
      s.node->Tick();
      ++ticks;
    }
    EXPECT_EQ(s.node->role(), Role::kCandidate);
    EXPECT_GE(ticks, 10);
    EXPECT_LT(ticks, 20);
    seen.insert(ticks);
  }
  EXPECT_GT(seen.size(), 3u) << "timeouts are not randomized";
}

// ---------------- Figure 2: candidates ----------------

// "On conversion to candidate: increment currentTerm, vote for self, reset election timer,
// send RequestVote RPCs to all other servers."
TEST(Figure2Candidates, ConversionIncrementsTermVotesForSelfAndRequestsVotes) {
  Solo s(1, {2, 2}, 2, NoPreVote());
  ASSERT_TRUE(s.node->Campaign().ok());
  auto msgs = s.Drain();
  EXPECT_EQ(s.node->role(), Role::kCandidate);
  EXPECT_EQ(s.node->term(), 3u);
  EXPECT_EQ(s.storage.InitialHardState().vote, 1u);  // persisted before the requests leave
  auto votes = OfType(msgs, MessageType::kVote);
  ASSERT_EQ(votes.size(), 2u);
  std::set<NodeId> to;
  for (const Message& m : votes) {
    to.insert(m.to);
    EXPECT_EQ(m.term, 3u);
    EXPECT_EQ(m.index, 5u);     // lastLogIndex
    EXPECT_EQ(m.log_term, 2u);  // lastLogTerm
  }
  EXPECT_EQ(to, (std::set<NodeId>{2, 3}));
}

// "If votes received from majority of servers: become leader."
TEST(Figure2Candidates, MajorityOfVotesWins) {
  struct Case {
    std::vector<bool> grants;  // responses from 2, 3
    Role want;
  };
  for (const Case& tc : std::vector<Case>{{{true}, Role::kLeader},
                                          {{false}, Role::kCandidate},
                                          {{false, false}, Role::kFollower},
                                          {{false, true}, Role::kLeader}}) {
    Solo s(1, {}, 1, NoPreVote());
    ASSERT_TRUE(s.node->Campaign().ok());
    s.Drain();
    NodeId from = 2;
    for (bool g : tc.grants) {
      Message r = Msg(MessageType::kVoteResp, from++, 1, s.node->term());
      r.reject = !g;
      ASSERT_TRUE(s.node->Step(r).ok());
    }
    EXPECT_EQ(s.node->role(), tc.want);
  }
}

// "If AppendEntries RPC received from new leader: convert to follower."
TEST(Figure2Candidates, AppendEntriesFromNewLeaderOfSameTermConverts) {
  Solo s(1, {}, 1, NoPreVote());
  ASSERT_TRUE(s.node->Campaign().ok());
  s.Drain();
  Message app = Msg(MessageType::kApp, 2, 1, s.node->term());
  app.index = 3;
  app.log_term = 1;
  ASSERT_TRUE(s.node->Step(app).ok());
  EXPECT_EQ(s.node->role(), Role::kFollower);
  EXPECT_EQ(s.node->leader(), 2u);
  EXPECT_EQ(s.node->term(), 2u);
}

// "If election timeout elapses: start new election."
TEST(Figure2Candidates, ElectionTimeoutStartsNewElection) {
  Solo s(1, {}, 1, NoPreVote());
  ASSERT_TRUE(s.node->Campaign().ok());
  s.Drain();
  uint64_t t = s.node->term();
  for (int i = 0; i < 20; ++i) s.node->Tick();
  auto msgs = s.Drain();
  EXPECT_EQ(s.node->role(), Role::kCandidate);
  EXPECT_EQ(s.node->term(), t + 1);
  EXPECT_EQ(OfType(msgs, MessageType::kVote).size(), 2u);
}

// ---------------- Figure 2: leaders ----------------

// "Upon election: send initial empty AppendEntries RPCs (heartbeat) to each server; repeat
// during idle periods to prevent election timeouts." Our initial AppendEntries carries the
// no-op entry.
TEST(Figure2Leaders, SendsAppendOnElectionAndHeartbeatsWhenIdle) {
  Solo s(1, {}, 1, NoPreVote());
  ASSERT_TRUE(s.node->Campaign().ok());
  s.Drain();
  ASSERT_TRUE(s.node->Step(Msg(MessageType::kVoteResp, 2, 1, 2)).ok());
  auto msgs = s.Drain();
  auto apps = OfType(msgs, MessageType::kApp);
  ASSERT_EQ(apps.size(), 2u);
  EXPECT_EQ(apps[0].entries.size(), 1u);
  EXPECT_EQ(apps[0].entries[0].type, EntryType::kNoop);
  s.node->Tick();  // heartbeat_ticks = 1
  msgs = s.Drain();
  EXPECT_EQ(OfType(msgs, MessageType::kHeartbeat).size(), 2u);
}

// "If command received from client: append entry to local log, respond after entry applied
// to state machine." The entry commits once a majority stores it.
TEST(Figure2Leaders, ProposalAppendsLocallyAndCommitsOnMajority) {
  Cluster c({1, 2, 3});
  ASSERT_EQ(c.ElectLeader(1), 1u);
  uint64_t commit = c.node(1).commit();
  c.Isolate(3);
  ASSERT_TRUE(c.node(1).Propose("cmd").ok());
  c.ProcessReady(1);
  EXPECT_EQ(c.peer(1).storage.LastIndex(), commit + 1);
  EXPECT_EQ(c.node(1).commit(), commit);  // not yet: only the leader has it
  c.Stabilize();
  EXPECT_EQ(c.node(1).commit(), commit + 1);  // leader + node 2 = majority
  EXPECT_EQ(c.peer(1).applied.back().data, "cmd");
  EXPECT_EQ(c.peer(3).storage.LastIndex(), commit);
}

// "If AppendEntries fails because of log inconsistency: decrement nextIndex and retry";
// "If successful: update nextIndex and matchIndex for follower."
TEST(Figure2Leaders, InconsistentFollowerIsRepairedByBackingOff) {
  Cluster c({1, 2, 3}, NoPreVote());
  ASSERT_EQ(c.ElectLeader(1), 1u);
  // Leader 1, cut off, appends an entry nobody else receives.
  c.Isolate(1);
  ASSERT_TRUE(c.node(1).Propose("lost").ok());
  c.Stabilize();
  for (int i = 0; i < 40 && c.Leader() != 2; ++i) {
    c.Tick(2);
    c.Stabilize();
  }
  ASSERT_EQ(c.Leader(), 2u);
  ASSERT_TRUE(c.node(2).Propose("kept").ok());
  c.Stabilize();
  c.Heal();
  c.Tick(2);
  c.Stabilize();
  NodeStatus st = c.node(2).Status();
  EXPECT_EQ(st.progress[1].match, c.peer(2).storage.LastIndex());
  EXPECT_EQ(st.progress[1].next, c.peer(2).storage.LastIndex() + 1);
  auto ents = c.peer(1).storage.Entries(1, c.peer(1).storage.LastIndex() + 1, UINT64_MAX);
  ASSERT_TRUE(ents.ok());
  for (const Entry& e : *ents) EXPECT_NE(e.data, "lost");
  std::string why;
  EXPECT_TRUE(c.StateMachinesConsistent(&why)) << why;
}

// ---------------- Figure 2: RequestVote receiver ----------------

// "Reply false if term < currentTerm."
TEST(Figure2RequestVote, RejectsLowerTerm) {
  Solo s(1, {}, 5, NoPreVote());
  Message v = Msg(MessageType::kVote, 2, 1, 4);
  v.index = 100;
  v.log_term = 4;
  ASSERT_TRUE(s.node->Step(v).ok());
  auto msgs = s.Drain();
  for (const Message& m : msgs) EXPECT_NE(m.type, MessageType::kVoteResp) << "must not grant";
  EXPECT_EQ(s.node->term(), 5u);
  EXPECT_EQ(s.node->Status().hard_state.vote, kNoNode);
}

// "If votedFor is null or candidateId ... grant vote" — at most one vote per term, and a
// repeated request from the same candidate is granted again.
TEST(Figure2RequestVote, AtMostOneVotePerTerm) {
  Solo s(1, {}, 1, NoPreVote());
  auto vote = [&](NodeId from) {
    Message v = Msg(MessageType::kVote, from, 1, 2);
    v.index = 3;
    v.log_term = 1;
    EXPECT_TRUE(s.node->Step(v).ok());
    auto resp = OfType(s.Drain(), MessageType::kVoteResp);
    EXPECT_EQ(resp.size(), 1u);
    return !resp.empty() && !resp[0].reject;
  };
  EXPECT_TRUE(vote(2));
  EXPECT_EQ(s.storage.InitialHardState().vote, 2u);  // persisted with the grant
  EXPECT_FALSE(vote(3));
  EXPECT_TRUE(vote(2));
}

// "...and candidate's log is at least as up-to-date as receiver's log, grant vote" (§5.4.1:
// compare last terms, then lengths).
TEST(Figure2RequestVote, RequiresUpToDateLog) {
  // Receiver's log: terms 2, 3 at indexes 4, 5.
  struct Case {
    uint64_t last_term, last_index;
    bool grant;
  };
  for (const Case& tc : std::vector<Case>{{3, 5, true},
                                          {3, 6, true},
                                          {4, 1, true},
                                          {3, 4, false},
                                          {2, 9, false}}) {
    Solo s(1, {2, 3}, 3, NoPreVote());
    Message v = Msg(MessageType::kVote, 2, 1, 4);
    v.index = tc.last_index;
    v.log_term = tc.last_term;
    ASSERT_TRUE(s.node->Step(v).ok());
    auto resp = OfType(s.Drain(), MessageType::kVoteResp);
    ASSERT_EQ(resp.size(), 1u);
    EXPECT_EQ(!resp[0].reject, tc.grant) << tc.last_term << "/" << tc.last_index;
  }
}

// ---------------- Figure 2: AppendEntries receiver ----------------

Message App(uint64_t term, uint64_t prev_index, uint64_t prev_term,
            const std::vector<uint64_t>& entry_terms, uint64_t commit) {
  Message m = Msg(MessageType::kApp, 2, 1, term);
  m.index = prev_index;
  m.log_term = prev_term;
  m.commit = commit;
  for (size_t i = 0; i < entry_terms.size(); ++i) {
    m.entries.push_back(Entry{entry_terms[i], prev_index + 1 + i, EntryType::kNormal, "n"});
  }
  return m;
}

// "Reply false if term < currentTerm": the stale leader gets our term back.
TEST(Figure2AppendEntries, RejectsLowerTermAndRevealsCurrentTerm) {
  Solo s(1, {}, 5);
  ASSERT_TRUE(s.node->Step(App(4, 3, 1, {4}, 3)).ok());
  auto resp = OfType(s.Drain(), MessageType::kAppResp);
  ASSERT_EQ(resp.size(), 1u);
  EXPECT_EQ(resp[0].term, 5u);
  EXPECT_EQ(s.storage.LastIndex(), 3u);
}

// "Reply false if log doesn't contain an entry at prevLogIndex whose term matches
// prevLogTerm."
TEST(Figure2AppendEntries, RejectsMismatchedPrevious) {
  Solo s(1, {2, 2}, 3);
  for (auto [prev, prev_term] : std::vector<std::pair<uint64_t, uint64_t>>{{5, 3}, {7, 3}}) {
    ASSERT_TRUE(s.node->Step(App(3, prev, prev_term, {3}, 3)).ok());
    auto resp = OfType(s.Drain(), MessageType::kAppResp);
    ASSERT_EQ(resp.size(), 1u);
    EXPECT_TRUE(resp[0].reject);
    EXPECT_EQ(resp[0].reject_hint, std::min<uint64_t>(prev, 5));
  }
  EXPECT_EQ(s.storage.LastIndex(), 5u);
}

// "If an existing entry conflicts with a new one (same index but different terms), delete the
// existing entry and all that follow it. Append any new entries not already in the log."
TEST(Figure2AppendEntries, TruncatesConflictsAndAppendsNew) {
  Solo s(1, {2, 2, 2}, 3);  // indexes 4, 5, 6 at term 2
  ASSERT_TRUE(s.node->Step(App(3, 4, 2, {3}, 3)).ok());  // index 5 at term 3 conflicts
  s.Drain();
  EXPECT_EQ(s.storage.LastIndex(), 5u);
  EXPECT_EQ(*s.storage.Term(5), 3u);
  // A stale, shorter duplicate does not truncate matching later entries.
  ASSERT_TRUE(s.node->Step(App(3, 5, 3, {3, 3}, 3)).ok());
  s.Drain();
  ASSERT_TRUE(s.node->Step(App(3, 5, 3, {3}, 3)).ok());
  s.Drain();
  EXPECT_EQ(s.storage.LastIndex(), 7u);
}

// "If leaderCommit > commitIndex, set commitIndex = min(leaderCommit, index of last new
// entry)."
TEST(Figure2AppendEntries, CommitIsMinOfLeaderCommitAndLastNewEntry) {
  Solo s(1, {}, 2);
  ASSERT_TRUE(s.node->Step(App(2, 3, 1, {2, 2}, 100)).ok());
  s.Drain();
  EXPECT_EQ(s.node->commit(), 5u);
  Solo t(1, {}, 2);
  ASSERT_TRUE(t.node->Step(App(2, 3, 1, {2, 2}, 4)).ok());
  t.Drain();
  EXPECT_EQ(t.node->commit(), 4u);
  EXPECT_EQ(t.applied.back().index, 4u);
}

}  // namespace
}  // namespace raft
