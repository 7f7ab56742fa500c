// cluster::Service + cluster::Client over real loopback sockets, with a fake store.
#include <cstdio>
#include <fstream>
#include <future>

#include <boost/asio/connect.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <gtest/gtest.h>

#include "cluster/test_node_test_util.h"

namespace cluster {
namespace {

using testing::TestNode;
using testing::WaitFor;

api::Response ExecSync(Client& c, const std::string& addr, const api::ExecuteRequest& r,
                       const CallOptions& o = {}) {
  std::promise<api::Response> p;
  c.Execute(addr, r, o, [&](api::Response resp) { p.set_value(std::move(resp)); });
  return p.get_future().get();
}

api::ExecuteRequest Insert() {
  api::ExecuteRequest r;
  api::Statement s;
  s.sql = "INSERT INTO t VALUES(?)";
  s.parameters = {{"", api::Value{int64_t{5}}}};
  r.statements.push_back(s);
  r.transaction = true;
  return r;
}

TEST(ServiceTest, GetNodeMeta) {
  TestNode n;
  auto m = n.client.GetNodeMetaSync(n.addr, {});
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->url, n.meta.url);
  EXPECT_EQ(m->commit_index, 7u);
  EXPECT_EQ(m->version, "v10.0.0");
  EXPECT_EQ(m->node_id, n.meta.node_id);
  EXPECT_FALSE(m->node_id.empty());
}

TEST(ServiceTest, ExecuteRoundTripAndConnectionReuse) {
  TestNode n;
  api::StatementResult res;
  res.last_insert_id = 9;
  res.rows_affected = 1;
  n.db.execute_response.results = {res};
  n.db.execute_response.raft_index = 77;
  for (int i = 0; i < 3; ++i) {
    api::Response r = ExecSync(n.client, n.addr, Insert());
    ASSERT_TRUE(r.status.ok()) << r.status.ToString();
    ASSERT_EQ(r.results.size(), 1u);
    EXPECT_EQ(r.results[0].last_insert_id, 9);
    EXPECT_EQ(r.raft_index, 77u);
  }
  ASSERT_EQ(n.db.executes.size(), 3u);
  EXPECT_EQ(n.db.executes[0].statements[0].sql, "INSERT INTO t VALUES(?)");
  EXPECT_TRUE(n.db.executes[0].transaction);
  EXPECT_EQ(n.client.stats().dials, 1u);  // one pooled connection served all three
  EXPECT_EQ(n.client.stats().pool_hits, 2u);
  EXPECT_EQ(n.service.stats().connections_accepted, 1u);
}

TEST(ServiceTest, ConcurrentCallsUseSeveralConnections) {
  TestNode n;
  n.db.hold_execute = true;
  std::promise<api::Response> p1, p2;
  n.client.Execute(n.addr, Insert(), {}, [&](api::Response r) { p1.set_value(std::move(r)); });
  n.client.Execute(n.addr, Insert(), {}, [&](api::Response r) { p2.set_value(std::move(r)); });
  ASSERT_TRUE(WaitFor([&] { return n.db.ExecuteCount() == 2; }));
  n.db.ReleaseHeld(api::Response{});
  EXPECT_TRUE(p1.get_future().get().status.ok());
  EXPECT_TRUE(p2.get_future().get().status.ok());
  EXPECT_EQ(n.service.stats().connections_accepted, 2u);
}

TEST(ServiceTest, CallsBeyondTheConnectionLimitWait) {
  ClientOptions co;
  co.max_conns_per_addr = 2;
  TestNode n({}, nullptr, co);
  n.db.hold_execute = true;
  std::atomic<int> done{0};
  for (int i = 0; i < 5; ++i) {
    n.client.Execute(n.addr, Insert(), {}, [&](api::Response r) {
      EXPECT_TRUE(r.status.ok());
      ++done;
    });
  }
  ASSERT_TRUE(WaitFor([&] { return n.db.ExecuteCount() == 2; }));
  EXPECT_EQ(n.db.ExecuteCount(), 2u);  // three calls wait for a slot
  ASSERT_TRUE(WaitFor([&] {
    n.db.ReleaseHeld(api::Response{});
    return done == 5;
  }));
  EXPECT_EQ(n.db.ExecuteCount(), 5u);
  EXPECT_LE(n.service.stats().connections_accepted, 2u);
}

TEST(ServiceTest, RemoteStatusIsReturnedNotRetried) {
  TestNode n;
  n.db.execute_response.status = base::Status(base::Code::kNotLeader, "not leader");
  CallOptions o;
  o.retries = 3;
  api::Response r = ExecSync(n.client, n.addr, Insert(), o);
  EXPECT_EQ(r.status.code(), base::Code::kNotLeader);
  EXPECT_EQ(n.db.executes.size(), 1u);
}

TEST(ServiceTest, QueryRequestLoadRemoveStepdownNotify) {
  TestNode n;
  api::StatementResult rows;
  rows.kind = api::StatementResult::Kind::kRows;
  rows.columns = {"x"};
  rows.types = {"integer"};
  rows.values = {{int64_t{1}}};
  n.db.query_response.results = {rows};
  api::QueryRequest q;
  api::Statement s;
  s.sql = "SELECT x FROM t";
  q.statements.push_back(s);
  q.level = api::Level::kStrong;
  std::promise<api::Response> pq;
  n.client.Query(n.addr, q, {}, [&](api::Response r) { pq.set_value(std::move(r)); });
  api::Response qr = pq.get_future().get();
  ASSERT_EQ(qr.results.size(), 1u);
  EXPECT_EQ(qr.results[0].values, rows.values);
  EXPECT_EQ(n.db.queries.at(0).level, api::Level::kStrong);

  std::promise<api::Response> pr;
  n.client.Request(n.addr, api::UnifiedRequest{}, {}, [&](api::Response r) { pr.set_value(r); });
  EXPECT_TRUE(pr.get_future().get().status.ok());
  EXPECT_EQ(n.db.requests.size(), 1u);

  std::promise<api::Response> pl;
  n.client.Load(n.addr, "SQLite format 3...", {}, [&](api::Response r) { pl.set_value(r); });
  EXPECT_TRUE(pl.get_future().get().status.ok());
  EXPECT_EQ(n.db.loads.at(0), "SQLite format 3...");

  EXPECT_TRUE(n.client.RemoveSync(n.addr, "node2", {}).ok());
  EXPECT_EQ(n.db.removes.at(0), "node2");
  EXPECT_TRUE(n.client.StepdownSync(n.addr, "node3", true, {}).ok());
  EXPECT_EQ(n.db.stepdowns.at(0), "node3");
  EXPECT_TRUE(n.client.NotifySync(n.addr, api::NotifyRequest{"n4", "h:4"}, {}).ok());
  EXPECT_EQ(n.db.notifies.at(0).raft_addr, "h:4");
}

TEST(ServiceTest, SynchronousCallsOnABlockingExecutor) {
  ServiceOptions so;
  so.backup_chunk_bytes = 100;
  TestNode n(so, nullptr, {}, /*blocking_pool=*/true);
  for (int i = 0; i < 50; ++i) {
    std::string id = "node-with-a-long-enough-name-to-live-on-the-heap-" + std::to_string(i);
    EXPECT_TRUE(n.client.RemoveSync(n.addr, id, {}).ok());
    EXPECT_TRUE(n.client.StepdownSync(n.addr, id, i % 2 == 0, {}).ok());
    EXPECT_TRUE(n.client.JoinSync(n.addr, {id, id + ":4002", true, {}}, {}).status.ok());
    EXPECT_TRUE(n.client.NotifySync(n.addr, {id, id + ":4002"}, {}).ok());
  }
  EXPECT_EQ(n.db.removes.size(), 50u);
  EXPECT_EQ(n.db.joins.back().raft_addr,
            "node-with-a-long-enough-name-to-live-on-the-heap-49:4002");
  std::string src = ::testing::TempDir() + "/cluster_blocking_backup_" + std::to_string(n.mux.port());
  {
    std::ofstream f(src, std::ios::binary);
    f << std::string(1234, 'x');
  }
  n.db.backup_result = api::BackupFile{src, 1234};
  std::string dst = src + ".out";
  auto got = n.client.BackupSync(n.addr, api::BackupRequest{}, dst, {});
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->size, 1234u);
  std::remove(dst.c_str());
}

