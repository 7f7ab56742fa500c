// HTTP-layer tests of the request pipeline (http-api.md §1) and handlers' status codes, against
// an in-test FakeDatabase. The store itself is tested elsewhere.
#include "http/service.h"

#include <gtest/gtest.h>

#include <optional>

#include "auth/credential_store.h"
#include "base/clock.h"
#include "api/fake_database_test_util.h"

namespace http {
namespace {

using api::testing::FakeDatabase;

api::Response ExecOk(int64_t id, int64_t rows) {
  api::Response r;
  api::StatementResult s;
  s.last_insert_id = id;
  s.rows_affected = rows;
  r.results.push_back(s);
  return r;
}

class ServiceTest : public ::testing::Test {
 protected:
  ServiceTest() : clock_(1'700'000'000'000'000'000) {
    env_.db = &db_;
    env_.clock = &clock_;
    env_.config.version = "v10.0.0";
    env_.config.adv_addr = "localhost:4001";
    service_ = std::make_unique<Service>(&env_);
  }

  HttpResponse Do(const std::string& method, const std::string& target,
                  const std::string& body = "", const std::string& content_type = "") {
    HttpRequest req;
    req.method = method;
    size_t q = target.find('?');
    req.path = UnescapePath(target.substr(0, q));
    if (q != std::string::npos) {
      req.has_query = true;
      req.raw_query = target.substr(q + 1);
    }
    req.body = body;
    req.authorization = authorization_;
    req.content_type = content_type;
    req.has_content_length = true;
    req.content_length = body.size();
    std::optional<HttpResponse> out;
    service_->Handle(std::move(req), [&](HttpResponse r) { out = std::move(r); });
    EXPECT_TRUE(out.has_value()) << "no synchronous reply for " << method << " " << target;
    return out.value_or(HttpResponse{});
  }

  std::string authorization_;  // Authorization header of every Do()
  FakeDatabase db_;
  base::ManualClock clock_;
  ServiceEnv env_;
  std::unique_ptr<Service> service_;
};

TEST_F(ServiceTest, BaseHeadersOnEveryResponse) {
  HttpResponse r = Do("GET", "/nope");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body, "");
  EXPECT_EQ(r.GetHeader("X-Rqlite-Version"), "v10.0.0");
  EXPECT_EQ(r.GetHeader("Access-Control-Allow-Methods"), "OPTIONS, GET, POST");
  EXPECT_EQ(r.GetHeader("Access-Control-Allow-Headers"), "Content-Type");
  EXPECT_EQ(r.GetHeader("Access-Control-Allow-Origin"), "");
  EXPECT_EQ(r.GetHeader("Content-Type"), "");
}

TEST_F(ServiceTest, AllowOriginWhenConfigured) {
  env_.config.allow_origin = "https://example.com";
  EXPECT_EQ(Do("GET", "/status").GetHeader("Access-Control-Allow-Origin"), "https://example.com");
}

TEST_F(ServiceTest, OptionsAnswersBeforeValidationAndRouting) {
  HttpResponse r = Do("OPTIONS", "/no/such/path?timeout=xyz");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "");
}

TEST_F(ServiceTest, ParamValidationBeforeRouting) {
  HttpResponse r = Do("GET", "/no/such/path?timeout=xyz");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body, "timeout is not a valid duration\n");
  EXPECT_EQ(r.GetHeader("Content-Type"), "text/plain; charset=utf-8");
  EXPECT_EQ(r.GetHeader("X-Content-Type-Options"), "nosniff");
}

TEST_F(ServiceTest, MethodCheckAfterContentType) {
  HttpResponse r = Do("GET", "/db/execute");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.body, "");
  EXPECT_EQ(r.GetHeader("Content-Type"), "application/json; charset=utf-8");
  EXPECT_EQ(Do("PUT", "/db/query").status, 405);
  EXPECT_EQ(Do("GET", "/db/request").status, 405);
  EXPECT_EQ(Do("POST", "/status").status, 405);
  EXPECT_EQ(Do("GET", "/remove").status, 405);
}

