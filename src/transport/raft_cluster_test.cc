// Three RaftReplicas over real loopback TCP in one process: each node has its own io_context
// thread, raft executor and apply executor, and a raftlog directory on disk.
// (Lives in transport/ because replica/ may not depend on transport/.)
#include <gtest/gtest.h>

#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "fs/posix_file_system.h"
#include "replica/raft_replica.h"
#include "transport/tcp_transport.h"

namespace transport {
namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;
using replica::Committed;
using replica::RaftReplica;
using replica::Role;

constexpr auto kWait = std::chrono::seconds(20);

class Recorder : public replica::Applier {
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
  std::vector<std::string> Data() {
    std::lock_guard<std::mutex> l(mu);
    std::vector<std::string> out;
    for (auto& e : applied) out.push_back(e.data);
    return out;
  }
  template <typename Pred>
  bool WaitUntil(Pred pred) {
    std::unique_lock<std::mutex> l(mu);
    return cv.wait_for(l, kWait, pred);
  }

  // Snapshot hooks. An image is a file: the applied index, then one applied datum per line.
  // Writes an image of everything applied so far and returns its index.
  uint64_t MakeImage() {
    std::lock_guard<std::mutex> l(mu);
    const std::string path = snap_dir + "/image-" + std::to_string(last_index);
    std::ofstream f(path, std::ios::trunc);
    f << last_index << "\n";
    for (auto& e : applied) f << e.data << "\n";
    f.close();
    image_path = path;
    image_index = last_index;
    return last_index;
  }
  base::Result<replica::SnapshotImage> LatestImage() override {
    std::lock_guard<std::mutex> l(mu);
    if (image_index == 0) return base::NotFound("no image");
    return replica::SnapshotImage{image_path, image_index, "ctx-" + std::to_string(image_index)};
  }
  base::Status AdoptImage(const std::string& path, uint64_t size, uint32_t, const raft::SnapshotMeta& meta,
                          const std::string& context) override {
    std::lock_guard<std::mutex> l(mu);
    EXPECT_EQ(std::filesystem::file_size(path), size);
    EXPECT_EQ(context, "ctx-" + std::to_string(meta.index));
    image_path = snap_dir + "/adopted-" + std::to_string(meta.index);
    std::filesystem::rename(path, image_path);
    image_index = meta.index;
    return base::Status::Ok();
  }
  base::Status RestoreImage(const raft::SnapshotMeta& meta) override {
    std::lock_guard<std::mutex> l(mu);
    std::ifstream f(image_path);
    uint64_t index = 0;
    f >> index;
    if (index != meta.index) return base::Corruption("image index mismatch");
    applied.clear();
    std::string line;
    std::getline(f, line);
    while (std::getline(f, line)) applied.push_back(Committed{0, 0, line, 0});
    last_index = meta.index;
    restored_from = meta.index;
    cv.notify_all();
    return base::Status::Ok();
  }

  std::mutex mu;
  std::condition_variable cv;
  std::vector<Committed> applied;
  std::map<uint64_t, base::Status> dropped;
  uint64_t last_index = 0;
  std::string snap_dir;
  std::string image_path;    // newest image (made or adopted)
  uint64_t image_index = 0;
  uint64_t restored_from = 0;  // index of the snapshot installed, if any
};

// One node: io thread + executors + transport + replica. Destroying it is a clean "crash":
// everything synced stays in its directory.
class TestNode {
 public:
  TestNode(raft::NodeId id, const std::string& dir, uint16_t port, fs::FileSystem* fs)
      : id_(id), guard_(asio::make_work_guard(io_)), io_thread_([this] { io_.run(); }) {
    Options to;
    to.self = id;
    to.listen_addr = "127.0.0.1:" + std::to_string(port);
    to.backoff_min_ms = 10;
    to.backoff_max_ms = 200;
    to.snapshot_dir = dir + "-snap";
    std::filesystem::create_directories(to.snapshot_dir);
    applier.snap_dir = to.snapshot_dir;
    transport_ = std::make_unique<TcpTransport>(io_, to);
    listen_status_ = transport_->Listen();
    replica::RaftReplicaOptions ro;
    ro.node_id = id;
    ro.dir = dir;
    ro.peers = {1, 2, 3};
    ro.election_ticks = 30;  // 10 ms ticks: 300-600 ms, robust against a loaded machine
    ro.seed = 42;
    ro.log_options.segment_bytes = 4 << 20;
    ro.trailing_logs = 10;
    auto r = RaftReplica::Open(ro, fs, &raft_exec_, &apply_exec_, &applier, transport_.get(),
                               [](uint64_t first, uint64_t) { return first - 1; });
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (r.ok()) replica = std::move(*r);
    transport_->Start(replica.get());
  }
  ~TestNode() {
    replica->Close();
    transport_->Close();
    replica.reset();
    transport_.reset();
    guard_.reset();
    io_.stop();
    io_thread_.join();
  }
  bool listening() const { return listen_status_.ok(); }
  uint16_t port() const { return transport_->port(); }
  void SetPeer(raft::NodeId id, uint16_t port) {
    transport_->SetPeer(id, "127.0.0.1:" + std::to_string(port));
  }

