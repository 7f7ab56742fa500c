// store/snapshot_test.cc — snapshots end to end on three real stores (SQLite, RaftReplica,
// raftlog) joined by an in-process transport whose SendSnapshot copies the image file the way
// transport/ streams it (transport/snapshot_stream_test.cc covers the sockets):
//   * a follower isolated while the others write past the log's kept entries catches up from a
//     snapshot (it adopts the leader's image) and ends with identical state;
//   * a restart with a damaged or missing database file rebuilds from snapshot + log.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <set>
#include <thread>

#include "base/clock.h"
#include "base/executor.h"
#include "replica/testing_network_test_util.h"
#include "snapshot/snapshot_store.h"
#include "store/membership.h"
#include "store/cluster_test_util.h"
#include "store/store.h"

namespace store {
namespace {

using SteadyClock = std::chrono::steady_clock;

template <typename Pred>
bool Eventually(Pred pred, std::chrono::seconds limit = std::chrono::seconds(60)) {
  const auto deadline = SteadyClock::now() + limit;
  while (SteadyClock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // poll interval
  }
  return pred();
}

// The shared in-process network, plus snapshot delivery like transport/'s: the receiver gets
// a checked copy of the image in its snapshot directory.
class Net : public replica::testing::Network {
 public:
  void Attach(raft::NodeId id, replica::TransportHandler* h, std::string snap_dir) {
    Network::Attach(id, h);
    std::lock_guard<std::mutex> l(mu_);
    snap_dirs_[id] = std::move(snap_dir);
  }
  bool DeliverSnapshot(raft::Message m, const std::string& image) {
    std::string dst;
    {
      std::lock_guard<std::mutex> l(mu_);
      dst = snap_dirs_[m.to] + "/incoming-" + std::to_string(seq_++) + ".tmp";
    }
    raft::NodeId to = m.to;
    bool ok = false;
    bool linked = WithLink(m, [&](replica::TransportHandler* h) {
      std::error_code ec;
      if (!std::filesystem::copy_file(image, dst, ec)) return;
      uint64_t size = 0;
      uint32_t crc = 0;
      if (!snapshot::ChecksumFile(dst, &size, &crc).ok()) return;
      ok = true;
      h->OnSnapshot(std::move(m), dst, size, crc);
    });
    if (!linked || !ok) return false;
    std::lock_guard<std::mutex> l(mu_);
    sent_to_[to]++;
    return true;
  }
  int SentTo(raft::NodeId id) {
    std::lock_guard<std::mutex> l(mu_);
    return sent_to_[id];
  }

 private:
  std::mutex mu_;
  std::map<raft::NodeId, std::string> snap_dirs_;
  std::map<raft::NodeId, int> sent_to_;  // snapshots delivered, by receiver
  uint64_t seq_ = 0;
};

class NetTransport : public replica::testing::NetworkTransport {
 public:
  explicit NetTransport(Net* net) : NetworkTransport(net), net_(net) {}
  void SendSnapshot(raft::Message m, std::string image, std::function<void(bool)> done) override {
    done(net_->DeliverSnapshot(std::move(m), image));
  }

 private:
  Net* net_;
};

struct Node {
  explicit Node(Net* net) : transport(net) {}
  base::SerialExecutor apply{"apply"}, log{"log"}, read{"read"}, released{"released"};
  NetTransport transport;
  std::unique_ptr<Store> store;
};

class StoreSnapshotTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/store_snapshot_XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    ticker_ = std::make_unique<testing::RaftTicker>([this] {
      std::lock_guard<std::mutex> l(mu_);
      for (auto& [id, n] : nodes_) {
        if (n->store) n->store->RaftTick();
      }
    });
  }
  void TearDown() override {
    ticker_->Stop();
    for (auto& [id, n] : nodes_) Stop(id);
    std::filesystem::remove_all(dir_);
  }
  StoreConfig Config(const std::string& id) {
    StoreConfig c = testing::ClusterNodeConfig(dir_, id);
    c.snapshot_threshold = 100;
    c.trailing_logs = 20;
    return c;
  }
  void Start(const std::string& id, StoreConfig c) {
    Node* n;
    {
      std::lock_guard<std::mutex> l(mu_);
      auto& slot = nodes_[id];
      if (!slot) slot = std::make_unique<Node>(&net_);
      n = slot.get();
    }
    StoreDeps deps;
    deps.clock = &clock_;
    deps.apply = &n->apply;
    deps.log = &n->log;
    deps.read = &n->read;
    deps.released_reads = &n->released;
    deps.transport = &n->transport;
    auto s = Store::Open(c, deps);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    net_.Attach(NodeIdFor(id), (*s)->transport_handler(), c.dir + "/snapshots");
    std::lock_guard<std::mutex> l(mu_);
    n->store = std::move(*s);
  }
  void Stop(const std::string& id) {
    Node* n = nodes_[id].get();
    if (!n || !n->store) return;
    net_.Detach(NodeIdFor(id));
    n->store->Close();
    std::lock_guard<std::mutex> l(mu_);
    n->store.reset();
  }
  Store* S(const std::string& id) { return nodes_.at(id)->store.get(); }

