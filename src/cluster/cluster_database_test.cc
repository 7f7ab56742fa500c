// cluster::ClusterDatabase: a follower's fake store + the decorator, forwarding over real
// loopback sockets to a "leader" (fake store behind a real cluster::Service).
#include "cluster/cluster_database.h"

#include <cstdio>
#include <fstream>
#include <future>

#include <boost/asio/ip/tcp.hpp>
#include <gtest/gtest.h>

#include "cluster/test_node_test_util.h"

namespace cluster {
namespace {

using testing::FakeDatabase;
using testing::IoThread;
using testing::TestNode;

api::NodeInfo Node(const std::string& id, const std::string& raft_addr, bool voter = true) {
  api::NodeInfo n;
  n.id = id;
  n.raft_addr = raft_addr;
  n.voter = voter;
  return n;
}

class ClusterDatabaseTest : public ::testing::Test {
 protected:
  explicit ClusterDatabaseTest(const auth::CredentialStore* leader_creds = nullptr)
      : leader_(ServiceOptions{}, leader_creds),
        client_(client_io_.io(), ClientOptions{}),
        db_(&local_, &client_, [] { return NodeMeta{"http://follower:4001", 3, "v10.0.0", "f"}; },
            &clock_, Options()) {
    local_.leader = api::LeaderInfo{"l", leader_.addr, ""};
    local_.execute_response.status = base::Status(base::Code::kNotLeader, "not leader");
    local_.membership_status = base::Status(base::Code::kNotLeader, "not leader");
    local_.backup_result = base::Status(base::Code::kNotLeader, "not leader");
  }
  ~ClusterDatabaseTest() override { client_.Close(); }

  static ClusterDatabaseOptions Options() {
    ClusterDatabaseOptions o;
    o.self_id = "f";
    o.self_raft_addr = "follower:4002";
    o.temp_dir = ::testing::TempDir();
    o.meta_cache_ttl_ns = 1'000'000'000;
    return o;
  }

  api::Response Exec(api::ExecuteRequest r) {
    std::promise<api::Response> p;
    db_.Execute(std::move(r), [&](api::Response resp) { p.set_value(std::move(resp)); });
    return p.get_future().get();
  }
  static api::ExecuteRequest Insert() {
    api::ExecuteRequest r;
    api::Statement s;
    s.sql = "INSERT INTO t VALUES(1)";
    r.statements.push_back(s);
    return r;
  }

