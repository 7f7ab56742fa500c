// The default-suite simulation tests: a fixed seed set under swarm faults must show no
// violation; a seed replays to the identical trace; and each deliberate raft bug
// (raft::TestingKnobs) must be caught within a bounded seed set.
#include <gtest/gtest.h>

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
    EXPECT_EQ(r.writes_unknown, 0u) << r.Summary();
  }
}

// The fixed seed set of the default suite: swarm faults over 1..7-node clusters.
TEST(RaftSim, FixedSeedsHaveNoViolations) {
  const int kSeeds = 120;
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

// Fault settings that give each deliberate bug a chance to show.
SimOptions BugOptions(std::string_view bug, uint64_t seed) {
  SimOptions o = SimOptions::Swarm(seed, 30 * kSecond);
  EXPECT_TRUE(EnableBug(bug, &o.knobs));
  o.voters = 3 + 2 * static_cast<int>(seed % 2);
  o.clients = 4;
  o.keys = 2;
  o.membership = false;
  o.nemesis_every_us = 300'000;
  if (bug == "readindex_no_heartbeat") {
    o.partitions = true;
    o.crashes = false;
    o.transfers = true;
  } else if (bug == "commit_prev_term") {
    o.partitions = o.crashes = true;
    o.torn_writes = false;
    o.drop = 0.1;
  } else if (bug == "vote_not_persisted") {
    o.crashes = o.partitions = true;
    o.nemesis_every_us = 150'000;
  } else if (bug == "ack_before_sync") {
    o.crashes = true;
    o.torn_writes = false;
    o.disk_sync_min_us = 5'000;
    o.disk_sync_max_us = 40'000;
  }
  return o;
}

class BugDetection : public ::testing::TestWithParam<std::string> {};

TEST_P(BugDetection, SimulatorCatchesTheBug) {
  const uint64_t kMaxSeeds = 200;
  for (uint64_t seed = 1; seed <= kMaxSeeds; ++seed) {
    SimOptions o = BugOptions(GetParam(), seed);
    SimResult r = RunSimulation(o);
    if (!r.ok) {
      std::printf("caught %s at seed %llu: %s\n", GetParam().c_str(),
                  static_cast<unsigned long long>(seed), r.failure.substr(0, 300).c_str());
      return;
    }
  }
  FAIL() << "bug " << GetParam() << " went undetected in " << kMaxSeeds << " seeds";
}

INSTANTIATE_TEST_SUITE_P(Knobs, BugDetection,
                         ::testing::Values("commit_prev_term", "readindex_no_heartbeat",
                                           "vote_not_persisted", "ack_before_sync"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace sim