TEST_F(ServiceTest, PrefixAndExactRouting) {
  db_.execute_response = ExecOk(0, 0);
  EXPECT_EQ(Do("POST", "/db/executeXYZ", "[\"SELECT 1\"]").status, 200);
  EXPECT_EQ(db_.executes.size(), 1u);
  EXPECT_EQ(Do("GET", "/statusfoo").status, 200);
  EXPECT_EQ(Do("POST", "/bootx").status, 404);
  EXPECT_EQ(Do("POST", "/snapshotx").status, 404);
  EXPECT_EQ(Do("GET", "/leaderx").status, 404);
  EXPECT_EQ(Do("GET", "/join").status, 404);
  EXPECT_EQ(Do("GET", "/db/tables").status, 404);
  EXPECT_EQ(Do("GET", "/metrics").status, 404);
}

TEST_F(ServiceTest, RootAndConsoleRedirects) {
  HttpResponse r = Do("GET", "/");
  EXPECT_EQ(r.status, 302);
  EXPECT_EQ(r.GetHeader("Location"), "/console/");
  EXPECT_EQ(r.body, "<a href=\"/console/\">Found</a>.\n\n");
  HttpResponse c = Do("POST", "/console");
  EXPECT_EQ(c.status, 301);
  EXPECT_EQ(c.GetHeader("Location"), "/console/");
  EXPECT_EQ(c.body, "");
}

TEST_F(ServiceTest, ParseErrorsE10) {
  EXPECT_EQ(Do("POST", "/db/execute", "{\"sql\":\"x\"}").body, "invalid request\n");
  EXPECT_EQ(Do("POST", "/db/execute", "[]").body, "no statements\n");
  HttpResponse r = Do("POST", "/db/execute", "not-json");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body, "invalid JSON body\n");
  EXPECT_EQ(Do("GET", "/db/query?q=").body, "query parameter not set\n");
  EXPECT_EQ(Do("GET", "/db/query?level=none&freshness_strict&q=SELECT%201").body,
            "freshness_strict requires freshness\n");
  EXPECT_TRUE(db_.executes.empty());
  EXPECT_TRUE(db_.queries.empty());
}

TEST_F(ServiceTest, ExecutePassesParamsAndSetsServedBy) {
  db_.execute_response = ExecOk(1, 1);
  HttpResponse r = Do("POST", "/db/execute?transaction&db_timeout=2s&norwrandom",
                      "[[\"INSERT INTO foo VALUES(?)\", 1]]");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "{\"results\":[{\"last_insert_id\":1,\"rows_affected\":1}]}");
  EXPECT_EQ(r.GetHeader("X-Rqlite-Served-By"), "localhost:4001");
  ASSERT_EQ(db_.executes.size(), 1u);
  EXPECT_TRUE(db_.executes[0].transaction);
  EXPECT_EQ(db_.executes[0].db_timeout_ns, 2'000'000'000);
  EXPECT_TRUE(db_.executes[0].rewrite.no_rewrite_random);
  EXPECT_FALSE(db_.executes[0].rewrite.no_rewrite_time);
}

TEST_F(ServiceTest, PlainTextBody) {
  db_.execute_response = ExecOk(0, 0);
  Do("POST", "/db/execute", "CREATE TABLE t(x); INSERT INTO t VALUES(1)", "text/plain");
  ASSERT_EQ(db_.executes.size(), 1u);
  ASSERT_EQ(db_.executes[0].statements.size(), 1u);
  EXPECT_EQ(db_.executes[0].statements[0].sql, "CREATE TABLE t(x); INSERT INTO t VALUES(1)");
}

TEST_F(ServiceTest, StoreErrorsMapToStatusCodes) {
  db_.execute_response.status = base::Status(base::Code::kInvalidArgument, "disallowed pragma");
  HttpResponse r = Do("POST", "/db/execute", "[\"PRAGMA journal_mode=DELETE\"]");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "{\"results\":[],\"error\":\"disallowed pragma\"}");
  EXPECT_EQ(r.GetHeader("X-Rqlite-Served-By"), "");
  db_.execute_response.status = base::Status(base::Code::kNoLeader, "no leader");
  HttpResponse n = Do("POST", "/db/execute", "[\"SELECT 1\"]");
  EXPECT_EQ(n.status, 503);
  EXPECT_EQ(n.body, "leader not found\n");
}

