// raft/raft_safety_test.cc — Figure 3 of the Raft paper: the five safety properties, checked
// after every step of randomized runs (random ticks, message delivery order, drops,
// duplicates, partitions, crashes — also in the middle of a Ready —, compactions and leadership
// transfers), over many seeds. Then: the checkers must bite — each deliberate bug
// (TestingKnobs) makes some seed fail — and the cluster must be live once the faults stop.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "raft/testing_cluster.h"

namespace raft {
namespace {

using testing::Cluster;
using testing::Peer;

class SafetyChecker {
 public:
  // Returns "" or the name of the first violated property (with details in detail()).
  const std::string& violation() const { return violation_; }
  const std::string& detail() const { return detail_; }

  void OnReady(NodeId id, const Ready& rd, const Peer& p) {
    for (const Entry& e : rd.committed_entries) CheckStateMachine(id, e, p.node->term());
    if (p.node->role() != Role::kLeader) return;
    uint64_t term = p.node->term();
    // Election Safety: at most one leader per term.
    auto [it, fresh] = leaders_.emplace(term, id);
    if (it->second != id) {
      Fail("ElectionSafety", "term " + std::to_string(term) + " has leaders " +
                                 std::to_string(it->second) + " and " + std::to_string(id));
    }
    std::map<uint64_t, uint64_t> view = Terms(p.storage);
    // Leader Append-Only: a leader never overwrites or deletes entries in its log.
    auto& seen = leader_logs_[term];
    for (const auto& [index, t] : seen) {
      if (index < p.storage.FirstIndex()) continue;  // compacted, not deleted
      auto v = view.find(index);
      if (v == view.end() || v->second != t) {
        Fail("LeaderAppendOnly", "leader " + std::to_string(id) + " of term " +
                                     std::to_string(term) + " lost entry " +
                                     std::to_string(index));
      }
    }
    seen = view;
    // Leader Completeness: an entry committed in term T is in the log of every leader of a
    // term > T. (commit_term_ over-estimates T: the applier's term when it first applied it.)
    for (const auto& [index, e] : committed_) {
      if (index < p.storage.FirstIndex() || commit_term_[index] >= term) continue;
      auto v = view.find(index);
      if (v == view.end() || v->second != e.term) {
        Fail("LeaderCompleteness", "leader " + std::to_string(id) + " of term " +
                                       std::to_string(term) + " lacks committed entry " +
                                       DescribeEntry(e));
      }
    }
  }

  // Log Matching: if two logs contain an entry with the same index and term, the logs are
  // identical in all entries up through that index.
  void CheckLogMatching(Cluster& c) {
    std::vector<NodeId> ids = c.ids();
    for (size_t a = 0; a < ids.size(); ++a) {
      for (size_t b = a + 1; b < ids.size(); ++b) {
        const MemoryStorage& sa = c.peer(ids[a]).storage;
        const MemoryStorage& sb = c.peer(ids[b]).storage;
        uint64_t lo = std::max(sa.FirstIndex(), sb.FirstIndex());
        uint64_t hi = std::min(sa.LastIndex(), sb.LastIndex());
        if (lo > hi) continue;
        auto ea = sa.Entries(lo, hi + 1, UINT64_MAX);
        auto eb = sb.Entries(lo, hi + 1, UINT64_MAX);
        // Find the last index where the terms agree; everything before must be identical.
        size_t last_same = SIZE_MAX;
        for (size_t i = ea->size(); i-- > 0;) {
          if ((*ea)[i].term == (*eb)[i].term) {
            last_same = i;
            break;
          }
        }
        if (last_same == SIZE_MAX) continue;
        for (size_t i = 0; i <= last_same; ++i) {
          if (!((*ea)[i] == (*eb)[i])) {
            Fail("LogMatching", "nodes " + std::to_string(ids[a]) + "," +
                                    std::to_string(ids[b]) + " differ at " +
                                    std::to_string(lo + i) + " but agree at " +
                                    std::to_string(lo + last_same));
          }
        }
      }
    }
  }

 private:
  // State Machine Safety: no two servers apply different entries at the same index.
  void CheckStateMachine(NodeId id, const Entry& e, uint64_t term) {
    auto [it, fresh] = committed_.emplace(e.index, e);
    if (fresh) commit_term_[e.index] = term;
    if (!(it->second == e)) {
      Fail("StateMachineSafety", "node " + std::to_string(id) + " applied " + DescribeEntry(e) +
                                     ", another applied " + DescribeEntry(it->second));
    }
  }