TEST(ServiceTest, JoinNotLeaderNamesTheLeader) {
  TestNode n;
  n.db.membership_status = base::Status(base::Code::kNotLeader, "not leader");
  n.db.leader = api::LeaderInfo{"l", "leaderhost:4002", ""};
  JoinReply r = n.client.JoinSync(n.addr, api::JoinRequest{"n2", "h2:4002", false, {}}, {});
  EXPECT_EQ(r.status.code(), base::Code::kNotLeader);
  EXPECT_EQ(r.leader_raft_addr, "leaderhost:4002");
  ASSERT_EQ(n.db.joins.size(), 1u);
  EXPECT_EQ(n.db.joins[0].id, "n2");
  EXPECT_FALSE(n.db.joins[0].voter);
}

TEST(ServiceTest, PermissionsUseForwardedCredentials) {
  auto creds = auth::CredentialStore::Parse(R"([
    {"username":"alice","password":"pw","perms":["execute","join"]},
    {"username":"ro","password":"pw","perms":["join-read-only"]}])");
  ASSERT_TRUE(creds.ok());
  TestNode n({}, &*creds);
  CallOptions alice{"alice", "pw", 0, 0};
  CallOptions wrong{"alice", "bad", 0, 0};
  CallOptions ro{"ro", "pw", 0, 0};
  EXPECT_TRUE(ExecSync(n.client, n.addr, Insert(), alice).status.ok());
  api::Response denied = ExecSync(n.client, n.addr, Insert(), wrong);
  EXPECT_EQ(denied.status.code(), base::Code::kPermissionDenied);
  EXPECT_EQ(denied.status.message(), "unauthorized");
  EXPECT_EQ(n.db.executes.size(), 1u);  // the denied one never reached the store
  // Query needs `query`, which alice lacks; node meta needs nothing.
  std::promise<api::Response> pq;
  n.client.Query(n.addr, api::QueryRequest{}, alice, [&](api::Response r) { pq.set_value(r); });
  EXPECT_EQ(pq.get_future().get().status.code(), base::Code::kPermissionDenied);
  EXPECT_TRUE(n.client.GetNodeMetaSync(n.addr, {}).ok());
  // Join: voter needs `join`; non-voter needs join-read-only/-replica (join alone is not enough).
  EXPECT_TRUE(n.client.JoinSync(n.addr, {"a", "a:1", true, {}}, alice).status.ok());
  EXPECT_EQ(n.client.JoinSync(n.addr, {"a", "a:1", false, {}}, alice).status.code(),
            base::Code::kPermissionDenied);
  EXPECT_TRUE(n.client.JoinSync(n.addr, {"r", "r:1", false, {}}, ro).status.ok());
  EXPECT_EQ(n.client.JoinSync(n.addr, {"r", "r:1", true, {}}, ro).status.code(),
            base::Code::kPermissionDenied);
  EXPECT_EQ(n.client.NotifySync(n.addr, {"r", "r:1"}, ro).code(), base::Code::kPermissionDenied);
  EXPECT_EQ(n.client.RemoveSync(n.addr, "x", alice).code(), base::Code::kPermissionDenied);
  EXPECT_GE(n.service.stats().unauthorized, 5u);
}