  Recorder applier;
  std::unique_ptr<RaftReplica> replica;

 private:
  raft::NodeId id_;
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> guard_;
  std::thread io_thread_;
  base::SerialExecutor raft_exec_{"raft"};
  base::SerialExecutor apply_exec_{"apply"};
  std::unique_ptr<TcpTransport> transport_;
  base::Status listen_status_;
};

class RaftClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/raft_cluster_test.XXXXXX";
    root_ = mkdtemp(tmpl);
    for (raft::NodeId id = 1; id <= 3; ++id) Start(id, 0);
    ticker_ = std::thread([this] { TickLoop(); });
  }
  void TearDown() override {
    stop_ticker_ = true;
    ticker_.join();
    for (auto& n : nodes_) n.reset();
    std::filesystem::remove_all(root_);
  }

  // Starts node `id` (port 0: a fresh port, otherwise the port it had) and wires peers.
  void Start(raft::NodeId id, uint16_t port) {
    auto n = std::make_unique<TestNode>(id, root_ + "/node" + std::to_string(id), port, &fs_);
    ASSERT_TRUE(n->listening());
    ports_[id] = n->port();
    {
      std::lock_guard<std::mutex> l(mu_);
      nodes_[id - 1] = std::move(n);
    }
    for (raft::NodeId a = 1; a <= 3; ++a) {
      for (raft::NodeId b = 1; b <= 3; ++b) {
        if (a != b && nodes_[a - 1] && ports_.count(b)) nodes_[a - 1]->SetPeer(b, ports_[b]);
      }
    }
  }
  void Stop(raft::NodeId id) {
    std::unique_ptr<TestNode> n;
    {
      std::lock_guard<std::mutex> l(mu_);
      n = std::move(nodes_[id - 1]);
    }
    n.reset();
  }
  TestNode* node(raft::NodeId id) { return nodes_[id - 1].get(); }

  void TickLoop() {
    while (!stop_ticker_) {
      {
        std::lock_guard<std::mutex> l(mu_);
        for (auto& n : nodes_) {
          if (n) n->replica->Tick();
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));  // the clock, not a wait
    }
  }

  // Waits until every running node reports the same leader, and returns it (0 on timeout).
  raft::NodeId WaitForLeader() {
    const auto deadline = Clock::now() + kWait;
    while (Clock::now() < deadline) {
      raft::NodeId leader = 0;
      bool agreed = true;
      for (auto& n : nodes_) {
        if (!n) continue;
        auto st = n->replica->GetRaftStatus();
        if (st.leader == 0 || (leader != 0 && st.leader != leader)) agreed = false;
        leader = st.leader;
      }
      if (agreed && leader != 0 && nodes_[leader - 1] && nodes_[leader - 1]->replica->IsLeader()) {
        return leader;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));  // poll interval
    }
    return 0;
  }

  void ProposeAll(raft::NodeId on, int from, int to) {
    for (int i = from; i < to; ++i) node(on)->replica->Propose("cmd" + std::to_string(i), i + 1);
  }
  bool WaitApplied(raft::NodeId id, size_t n) {
    Recorder& r = node(id)->applier;
    return r.WaitUntil([&] { return r.applied.size() >= n; });
  }
  static std::vector<std::string> Expected(int n) {
    std::vector<std::string> v;
    for (int i = 0; i < n; ++i) v.push_back("cmd" + std::to_string(i));
    return v;
  }

  std::string root_;
  fs::PosixFileSystem fs_;
  std::mutex mu_;
  std::unique_ptr<TestNode> nodes_[3];
  std::map<raft::NodeId, uint16_t> ports_;
  std::atomic<bool> stop_ticker_{false};
  std::thread ticker_;
};