  static std::map<uint64_t, uint64_t> Terms(const MemoryStorage& s) {
    std::map<uint64_t, uint64_t> out;
    if (s.LastIndex() < s.FirstIndex()) return out;
    auto ents = s.Entries(s.FirstIndex(), s.LastIndex() + 1, UINT64_MAX);
    for (const Entry& e : *ents) out[e.index] = e.term;
    return out;
  }

  void Fail(const std::string& what, const std::string& detail) {
    if (!violation_.empty()) return;
    violation_ = what;
    detail_ = detail;
  }

  std::map<uint64_t, NodeId> leaders_;
  std::map<uint64_t, std::map<uint64_t, uint64_t>> leader_logs_;
  std::map<uint64_t, Entry> committed_;
  std::map<uint64_t, uint64_t> commit_term_;
  std::string violation_, detail_;
};

struct RunResult {
  std::string violation;
  std::string detail;
  bool live = false;
  uint64_t committed = 0;
};

// Membership churn through the leader: remove a voter (keeping at least two), add a removed
// node back as a learner or voter, or promote a learner.
void ChangeMembership(Cluster& c, base::Random& rnd, NodeId n) {
  NodeId leader = c.Leader();
  if (leader == kNoNode) return;
  ConfState conf = c.node(leader).conf();
  bool voter = std::find(conf.voters.begin(), conf.voters.end(), n) != conf.voters.end();
  bool learner = std::find(conf.learners.begin(), conf.learners.end(), n) != conf.learners.end();
  ConfChange cc{ConfChangeType::kAddVoter, n, ""};
  if (voter) {
    if (conf.voters.size() <= 2) return;
    cc.type = ConfChangeType::kRemoveNode;
  } else if (!learner && rnd.Bernoulli(0.5)) {
    cc.type = ConfChangeType::kAddLearner;
  }
  c.node(leader).ProposeConfChange(cc).IgnoreError();
}

// One random fault or action. Per mille: tick 150, ready 250, deliver 450 (up to 3 messages,
// mildly reordered, dropped or duplicated), propose 80, partition 20, crash 15 (half of them
// in the middle of a Ready), compact 20, transfer leadership 3, membership change 5, read
// index 7.
void RandomAction(Cluster& c, base::Random& rnd, const std::vector<NodeId>& ids, double drop,
                  const std::string& tag) {
  auto any = [&] { return ids[rnd.Uniform(ids.size())]; };
  uint64_t r = rnd.Uniform(1000);
  if (r < 150) {
    c.Tick(any());
  } else if (r < 400) {
    c.ProcessReady(any());
  } else if (r < 850) {
    for (int k = 0; k < 3 && !c.queue().empty(); ++k) {
      size_t i = rnd.Uniform(std::min<size_t>(c.queue().size(), 4));
      if (rnd.Bernoulli(drop)) {
        c.DropAt(i);
        continue;
      }
      if (rnd.Bernoulli(0.02)) c.queue().push_back(c.queue()[i]);
      c.DeliverAt(i);
    }
  } else if (r < 930) {
    c.node(any()).Propose(tag).IgnoreError();
  } else if (r < 950) {
    NodeId a = any(), b = any();
    if (rnd.Bernoulli(0.5)) {
      c.Heal();
    } else if (rnd.Bernoulli(0.5)) {
      c.Isolate(a);
    } else if (a != b) {
      c.Cut(a, b);
    }
  } else if (r < 965) {
    NodeId id = any();
    if (rnd.Bernoulli(0.5)) {
      c.Restart(id);
    } else {
      c.CrashDuringReady(id);
    }
  } else if (r < 985) {
    NodeId id = any();
    uint64_t applied = c.node(id).applied();
    if (applied > c.peer(id).storage.Snapshot().index && !c.node(id).HasReady()) {
      c.Compact(id, applied, rnd.Uniform(4));
    }
  } else if (r < 988) {
    NodeId leader = c.Leader();
    if (leader != kNoNode) c.node(leader).TransferLeadership(any()).IgnoreError();
  } else if (r < 993) {
    ChangeMembership(c, rnd, any());
  } else {
    c.node(any()).ReadIndex("r" + tag);
  }
}

// Liveness: once the faults stop, a leader is elected and a new proposal commits everywhere.
void CheckLiveness(Cluster& c, RunResult* res) {
  c.Heal();
  for (int round = 0; round < 300 && !res->live; ++round) {
    for (NodeId id : c.ids()) c.Tick(id);
    c.Stabilize();
    NodeId leader = c.Leader();
    if (leader == kNoNode) continue;
    uint64_t target = c.node(leader).commit() + 1;
    if (!c.node(leader).Propose("final").ok()) continue;
    c.Stabilize();
    bool all = true;  // every current member (removed nodes are left behind by design)
    ConfState conf = c.node(leader).conf();
    for (NodeId id : conf.voters) all = all && c.node(id).applied() >= target;
    for (NodeId id : conf.learners) all = all && c.node(id).applied() >= target;
    res->live = all;
    res->committed = c.node(leader).commit();
  }
  if (!res->live) {
    for (NodeId id : c.ids()) res->detail += testing::DescribeStatus(c.node(id));
  }
}

RunResult RunChaos(uint64_t seed, const TestingKnobs& knobs, int steps) {
  base::Random rnd(seed);
  Config cfg;
  cfg.knobs = knobs;
  cfg.pre_vote = rnd.Bernoulli(0.7);
  cfg.check_quorum = rnd.Bernoulli(0.7);
  cfg.max_inflight_msgs = 1 + rnd.Uniform(8);
  cfg.max_size_per_msg = rnd.Uniform(3) * 4;
  std::vector<NodeId> ids = rnd.Bernoulli(0.5) ? std::vector<NodeId>{1, 2, 3}
                                                : std::vector<NodeId>{1, 2, 3, 4, 5};
  Cluster c(ids, cfg, true, seed);
  c.report_snapshots = true;
  SafetyChecker chk;
  c.on_ready = [&](NodeId id, const Ready& rd, const Peer& p) { chk.OnReady(id, rd, p); };
  double drop = 0.05 * rnd.Uniform(4);
  for (int step = 0; step < steps && chk.violation().empty(); ++step) {
    RandomAction(c, rnd, ids, drop, "s" + std::to_string(seed) + "-" + std::to_string(step));
    if (step % 50 == 0) chk.CheckLogMatching(c);
  }
  chk.CheckLogMatching(c);
  RunResult res{chk.violation(), chk.detail(), false, 0};
  if (!res.violation.empty()) return res;
  CheckLiveness(c, &res);
  std::string why;
  if (!c.StateMachinesConsistent(&why)) res.violation = "StateMachineSafety: " + why;
  if (res.violation.empty() && !chk.violation().empty()) res.violation = chk.violation();
  return res;
}

constexpr int kSeeds = 200;
constexpr int kSteps = 20000;

// The seeded runs happen once per test binary (SetUpTestSuite); one test per Figure 3 property
// (and one for liveness) then inspects the results. RQ_CHAOS_SEEDS=N and RQ_CHAOS_START=S run
// other seeds, for a long exploration.
class Figure3 : public ::testing::TestWithParam<std::string> {
 protected:
  struct Run {
    uint64_t seed;
    RunResult result;
  };
  static void SetUpTestSuite() {
    runs_ = new std::vector<Run>();
    uint64_t start = getenv("RQ_CHAOS_START") ? std::stoull(getenv("RQ_CHAOS_START")) : 1;
    uint64_t seeds = getenv("RQ_CHAOS_SEEDS") ? std::stoull(getenv("RQ_CHAOS_SEEDS")) : kSeeds;
    for (uint64_t seed = start; seed < start + seeds; ++seed) {
      runs_->push_back(Run{seed, RunChaos(seed, TestingKnobs{}, kSteps)});
    }
  }
  static void TearDownTestSuite() {
    delete runs_;
    runs_ = nullptr;
  }
  static std::vector<Run>* runs_;
};

std::vector<Figure3::Run>* Figure3::runs_ = nullptr;

TEST_P(Figure3, HoldsUnderRandomFaults) {
  const std::string& property = GetParam();
  uint64_t total_commits = 0;
  for (const Run& run : *runs_) {
    const RunResult& r = run.result;
    total_commits += r.committed;
    if (property == "Liveness") {
      EXPECT_TRUE(r.violation.empty() || r.live)
          << "seed " << run.seed << ": no progress after the faults stopped\n" << r.detail;
      continue;
    }
    EXPECT_NE(r.violation.rfind(property, 0), 0u)
        << "seed " << run.seed << ": " << r.violation << ": " << r.detail;
  }
  if (property == "Liveness") {
    EXPECT_GT(total_commits, runs_->size() * 20) << "runs made too little progress to matter";
  }
}

// Figure 3: Election Safety, Leader Append-Only, Log Matching, Leader Completeness, State
// Machine Safety.
INSTANTIATE_TEST_SUITE_P(Properties, Figure3,
                         ::testing::Values("ElectionSafety", "LeaderAppendOnly", "LogMatching",
                                           "LeaderCompleteness", "StateMachineSafety",
                                           "Liveness"),
                         [](const ::testing::TestParamInfo<std::string>& i) { return i.param; });

// The checkers themselves detect each violation (fabricated states).
TEST(SafetyChecker, DetectsEachViolation) {
  Cluster c({1, 2, 3});
  ASSERT_EQ(c.ElectLeader(1), 1u);
  ASSERT_TRUE(c.node(1).Propose("a").ok());
  c.Stabilize();
  const Peer& leader = c.peer(1);
  uint64_t last = leader.storage.LastIndex();
  {
    SafetyChecker chk;  // Leader Append-Only: the leader's entry at `last` changes.
    chk.OnReady(1, Ready{}, leader);
    CHECK_OK(c.peer(1).storage.Append(std::vector<Entry>{Entry{9, last, EntryType::kNormal, "z"}}));
    chk.OnReady(1, Ready{}, leader);
    EXPECT_EQ(chk.violation(), "LeaderAppendOnly");
  }
  {
    SafetyChecker chk;  // Log Matching: 1 and 2 agree at `last` but differ just below it.
    CHECK_OK(c.peer(2).storage.Append(
        std::vector<Entry>{Entry{2, last - 1, EntryType::kNormal, "other"},
                           Entry{9, last, EntryType::kNormal, "z"}}));
    chk.CheckLogMatching(c);
    EXPECT_EQ(chk.violation(), "LogMatching");
  }
  {
    SafetyChecker chk;  // State Machine Safety: two different entries applied at one index.
    Ready r1, r2;
    r1.committed_entries = {Entry{2, 50, EntryType::kNormal, "x"}};
    r2.committed_entries = {Entry{2, 50, EntryType::kNormal, "y"}};
    chk.OnReady(2, r1, c.peer(2));
    chk.OnReady(3, r2, c.peer(3));
    EXPECT_EQ(chk.violation(), "StateMachineSafety");
  }
  {
    SafetyChecker chk;  // Leader Completeness: an entry committed earlier is not in the log.
    Ready r;
    r.committed_entries = {Entry{1, 100, EntryType::kNormal, "not in the leader's log"}};
    Cluster old({1, 2, 3});  // applied in term 1 by a node of another history
    chk.OnReady(2, r, old.peer(2));
    chk.OnReady(1, Ready{}, leader);
    EXPECT_EQ(chk.violation(), "LeaderCompleteness");
  }
  {
    SafetyChecker chk;  // Election Safety: two leaders of the same term.
    Cluster other({1, 2, 3});
    ASSERT_EQ(other.ElectLeader(2), 2u);
    ASSERT_EQ(other.node(2).term(), c.node(1).term());
    chk.OnReady(1, Ready{}, c.peer(1));
    chk.OnReady(2, Ready{}, other.peer(2));
    EXPECT_EQ(chk.violation(), "ElectionSafety");
  }
}

// The checkers bite: with a deliberate bug on, some seed violates a Figure 3 property.
// Returns the first failing seed's violation, or "" if none of `seeds` failed.
std::string FirstViolation(const TestingKnobs& knobs, int seeds) {
  for (uint64_t seed = 1; seed <= static_cast<uint64_t>(seeds); ++seed) {
    RunResult r = RunChaos(seed, knobs, kSteps);
    if (!r.violation.empty()) return r.violation + " (seed " + std::to_string(seed) + ")";
  }
  return "";
}

// A bug may also surface as a CHECK crash (e.g. a follower told to commit beyond the log it
// actually persisted), which is how production would stop; both count as caught.
void ExpectCaught(const TestingKnobs& knobs) {
  EXPECT_DEATH(
      {
        std::string v = FirstViolation(knobs, 3000);
        if (!v.empty()) {
          fprintf(stderr, "violation: %s\n", v.c_str());
          abort();
        }
      },
      "violation|CHECK failed");
}

TEST(Figure3DeathTest, CheckersCatchVoteNotPersisted) {
  TestingKnobs k;
  k.vote_not_persisted = true;
  ExpectCaught(k);
}

TEST(Figure3DeathTest, CheckersCatchAckBeforeSync) {
  TestingKnobs k;
  k.ack_before_sync = true;
  ExpectCaught(k);
}

TEST(Figure3DeathTest, CheckersCatchCommitPrevTerm) {
  TestingKnobs k;
  k.commit_prev_term = true;
  ExpectCaught(k);
}

}  // namespace
}  // namespace raft
