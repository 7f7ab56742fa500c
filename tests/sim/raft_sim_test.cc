// The default-suite simulation tests: a fixed seed set under swarm faults must show no
// violation; a seed replays to the identical trace; and each deliberate raft bug
// (raft::TestingKnobs) must be caught within a bounded seed set.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "bugs.h"
#include "simulation.h"

namespace sim {
namespace {

constexpr int64_t kSecond = 1'000'000;

TEST(RaftSim, SameSeedSameTrace) {
  SimOptions o = SimOptions::Swarm(7, 20 * kSecond);
  o.partitions = o.crashes = o.torn_writes = o.membership = o.transfers = true;
  o.drop = 0.05;
  o.duplicate = 0.05;
  SimResult a = RunSimulation(o);
  SimResult b = RunSimulation(o);
  EXPECT_EQ(a.trace_hash, b.trace_hash);
  EXPECT_EQ(a.events, b.events);
  EXPECT_EQ(a.writes_ok, b.writes_ok);
  o.seed = 8;
  SimResult c = RunSimulation(o);
  EXPECT_NE(a.trace_hash, c.trace_hash) << "different seeds should give different traces";
}

TEST(RaftSim, QuietClusterMakesProgress) {
  for (int voters : {1, 3, 5, 7}) {
    SimOptions o;
    o.seed = 100 + voters;
    o.voters = voters;
    o.duration_us = 10 * kSecond;
    o.heal_us = 2 * kSecond;
    SimResult r = RunSimulation(o);
    ASSERT_TRUE(r.ok) << o.Describe() << "\n" << r.Summary();
    EXPECT_GT(r.writes_ok, 20u) << r.Summary();
    EXPECT_GT(r.reads_ok, 20u) << r.Summary();
    // Only the operations still in flight when the run ends may be unknown.
    EXPECT_LE(r.writes_unknown, static_cast<uint64_t>(o.clients)) << r.Summary();
    EXPECT_EQ(r.crashes, 0u);
  }
}

// The fixed seed set of the default suite: swarm faults over 1..7-node clusters.
TEST(RaftSim, FixedSeedsHaveNoViolations) {
  const int kSeeds = 300;
  const int64_t kSimSeconds = 30;
  int faulty = 0;
  for (uint64_t seed = 1; seed <= kSeeds; ++seed) {
    SimOptions o = SimOptions::Swarm(seed, kSimSeconds * kSecond);
    SimResult r = RunSimulation(o);
    ASSERT_TRUE(r.ok) << o.Describe() << "\n" << r.Summary()
                      << "\nreplay: raft_sim --seed=" << seed << " --sim-seconds=" << kSimSeconds;
    if (o.crashes || o.partitions) ++faulty;
  }
  EXPECT_GT(faulty, kSeeds / 2);
}

// Each deliberate bug (raft::TestingKnobs) must be caught within a bounded seed set. With
// `direct_checks` the rule checks may fire (persist-before-send, the commit rule); without
// them the bug must show through its consequences (two votes in a term, lost acknowledged
// entries, leader completeness, a non-linearizable history, ...).
struct BugCase {
  std::string bug;
  bool direct_checks;
};

class BugDetection : public ::testing::TestWithParam<BugCase> {};

TEST_P(BugDetection, SimulatorCatchesTheBug) {
  const BugCase& c = GetParam();
  const uint64_t kMaxSeeds = 200;
  for (uint64_t seed = 1; seed <= kMaxSeeds; ++seed) {
    SimOptions o = SimOptions::ForBug(c.bug, seed, 30 * kSecond);
    o.direct_checks = c.direct_checks;
    SimResult r = RunSimulation(o);
    if (!r.ok) {
      std::printf("caught %s (direct_checks=%d) at seed %llu: %s\n", c.bug.c_str(),
                  c.direct_checks, static_cast<unsigned long long>(seed),
                  r.failure.substr(0, r.failure.find('\n')).c_str());
      return;
    }
  }
  FAIL() << "bug " << c.bug << " went undetected in " << kMaxSeeds << " seeds";
}

INSTANTIATE_TEST_SUITE_P(
    Knobs, BugDetection,
    ::testing::Values(BugCase{"commit_prev_term", true}, BugCase{"readindex_no_heartbeat", false},
                      BugCase{"vote_not_persisted", true}, BugCase{"vote_not_persisted", false},
                      BugCase{"ack_before_sync", true}, BugCase{"ack_before_sync", false}),
    [](const auto& info) {
      return info.param.bug + (info.param.direct_checks ? "_direct" : "_consequences");
    });

}  // namespace
}  // namespace sim