  void Form() {
    Start("n1", Config("n1"));
    for (const char* id : {"n2", "n3"}) {
      StoreConfig c = Config(id);
      c.join = true;
      Start(id, c);
      ASSERT_TRUE(S("n1")->Join({id, c.raft_addr, true, {}}).ok());
    }
    for (const char* id : {"n1", "n2", "n3"}) {
      ASSERT_TRUE(Eventually([&] { return S(id)->Leader().id == "n1"; })) << id;
    }
  }
  // `n` inserts as `n` concurrent requests (one log entry each); all must succeed.
  void Write(const std::string& id, int n, int from) {
    std::vector<std::promise<api::Response>> ps(n);
    for (int i = 0; i < n; ++i) {
      api::ExecuteRequest r;
      r.statements.push_back(api::Statement{
          "INSERT INTO t(id, v) VALUES(" + std::to_string(from + i) + ", 'value " +
              std::to_string(from + i) + "')",
          {}, false, false});
      S(id)->Execute(std::move(r), [&ps, i](api::Response resp) { ps[i].set_value(resp); });
    }
    for (auto& p : ps) {
      api::Response r = p.get_future().get();
      ASSERT_TRUE(r.status.ok()) << r.status.ToString();
      ASSERT_EQ(r.results.size(), 1u);
      ASSERT_TRUE(r.results[0].error.empty()) << r.results[0].error;
    }
  }
  // count(*) and a checksum of every row, read locally (level none). "" on error.
  std::string State(const std::string& id) {
    api::QueryRequest r;
    r.statements.push_back(api::Statement{
        "SELECT count(*) || ':' || coalesce(sum(id * length(v)), 0) FROM t", {}, false, false});
    r.level = api::Level::kNone;
    std::promise<api::Response> p;
    S(id)->Query(std::move(r), [&](api::Response resp) { p.set_value(std::move(resp)); });
    api::Response resp = p.get_future().get();
    if (!resp.status.ok() || resp.results.size() != 1 || resp.results[0].values.size() != 1) {
      return "";
    }
    const auto* s = std::get_if<std::string>(&resp.results[0].values[0][0]);
    return s ? *s : "";
  }
  // The newest snapshot in a node's directory, or index 0.
  // Reads the .meta files only (SnapshotStore::Open would delete the live store's temp files).
  snapshot::Meta Newest(const std::string& id) {
    snapshot::Meta best;
    std::error_code ec;
    for (auto& e : std::filesystem::directory_iterator(dir_ + "/" + id + "/snapshots", ec)) {
      if (e.path().extension() != ".meta") continue;
      std::ifstream f(e.path(), std::ios::binary);
      std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
      auto m = snapshot::DecodeMeta(bytes);
      if (m.ok() && m->index >= best.index) best = *m;
    }
    return best;
  }

  std::string dir_;
  base::SystemClock clock_;
  Net net_;
  std::mutex mu_;
  std::map<std::string, std::unique_ptr<Node>> nodes_;
  std::unique_ptr<testing::RaftTicker> ticker_;
};