TEST_F(ServiceTest, NotLeaderWithRedirectIs301) {
  db_.execute_response.status = base::Status(base::Code::kNotLeader, "not leader");
  db_.leader.api_addr = "http://host1:4001";
  HttpResponse r = Do("POST", "/db/execute?redirect&pretty", "[\"SELECT 1\"]");
  EXPECT_EQ(r.status, 301);
  EXPECT_EQ(r.GetHeader("Location"), "http://host1:4001/db/execute?redirect&pretty");
  EXPECT_EQ(r.body, "");
  db_.leader.api_addr = "";
  EXPECT_EQ(Do("POST", "/db/execute?redirect", "[\"SELECT 1\"]").body, "leader not found\n");
}

TEST_F(ServiceTest, ForwardOptionsCarryRedirectCredentialsAndTimeout) {
  db_.execute_response = ExecOk(1, 1);
  authorization_ = "Basic YWxpY2U6c2VjcmV0";  // alice:secret
  Do("POST", "/db/execute?redirect&timeout=5s&retries=2", "[\"SELECT 1\"]");
  ASSERT_EQ(db_.executes.size(), 1u);
  const api::ForwardOptions& f = db_.executes[0].forward;
  EXPECT_TRUE(f.redirect);
  EXPECT_EQ(f.username, "alice");
  EXPECT_EQ(f.password, "secret");
  EXPECT_EQ(f.timeout_ns, 5'000'000'000);
  EXPECT_EQ(f.retries, 2);
  authorization_.clear();
  Do("POST", "/db/execute", "[\"SELECT 1\"]");
  ASSERT_EQ(db_.executes.size(), 2u);
  EXPECT_FALSE(db_.executes[1].forward.redirect);
  EXPECT_EQ(db_.executes[1].forward.username, "");
  EXPECT_EQ(db_.executes[1].forward.timeout_ns, 30'000'000'000);
}

TEST_F(ServiceTest, ForwardedResponseNamesTheLeaderInServedBy) {
  db_.execute_response = ExecOk(1, 1);
  db_.execute_response.served_by = "leaderhost:4002";
  HttpResponse r = Do("POST", "/db/execute", "[\"SELECT 1\"]");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.GetHeader("X-Rqlite-Served-By"), "leaderhost:4002");
}

TEST_F(ServiceTest, RemoteUnauthorizedIs401) {
  db_.execute_response.status = base::Status(base::Code::kPermissionDenied, "unauthorized");
  HttpResponse r = Do("POST", "/db/execute", "[\"SELECT 1\"]");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.body, "remote Execute not authorized\n");
  db_.query_response.status = base::Status(base::Code::kPermissionDenied, "unauthorized");
  EXPECT_EQ(Do("GET", "/db/query?q=SELECT%201").body, "remote query not authorized\n");
}

TEST_F(ServiceTest, QueryGetWithoutQIsEmptyResults) {
  HttpResponse r = Do("GET", "/db/query");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "{\"results\":[]}");
  EXPECT_TRUE(db_.queries.empty());
}

TEST_F(ServiceTest, QueryPassesConsistencyParams) {
  Do("GET", "/db/query?level=NONE&freshness=1s&freshness_strict&linearizable_timeout=3s&"
            "qualify_columns&q=SELECT%201");
  ASSERT_EQ(db_.queries.size(), 1u);
  const api::QueryRequest& q = db_.queries[0];
  EXPECT_EQ(q.level, api::Level::kNone);
  EXPECT_EQ(q.freshness_ns, 1'000'000'000);
  EXPECT_TRUE(q.freshness_strict);
  EXPECT_EQ(q.linearizable_timeout_ns, 3'000'000'000);
  EXPECT_TRUE(q.qualify_columns);
  ASSERT_EQ(q.statements.size(), 1u);
  EXPECT_EQ(q.statements[0].sql, "SELECT 1");
}

TEST_F(ServiceTest, RequestIsJsonOnly) {
  HttpResponse r = Do("POST", "/db/request", "SELECT 1", "text/plain");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body, "invalid JSON body\n");
}

TEST_F(ServiceTest, BootChecks) {
  EXPECT_EQ(Do("POST", "/boot", "short").status, 503);
  HttpResponse bad = Do("POST", "/boot", std::string(64, 'x'));
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.body, "invalid SQLite data\n");
  std::string image("SQLite format 3\0", 16);
  image += std::string(100, '\0');
  EXPECT_EQ(Do("POST", "/boot", image).status, 200);
  db_.boot_status = base::Status(base::Code::kNotLeader, "x");
  EXPECT_EQ(Do("POST", "/boot", image).body, "not leader\n");
}

