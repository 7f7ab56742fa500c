// Three (or four) in-process stores on RaftReplica, connected by an in-process transport that
// can isolate nodes: replication, follower errors, join/remove/stepdown, non-voters,
// bootstrap-expect, the consistency levels of cluster-semantics.md §7, and the conversion of a
// pre-Raft single-node log. Real-TCP clusters are tested in transport/ and tests/integration/.
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
#include "command/command.h"
#include "fs/posix_file_system.h"
#include "raftlog/log.h"
#include "replica/testing_network_test_util.h"
#include "store/membership.h"
#include "store/cluster_test_util.h"
#include "store/store.h"

namespace store {
namespace {

using SteadyClock = std::chrono::steady_clock;
constexpr auto kWait = std::chrono::seconds(30);

std::vector<api::Statement> Stmts(std::initializer_list<const char*> sqls) {
  std::vector<api::Statement> v;
  for (const char* s : sqls) v.push_back(api::Statement{s, {}, false, false});
  return v;
}

// Polls `pred` until it holds or the deadline passes.
template <typename Pred>
bool Eventually(Pred pred) {
  const auto deadline = SteadyClock::now() + kWait;
  while (SteadyClock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));  // poll interval
  }
  return pred();
}

using Net = replica::testing::Network;
using NetTransport = replica::testing::NetworkTransport;

struct TestNode {
  explicit TestNode(Net* net) : transport(net) {}
  std::string id;
  StoreConfig config;
  base::SerialExecutor apply{"apply"}, log{"log"}, read{"read"}, released{"released"};
  NetTransport transport;
  std::mutex peers_mu;
  std::map<raft::NodeId, std::string> peers;  // from StoreDeps::on_peer
  std::atomic<bool> removed{false};            // from StoreDeps::on_removed
  std::unique_ptr<Store> store;
};

class StoreClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/store_cluster_XXXXXX";
    dir_ = mkdtemp(tmpl);
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
    return c;
  }
  base::Result<std::unique_ptr<Store>> Open(const std::string& id, const StoreConfig& c) {
    TestNode* np;
    {
      std::lock_guard<std::mutex> l(mu_);  // the ticker iterates nodes_
      auto& slot = nodes_[id];
      if (!slot) slot = std::make_unique<TestNode>(&net_);
      np = slot.get();
    }
    TestNode* n = np;
    n->id = id;
    n->config = c;
    StoreDeps deps;
    deps.clock = &clock_;
    deps.apply = &n->apply;
    deps.log = &n->log;
    deps.read = &n->read;
    deps.released_reads = &n->released;
    deps.transport = &n->transport;
    TestNode* raw = n;
    deps.on_peer = [raw](raft::NodeId pid, const std::string& addr) {
      std::lock_guard<std::mutex> l(raw->peers_mu);
      if (addr.empty()) {
        raw->peers.erase(pid);
      } else {
        raw->peers[pid] = addr;
      }
    };
    deps.on_removed = [raw] { raw->removed = true; };
    return Store::Open(c, deps);
  }
  void Start(const std::string& id, const StoreConfig& c) {
    auto s = Open(id, c);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    net_.Attach(NodeIdFor(id), (*s)->transport_handler());
    std::lock_guard<std::mutex> l(mu_);
    nodes_[id]->store = std::move(*s);
  }
  void Stop(const std::string& id) {
    TestNode* n = nodes_[id].get();
    if (!n || !n->store) return;
    net_.Detach(NodeIdFor(id));
    n->store->Close();
    std::lock_guard<std::mutex> l(mu_);
    n->store.reset();
  }
  // n1 bootstraps; every other id joins through the leader.
  void Form(std::vector<std::string> ids, std::set<std::string> non_voters = {}) {
    Start(ids[0], Config(ids[0]));
    for (size_t i = 1; i < ids.size(); ++i) {
      StoreConfig c = Config(ids[i]);
      c.join = true;
      c.non_voter = non_voters.count(ids[i]) > 0;
      Start(ids[i], c);
      ASSERT_TRUE(S(ids[0])->Join({ids[i], c.raft_addr, !c.non_voter, {}}).ok());
    }
    for (const auto& id : ids) {
      ASSERT_TRUE(Eventually([&] { return S(id)->Leader().id == ids[0]; })) << id;
    }
  }
  Store* S(const std::string& id) { return nodes_.at(id)->store.get(); }

  api::Response Exec(const std::string& id, std::initializer_list<const char*> sql) {
    api::ExecuteRequest r;
    r.statements = Stmts(sql);
    std::promise<api::Response> p;
    S(id)->Execute(std::move(r), [&](api::Response resp) { p.set_value(std::move(resp)); });
    return p.get_future().get();
  }
  api::Response Query(const std::string& id, const char* sql, api::Level level,
                      int64_t freshness_ns = 0, bool strict = false) {
    api::QueryRequest r;
    r.statements = Stmts({sql});
    r.level = level;
    r.freshness_ns = freshness_ns;
    r.freshness_strict = strict;
    r.linearizable_timeout_ns = 300'000'000;
    std::promise<api::Response> p;
    S(id)->Query(std::move(r), [&](api::Response resp) { p.set_value(std::move(resp)); });
    return p.get_future().get();
  }
  // The single integer a query returns (-1 on error).
  int64_t Count(const std::string& id, const char* sql, api::Level level = api::Level::kNone) {
    api::Response r = Query(id, sql, level);
    if (!r.status.ok() || r.results.size() != 1 || r.results[0].values.size() != 1) return -1;
    const auto* v = std::get_if<int64_t>(&r.results[0].values[0][0]);
    return v ? *v : -1;
  }
  std::string LeaderOf(const std::vector<std::string>& ids) {
    for (const auto& id : ids) {
      if (S(id)->Leader().id == id) return id;
    }
    return "";
  }

  std::string dir_;
  base::SystemClock clock_;
  Net net_;
  std::mutex mu_;
  std::map<std::string, std::unique_ptr<TestNode>> nodes_;
  std::unique_ptr<testing::RaftTicker> ticker_;
};

