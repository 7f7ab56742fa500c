#include "replica/local_replica.h"

#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <thread>

#include "fs/mem_file_system.h"

namespace replica {
namespace {

LocalReplicaOptions Opts() {
  LocalReplicaOptions o;
  o.dir = "/d/log";
  o.log_options.segment_bytes = 1 << 20;
  return o;
}

class Recorder : public Applier {
 public:
  void Apply(std::vector<Committed>& entries) override {
    std::lock_guard<std::mutex> l(mu);
    for (auto& e : entries) applied.push_back(e);
    cv.notify_all();
  }
  void Dropped(uint64_t token, base::Status status) override {
    std::lock_guard<std::mutex> l(mu);
    dropped.push_back(token);
    cv.notify_all();
  }
  bool WaitFor(size_t n) {
    std::unique_lock<std::mutex> l(mu);
    return cv.wait_for(l, std::chrono::seconds(10), [&] { return applied.size() >= n; });
  }
  std::mutex mu;
  std::condition_variable cv;
  std::vector<Committed> applied;
  std::vector<uint64_t> dropped;
};

TEST(LocalReplica, ProposeApplyInOrderWithTokensAndGroupCommit) {
  fs::MemFileSystem fs;
  Recorder rec;
  {
    base::SerialExecutor log("log"), apply("apply");
    auto r = LocalReplica::Open(Opts(), &fs, &log, &apply, &rec,
                                [](uint64_t f, uint64_t l) { return l; });
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_TRUE((*r)->IsLeader());
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < 250; ++i) (*r)->Propose("x", 1 + t * 1000 + i);
      });
    }
    for (auto& t : threads) t.join();
    ASSERT_TRUE(rec.WaitFor(1000));
    Stats s = (*r)->GetStats();
    EXPECT_EQ(s.commit_index, 1000u);
    EXPECT_EQ(s.proposals, 1000u);
    EXPECT_LE(s.syncs, 1000u);
    (*r)->Close();
    EXPECT_FALSE((*r)->IsLeader());
    (*r)->Propose("late", 99999);
    EXPECT_EQ(rec.dropped, std::vector<uint64_t>{99999});
  }
  for (size_t i = 0; i < rec.applied.size(); ++i) EXPECT_EQ(rec.applied[i].index, i + 1);
  std::set<uint64_t> tokens;
  for (auto& e : rec.applied) tokens.insert(e.token);
  EXPECT_EQ(tokens.size(), 1000u);
}

TEST(LocalReplica, ReplaysEntriesAfterAppliedIndexAfterCrash) {
  fs::MemFileSystem fs;
  {
    Recorder rec;
    base::SerialExecutor log("log"), apply("apply");
    auto r = LocalReplica::Open(Opts(), &fs, &log, &apply, &rec,
                                [](uint64_t f, uint64_t l) { return l; });
    ASSERT_TRUE(r.ok());
    for (int i = 1; i <= 10; ++i) (*r)->Propose("c" + std::to_string(i), i);
    ASSERT_TRUE(rec.WaitFor(10));  // applied => durable
    (*r)->Close();
  }
  fs.Crash({});
  Recorder rec;
  base::SerialExecutor log("log"), apply("apply");
  uint64_t seen_first = 0, seen_last = 0;
  auto r = LocalReplica::Open(Opts(), &fs, &log, &apply, &rec,
                              [&](uint64_t f, uint64_t l) {
                                seen_first = f;
                                seen_last = l;
                                return uint64_t{6};
                              });
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(seen_first, 1u);
  EXPECT_EQ(seen_last, 10u);
  ASSERT_TRUE(rec.WaitFor(4));
  EXPECT_EQ(rec.applied[0].index, 7u);
  EXPECT_EQ(rec.applied[0].data, "c7");
  EXPECT_EQ(rec.applied[0].token, 0u);
  (*r)->Propose("c11", 5);
  ASSERT_TRUE(rec.WaitFor(5));
  EXPECT_EQ(rec.applied[4].index, 11u);
  EXPECT_EQ(rec.applied[4].token, 5u);
  (*r)->Compact(11);
  (*r)->Close();
  EXPECT_EQ((*r)->GetStats().snapshot_index, 11u);
}

TEST(LocalReplica, CompactionMovesTheLogStart) {
  fs::MemFileSystem fs;
  LocalReplicaOptions o;
  o.dir = "/d/log";
  o.log_options.segment_bytes = 4096;
  {
    Recorder rec;
    base::SerialExecutor log("log"), apply("apply");
    auto r = LocalReplica::Open(o, &fs, &log, &apply, &rec, [](uint64_t, uint64_t l) { return l; });
    ASSERT_TRUE(r.ok());
    for (int i = 1; i <= 200; ++i) (*r)->Propose(std::string(100, 'x'), i);
    ASSERT_TRUE(rec.WaitFor(200));
    (*r)->Compact(150);
    (*r)->Close();
  }
  Recorder rec;
  base::SerialExecutor log("log"), apply("apply");
  uint64_t first = 0;
  auto r = LocalReplica::Open(o, &fs, &log, &apply, &rec, [&](uint64_t f, uint64_t l) {
    first = f;
    return uint64_t{180};
  });
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(first, 151u);
  ASSERT_TRUE(rec.WaitFor(20));
  EXPECT_EQ(rec.applied.front().index, 181u);
  EXPECT_EQ(rec.applied.back().index, 200u);
}

TEST(LocalReplica, AppliedIndexOutsideLogFailsOpen) {
  fs::MemFileSystem fs;
  Recorder rec;
  base::SerialExecutor log("log"), apply("apply");
  auto r = LocalReplica::Open(Opts(), &fs, &log, &apply, &rec,
                              [](uint64_t, uint64_t) { return uint64_t{5}; });
  EXPECT_EQ(r.status().code(), base::Code::kCorruption);
}

}  // namespace
}  // namespace replica