  TestNode leader_;
  FakeDatabase local_;
  base::ManualClock clock_;
  IoThread client_io_;
  Client client_;
  ClusterDatabase db_;
};

TEST_F(ClusterDatabaseTest, FollowerForwardsWritesToTheLeader) {
  api::StatementResult res;
  res.last_insert_id = 11;
  leader_.db.execute_response.results = {res};
  leader_.db.execute_response.raft_index = 5;
  api::Response r = Exec(Insert());
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  ASSERT_EQ(r.results.size(), 1u);
  EXPECT_EQ(r.results[0].last_insert_id, 11);
  EXPECT_EQ(r.raft_index, 5u);
  EXPECT_EQ(r.served_by, leader_.addr);   // X-Rqlite-Served-By: the leader's Raft address
  EXPECT_EQ(local_.executes.size(), 1u);  // asked locally first
  ASSERT_EQ(leader_.db.executes.size(), 1u);
  EXPECT_EQ(leader_.db.executes[0].statements[0].sql, "INSERT INTO t VALUES(1)");
}

TEST_F(ClusterDatabaseTest, RedirectIsNeverForwarded) {
  api::ExecuteRequest req = Insert();
  req.forward.redirect = true;
  EXPECT_EQ(Exec(req).status.code(), base::Code::kNotLeader);
  EXPECT_TRUE(leader_.db.executes.empty());
}

TEST_F(ClusterDatabaseTest, NoLeaderKnown) {
  local_.leader = api::LeaderInfo{};
  api::Response r = Exec(Insert());
  EXPECT_EQ(r.status.code(), base::Code::kNoLeader);
  EXPECT_EQ(r.status.message(), "leader not found");
  EXPECT_EQ(db_.Remove({"x", {}}).code(), base::Code::kNoLeader);
}

TEST_F(ClusterDatabaseTest, LocalAnswersAreNotForwarded) {
  api::QueryRequest q;
  q.level = api::Level::kNone;
  std::promise<api::Response> p;
  db_.Query(q, [&](api::Response r) { p.set_value(std::move(r)); });
  EXPECT_TRUE(p.get_future().get().status.ok());
  EXPECT_EQ(local_.queries.size(), 1u);
  EXPECT_TRUE(leader_.db.queries.empty());
}

TEST_F(ClusterDatabaseTest, LeaderRunsLocally) {
  local_.leader = api::LeaderInfo{"f", "follower:4002", ""};
  local_.execute_response = api::Response{};
  api::Response r = Exec(Insert());
  EXPECT_TRUE(r.status.ok());
  EXPECT_EQ(r.served_by, "");
  EXPECT_EQ(local_.executes.size(), 1u);
  EXPECT_TRUE(leader_.db.executes.empty());
  EXPECT_EQ(db_.Leader().api_addr, "http://follower:4001");  // own URL, no I/O
  EXPECT_EQ(client_.stats().calls, 0u);
}

TEST_F(ClusterDatabaseTest, LeaderApiAddrComesFromNodeMetaAndIsCached) {
  api::LeaderInfo l = db_.Leader();
  EXPECT_EQ(l.id, "l");
  EXPECT_EQ(l.raft_addr, leader_.addr);
  EXPECT_EQ(l.api_addr, leader_.meta.url);
  EXPECT_EQ(db_.Leader().api_addr, leader_.meta.url);
  EXPECT_EQ(client_.stats().calls, 1u);  // cached
  clock_.Advance(2'000'000'000);          // past the TTL
  EXPECT_EQ(db_.Leader().api_addr, leader_.meta.url);
  EXPECT_EQ(client_.stats().calls, 2u);
}

// readyz `sync`: a follower waits for the leader's commit index (7 in the leader's meta).
TEST_F(ClusterDatabaseTest, SyncWaitsForTheLeadersCommitIndex) {
  EXPECT_TRUE(db_.SyncWithLeader(1'000'000'000).ok());
  ASSERT_EQ(local_.commit_waits.size(), 1u);
  EXPECT_EQ(local_.commit_waits[0], leader_.meta.commit_index);
  local_.commit_wait_status = base::Status(base::Code::kTimeout, "timeout waiting for commit index");
  EXPECT_EQ(db_.SyncWithLeader(1'000'000'000).message(), "timeout waiting for commit index");
  // On the leader there is nothing to wait for; with no leader it fails.
  local_.leader = api::LeaderInfo{"f", "follower:4002", ""};
  EXPECT_TRUE(db_.SyncWithLeader(1'000'000'000).ok());
  local_.leader = api::LeaderInfo{};
  EXPECT_EQ(db_.SyncWithLeader(1'000'000'000).code(), base::Code::kNoLeader);
  EXPECT_EQ(local_.commit_waits.size(), 2u);
}

TEST_F(ClusterDatabaseTest, NodesProbesEveryNode) {
  std::string dead;
  {
    TestNode gone;
    dead = gone.addr;
  }
  local_.nodes = {Node("f", "follower:4002"),
                  Node("l", leader_.addr),
                  Node("d", dead),
                  Node("r", "r:1", false)};
  std::vector<api::NodeInfo> nodes = db_.Nodes({false});
  ASSERT_EQ(nodes.size(), 3u);
  EXPECT_TRUE(nodes[0].reachable);
  EXPECT_EQ(nodes[0].api_addr, "http://follower:4001");
  EXPECT_FALSE(nodes[0].leader);
  EXPECT_TRUE(nodes[1].reachable);
  EXPECT_TRUE(nodes[1].leader);
  EXPECT_EQ(nodes[1].api_addr, leader_.meta.url);
  EXPECT_EQ(nodes[1].version, "v10.0.0");
  EXPECT_GT(nodes[1].probe_time_s, 0);
  EXPECT_FALSE(nodes[2].reachable);
  EXPECT_FALSE(nodes[2].leader);
  EXPECT_EQ(nodes[2].api_addr, "");
  EXPECT_EQ(nodes[2].version, "");
  EXPECT_FALSE(nodes[2].error.empty());
}

TEST_F(ClusterDatabaseTest, NodesTimeoutAndUnknownVersion) {
  // A listener that never accepts: the connection completes (backlog) but never answers.
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor silent(
      io, boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
  std::string silent_addr = "127.0.0.1:" + std::to_string(silent.local_endpoint().port());
  leader_.meta.version = "";
  local_.nodes = {Node("l", leader_.addr),
                  Node("s", silent_addr)};
  api::NodesRequest req;
  req.timeout_ns = 200'000'000;
  std::vector<api::NodeInfo> nodes = db_.Nodes(req);
  ASSERT_EQ(nodes.size(), 2u);
  EXPECT_EQ(nodes[0].version, "unknown");
  EXPECT_FALSE(nodes[1].reachable);
  EXPECT_EQ(nodes[1].error, "timeout waiting for node to respond");
}

TEST_F(ClusterDatabaseTest, MembershipCallsAreForwarded) {
  leader_.db.membership_status = base::Status::Ok();
  EXPECT_TRUE(db_.Remove({"n3"}).ok());
  EXPECT_EQ(leader_.db.removes.at(0), "n3");
  EXPECT_TRUE(db_.Stepdown({"n2", true, {}}).ok());
  EXPECT_EQ(leader_.db.stepdowns.at(0), "n2");
  EXPECT_TRUE(db_.Join({"n9", "h9:1", true, {}}).ok());
  EXPECT_EQ(leader_.db.joins.at(0).raft_addr, "h9:1");
  api::RemoveRequest redirect{"n4", {}};
  redirect.forward.redirect = true;
  EXPECT_EQ(db_.Remove(redirect).code(), base::Code::kNotLeader);
  EXPECT_EQ(leader_.db.removes.size(), 1u);
  // Notify is always local.
  EXPECT_TRUE(db_.Notify({"n5", "h5:1"}).ok());
  EXPECT_EQ(local_.notifies.size(), 1u);
  EXPECT_TRUE(leader_.db.notifies.empty());
}

TEST_F(ClusterDatabaseTest, BackupIsFetchedFromTheLeader) {
  std::string src = ::testing::TempDir() + "/cdb_backup_src_" + std::to_string(leader_.mux.port());
  {
    std::ofstream f(src, std::ios::binary);
    f << "SQLite format 3 and more";
  }
  leader_.db.backup_result = api::BackupFile{src, 24};
  api::BackupRequest req;
  auto got = db_.Backup(req);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  std::ifstream in(got->path, std::ios::binary);
  std::string back((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(back, "SQLite format 3 and more");
  EXPECT_EQ(got->size, 24u);
  EXPECT_EQ(got->served_by, leader_.addr);
  std::remove(got->path.c_str());
  // noleader: the local answer stands.
  req.leader_only = false;
  EXPECT_EQ(db_.Backup(req).status().code(), base::Code::kNotLeader);
}

class ClusterDatabaseAuthTest : public ClusterDatabaseTest {
 protected:
  static const auth::CredentialStore* Creds() {
    static const auth::CredentialStore creds =
        auth::CredentialStore::Parse(
            R"([{"username":"alice","password":"pw","perms":["execute","remove"]}])")
            .value();
    return &creds;
  }
  ClusterDatabaseAuthTest() : ClusterDatabaseTest(Creds()) {}
};

TEST_F(ClusterDatabaseAuthTest, CredentialsTravelAndRejectionIsPermissionDenied) {
  api::ExecuteRequest ok = Insert();
  ok.forward.username = "alice";
  ok.forward.password = "pw";
  EXPECT_TRUE(Exec(ok).status.ok());
  api::ExecuteRequest bad = Insert();
  bad.forward.username = "alice";
  bad.forward.password = "nope";
  EXPECT_EQ(Exec(bad).status.code(), base::Code::kPermissionDenied);
  api::RemoveRequest rm{"n1", {}};
  EXPECT_EQ(db_.Remove(rm).code(), base::Code::kPermissionDenied);
  rm.forward.username = "alice";
  rm.forward.password = "pw";
  EXPECT_TRUE(db_.Remove(rm).ok());
}

}  // namespace
}  // namespace cluster