TEST(MembershipTest, NodeIdsContextsAndPersistence) {
  EXPECT_EQ(NodeIdFor("node1"), NodeIdFor(std::string("node1")));
  EXPECT_NE(NodeIdFor("node1"), NodeIdFor("node2"));
  EXPECT_EQ(NodeIdFor(""), 14695981039346656037ull);  // FNV-1a 64 offset basis: stable
  EXPECT_NE(NodeIdFor("localhost:4002"), raft::kNoNode);
  Member m{"n1", "host:4002", true};
  auto back = DecodeMember(EncodeMember(m));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->id, "n1");
  EXPECT_EQ(back->raft_addr, "host:4002");
  EXPECT_FALSE(DecodeMember("junk").ok());
  EXPECT_FALSE(DecodeMember(EncodeMember(m) + "x").ok());

  char tmpl[] = "/tmp/members_XXXXXX";
  std::string dir = mkdtemp(tmpl);
  fs::PosixFileSystem fs;
  {
    Members ms(&fs, dir + "/members");
    ASSERT_TRUE(ms.Load().ok());
    ms.Apply({raft::ConfChangeType::kAddVoter, 7, EncodeMember({"a", "x:1", true})});
    ms.Apply({raft::ConfChangeType::kAddLearner, 9, EncodeMember({"b", "y:1", false})});
    ms.Apply({raft::ConfChangeType::kAddVoter, 7, EncodeMember({"a", "x:1", true})});
    ms.Apply({raft::ConfChangeType::kRemoveNode, 8, ""});  // unknown: no-op
  }
  Members again(&fs, dir + "/members");
  ASSERT_TRUE(again.Load().ok());
  auto all = again.All();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[7].raft_addr, "x:1");
  EXPECT_FALSE(all[9].voter);
  EXPECT_EQ(again.FindById("b")->first, 9u);
  Members copy(&fs, dir + "/copy");
  ASSERT_TRUE(copy.Restore(again.Encode()).ok());
  EXPECT_EQ(copy.All(), all);
  std::filesystem::remove_all(dir);
}