TEST_F(RaftClusterTest, ElectsLeaderAndReplicatesInOrder) {
  const raft::NodeId leader = WaitForLeader();
  ASSERT_NE(leader, 0u);
  ProposeAll(leader, 0, 200);
  for (raft::NodeId id = 1; id <= 3; ++id) {
    ASSERT_TRUE(WaitApplied(id, 200)) << "node " << id;
    EXPECT_EQ(node(id)->applier.Data(), Expected(200)) << "node " << id;
  }
  // Tokens come back only on the proposer, in proposal order.
  std::lock_guard<std::mutex> l(node(leader)->applier.mu);
  for (size_t i = 0; i < 200; ++i) EXPECT_EQ(node(leader)->applier.applied[i].token, i + 1);
  for (raft::NodeId id = 1; id <= 3; ++id) {
    if (id == leader) continue;
    for (auto& e : node(id)->applier.applied) EXPECT_EQ(e.token, 0u);
  }
  EXPECT_TRUE(node(leader)->applier.dropped.empty());
  auto stats = node(leader)->replica->GetStats();
  EXPECT_EQ(stats.role, Role::kLeader);
  EXPECT_GE(stats.commit_index, 200u);
  EXPECT_LT(stats.syncs, 200u + 20u);  // group commit: far fewer syncs than proposals (loose)
}

TEST_F(RaftClusterTest, ProposalOnFollowerFailsWithNotLeader) {
  const raft::NodeId leader = WaitForLeader();
  ASSERT_NE(leader, 0u);
  const raft::NodeId follower = leader % 3 + 1;
  node(follower)->replica->Propose("x", 77);
  Recorder& r = node(follower)->applier;
  ASSERT_TRUE(r.WaitUntil([&] { return r.dropped.count(77) == 1; }));
  EXPECT_EQ(r.dropped[77].code(), base::Code::kNotLeader);
  EXPECT_FALSE(node(follower)->replica->IsLeader());
}

TEST_F(RaftClusterTest, ReadIndexOnLeaderWaitsForApply) {
  const raft::NodeId leader = WaitForLeader();
  ASSERT_NE(leader, 0u);
  ProposeAll(leader, 0, 10);
  ASSERT_TRUE(WaitApplied(leader, 10));
  std::mutex mu;
  std::condition_variable cv;
  std::vector<base::Result<uint64_t>> got;
  auto cb = [&](base::Result<uint64_t> r) {
    std::lock_guard<std::mutex> l(mu);
    got.push_back(std::move(r));
    cv.notify_all();
  };
  node(leader)->replica->ReadIndex(cb);
  node(leader % 3 + 1)->replica->ReadIndex(cb);
  std::unique_lock<std::mutex> l(mu);
  ASSERT_TRUE(cv.wait_for(l, kWait, [&] { return got.size() == 2; }));
  int ok = 0, not_leader = 0;
  for (auto& r : got) {
    if (r.ok()) {
      ok++;
      EXPECT_GE(*r, node(leader)->applier.applied.back().index);
      EXPECT_LE(*r, node(leader)->replica->GetRaftStatus().applied_index);
    } else if (r.status().code() == base::Code::kNotLeader) {
      not_leader++;
    }
  }
  EXPECT_EQ(ok, 1);
  EXPECT_EQ(not_leader, 1);
}

TEST_F(RaftClusterTest, NewLeaderAfterLeaderStops) {
  const raft::NodeId leader = WaitForLeader();
  ASSERT_NE(leader, 0u);
  ProposeAll(leader, 0, 50);
  for (raft::NodeId id = 1; id <= 3; ++id) ASSERT_TRUE(WaitApplied(id, 50));
  const auto t0 = Clock::now();
  Stop(leader);
  const raft::NodeId next = WaitForLeader();
  ASSERT_NE(next, 0u);
  ASSERT_NE(next, leader);
  const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0);
  EXPECT_LT(elapsed.count(), 10000);
  ProposeAll(next, 50, 80);
  for (raft::NodeId id = 1; id <= 3; ++id) {
    if (id == leader) continue;
    ASSERT_TRUE(WaitApplied(id, 80)) << "node " << id;
    EXPECT_EQ(node(id)->applier.Data(), Expected(80)) << "node " << id;
  }
}

