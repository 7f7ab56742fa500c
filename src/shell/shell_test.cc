// Tests for shell/shell.h: every dot-command's HTTP call and printed output, against a scripted
// transport (the end-to-end tests in tests/shell run the same against a real rqlited).
#include "shell/shell.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "shell/fake_transport.h"

namespace shell {
namespace {

const char* kBase = "http://127.0.0.1:4001";

class ShellTest : public ::testing::Test {
 protected:
  void SetUp() override { Make({"127.0.0.1:4001"}); }

  void Make(std::vector<std::string> hosts) {
    out_.str("");
    auto t = std::make_unique<FakeTransport>();
    fake_ = t.get();
    HttpClientConfig cfg;
    cfg.hosts = std::move(hosts);
    client_ = std::make_unique<HttpClient>(cfg, std::move(t));
    ShellSettings s;
    s.host_port = cfg.hosts[0];
    shell_ = std::make_unique<Shell>(s, client_.get(), &out_);
  }

  std::string Run(const std::string& line) {
    out_.str("");
    shell_->Handle(line);
    return out_.str();
  }
  std::string Stmt(const std::string& sql) {
    out_.str("");
    shell_->HandleStatement(sql);
    return out_.str();
  }
  const TransportRequest& Last() { return fake_->requests.back(); }
  std::string TempPath(const std::string& name) {
    char tmpl[] = "/tmp/shell_test_XXXXXX";
    std::string dir = mkdtemp(tmpl);
    temp_dirs_.push_back(dir);
    return dir + "/" + name;
  }
  void TearDown() override {
    shell_.reset();  // closes any .output file first
    for (const auto& d : temp_dirs_) std::filesystem::remove_all(d);
  }

  std::vector<std::string> temp_dirs_;