TEST_F(StoreClusterTest, ReplicatesAndFollowersRefuseLeaderWork) {
  Form({"n1", "n2", "n3"});
  ASSERT_TRUE(Exec("n1", {"CREATE TABLE t(x)", "INSERT INTO t VALUES(1)"}).status.ok());
  for (const char* id : {"n1", "n2", "n3"}) {
    EXPECT_TRUE(Eventually([&] { return Count(id, "SELECT count(*) FROM t") == 1; })) << id;
  }
  // Followers: writes and weak/linearizable/strong/auto(voter) reads → not leader.
  EXPECT_EQ(Exec("n2", {"INSERT INTO t VALUES(2)"}).status.code(), base::Code::kNotLeader);
  for (api::Level l : {api::Level::kWeak, api::Level::kLinearizable, api::Level::kStrong,
                       api::Level::kAuto}) {
    EXPECT_EQ(Query("n2", "SELECT 1", l).status.code(), base::Code::kNotLeader);
  }
  api::LeaderInfo li = S("n3")->Leader();
  EXPECT_EQ(li.id, "n1");
  EXPECT_EQ(li.raft_addr, "addr-n1");
  EXPECT_EQ(li.api_addr, "");  // only the cluster decorator knows a remote API URL
  EXPECT_EQ(S("n1")->Leader().api_addr, "http://api-n1");
  auto nodes = S("n1")->Nodes({false});
  ASSERT_EQ(nodes.size(), 3u);
  EXPECT_TRUE(nodes[0].leader && nodes[0].voter && nodes[0].id == "n1");
  EXPECT_EQ(nodes[2].raft_addr, "addr-n3");
  EXPECT_TRUE(S("n2")->Ready());
  // The transport's peer table was fed for every other member.
  {
    std::lock_guard<std::mutex> l(nodes_["n2"]->peers_mu);
    EXPECT_EQ(nodes_["n2"]->peers.size(), 2u);
    EXPECT_EQ(nodes_["n2"]->peers[NodeIdFor("n3")], "addr-n3");
  }
  // Backup (leader-only by default) and boot (never forwarded; single-node clusters only).
  EXPECT_EQ(S("n2")->Backup({}).status().code(), base::Code::kNotLeader);
  auto backup = S("n1")->Backup({});
  ASSERT_TRUE(backup.ok()) << backup.status().ToString();
  std::string image;
  {
    std::ifstream f(backup->path, std::ios::binary);
    image.assign(std::istreambuf_iterator<char>(f), {});
  }
  std::filesystem::remove(backup->path);
  EXPECT_EQ(S("n2")->Boot(image).code(), base::Code::kNotLeader);
  EXPECT_EQ(S("n1")->Boot(image).message(), "not single-node");
  // Join rules (§2.2): same id + address → no-op; on a follower → not leader.
  EXPECT_TRUE(S("n1")->Join({"n2", "addr-n2", true, {}}).ok());
  EXPECT_EQ(S("n1")->Nodes({true}).size(), 3u);
  EXPECT_EQ(S("n2")->Join({"n9", "addr-n9", true, {}}).code(), base::Code::kNotLeader);
  // /status fields tools read.
  api::Tree st = S("n2")->Status();
  auto& m = std::get<api::TreeMap>(st.v);
  auto& raft = std::get<api::TreeMap>(m.at("raft").v);
  EXPECT_EQ(std::get<std::string>(raft.at("state").v), "Follower");
  EXPECT_TRUE(std::get<bool>(raft.at("voter").v));
  EXPECT_EQ(std::get<uint64_t>(raft.at("num_peers").v), 2u);
  const std::string contact = std::get<std::string>(raft.at("last_contact").v);
  EXPECT_NE(contact, "never");
  EXPECT_EQ(contact.back(), 's') << contact;  // a Go duration ("1.234ms")
  EXPECT_EQ(std::get<std::string>(std::get<api::TreeMap>(m.at("leader").v).at("node_id").v), "n1");
  EXPECT_EQ(std::get<api::TreeList>(m.at("nodes").v).size(), 3u);
}