TEST(ServiceTest, BackupIsStreamedInChunks) {
  ServiceOptions so;
  so.backup_chunk_bytes = 1000;
  TestNode n(so);
  std::string dir = ::testing::TempDir();
  std::string src = dir + "/cluster_backup_src_" + std::to_string(n.mux.port());
  std::string dst = dir + "/cluster_backup_dst_" + std::to_string(n.mux.port());
  std::string content;
  for (int i = 0; i < 10'500; ++i) content.push_back(static_cast<char>(i * 7));
  {
    std::ofstream f(src, std::ios::binary);
    f << content;
  }
  n.db.backup_result = api::BackupFile{src, content.size()};
  api::BackupRequest req;
  req.format = api::BackupFormat::kSql;
  auto got = n.client.BackupSync(n.addr, req, dst, {});
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->path, dst);
  EXPECT_EQ(got->size, content.size());
  std::ifstream in(dst, std::ios::binary);
  std::string back((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(back, content);
  EXPECT_FALSE(std::ifstream(src).good());  // the leader's temp file was removed
  EXPECT_EQ(n.db.backups.at(0).format, api::BackupFormat::kSql);
  std::remove(dst.c_str());
  // A failing backup leaves no destination file.
  n.db.backup_result = base::Status(base::Code::kNotLeader, "not leader");
  auto bad = n.client.BackupSync(n.addr, req, dst, {});
  EXPECT_EQ(bad.status().code(), base::Code::kNotLeader);
  EXPECT_FALSE(std::ifstream(dst).good());
}

TEST(ServiceTest, CallTimesOutAndRetries) {
  TestNode n;
  n.db.hold_execute = true;
  CallOptions o;
  o.timeout_ns = 100'000'000;
  o.retries = 1;
  api::Response r = ExecSync(n.client, n.addr, Insert(), o);
  EXPECT_EQ(r.status.code(), base::Code::kTimeout);
  EXPECT_EQ(r.status.message(), "timeout waiting for node to respond");
  EXPECT_EQ(n.db.ExecuteCount(), 2u);  // the retry reached the node too
  EXPECT_EQ(n.client.stats().failures, 2u);
  n.db.ReleaseHeld(api::Response{});
  // The node still serves new calls.
  n.db.hold_execute = false;
  EXPECT_TRUE(ExecSync(n.client, n.addr, Insert()).status.ok());
}

TEST(ServiceTest, DialFailureIsUnavailable) {
  TestNode n;
  std::string dead;
  {
    TestNode gone;
    dead = gone.addr;
  }
  auto m = n.client.GetNodeMetaSync(dead, {});
  EXPECT_EQ(m.status().code(), base::Code::kUnavailable);
}

namespace asio = boost::asio;

TEST(ServiceTest, SilentConnectionIsClosedAfterReadTimeout) {
  ServiceOptions so;
  so.read_timeout_ms = 50;
  TestNode n(so);
  asio::io_context io;
  asio::ip::tcp::socket s(io);
  s.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), n.mux.port()));
  asio::write(s, asio::buffer(std::string("\x02", 1)));
  char c;
  boost::system::error_code ec;
  asio::read(s, asio::buffer(&c, 1), ec);  // returns when the service closes the connection
  EXPECT_EQ(ec, asio::error::eof);
}