TEST_F(ServiceTest, BackupVacuumWithSqlIs500) {
  HttpResponse r = Do("GET", "/db/backup?fmt=sql&vacuum");
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.body, "invalid backup format\n");
  EXPECT_TRUE(db_.backups.empty());
  EXPECT_EQ(Do("POST", "/db/backup").GetHeader("Content-Type"), "application/octet-stream");
}

TEST_F(ServiceTest, SnapshotStatuses) {
  EXPECT_EQ(Do("POST", "/snapshot?trailing_logs=7").status, 200);
  EXPECT_EQ(db_.snapshot_trailing.back(), 7u);
  db_.snapshot_status = base::NotFound("nothing");
  EXPECT_EQ(Do("POST", "/snapshot").status, 204);
  db_.snapshot_status = base::IoError("disk");
  HttpResponse r = Do("POST", "/snapshot");
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.body, "disk\n");
}

TEST_F(ServiceTest, RemoveBody) {
  EXPECT_EQ(Do("DELETE", "/remove", "{\"id\":\"2\",\"x\":1}").status, 400);
  EXPECT_EQ(Do("DELETE", "/remove", "{\"id\":2}").status, 400);
  EXPECT_EQ(Do("DELETE", "/remove", "garbage").status, 400);
  EXPECT_EQ(Do("DELETE", "/remove", "{\"id\":\"2\"}").status, 200);
  ASSERT_EQ(db_.removes.size(), 1u);
  EXPECT_EQ(db_.removes[0], "2");
}

TEST_F(ServiceTest, ReadyzBodies) {
  api::StatementResult one;
  one.kind = api::StatementResult::Kind::kRows;
  one.columns = {"1"};
  one.types = {"integer"};
  one.values = {{api::Value(int64_t{1})}};
  db_.query_response.results = {one};
  HttpResponse ok = Do("GET", "/readyz");
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.body, "[+]node ok\n[+]leader ok\n[+]store ok\n[+]db ok");
  ASSERT_EQ(db_.queries.size(), 1u);
  EXPECT_EQ(db_.queries[0].level, api::Level::kNone);
  EXPECT_EQ(Do("GET", "/readyz?sync").body,
            "[+]node ok\n[+]leader ok\n[+]store ok\n[+]sync ok\n[+]db ok");
  db_.query_response.results[0].kind = api::StatementResult::Kind::kError;
  db_.query_response.results[0].error = "disk I/O error";
  HttpResponse dbbad = Do("GET", "/readyz");
  EXPECT_EQ(dbbad.status, 503);
  EXPECT_EQ(dbbad.body,
            "[+]node ok\n[+]leader ok\n[+]store ok\n[+]db not ok: (<nil>, [disk I/O error])");
  db_.ready = false;
  EXPECT_EQ(Do("GET", "/readyz").body, "[+]node ok\n[+]leader ok\n[+]store not ready");
  db_.leader.api_addr = "";
  HttpResponse nc = Do("GET", "/readyz");
  EXPECT_EQ(nc.status, 503);
  EXPECT_EQ(nc.body,
            "[+]node ok\n[+]leader not contactable: timeout waiting for node to respond");
  db_.leader = {};
  HttpResponse nl = Do("GET", "/readyz");
  EXPECT_EQ(nl.status, 503);
  EXPECT_EQ(nl.body, "[+]node ok\n[+]leader does not exist");
  HttpResponse skip = Do("GET", "/readyz?noleader");
  EXPECT_EQ(skip.status, 200);
  EXPECT_EQ(skip.body, "[+]node ok");
}