TEST_F(StoreClusterTest, ConsistencyLevels) {
  Form({"n1", "n2", "n3"});
  ASSERT_TRUE(Exec("n1", {"CREATE TABLE t(x)", "INSERT INTO t VALUES(1)"}).status.ok());
  // linearizable: the first read of the term goes through the log (strong), later ones use
  // the read index (no log entry).
  api::Response first = Query("n1", "SELECT count(*) FROM t", api::Level::kLinearizable);
  ASSERT_TRUE(first.status.ok()) << first.status.ToString();
  EXPECT_GT(first.raft_index, 0u);
  api::Response second = Query("n1", "SELECT count(*) FROM t", api::Level::kLinearizable);
  ASSERT_TRUE(second.status.ok()) << second.status.ToString();
  EXPECT_EQ(second.raft_index, 0u);
  EXPECT_EQ(std::get<int64_t>(second.results[0].values[0][0]), 1);
  // strong always through the log.
  EXPECT_GT(Query("n1", "SELECT 1", api::Level::kStrong).raft_index, second.raft_index);
  // none on a follower: served locally; freshness honoured.
  ASSERT_TRUE(Eventually([&] { return Count("n2", "SELECT count(*) FROM t") == 1; }));
  EXPECT_TRUE(Query("n2", "SELECT 1", api::Level::kNone, 10'000'000'000).status.ok());
  // The leader is never stale.
  EXPECT_TRUE(Query("n1", "SELECT 1", api::Level::kNone, 1).status.ok());
  // An isolated follower's last contact ages: `freshness` makes its reads stale, not others.
  net_.Isolate(NodeIdFor("n2"), true);
  EXPECT_TRUE(Eventually([&] {
    return Query("n2", "SELECT 1", api::Level::kNone, 50'000'000).status.code() ==
           base::Code::kStale;
  }));
  EXPECT_EQ(Query("n2", "SELECT 1", api::Level::kNone, 50'000'000).status.message(), "stale read");
  EXPECT_TRUE(Query("n2", "SELECT 1", api::Level::kNone).status.ok());  // no freshness: served
  // A leader that cannot reach a quorum cannot confirm a linearizable read: it times out (or
  // is answered "not leader" once check-quorum deposes it).
  net_.Isolate(NodeIdFor("n2"), false);
  ASSERT_TRUE(Eventually([&] { return S("n2")->Leader().id == "n1"; }));
  net_.Isolate(NodeIdFor("n1"), true);
  api::Response lin = Query("n1", "SELECT 1", api::Level::kLinearizable);
  EXPECT_FALSE(lin.status.ok());
  if (lin.status.code() == base::Code::kTimeout) {
    EXPECT_NE(lin.status.message().find(": timeout waiting for fsm"), std::string::npos);
  } else {
    EXPECT_EQ(lin.status.code(), base::Code::kNotLeader) << lin.status.ToString();
  }
  // The others elect a new leader, which serves writes; the old one refuses them once deposed.
  ASSERT_TRUE(Eventually([&] {
    std::string l = LeaderOf({"n2", "n3"});
    return !l.empty() && S(l == "n2" ? "n3" : "n2")->Leader().id == l;
  }));
  const std::string leader = LeaderOf({"n2", "n3"});
  ASSERT_TRUE(Exec(leader, {"INSERT INTO t VALUES(2)"}).status.ok());
  EXPECT_TRUE(Eventually([&] {
    base::Code c = Exec("n1", {"INSERT INTO t VALUES(3)"}).status.code();
    return c == base::Code::kNotLeader || c == base::Code::kNoLeader;
  }));
  net_.Isolate(NodeIdFor("n1"), false);
  EXPECT_TRUE(Eventually([&] { return Count("n1", "SELECT count(*) FROM t") == 2; }));
  // The new leader's first linearizable read of its term is upgraded to strong again.
  api::Response upgraded = Query(leader, "SELECT count(*) FROM t", api::Level::kLinearizable);
  ASSERT_TRUE(upgraded.status.ok()) << upgraded.status.ToString();
  EXPECT_GT(upgraded.raft_index, 0u);
  EXPECT_EQ(std::get<int64_t>(upgraded.results[0].values[0][0]), 2);
  EXPECT_EQ(Query(leader, "SELECT 1", api::Level::kLinearizable).raft_index, 0u);
}

TEST_F(StoreClusterTest, StepdownAndRemove) {
  Form({"n1", "n2", "n3"});
  EXPECT_EQ(S("n1")->Stepdown({"nope", false}).message(), "node not found in cluster");
  EXPECT_EQ(S("n1")->Stepdown({"n1", false}).message(), "cannot step down to the current Leader");
  EXPECT_EQ(S("n2")->Stepdown({"n3", false}).code(), base::Code::kNotLeader);
  ASSERT_TRUE(S("n1")->Stepdown({"n2", true}).ok());
  ASSERT_TRUE(Eventually([&] { return S("n3")->Leader().id == "n2"; }));
  EXPECT_EQ(Exec("n1", {"CREATE TABLE t(x)"}).status.code(), base::Code::kNotLeader);
  ASSERT_TRUE(Exec("n2", {"CREATE TABLE t(x)"}).status.ok());
  // Remove a follower: the configuration shrinks everywhere, writes go on with two voters.
  ASSERT_TRUE(S("n2")->Remove({"n3"}).ok());
  EXPECT_FALSE(nodes_["n1"]->removed.load());  // on_removed is only for the removed node
  EXPECT_TRUE(S("n2")->Remove({"never-a-member"}).ok());  // a no-op, as in rqlite
  EXPECT_EQ(S("n2")->Nodes({true}).size(), 2u);
  EXPECT_TRUE(Eventually([&] { return S("n1")->Nodes({true}).size() == 2u; }));
  EXPECT_TRUE(Eventually([&] {  // on_peer(id, "") once the removal is applied on n1
    std::lock_guard<std::mutex> l(nodes_["n1"]->peers_mu);
    return nodes_["n1"]->peers.count(NodeIdFor("n3")) == 0;
  }));
  ASSERT_TRUE(Exec("n2", {"INSERT INTO t VALUES(1)"}).status.ok());
  EXPECT_TRUE(Eventually([&] { return Count("n1", "SELECT count(*) FROM t") == 1; }));
  // Re-join under the same id with a new address: replaced (remove by id, then add).
  Stop("n3");
  std::filesystem::remove_all(dir_ + "/n3");
  StoreConfig c = Config("n3");
  c.join = true;
  c.raft_addr = "addr-n3-new";
  Start("n3", c);
  ASSERT_TRUE(S("n2")->Join({"n3", "addr-n3-new", true, {}}).ok());
  EXPECT_TRUE(Eventually([&] { return Count("n3", "SELECT count(*) FROM t") == 1; }));
  auto nodes = S("n2")->Nodes({false});
  ASSERT_EQ(nodes.size(), 3u);
  EXPECT_EQ(nodes[2].raft_addr, "addr-n3-new");
  // The leader removes itself: it applies its own removal (on_removed), the others go on.
  ASSERT_TRUE(S("n2")->Remove({"n2"}).ok());
  EXPECT_TRUE(Eventually([&] { return nodes_["n2"]->removed.load(); }));
  ASSERT_TRUE(Eventually([&] {
    std::string l = LeaderOf({"n1", "n3"});
    return !l.empty() && S(l)->Nodes({true}).size() == 2u;
  }));
  ASSERT_TRUE(Exec(LeaderOf({"n1", "n3"}), {"INSERT INTO t VALUES(2)"}).status.ok());
}

TEST_F(StoreClusterTest, LeaderReapsUnreachableNodes) {
  // n1 bootstraps with reaping on; n2 (voter) and r1 (non-voter) join.
  StoreConfig c1 = Config("n1");
  c1.reap_timeout_ns = 400'000'000;
  c1.reap_read_only_timeout_ns = 400'000'000;
  Start("n1", c1);
  for (const char* id : {"n2", "n3", "r1"}) {
    StoreConfig c = Config(id);
    c.join = true;
    c.non_voter = std::string(id) == "r1";
    Start(id, c);
    ASSERT_TRUE(S("n1")->Join({id, c.raft_addr, !c.non_voter, {}}).ok());
  }
  ASSERT_EQ(S("n1")->Nodes({true}).size(), 4u);
  // Healthy members are kept; the stopped voter and the stopped non-voter are removed.
  Stop("n3");
  Stop("r1");
  ASSERT_TRUE(Eventually([&] { return S("n1")->Nodes({true}).size() == 2u; }));
  auto nodes = S("n1")->Nodes({true});
  EXPECT_EQ(nodes[0].id, "n1");
  EXPECT_EQ(nodes[1].id, "n2");
  ASSERT_TRUE(Exec("n1", {"CREATE TABLE t(x)"}).status.ok());
}

TEST_F(StoreClusterTest, NonVoterReplicatesButNeverVotes) {
  Form({"n1", "r1"}, {"r1"});
  ASSERT_TRUE(Exec("n1", {"CREATE TABLE t(x)", "INSERT INTO t VALUES(1)"}).status.ok());
  EXPECT_TRUE(Eventually([&] { return Count("r1", "SELECT count(*) FROM t") == 1; }));
  EXPECT_EQ(S("n1")->Nodes({false}).size(), 1u);
  auto all = S("n1")->Nodes({true});
  ASSERT_EQ(all.size(), 2u);
  EXPECT_FALSE(all[1].voter);
  // auto on a non-voter = none: served locally.
  EXPECT_EQ(Count("r1", "SELECT count(*) FROM t", api::Level::kAuto), 1);
  EXPECT_EQ(Query("r1", "SELECT 1", api::Level::kWeak).status.code(), base::Code::kNotLeader);
  api::Tree status = S("r1")->Status();
  auto& raft = std::get<api::TreeMap>(std::get<api::TreeMap>(status.v).at("raft").v);
  EXPECT_FALSE(std::get<bool>(raft.at("voter").v));
  // Cut off from the only voter for many election timeouts: a non-voter never campaigns.
  const uint64_t term = std::get<uint64_t>(raft.at("term").v);
  net_.Isolate(NodeIdFor("n1"), true);
  const uint64_t until = ticker_->ticks() + 4 * 2 * 30;  // four maximal election timeouts
  ASSERT_TRUE(Eventually([&] { return ticker_->ticks() >= until; }));
  api::Tree status2 = S("r1")->Status();
  auto& after = std::get<api::TreeMap>(std::get<api::TreeMap>(status2.v).at("raft").v);
  EXPECT_EQ(std::get<std::string>(after.at("state").v), "Follower");
  EXPECT_EQ(std::get<uint64_t>(after.at("term").v), term);
  net_.Isolate(NodeIdFor("n1"), false);
}

TEST_F(StoreClusterTest, StartupDecisions) {
  // A fresh non-voter without -join cannot bootstrap (§2.1).
  StoreConfig c = Config("r1");
  c.non_voter = true;
  auto s = Open("r1", c);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().message(),
            "cannot create a new non-voting node without joining it to an existing cluster");
  // bootstrap-expect: every node records the notifiers; N distinct ones → one cluster.
  std::vector<std::string> ids = {"b1", "b2", "b3"};
  for (const auto& id : ids) {
    StoreConfig bc = Config(id);
    bc.bootstrap_expect = 3;
    Start(id, bc);
    EXPECT_FALSE(S(id)->Ready());
  }
  for (const auto& to : ids) {
    for (const auto& from : ids) {
      ASSERT_TRUE(S(to)->Notify({from, "addr-" + from}).ok());
    }
  }
  ASSERT_TRUE(Eventually([&] {
    std::string l = LeaderOf(ids);
    if (l.empty()) return false;
    for (const auto& id : ids) {
      if (S(id)->Leader().id != l) return false;
    }
    return true;
  }));
  const std::string leader = LeaderOf(ids);
  EXPECT_EQ(S(leader)->Nodes({true}).size(), 3u);
  ASSERT_TRUE(Exec(leader, {"CREATE TABLE t(x)", "INSERT INTO t VALUES(1)"}).status.ok());
  for (const auto& id : ids) {
    EXPECT_TRUE(Eventually([&] { return Count(id, "SELECT count(*) FROM t") == 1; })) << id;
  }
  // A restart keeps the configuration (no bootstrap, no notify needed).
  Stop("b1");
  StoreConfig again = Config("b1");
  again.bootstrap_expect = 3;
  Start("b1", again);
  EXPECT_TRUE(Eventually([&] { return S("b1")->Ready(); }));
  EXPECT_TRUE(Eventually([&] { return Count("b1", "SELECT count(*) FROM t") == 1; }));
}

TEST_F(StoreClusterTest, ConvertsPreRaftSingleNodeLog) {
  // A data directory of the single-node build: <dir>/log with committed commands, no
  // membership entries, hard state voted for the old numeric id 1.
  StoreConfig c = Config("solo");
  std::filesystem::create_directories(c.dir + "/log");
  {
    fs::PosixFileSystem pfs;
    auto log = raftlog::Log::Open(&pfs, c.dir + "/log", {});
    ASSERT_TRUE(log.ok());
    std::vector<raft::Entry> ents;
    for (const char* sql : {"CREATE TABLE t(x)", "INSERT INTO t VALUES(7)"}) {
      command::Command cmd;
      cmd.type = command::Type::kExecute;
      cmd.statements = Stmts({sql});
      ents.push_back({1, ents.size() + 1, raft::EntryType::kNormal, command::Encode(cmd, 4096)});
    }
    ASSERT_TRUE((*log)->Append(ents).ok());
    ASSERT_TRUE((*log)->SetHardState({1, 1, 2}).ok());
    ASSERT_TRUE((*log)->Sync().ok());
  }
  Start("solo", c);
  EXPECT_EQ(Count("solo", "SELECT sum(x) FROM t"), 7);
  EXPECT_TRUE(Exec("solo", {"INSERT INTO t VALUES(1)"}).status.ok());
  EXPECT_FALSE(std::filesystem::exists(c.dir + "/log"));
  EXPECT_TRUE(std::filesystem::exists(c.dir + "/raft/log"));
  auto nodes = S("solo")->Nodes({true});
  ASSERT_EQ(nodes.size(), 1u);
  EXPECT_EQ(nodes[0].id, "solo");
  Stop("solo");
  Start("solo", c);
  EXPECT_EQ(Count("solo", "SELECT sum(x) FROM t"), 8);
}

TEST(PeersJsonTest, Validation) {
  auto ok = ParsePeersJson(
      R"([{"id":"1","address":"10.1.0.1:4002"},{"id":"2","address":"h:4002","non_voter":true}])");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  ASSERT_EQ(ok->size(), 2u);
  EXPECT_TRUE((*ok)[0].voter);
  EXPECT_FALSE((*ok)[1].voter);
  for (const char* bad : {R"({"id":"1"})", R"([{"id":"","address":"h:1"}])",
                          R"([{"id":"1","address":"http://h:1"}])",
                          R"([{"id":"1","address":"h"}])",
                          R"([{"id":"1","address":"h:1"},{"id":"1","address":"g:1"}])",
                          R"([{"id":"1","address":"h:1"},{"id":"2","address":"h:1"}])",
                          R"([{"id":"1","address":"h:1","non_voter":true}])", "[", "[]"}) {
    EXPECT_FALSE(ParsePeersJson(bad).ok()) << bad;
  }
}

TEST_F(StoreClusterTest, PeersJsonRecoversAfterQuorumLoss) {
  Form({"n1", "n2", "n3"});
  ASSERT_TRUE(Exec("n1", {"CREATE TABLE t(x)", "INSERT INTO t VALUES(5)"}).status.ok());
  ASSERT_TRUE(Eventually([&] { return Count("n2", "SELECT count(*) FROM t") == 1; }));
  // n1 and n3 are lost for good; n2 alone cannot elect a leader.
  for (const char* id : {"n1", "n2", "n3"}) Stop(id);
  Start("n2", Config("n2"));
  EXPECT_FALSE(S("n2")->Ready());
  Stop("n2");
  {
    std::ofstream f(dir_ + "/n2/raft/peers.json");
    f << R"([{"id":"n2","address":"addr-n2"}])";
  }
  // Recovery needs a valid file: "addr-n2" is not host:port.
  auto bad = Open("n2", Config("n2"));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("is not host:port"), std::string::npos);
  {
    std::ofstream f(dir_ + "/n2/raft/peers.json");
    f << R"([{"id":"n2","address":"addr-n2:4002"}])";
  }
  Start("n2", Config("n2"));
  ASSERT_TRUE(Eventually([&] { return S("n2")->Leader().id == "n2"; }));
  EXPECT_EQ(Count("n2", "SELECT sum(x) FROM t"), 5);
  ASSERT_TRUE(Exec("n2", {"INSERT INTO t VALUES(1)"}).status.ok());
  auto nodes = S("n2")->Nodes({true});
  ASSERT_EQ(nodes.size(), 1u);
  EXPECT_EQ(nodes[0].id, "n2");
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/n2/raft/peers.json"));
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/n2/raft/peers.info"));
  // The recovered configuration persists across a restart.
  Stop("n2");
  Start("n2", Config("n2"));
  ASSERT_TRUE(Eventually([&] { return S("n2")->Ready(); }));
  EXPECT_EQ(Count("n2", "SELECT sum(x) FROM t"), 6);
}

}  // namespace
}  // namespace store