TEST(ServiceTest, OversizedFrameClosesConnection) {
  ServiceOptions so;
  so.max_frame_bytes = 1024;
  TestNode n(so);
  asio::io_context io;
  asio::ip::tcp::socket s(io);
  s.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), n.mux.port()));
  std::string bytes("\x02", 1);
  bytes += std::string("\x00\x00\x10\x00\x00\x00\x00\x00", 8);  // 1 MiB frame announced
  asio::write(s, asio::buffer(bytes));
  char c;
  boost::system::error_code ec;
  asio::read(s, asio::buffer(&c, 1), ec);
  EXPECT_EQ(ec, asio::error::eof);
  EXPECT_TRUE(WaitFor([&] { return n.service.stats().bad_requests == 1; }));
}

TEST(ServiceTest, ConnectionCapRejectsExtraConnections) {
  ServiceOptions so;
  so.max_connections = 1;
  TestNode n(so);
  ASSERT_TRUE(n.client.GetNodeMetaSync(n.addr, {}).ok());  // holds the one pooled connection
  asio::io_context io;
  asio::ip::tcp::socket s(io);
  s.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), n.mux.port()));
  asio::write(s, asio::buffer(std::string("\x02", 1)));
  char c;
  boost::system::error_code ec;
  asio::read(s, asio::buffer(&c, 1), ec);
  EXPECT_TRUE(ec == asio::error::eof || ec == asio::error::connection_reset) << ec.message();
  EXPECT_EQ(n.service.stats().connections_rejected, 1u);
  EXPECT_TRUE(n.client.GetNodeMetaSync(n.addr, {}).ok());  // the pooled one still works
}

}  // namespace
}  // namespace cluster

namespace cluster {
namespace {

// Not a timed test: prints round-trip figures. Run with
//   build/tests/cluster_service_test --gtest_also_run_disabled_tests --gtest_filter=*Figures*
TEST(ServiceTest, DISABLED_Figures) {
  TestNode n;
  const int kCalls = 20'000;
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kCalls; ++i) ASSERT_TRUE(ExecSync(n.client, n.addr, Insert()).status.ok());
  double seq_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::atomic<int> left{kCalls};
  std::promise<void> all;
  start = std::chrono::steady_clock::now();
  for (int i = 0; i < kCalls; ++i) {
    n.client.Execute(n.addr, Insert(), {}, [&](api::Response) {
      if (--left == 0) all.set_value();
    });
  }
  all.get_future().get();
  double par_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("sequential: %.1f us/call; %d concurrent: %.0f calls/s, %lu connections\n",
              seq_s * 1e6 / kCalls, kCalls, kCalls / par_s,
              static_cast<unsigned long>(n.service.stats().connections_accepted));
}

}  // namespace
}  // namespace cluster