TEST_F(ServiceTest, StatusKeyAndMissingKey) {
  HttpResponse r = Do("GET", "/status?key=store.leader");
  EXPECT_EQ(r.body, "{\"addr\":\"localhost:4002\",\"node_id\":\"1\"}");
  EXPECT_EQ(Do("GET", "/status?key=store.nope").body, "{}");
  EXPECT_EQ(Do("GET", "/status?key=http.queue").body, "{}");  // no queue in this env
}

TEST_F(ServiceTest, DebugVarsFormat) {
  HttpResponse r = Do("GET", "/debug/vars?key=store");
  EXPECT_EQ(r.body, "{\n\"store\": {\"num_ignored\":1}\n}\n");
  EXPECT_EQ(Do("GET", "/debug/vars?key=nothing").body, "{\n\n}\n");
  HttpResponse all = Do("POST", "/debug/vars");
  EXPECT_EQ(all.status, 200);
  EXPECT_NE(all.body.find("\"cmdline\": ["), std::string::npos);
  EXPECT_NE(all.body.find(",\n\"http\": {"), std::string::npos);
}

TEST_F(ServiceTest, LeaderGetAndStepdown) {
  api::NodeInfo n;
  n.id = "1";
  n.raft_addr = "localhost:4002";
  n.api_addr = "http://localhost:4001";
  n.version = "v10.0.0";
  n.reachable = true;
  n.leader = true;
  db_.nodes = {n};
  HttpResponse g = Do("GET", "/leader");
  EXPECT_EQ(g.status, 200);
  EXPECT_EQ(g.body.substr(0, 45), "{\"id\":\"1\",\"api_addr\":\"http://localhost:4001\",");
  HttpResponse bad = Do("POST", "/leader", "{nope", "application/json");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.body.substr(0, 13), "invalid JSON:");
  EXPECT_EQ(Do("POST", "/leader", "{\"id\":\"2\"}", "application/json").status, 200);
  EXPECT_EQ(db_.stepdowns.back(), "2");
  db_.membership_status = base::Internal("cannot step down to the current Leader");
  HttpResponse e = Do("POST", "/leader");
  EXPECT_EQ(e.status, 500);
  EXPECT_EQ(e.body, "stepdown: cannot step down to the current Leader\n");
}

TEST_F(ServiceTest, QueuedWriteWithoutQueueOrLeader) {
  db_.leader = {};
  HttpResponse r = Do("POST", "/db/execute?queue", "[\"SELECT 1\"]");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.body, "leader not found\n");
}

// -auth (cluster-semantics.md §12, http-api.md §1): 401 with an empty body before the method
// check; the auth headers on every response; /db/request needs query and execute.
TEST_F(ServiceTest, AuthChecksPermissionsBeforeMethod) {
  auto store = auth::CredentialStore::Parse(
      R"([{"username":"r","password":"p","perms":["query"]},{"username":"*","perms":["status"]}])");
  ASSERT_TRUE(store.ok());
  env_.config.credentials = &store.value();
  HttpResponse r = Do("GET", "/db/execute");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.body, "");
  EXPECT_EQ(r.GetHeader("WWW-Authenticate"), "Basic realm=\"rqlite\"");
  EXPECT_EQ(r.GetHeader("Access-Control-Allow-Headers"), "Content-Type, Authorization");
  EXPECT_EQ(r.GetHeader("Access-Control-Allow-Credentials"), "true");
  EXPECT_EQ(Do("GET", "/status").status, 200);  // `*` holds status
  EXPECT_EQ(Do("GET", "/db/query?q=SELECT%201").status, 401);
  authorization_ = "Basic cjpw";  // r:p
  EXPECT_EQ(Do("GET", "/db/query").status, 200);
  EXPECT_EQ(Do("POST", "/db/request", "[\"SELECT 1\"]", "application/json").status, 401);
  EXPECT_EQ(Do("POST", "/db/execute", "[\"SELECT 1\"]", "application/json").status, 401);
  authorization_ = "Basic cjpx";  // r:x
  EXPECT_EQ(Do("GET", "/db/query").status, 401);
  env_.config.credentials = nullptr;
  EXPECT_EQ(Do("GET", "/db/query").status, 200);
  EXPECT_EQ(Do("GET", "/db/query").GetHeader("WWW-Authenticate"), "");
}

}  // namespace
}  // namespace http