  std::ostringstream out_;
  FakeTransport* fake_ = nullptr;
  std::unique_ptr<HttpClient> client_;
  std::unique_ptr<Shell> shell_;
};

TEST_F(ShellTest, ConnectPrintsWelcome) {
  fake_->OnJson("GET http://127.0.0.1:4001/status", 200, "{}", {{"X-Rqlite-Version", "v10.0.0"}});
  ASSERT_TRUE(shell_->Connect());
  EXPECT_EQ(out_.str(),
            "Welcome to the rqlite CLI.\nEnter \".help\" for usage hints.\n"
            "Connected to http://127.0.0.1:4001 running version v10.0.0\n");
  EXPECT_EQ(shell_->prompt(), "127.0.0.1:4001> ");
}

TEST_F(ShellTest, ConnectWithoutVersionHeaderAndRefused) {
  fake_->OnJson("GET", 200, "{}");
  ASSERT_TRUE(shell_->Connect());
  EXPECT_NE(out_.str().find("running version unknown"), std::string::npos);
  Make({"127.0.0.1:4001"});
  EXPECT_FALSE(shell_->Connect());
  EXPECT_EQ(out_.str(),
            "ERR! Unable to connect to rqlited at http://127.0.0.1:4001 - is it running?\n");
}

TEST_F(ShellTest, StatementRowsAffectedTimerChanges) {
  fake_->OnJson("POST http://127.0.0.1:4001/db/request", 200,
                R"({"results":[{"last_insert_id":7,"rows_affected":1,"time":0.5}]})");
  EXPECT_EQ(Stmt("INSERT INTO foo(name) VALUES(\"fiona\")"), "1 row affected\n");
  EXPECT_EQ(Last().url, std::string(kBase) + "/db/request");
  EXPECT_EQ(Last().body, "[\"INSERT INTO foo(name) VALUES(\\\"fiona\\\")\"]");
  Run(".timer on");
  Run(".changes on");
  EXPECT_EQ(Stmt("INSERT INTO foo VALUES(1)"),
            "1 row affected (0.500000 sec)\nlast insert ID: 7\n");
  EXPECT_EQ(Last().url, std::string(kBase) + "/db/request?timings=");
}

TEST_F(ShellTest, StatementPluralZeroAndErrors) {
  fake_->OnJson("POST http://127.0.0.1:4001/db/request", 200,
                R"({"results":[{"rows_affected":3}]})");
  EXPECT_EQ(Stmt("DELETE FROM foo"), "3 rows affected\n");
  Make({"127.0.0.1:4001"});
  fake_->OnJson("POST http://127.0.0.1:4001/db/request", 200, R"({"results":[{}]})");
  EXPECT_EQ(Stmt("CREATE TABLE foo (id INTEGER NOT NULL PRIMARY KEY, name TEXT)"),
            "0 row affected\n");
  Make({"127.0.0.1:4001"});
  fake_->OnJson("POST http://127.0.0.1:4001/db/request", 200,
                R"({"results":[{"error":"no such table: bar"}]})");
  EXPECT_EQ(Stmt("SELECT * FROM bar"), "Error: no such table: bar\n");
  Make({"127.0.0.1:4001"});
  fake_->OnJson("POST http://127.0.0.1:4001/db/request", 401, "unauthorized\n");
  EXPECT_EQ(Stmt("SELECT 1"), "ERR! server responded with 401 Unauthorized: unauthorized\n\n");
}

TEST_F(ShellTest, QueryResultInEveryMode) {
  fake_->OnJson("POST http://127.0.0.1:4001/db/request", 200,
                R"({"results":[{"columns":["id","name"],"types":["integer","text"],"values":[[1,"fiona"]],"time":0.25}]})");
  EXPECT_EQ(Stmt("SELECT * FROM foo"),
            "+----+-------+\n| id | name  |\n+----+-------+\n| 1  | fiona |\n+----+-------+\n");
  Run(".mode csv");
  EXPECT_EQ(Stmt("SELECT * FROM foo"), "id,name\n1,fiona\n");
  Run(".mode json");
  EXPECT_EQ(Stmt("SELECT * FROM foo"), "[\n  {\n    \"id\": 1,\n    \"name\": \"fiona\"\n  }\n]\n");
  Run(".mode line");
  Run(".timer on");
  EXPECT_EQ(Stmt("SELECT * FROM foo"), "  id = 1\nname = fiona\nRun Time: 0.250000 seconds\n");
  EXPECT_EQ(Run(".mode"), "line\n");
  EXPECT_EQ(Run(".mode table"),
            "ERR! invalid mode 'table'. Use 'column', 'csv', 'json', or 'line'\n");
}

TEST_F(ShellTest, ForceWritesUsesExecute) {
  fake_->OnJson("POST http://127.0.0.1:4001/db/execute", 200, R"({"results":[{}]})");
  Run(".forcewrites on");
  EXPECT_EQ(Stmt("SELECT 1"), "0 row affected\n");
  EXPECT_EQ(Last().url, std::string(kBase) + "/db/execute");
}

TEST_F(ShellTest, TablesIndexesSchemaQueries) {
  fake_->OnJson("GET http://127.0.0.1:4001/db/query", 200,
                R"({"results":[{"columns":["name"],"types":["text"],"values":[["foo"]]}]})");
  EXPECT_EQ(Run(".tables"), "+------+\n| name |\n+------+\n| foo  |\n+------+\n");
  EXPECT_EQ(Last().url, std::string(kBase) +
                            "/db/query?level=weak&q=SELECT+name+FROM+sqlite_master+WHERE+type%3D%"
                            "22table%22+ORDER+BY+name+ASC");
  Run(".blobarray on");
  Run(".consistency strong");
  Run(".timer on");
  Run(".INDEXES");
  EXPECT_EQ(Last().url, std::string(kBase) +
                            "/db/query?blob_array=&level=strong&q=SELECT+sql+FROM+sqlite_master+"
                            "WHERE+type%3D%22index%22&timings=");
  Run(".schema");
  EXPECT_NE(Last().url.find("q=SELECT+sql+FROM+sqlite_master+WHERE+sql+IS+NOT+NULL+ORDER+BY+rowid+ASC"),
            std::string::npos);
}

TEST_F(ShellTest, TogglesConsistencyShowHelp) {
  EXPECT_EQ(Run(".timer"), "off\n");
  EXPECT_EQ(Run(".timer on"), "");
  EXPECT_EQ(Run(".timer"), "on\n");
  EXPECT_EQ(Run(".changes maybe"), "ERR! invalid option 'maybe'. Use 'on' or 'off' (default)\n");
  EXPECT_EQ(Run(".consistency"), "weak\n");
  EXPECT_EQ(Run(".consistency bogus"),
            "ERR! invalid consistency 'bogus'. Use 'none', 'weak', 'linearizable', or 'strong'\n");
  Run(".consistency linearizable");
  EXPECT_EQ(Run(".show"),
            "  blobarray: off\n  changes: off\n  consistency: linearizable\n  forcewrites: off\n"
            "  mode: column\n  output: stdout\n  timer: on\n");
  std::string help = Run(".help");
  EXPECT_EQ(help.rfind(".backup FILE", 0), 0u);
  EXPECT_NE(help.find(".timer [on|off]"), std::string::npos);
  EXPECT_TRUE(fake_->requests.empty());
}

TEST_F(ShellTest, QuitForms) {
  for (const char* q : {".quit", ".exit", "quit", "EXIT", ".QUIT"}) {
    EXPECT_EQ(shell_->Handle(q), Shell::Action::kQuit) << q;
    EXPECT_TRUE(Shell::IsCommandLine(q));
  }
  EXPECT_FALSE(Shell::IsCommandLine("SELECT 1"));
  EXPECT_TRUE(Shell::IsCommandLine("  .tables"));
}

TEST_F(ShellTest, StatusExpvarTrees) {
  fake_->OnJson("GET http://127.0.0.1:4001/status", 200,
                R"({"store":{"node_id":"n1","raft":{"state":"Leader"}},"http":{"auth":"disabled"}})");
  EXPECT_EQ(Run(".status"),
            "http:\n  auth: disabled\nstore:\n  node_id: n1\n  raft:\n    state: Leader\n");
  EXPECT_EQ(Run(".status http"), "http:\n  auth: disabled\n");
  EXPECT_EQ(Run(".status nope"), "");
  fake_->OnJson("GET http://127.0.0.1:4001/debug/vars", 401, "");
  EXPECT_EQ(Run(".expvar"), "ERR! unauthorized\n");
  EXPECT_EQ(Last().url, std::string(kBase) + "/debug/vars");
}

TEST_F(ShellTest, NodesLeaderReady) {
  const char* nodes =
      R"({"n1":{"api_addr":"http://127.0.0.1:4001","leader":true,"reachable":true},"n2":{"api_addr":"http://127.0.0.1:4003","leader":false}})";
  fake_->OnJson("GET http://127.0.0.1:4001/nodes", 200, nodes);
  EXPECT_EQ(Run(".leader"),
            "n1:\n  api_addr: http://127.0.0.1:4001\n  leader: true\n  reachable: true\n");
  Run(".nodes all");
  EXPECT_EQ(Last().url, std::string(kBase) + "/nodes?nonvoters");
  Run(".nodes");
  EXPECT_EQ(Last().url, std::string(kBase) + "/nodes");
  fake_->OnJson("GET http://127.0.0.1:4001/readyz", 503, "");
  EXPECT_EQ(Run(".ready"), "not ready\n");
}

TEST_F(ShellTest, ReapSnapshotStepdownRemove) {
  fake_->OnJson("POST http://127.0.0.1:4001/reap", 200,
                R"({"snapshots_reaped":2,"wals_checkpointed":1})");
  EXPECT_EQ(Run(".reap"), "snapshots reaped: 2, WALs checkpointed: 1\n");
  fake_->OnJson("POST http://127.0.0.1:4001/snapshot", 204, "");
  EXPECT_EQ(Run(".snapshot 5"), "");
  EXPECT_EQ(Last().url, std::string(kBase) + "/snapshot?trailing_logs=5");
  Run(".snapshot");
  EXPECT_EQ(Last().url, std::string(kBase) + "/snapshot?trailing_logs=0");
  EXPECT_EQ(Run(".snapshot -1"), "ERR! invalid trailing logs value: -1\n");
  fake_->OnJson("POST http://127.0.0.1:4001/leader?wait=true", 503, "");
  EXPECT_EQ(Run(".stepdown n2"), "ERR! server responded with 503 Service Unavailable\n");
  EXPECT_EQ(Last().body, "{\"id\":\"n2\"}");
  EXPECT_EQ(Last().headers[0].second, "application/json");
  fake_->OnJson("DELETE http://127.0.0.1:4001/remove", 200, "");
  EXPECT_EQ(Run(".remove n2"), "");
  EXPECT_EQ(Last().method, "DELETE");
  EXPECT_EQ(Last().body, "{\"id\":\"n2\"}");
}

TEST_F(ShellTest, BackupDumpRestoreBoot) {
  fake_->OnJson("GET http://127.0.0.1:4001/db/backup?fmt=sql&tables=foo%2Cbar", 200,
                "CREATE TABLE foo(x);\n");
  fake_->OnJson("GET http://127.0.0.1:4001/db/backup", 200, std::string("SQLite format 3\0xx", 18));
  std::string f = TempPath("b.sqlite");
  EXPECT_EQ(Run(".backup " + f), "backup file written successfully\n");
  std::ifstream in(f, std::ios::binary);
  std::string data((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(data.size(), 18u);
  std::string d = TempPath("d.sql");
  EXPECT_EQ(Run(".dump " + d + " foo, bar"), "SQL text file written successfully\n");
  EXPECT_EQ(Run(".backup"), "ERR! please specify an output file for the backup\n");

  fake_->OnJson("GET http://127.0.0.1:4001/status", 200, R"({"store":{"sqlite3":{}}})");
  fake_->OnJson("POST http://127.0.0.1:4001/db/load", 200,
                R"({"results":[{"last_insert_id":0,"rows_affected":1}]})");
  EXPECT_EQ(Run(".restore " + d),
            "last inserted ID: 0\nrows affected: 1\nDatabase restored successfully.\n");
  EXPECT_EQ(Last().body, "CREATE TABLE foo(x);\nPRAGMA foreign_keys=OFF;");
  EXPECT_EQ(Last().headers[0].second, "text/plain");
  EXPECT_EQ(Last().timeout_ms, 0);
  EXPECT_EQ(Run(".restore " + f), "Database restored successfully.\n");
  EXPECT_EQ(Last().headers[0].second, "application/octet-stream");

  fake_->OnJson("POST http://127.0.0.1:4001/boot", 200, "");
  EXPECT_EQ(Run(".boot " + f), "Node booted successfully.\n");
  EXPECT_EQ(Run(".boot " + d), "ERR! boot file is not a SQLite file\n");
  EXPECT_EQ(Run(".restore /nonexistent/x"),
            "ERR! open /nonexistent/x: no such file or directory\n");
}

TEST_F(ShellTest, ReadAndOutput) {
  fake_->OnJson("POST http://127.0.0.1:4001/db/request", 200, R"({"results":[{"rows_affected":1}]})");
  std::string f = TempPath("in.sql");
  std::ofstream(f) << "-- comment\n\nINSERT INTO t VALUES(1)\n  INSERT INTO t VALUES(2)  \n";
  EXPECT_EQ(Run(".read " + f), "1 row affected\n1 row affected\n");
  ASSERT_EQ(fake_->requests.size(), 2u);
  EXPECT_EQ(fake_->requests[1].body, "[\"INSERT INTO t VALUES(2)\"]");
  std::string o = TempPath("out.txt");
  EXPECT_EQ(Run(".output " + o), "");
  EXPECT_EQ(Stmt("INSERT INTO t VALUES(3)"), "");
  EXPECT_NE(Run(".show").find("output: " + o), std::string::npos);
  Run(".output");
  EXPECT_EQ(Stmt("INSERT INTO t VALUES(4)"), "1 row affected\n");
  std::ifstream in(o);
  std::string got((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(got, "1 row affected\n");
}

TEST_F(ShellTest, ExtensionsAndSysdump) {
  fake_->OnJson("GET http://127.0.0.1:4001/status?key=extensions", 200, R"({"names":["a.so","b.so"]})");
  EXPECT_EQ(Run(".extensions"), "a.so\nb.so\n");
  fake_->OnJson("GET http://127.0.0.1:4001/nodes", 200,
                R"({"n1":{"api_addr":"http://127.0.0.1:4001"}})");
  fake_->OnJson("GET http://127.0.0.1:4001/status?pretty", 200, "{\"s\":1}");
  fake_->OnJson("GET http://127.0.0.1:4001/readyz", 200, "[+]leader ok\n");
  std::string f = TempPath("sys.txt");
  EXPECT_EQ(Run(".sysdump " + f), "");
  std::ifstream in(f);
  std::string got((std::istreambuf_iterator<char>(in)), {});
  EXPECT_NE(got.find("URL: http://127.0.0.1:4001/status?pretty\nStatus: 200 OK\n\n{\"s\":1}"),
            std::string::npos);
  EXPECT_NE(got.find("URL: http://127.0.0.1:4001/debug/vars\nStatus: connection refused"),
            std::string::npos);
}

TEST_F(ShellTest, FailoverChangesPrompt) {
  Make({"127.0.0.1:1", "127.0.0.1:4003"});
  fake_->OnJson("POST http://127.0.0.1:4003/db/request", 200, R"({"results":[{}]})");
  EXPECT_EQ(shell_->prompt(), "127.0.0.1:1> ");
  EXPECT_EQ(Stmt("CREATE TABLE t(x)"), "0 row affected\n");
  EXPECT_EQ(shell_->prompt(), "127.0.0.1:4003> ");
}

TEST_F(ShellTest, UnknownDotCommandGoesToServer) {
  fake_->OnJson("POST http://127.0.0.1:4001/db/request", 200,
                R"({"results":[{"error":"near \".\": syntax error"}]})");
  EXPECT_EQ(Run(".bogus"), "Error: near \".\": syntax error\n");
}

TEST(ShellHelpersTest, DumpArgs) {
  std::string file;
  std::vector<std::string> tables;
  ParseDumpArgs("out.sql foo, bar,,baz", &file, &tables);
  EXPECT_EQ(file, "out.sql");
  EXPECT_EQ(tables, (std::vector<std::string>{"foo", "bar", "baz"}));
  ParseDumpArgs("x.sql", &file, &tables);
  EXPECT_TRUE(tables.empty());
  EXPECT_EQ(MakeJsonBody("a\"b"), "[\"a\\\"b\"]");
}

}  // namespace
}  // namespace shell

namespace shell {
namespace {

TEST(ShellPrefixTest, PrefixIsPrependedToEveryPath) {
  auto t = std::make_unique<FakeTransport>();
  FakeTransport* fake = t.get();
  HttpClientConfig cfg;
  cfg.hosts = {"proxy:8080"};
  HttpClient client(cfg, std::move(t));
  ShellSettings s;
  s.host_port = "proxy:8080";
  s.prefix = "/rqlite/";
  std::ostringstream out;
  Shell sh(s, &client, &out);
  fake->OnJson("GET http://proxy:8080/rqlite/status", 200, "{}");
  fake->OnJson("POST http://proxy:8080/rqlite/db/request", 200, R"({"results":[{}]})");
  fake->OnJson("GET http://proxy:8080/rqlite/readyz", 200, "");
  ASSERT_TRUE(sh.Connect());
  sh.HandleStatement("CREATE TABLE t(x)");
  sh.Handle(".ready");
  EXPECT_EQ(out.str().substr(out.str().find("0 row")), "0 row affected\nready\n");
  ASSERT_EQ(fake->requests.size(), 3u);
}

}  // namespace
}  // namespace shell