TEST_F(StoreSnapshotTest, IsolatedFollowerCatchesUpFromSnapshotThenRestartRebuilds) {
  Form();
  api::ExecuteRequest create;
  create.statements.push_back(
      api::Statement{"CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)", {}, false, false});
  std::promise<api::Response> cp;
  S("n1")->Execute(std::move(create), [&](api::Response r) { cp.set_value(std::move(r)); });
  ASSERT_TRUE(cp.get_future().get().status.ok());
  Write("n1", 30, 0);
  ASSERT_TRUE(Eventually([&] { return State("n3") == State("n1") && !State("n3").empty(); }));

  // n3 misses many entries; the leader snapshots and compacts its log beyond n3's position.
  net_.Isolate(NodeIdFor("n3"), true);
  const std::string n3_before = State("n3");
  for (int round = 0; round < 3; ++round) Write("n1", 100, 1000 + round * 100);
  // A member joins meanwhile: its ConfChange ends up in the range n3 only gets as a snapshot.
  StoreConfig c4 = Config("n4");
  c4.join = true;
  Start("n4", c4);
  ASSERT_TRUE(S("n1")->Join({"n4", c4.raft_addr, true, {}}).ok());
  for (int round = 3; round < 6; ++round) Write("n1", 100, 1000 + round * 100);
  int extra = 0;
  ASSERT_TRUE(Eventually([&] {
    Write("n1", 1, 9000 + extra++);  // images are rate-limited: applies retry the deferred one
    return Newest("n1").index > 500;
  }));
  Write("n1", 10, 5000);  // later entries, after the image
  EXPECT_EQ(State("n3"), n3_before);
  EXPECT_EQ(net_.SentTo(NodeIdFor("n3")), 0);

  net_.Isolate(NodeIdFor("n3"), false);
  ASSERT_TRUE(Eventually([&] { return State("n3") == State("n1"); }))
      << "n1 " << State("n1") << " n3 " << State("n3");
  EXPECT_EQ(State("n2"), State("n1"));
  ASSERT_TRUE(Eventually([&] { return State("n4") == State("n1"); }));
  EXPECT_GE(net_.SentTo(NodeIdFor("n3")), 1);
  // The member table travelled with the image: n3 knows n4's address.
  bool knows_n4 = false;
  for (const api::NodeInfo& ni : S("n3")->Nodes({true})) {
    if (ni.id == "n4") knows_n4 = ni.raft_addr == "addr-n4";
  }
  EXPECT_TRUE(knows_n4);
  // n3 adopted the leader's image: a snapshot with a Raft term (local images have term 0).
  const snapshot::Meta adopted = Newest("n3");
  EXPECT_GT(adopted.term, 0u);
  EXPECT_GT(adopted.index, 500u);
  EXPECT_EQ(adopted.voters.size(), 4u);
  // Replication continues normally after the install.
  Write("n1", 10, 6000);
  ASSERT_TRUE(Eventually([&] { return State("n3") == State("n1"); }));
  const std::string final_state = State("n1");

  // Restart n3 with a damaged database file: rebuilt from its snapshot + log.
  StoreConfig c3 = Config("n3");
  c3.join = true;
  Stop("n3");
  {
    std::fstream f(c3.dir + "/db.sqlite", std::ios::in | std::ios::out | std::ios::binary);
    ASSERT_TRUE(f.good());
    f.seekp(0);
    f.write("garbage garbage garbage", 23);  // the SQLite header
  }
  Start("n3", c3);
  ASSERT_TRUE(Eventually([&] { return State("n3") == final_state; })) << State("n3");
  // A clean restart reuses the file: the close checkpointed it and recorded its fingerprint.
  Stop("n3");
  EXPECT_TRUE(std::filesystem::exists(c3.dir + "/db.fingerprint"));
  Start("n3", c3);
  ASSERT_TRUE(Eventually([&] { return State("n3") == final_state; })) << State("n3");
  // And with the database file gone.
  Stop("n3");
  for (const char* suffix : {"", "-wal", "-shm"}) {
    std::filesystem::remove(c3.dir + "/db.sqlite" + suffix);
  }
  Start("n3", c3);
  ASSERT_TRUE(Eventually([&] { return State("n3") == final_state; })) << State("n3");
}

}  // namespace
}  // namespace store