TEST_F(RaftClusterTest, RestartedNodeCatchesUpFromItsLog) {
  const raft::NodeId leader = WaitForLeader();
  ASSERT_NE(leader, 0u);
  const raft::NodeId follower = leader % 3 + 1;
  ProposeAll(leader, 0, 40);
  for (raft::NodeId id = 1; id <= 3; ++id) ASSERT_TRUE(WaitApplied(id, 40));
  const uint16_t port = ports_[follower];
  Stop(follower);
  ProposeAll(leader, 40, 100);  // committed by the two remaining voters
  ASSERT_TRUE(WaitApplied(leader, 100));
  Start(follower, port);
  // The restarted node replays its own log (applier starts empty) and then catches up.
  ASSERT_TRUE(WaitApplied(follower, 100));
  EXPECT_EQ(node(follower)->applier.Data(), Expected(100));
  EXPECT_EQ(WaitForLeader(), leader);  // check-quorum lease: no disruption by the restart
}

// The follower is down while the leader compacts its log past the follower's position: on
// restart it gets the leader's image over a snapshot stream (service 0x03 on the same port),
// installs it, and continues from the log.
TEST_F(RaftClusterTest, RestartedNodeCatchesUpFromSnapshotOverTcp) {
  const raft::NodeId leader = WaitForLeader();
  ASSERT_NE(leader, 0u);
  const raft::NodeId follower = leader % 3 + 1;
  ProposeAll(leader, 0, 40);
  for (raft::NodeId id = 1; id <= 3; ++id) ASSERT_TRUE(WaitApplied(id, 40));
  const uint16_t port = ports_[follower];
  const uint64_t follower_last = node(follower)->replica->GetStats().last_log_index;
  Stop(follower);
  ProposeAll(leader, 40, 300);
  ASSERT_TRUE(WaitApplied(leader, 300));
  const uint64_t image = node(leader)->applier.MakeImage();
  node(leader)->replica->Compact(image);
  const auto deadline = Clock::now() + kWait;
  while (node(leader)->replica->GetStats().first_log_index <= follower_last + 1 &&
         Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // poll interval
  }
  ASSERT_GT(node(leader)->replica->GetStats().first_log_index, follower_last + 1);
  ProposeAll(leader, 300, 320);  // entries after the image
  ASSERT_TRUE(WaitApplied(leader, 320));
  Start(follower, port);
  ASSERT_TRUE(WaitApplied(follower, 320));
  EXPECT_EQ(node(follower)->applier.Data(), Expected(320));
  {
    std::lock_guard<std::mutex> l(node(follower)->applier.mu);
    EXPECT_EQ(node(follower)->applier.restored_from, image);
  }
  // The replica publishes its applied index just after the applier returns: poll.
  const uint64_t target = node(leader)->replica->GetRaftStatus().applied_index;
  const auto until = Clock::now() + kWait;
  while (node(follower)->replica->GetRaftStatus().applied_index < target && Clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));  // poll interval
  }
  EXPECT_EQ(node(follower)->replica->GetRaftStatus().applied_index, target);
}

// Figures, not assertions: run with --gtest_also_run_disabled_tests --gtest_filter=*Throughput*
TEST_F(RaftClusterTest, DISABLED_Throughput) {
  const raft::NodeId leader = WaitForLeader();
  ASSERT_NE(leader, 0u);
  Recorder& r = node(leader)->applier;
  // Sequential: one proposal at a time (leader fsync + follower fsync + 2 network hops each).
  const int kSeq = 200;
  auto t0 = Clock::now();
  for (int i = 0; i < kSeq; ++i) {
    node(leader)->replica->Propose(std::string(100, 'x'), i + 1);
    ASSERT_TRUE(r.WaitUntil([&] { return r.applied.size() == static_cast<size_t>(i + 1); }));
  }
  double seq_s = std::chrono::duration<double>(Clock::now() - t0).count();
  // Pipelined: everything proposed at once; group commit batches them.
  const int kBurst = 20000;
  const uint64_t syncs0 = node(leader)->replica->GetStats().syncs;
  t0 = Clock::now();
  for (int i = 0; i < kBurst; ++i) node(leader)->replica->Propose(std::string(100, 'x'), 0);
  ASSERT_TRUE(r.WaitUntil([&] { return r.applied.size() == static_cast<size_t>(kSeq + kBurst); }));
  double burst_s = std::chrono::duration<double>(Clock::now() - t0).count();
  const uint64_t syncs = node(leader)->replica->GetStats().syncs - syncs0;
  printf("sequential: %d commits in %.3f s = %.2f ms/commit\n", kSeq, seq_s, 1000 * seq_s / kSeq);
  printf("burst: %d commits in %.3f s = %.0f commits/s, %lu leader syncs (%.1f entries/sync)\n",
         kBurst, burst_s, kBurst / burst_s, static_cast<unsigned long>(syncs),
         static_cast<double>(kBurst) / syncs);
}

}  // namespace
}  // namespace transport
