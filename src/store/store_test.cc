// Store behaviour at the api::Response level: golden examples of http-api.md §10 and the
// statement-semantics quirks of §4.3/§5.
#include <gtest/gtest.h>

#include <sqlite3.h>

#include <fstream>
#include <set>

#include "store/test_util.h"

namespace store {
namespace {

using testing::Render;
using testing::Stmts;

api::BackupRequest BackupReq(api::BackupFormat format, bool vacuum = false) {
  api::BackupRequest r;
  r.format = format;
  r.vacuum = vacuum;
  return r;
}

class StoreTest : public testing::StoreFixture {
 protected:
  void SetUp() override {
    StoreFixture::SetUp();
    OpenStore();
  }
  void CreateFoo() {
    ASSERT_EQ(ExecJ({"CREATE TABLE foo (id INTEGER NOT NULL PRIMARY KEY, name TEXT, age INTEGER)"}),
              "{\"results\":[{}]}");
  }
};

TEST_F(StoreTest, E1CreateAndInsert) {
  CreateFoo();
  std::vector<api::Statement> s(2);
  s[0].sql = "INSERT INTO foo(name, age) VALUES(?, ?)";
  s[0].parameters = {{"", std::string("fiona")}, {"", int64_t{20}}};
  s[1].sql = "INSERT INTO foo(name, age) VALUES(:n, :a)";
  s[1].parameters = {{"n", std::string("declan")}, {"a", std::monostate{}}};
  api::Response r = Exec(s);
  EXPECT_EQ(Render(r),
            "{\"results\":[{\"last_insert_id\":1,\"rows_affected\":1},"
            "{\"last_insert_id\":2,\"rows_affected\":1}]}");
  EXPECT_GT(r.raft_index, 0u);
  EXPECT_GE(r.results[0].time_s, 0.0);
}

TEST_F(StoreTest, E2Query) {
  CreateFoo();
  ExecJ({"INSERT INTO foo(name, age) VALUES('fiona', 20)", "INSERT INTO foo(name) VALUES('declan')"});
  EXPECT_EQ(QueryJ({"SELECT * FROM foo"}),
            "{\"results\":[{\"columns\":[\"id\",\"name\",\"age\"],\"types\":[\"integer\",\"text\","
            "\"integer\"],\"values\":[[1,\"fiona\",20],[2,\"declan\",null]]}]}");
  EXPECT_EQ(QueryJ({"SELECT * FROM foo WHERE id=99"}),
            "{\"results\":[{\"columns\":[\"id\",\"name\",\"age\"],\"types\":[\"integer\",\"text\","
            "\"integer\"]}]}");
  api::Response r = Query(Stmts({"SELECT 1"}));
  EXPECT_EQ(r.raft_index, 0u);
}

TEST_F(StoreTest, E3ErrorsInside200) {
  CreateFoo();
  EXPECT_EQ(ExecJ({"INSERT INTO bar(name) VALUES('x')", "INSERT blah blah"}),
            "{\"results\":[{\"error\":\"no such table: bar\"},"
            "{\"error\":\"near \\\"blah\\\": syntax error\"}]}");
  EXPECT_EQ(ExecJ({"INSERT INTO foo(id,name) VALUES(10,'a')", "INSERT INTO foo(id,name) VALUES(10,'b')",
                   "INSERT INTO foo(id,name) VALUES(11,'c')"},
                  true),
            "{\"results\":[{\"last_insert_id\":10,\"rows_affected\":1},"
            "{\"error\":\"UNIQUE constraint failed: foo.id\"}]}");
  EXPECT_EQ(QueryJ({"SELECT count(*) FROM foo"}),
            "{\"results\":[{\"columns\":[\"count(*)\"],\"types\":[\"integer\"],\"values\":[[0]]}]}");
  EXPECT_EQ(ExecJ({"PRAGMA journal_mode=DELETE"}),
            "{\"results\":[],\"error\":\"disallowed pragma\"}");
  EXPECT_EQ(ExecJ({"CREATE TABLE z(x)", "PRAGMA synchronous=0"}),
            "{\"results\":[],\"error\":\"disallowed pragma\"}");
  EXPECT_NE(QueryJ({"SELECT * FROM z"}).find("no such table: z"), std::string::npos);
  EXPECT_EQ(QueryJ({"PRAGMA wal_checkpoint"}), "{\"results\":[],\"error\":\"disallowed pragma\"}");
}

TEST_F(StoreTest, WithoutTransactionErrorsDoNotStop) {
  CreateFoo();
  EXPECT_EQ(ExecJ({"INSERT INTO foo(id,name) VALUES(10,'a')", "INSERT INTO foo(id,name) VALUES(10,'b')",
                   "INSERT INTO foo(id,name) VALUES(11,'c')"}),
            "{\"results\":[{\"last_insert_id\":10,\"rows_affected\":1},"
            "{\"error\":\"UNIQUE constraint failed: foo.id\"},"
            "{\"last_insert_id\":11,\"rows_affected\":1}]}");
}

TEST_F(StoreTest, E4Blobs) {
  ASSERT_EQ(ExecJ({"CREATE TABLE b (id INTEGER PRIMARY KEY, data BLOB) STRICT"}), "{\"results\":[{}]}");
  std::vector<api::Statement> s(2);
  s[0].sql = s[1].sql = "INSERT INTO b(id,data) VALUES(?,?)";
  s[0].parameters = {{"", int64_t{1}}, {"", api::Blob{"\xde\xad\xbe\xef"}}};
  s[1].parameters = {{"", int64_t{2}}, {"", api::Blob{"\xde\xad\xbe\xef"}}};
  Exec(s);
  EXPECT_EQ(QueryJ({"SELECT * FROM b"}),
            "{\"results\":[{\"columns\":[\"id\",\"data\"],\"types\":[\"integer\",\"blob\"],"
            "\"values\":[[1,\"3q2+7w==\"],[2,\"3q2+7w==\"]]}]}");
  // Expression BLOBs come back as text.
  EXPECT_EQ(QueryJ({"SELECT x'53514C697465'"}),
            "{\"results\":[{\"columns\":[\"x'53514C697465'\"],\"types\":[\"text\"],"
            "\"values\":[[\"SQLite\"]]}]}");
}

TEST_F(StoreTest, E5Returning) {
  CreateFoo();
  EXPECT_EQ(ExecJ({"INSERT INTO foo(id, name) VALUES(5, 'alice') RETURNING *"}),
            "{\"results\":[{\"columns\":[\"id\",\"name\",\"age\"],\"types\":[\"integer\",\"text\","
            "\"integer\"],\"values\":[[5,\"alice\",null]]}]}");
  EXPECT_EQ(QueryJ({"SELECT name FROM foo"}),
            "{\"results\":[{\"columns\":[\"name\"],\"types\":[\"text\"],\"values\":[[\"alice\"]]}]}");
}

TEST_F(StoreTest, ConnectionGlobalCounters) {
  EXPECT_EQ(ExecJ({"CREATE TABLE foo(id INTEGER PRIMARY KEY, v)"}), "{\"results\":[{}]}");
  EXPECT_EQ(ExecJ({"INSERT INTO foo(v) VALUES(1)"}),
            "{\"results\":[{\"last_insert_id\":1,\"rows_affected\":1}]}");
  // Counters persist across requests on the single writer connection.
  EXPECT_EQ(ExecJ({"DROP TABLE foo"}), "{\"results\":[{\"last_insert_id\":1,\"rows_affected\":1}]}");
  EXPECT_EQ(ExecJ({"CREATE TABLE t(x)"}), "{\"results\":[{\"last_insert_id\":1,\"rows_affected\":1}]}");
}

TEST_F(StoreTest, MultiStatementStrings) {
  ExecJ({"CREATE TABLE t(id INTEGER PRIMARY KEY, v)"});
  std::vector<api::Statement> s(1);
  s[0].sql = "INSERT INTO t(v) VALUES(?); INSERT INTO t(v) VALUES(?); INSERT INTO t(v) VALUES(?)";
  s[0].parameters = {{"", int64_t{1}}, {"", int64_t{2}}, {"", int64_t{3}}};
  EXPECT_EQ(Render(Exec(s)), "{\"results\":[{\"last_insert_id\":3,\"rows_affected\":1}]}");
  EXPECT_EQ(ExecJ({"INSERT INTO t(v) VALUES(9); -- trailing comment"}), "{\"results\":[{}]}");
  EXPECT_EQ(ExecJ({"INSERT INTO t(v) VALUES(10);  "}),
            "{\"results\":[{\"last_insert_id\":5,\"rows_affected\":1}]}");
  // Query path: only the last statement's rows.
  EXPECT_EQ(QueryJ({"SELECT 1; SELECT count(*) FROM t"}),
            "{\"results\":[{\"columns\":[\"count(*)\"],\"types\":[\"integer\"],\"values\":[[5]]}]}");
  // An error stops the string; earlier statements stay applied.
  EXPECT_EQ(ExecJ({"INSERT INTO t(v) VALUES(11); INSERT INTO nope VALUES(1); INSERT INTO t(v) VALUES(12)"}),
            "{\"results\":[{\"error\":\"no such table: nope\"}]}");
  EXPECT_NE(QueryJ({"SELECT count(*) FROM t"}).find("[[6]]"), std::string::npos);
}

TEST_F(StoreTest, ParameterErrors) {
  ExecJ({"CREATE TABLE t(a, b)"});
  std::vector<api::Statement> s(1);
  s[0].sql = "INSERT INTO t VALUES(?, ?)";
  s[0].parameters = {{"", int64_t{1}}};
  EXPECT_EQ(Render(Exec(s)),
            "{\"results\":[{\"error\":\"not enough args to execute query: want 2 got 1\"}]}");
  s[0].sql = "INSERT INTO t VALUES(:a, 1)";
  s[0].parameters = {{"_a", int64_t{1}}};
  EXPECT_EQ(Render(Exec(s)),
            "{\"results\":[{\"error\":\"sql: name \\\"_a\\\" does not begin with a letter\"}]}");
  // Go driver quirk: the window args[0, 2) holds the named x and the positional 7; x binds @x
  // and $x, then 7 (ordinal 2) overwrites slot 2.
  s[0].sql = "INSERT INTO t VALUES(@x, $x)";
  s[0].parameters = {{"x", std::string("v")}, {"", int64_t{7}}};
  EXPECT_EQ(Render(Exec(s)), "{\"results\":[{\"last_insert_id\":1,\"rows_affected\":1}]}");
  EXPECT_EQ(QueryJ({"SELECT * FROM t"}),
            "{\"results\":[{\"columns\":[\"a\",\"b\"],\"types\":[\"text\",\"integer\"],"
            "\"values\":[[\"v\",7]]}]}");
  // Named params bind every prefix form; surplus positional args are ignored.
  s[0].sql = "INSERT INTO t VALUES(:y, :y)";
  s[0].parameters = {{"y", int64_t{5}}};
  Exec(s);
  s[0].sql = "INSERT INTO t VALUES(?, 0)";
  s[0].parameters = {{"", int64_t{8}}, {"", int64_t{9}}};
  Exec(s);
  EXPECT_NE(QueryJ({"SELECT * FROM t"}).find("[5,5],[8,0]"), std::string::npos);
}

TEST_F(StoreTest, EmptyStatementsSkipped) {
  EXPECT_EQ(ExecJ({""}), "{\"results\":[]}");
  EXPECT_EQ(QueryJ({"", "SELECT 1"}),
            "{\"results\":[{\"columns\":[\"1\"],\"types\":[\"integer\"],\"values\":[[1]]}]}");
}

TEST_F(StoreTest, QueryRejectsWrites) {
  ExecJ({"CREATE TABLE t(x)"});
  EXPECT_EQ(QueryJ({"INSERT INTO t VALUES(1)"}),
            "{\"results\":[{\"error\":\"attempt to change database via query operation\"}]}");
  EXPECT_EQ(QueryJ({"INSERT INTO t VALUES(1)"}, api::Level::kStrong),
            "{\"results\":[{\"error\":\"attempt to change database via query operation\"}]}");
  EXPECT_EQ(QueryJ({"SELECT * FROM nope"}), "{\"results\":[{\"error\":\"no such table: nope\"}]}");
  EXPECT_EQ(QueryJ({"SELECT count(*) FROM t"}, api::Level::kNone),
            "{\"results\":[{\"columns\":[\"count(*)\"],\"types\":[\"integer\"],\"values\":[[0]]}]}");
}

TEST_F(StoreTest, StrongQueryGoesThroughLog) {
  ExecJ({"CREATE TABLE t(x)"});
  api::Response r = Query(Stmts({"SELECT count(*) FROM t"}), api::Level::kStrong);
  EXPECT_GT(r.raft_index, 0u);
  EXPECT_EQ(Render(r),
            "{\"results\":[{\"columns\":[\"count(*)\"],\"types\":[\"integer\"],\"values\":[[0]]}]}");
  // A strong read has been applied in this term, so linearizable reads are served locally.
  api::Response lin = Query(Stmts({"SELECT 1"}), api::Level::kLinearizable);
  EXPECT_EQ(lin.raft_index, 0u);
}

TEST_F(StoreTest, FirstLinearizableReadOfATermIsUpgradedToStrong) {
  api::Response first = Query(Stmts({"SELECT 1"}), api::Level::kLinearizable);
  EXPECT_GT(first.raft_index, 0u);
  EXPECT_EQ(Render(first), "{\"results\":[{\"columns\":[\"1\"],\"types\":[\"integer\"],\"values\":[[1]]}]}");
  EXPECT_EQ(Query(Stmts({"SELECT 1"}), api::Level::kLinearizable).raft_index, 0u);
  EXPECT_EQ(Req(Stmts({"SELECT 1"}), false, api::Level::kLinearizable).raft_index, 0u);
}

TEST_F(StoreTest, TypeReporting) {
  ExecJ({"CREATE TABLE t(id INTEGER PRIMARY KEY, name VARCHAR(36), flag BOOLEAN, j JSON, "
         "h REAL, d DATE, dt DATETIME, ts TIMESTAMP, f foo)"});
  ExecJ({"INSERT INTO t VALUES(1, x'6869', 1, x'7b7d', 1.5, '2004-02-14', 1076742900, "
         "'2004-02-14 07:15:00+02:00', 'z')",
         "INSERT INTO t VALUES(2, 'b', 0, NULL, 2.0, 'garbage', 1076742900123, 3.5, x'00')"});
  EXPECT_EQ(QueryJ({"SELECT * FROM t"}),
            "{\"results\":[{\"columns\":[\"id\",\"name\",\"flag\",\"j\",\"h\",\"d\",\"dt\",\"ts\","
            "\"f\"],\"types\":[\"integer\",\"varchar(36)\",\"boolean\",\"json\",\"real\",\"date\","
            "\"datetime\",\"timestamp\",\"foo\"],\"values\":[[1,\"hi\",true,\"{}\",1.5,"
            "\"2004-02-14T00:00:00Z\",\"2004-02-14T07:15:00Z\",\"2004-02-14T07:15:00+02:00\","
            "\"z\"],[2,\"b\",false,null,2,\"0001-01-01T00:00:00Z\",\"2004-02-14T07:15:00.123Z\","
            "3.5,\"AA==\"]]}]}");
  // Types of expression columns are filled from the first row only.
  EXPECT_EQ(QueryJ({"SELECT sum(h), NULL, 'a' FROM t"}),
            "{\"results\":[{\"columns\":[\"sum(h)\",\"NULL\",\"'a'\"],\"types\":[\"real\",\"\","
            "\"text\"],\"values\":[[3.5,null,\"a\"]]}]}");
  EXPECT_NE(QueryJ({"PRAGMA table_info(t)"})
                .find("\"types\":[\"integer\",\"text\",\"text\",\"integer\",\"\",\"integer\"]"),
            std::string::npos);
}

TEST_F(StoreTest, QualifyColumns) {
  ExecJ({"CREATE TABLE t(a)", "INSERT INTO t VALUES(1)"});
  api::QueryRequest q;
  q.statements = Stmts({"SELECT a, 1+1 FROM t"});
  q.qualify_columns = true;
  api::Response r = Call(std::move(q), &api::Database::Query);
  ASSERT_EQ(r.results.size(), 1u);
  EXPECT_EQ(r.results[0].columns, (std::vector<std::string>{"t.a", "1+1"}));
}

TEST_F(StoreTest, UnifiedRequest) {
  CreateFoo();
  std::vector<api::Statement> s(3);
  s[0].sql = "INSERT INTO foo(name, age) VALUES(?, ?)";
  s[0].parameters = {{"", std::string("fiona")}, {"", int64_t{20}}};
  s[1].sql = "SELECT * FROM foo";
  s[2].sql = "SELECT * FROM bar";
  api::Response r = Req(s);
  EXPECT_EQ(Render(r),
            "{\"results\":[{\"last_insert_id\":1,\"rows_affected\":1},"
            "{\"columns\":[\"id\",\"name\",\"age\"],\"types\":[\"integer\",\"text\",\"integer\"],"
            "\"values\":[[1,\"fiona\",20]]},{\"error\":\"no such table: bar\"}]}");
  EXPECT_GT(r.raft_index, 0u);
  // All reads: served locally, no log entry.
  api::Response reads = Req(Stmts({"SELECT count(*) FROM foo", "EXPLAIN QUERY PLAN INSERT INTO foo(name) VALUES('x')"}));
  EXPECT_EQ(reads.raft_index, 0u);
  ASSERT_EQ(reads.results.size(), 2u);
  EXPECT_EQ(reads.results[1].kind, api::StatementResult::Kind::kRows);
  EXPECT_NE(QueryJ({"SELECT count(*) FROM foo"}).find("[[1]]"), std::string::npos);
  // Transaction: first error rolls back and stops.
  EXPECT_EQ(Render(Req(Stmts({"INSERT INTO foo(id) VALUES(7)", "SELECT * FROM nope",
                              "INSERT INTO foo(id) VALUES(8)"}),
                       true)),
            "{\"results\":[{\"last_insert_id\":7,\"rows_affected\":1},"
            "{\"error\":\"no such table: nope\"}]}");
  EXPECT_NE(QueryJ({"SELECT count(*) FROM foo"}).find("[[1]]"), std::string::npos);
  EXPECT_EQ(Render(Req(Stmts({"PRAGMA query_only=0"}))),
            "{\"results\":[],\"error\":\"disallowed pragma\"}");
}

TEST_F(StoreTest, RandomAndTimeAreRewrittenBeforeTheLog) {
  ExecJ({"CREATE TABLE t(r, d)"});
  ExecJ({"INSERT INTO t VALUES(random(), datetime('now'))"});
  api::Response a = Query(Stmts({"SELECT r, d FROM t"}));
  ASSERT_EQ(a.results.size(), 1u);
  ASSERT_EQ(a.results[0].values.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<int64_t>(a.results[0].values[0][0]));
  EXPECT_GE(std::get<int64_t>(a.results[0].values[0][0]), 0);
}

TEST_F(StoreTest, DbTimeout) {
  api::QueryRequest q;
  q.statements = Stmts({"WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c) "
                        "SELECT count(*) FROM c"});
  q.db_timeout_ns = 50'000'000;
  EXPECT_EQ(Render(Call(std::move(q), &api::Database::Query)),
            "{\"results\":[{\"error\":\"query timeout\"}]}");
  ExecJ({"CREATE TABLE t(x)"});
  api::ExecuteRequest e;
  e.statements = Stmts({"INSERT INTO t WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c) "
                        "SELECT x FROM c"});
  e.db_timeout_ns = 50'000'000;
  EXPECT_EQ(Render(Call(std::move(e), &api::Database::Execute)),
            "{\"results\":[{\"error\":\"execute timeout\"}]}");
  EXPECT_NE(ExecJ({"INSERT INTO t VALUES(1)"}).find("rows_affected"), std::string::npos);
}

TEST_F(StoreTest, LoadSqlTextAndBinary) {
  api::Response r = LoadData(
      "PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\nCREATE TABLE foo (id integer, name text);\n"
      "INSERT INTO \"foo\" VALUES(1,'fiona');\nCOMMIT;\n");
  EXPECT_EQ(Render(r), "{\"results\":[{\"last_insert_id\":1,\"rows_affected\":1}]}");
  EXPECT_NE(QueryJ({"SELECT name FROM foo"}).find("fiona"), std::string::npos);
  // Bad SQL: ROLLBACK and stop.
  r = LoadData("BEGIN;\nINSERT INTO foo VALUES(2,'x');\nINSERT INTO nope VALUES(1);\nCOMMIT;");
  EXPECT_EQ(Render(r), "{\"results\":[{\"error\":\"no such table: nope\"}]}");
  EXPECT_NE(QueryJ({"SELECT count(*) FROM foo"}).find("[[1]]"), std::string::npos);
  EXPECT_NE(ExecJ({"INSERT INTO foo VALUES(3,'y')"}).find("rows_affected"), std::string::npos);
  EXPECT_EQ(Render(LoadData("PRAGMA journal_mode=delete")),
            "{\"results\":[],\"error\":\"disallowed pragma\"}");

  // Binary: build an image with a different page size.
  std::string other = dir_ + "/other.db";
  {
    sqlite3* db;
    ASSERT_EQ(sqlite3_open(other.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "PRAGMA page_size=8192; CREATE TABLE img(v); INSERT INTO img VALUES('loaded');",
                           nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
  }
  std::ifstream in(other, std::ios::binary);
  std::string image((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  r = LoadData(image);
  EXPECT_EQ(Render(r), "{\"results\":[]}");
  EXPECT_GT(r.raft_index, 0u);
  EXPECT_NE(QueryJ({"SELECT v FROM img"}).find("loaded"), std::string::npos);
  EXPECT_NE(QueryJ({"SELECT * FROM foo"}).find("no such table"), std::string::npos);
}

TEST_F(StoreTest, BackupSqlDumpByteExact) {
  ExecJ({"CREATE TABLE foo (id INTEGER NOT NULL PRIMARY KEY, name TEXT)",
         "INSERT INTO foo VALUES(1, 'fi''ona')", "INSERT INTO foo VALUES(2, NULL)",
         "CREATE TABLE \"b\"\"q\" (x)", "INSERT INTO \"b\"\"q\" VALUES(x'0102')",
         "CREATE INDEX foo_name ON foo(name)",
         "CREATE TABLE s (id INTEGER PRIMARY KEY AUTOINCREMENT, v)", "INSERT INTO s(v) VALUES(1.5)"});
  auto b = store_->Backup(BackupReq(api::BackupFormat::kSql));
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  std::ifstream in(b->path, std::ios::binary);
  std::string dump((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(dump,
            "PRAGMA foreign_keys=OFF;\n"
            "BEGIN TRANSACTION;\n"
            "CREATE TABLE \"b\"\"q\" (x);\n"
            "INSERT INTO \"b\"\"q\" VALUES(X'0102');\n"
            "CREATE TABLE foo (id INTEGER NOT NULL PRIMARY KEY, name TEXT);\n"
            "INSERT INTO \"foo\" VALUES(1,'fi''ona');\n"
            "INSERT INTO \"foo\" VALUES(2,NULL);\n"
            "CREATE TABLE s (id INTEGER PRIMARY KEY AUTOINCREMENT, v);\n"
            "INSERT INTO \"s\" VALUES(1,1.5);\n"
            "DELETE FROM \"sqlite_sequence\";\n"
            "INSERT INTO \"sqlite_sequence\" VALUES('s',1);\n"
            "CREATE INDEX foo_name ON foo(name);\n"
            "COMMIT;\n");
  EXPECT_EQ(b->size, dump.size());
  std::remove(b->path.c_str());
  api::BackupRequest only_s = BackupReq(api::BackupFormat::kSql);
  only_s.tables = {"s"};
  auto t = store_->Backup(only_s);
  ASSERT_TRUE(t.ok());
  std::ifstream in2(t->path, std::ios::binary);
  std::string d2((std::istreambuf_iterator<char>(in2)), std::istreambuf_iterator<char>());
  EXPECT_EQ(d2.find("CREATE TABLE foo"), std::string::npos);
  EXPECT_NE(d2.find("CREATE TABLE s"), std::string::npos);
  EXPECT_NE(d2.find("CREATE INDEX foo_name"), std::string::npos);  // not filtered
  std::remove(t->path.c_str());
}

TEST_F(StoreTest, BinaryBackupsRoundTripThroughLoad) {
  ExecJ({"CREATE TABLE t(x)", "INSERT INTO t VALUES('kept')"});
  for (auto [fmt, vacuum, mode] : {std::tuple{api::BackupFormat::kBinary, false, 2},
                                   std::tuple{api::BackupFormat::kDelete, false, 1},
                                   std::tuple{api::BackupFormat::kBinary, true, 1}}) {
    auto b = store_->Backup(BackupReq(fmt, vacuum));
    ASSERT_TRUE(b.ok()) << b.status().ToString();
    std::ifstream in(b->path, std::ios::binary);
    std::string image((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::remove(b->path.c_str());
    ASSERT_GT(image.size(), 100u);
    EXPECT_EQ(image.substr(0, 15), "SQLite format 3");
    EXPECT_EQ(static_cast<int>(image[18]), mode) << "journal mode byte";
    // The store's applied-index mark is not leaked into backups.
    EXPECT_EQ(image.substr(68, 4), std::string(4, '\0'));
    ExecJ({"DELETE FROM t"});
    EXPECT_EQ(Render(LoadData(image)), "{\"results\":[]}");
    EXPECT_NE(QueryJ({"SELECT x FROM t"}).find("kept"), std::string::npos);
  }
  EXPECT_EQ(store_->Backup(BackupReq(api::BackupFormat::kSql, true)).status().message(),
            "invalid backup format");
}

TEST_F(StoreTest, BootReplacesDatabase) {
  ExecJ({"CREATE TABLE old(x)"});
  EXPECT_EQ(store_->Boot("not sqlite").message(), "invalid SQLite data");
  std::string other = dir_ + "/boot.db";
  {
    sqlite3* db;
    ASSERT_EQ(sqlite3_open(other.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "CREATE TABLE booted(v); INSERT INTO booted VALUES(42);", nullptr,
                           nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
  }
  std::ifstream in(other, std::ios::binary);
  std::string image((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_TRUE(store_->Boot(image).ok());
  EXPECT_NE(QueryJ({"SELECT v FROM booted"}).find("42"), std::string::npos);
  Shutdown();
  OpenStore();
  EXPECT_NE(QueryJ({"SELECT v FROM booted"}).find("42"), std::string::npos);
  EXPECT_NE(QueryJ({"SELECT * FROM old"}).find("no such table"), std::string::npos);
}

TEST_F(StoreTest, SnapshotTruncatesLogAndRestartKeepsData) {
  ExecJ({"CREATE TABLE t(x)"});
  for (int i = 0; i < 19; ++i) ExecJ({"INSERT INTO t VALUES(1)"});
  const uint64_t last = Exec(Stmts({"INSERT INTO t VALUES(1)"})).raft_index;
  EXPECT_TRUE(store_->Snapshot(0).ok());
  EXPECT_EQ(store_->Snapshot(0).code(), base::Code::kNotFound);
  api::Tree st = store_->Status();
  auto& m = std::get<api::TreeMap>(st.v);
  auto& raft = std::get<api::TreeMap>(m.at("raft").v);
  EXPECT_EQ(std::get<uint64_t>(raft.at("last_snapshot_index").v), last);
  EXPECT_EQ(std::get<std::string>(raft.at("state").v), "Leader");
  for (int i = 0; i < 5; ++i) ExecJ({"INSERT INTO t VALUES(2)"});
  Shutdown();
  OpenStore();
  EXPECT_NE(QueryJ({"SELECT count(*), sum(x) FROM t"}).find("[[25,30]]"), std::string::npos);
  api::Response r = Exec(Stmts({"INSERT INTO t VALUES(3)"}));
  // 5 inserts, then the restarted leader's no-op of its new term, then this one.
  EXPECT_EQ(r.raft_index, last + 7);
}

// Many concurrent requests share group commits and are applied in one SQLite transaction per
// batch: each entry must still get exactly its own semantics.
TEST_F(StoreTest, ConcurrentMixedEntriesKeepPerEntrySemantics) {
  ExecJ({"CREATE TABLE t(id INTEGER PRIMARY KEY, v)"});
  const int n = 300;
  std::vector<std::promise<api::Response>> ps(n);
  for (int i = 0; i < n; ++i) {
    api::ExecuteRequest r;
    if (i % 3 == 0) {
      // Transaction that fails on its second statement: nothing of it may stay.
      r.statements = Stmts({"INSERT INTO t(id, v) VALUES(?, 'tx')", "INSERT INTO nope VALUES(1)"});
      r.statements[0].parameters = {{"", int64_t{100000 + i}}};
      r.transaction = true;
    } else if (i % 3 == 1) {
      // No transaction: the good statement stays, the bad one reports an error.
      r.statements = Stmts({"INSERT INTO t(id, v) VALUES(?, 'ok')", "INSERT INTO t(id, v) VALUES(1, 'dup')"});
      r.statements[0].parameters = {{"", int64_t{i}}};
    } else {
      r.statements = Stmts({"INSERT INTO t(id, v) VALUES(?, 'plain')"});
      r.statements[0].parameters = {{"", int64_t{i}}};
    }
    store_->Execute(std::move(r), [&ps, i](api::Response resp) { ps[i].set_value(std::move(resp)); });
  }
  std::set<uint64_t> indexes;
  for (int i = 0; i < n; ++i) {
    api::Response r = ps[i].get_future().get();
    indexes.insert(r.raft_index);
    if (i % 3 == 0) {
      ASSERT_EQ(r.results.size(), 2u);
      EXPECT_EQ(r.results[1].error, "no such table: nope");
    } else if (i % 3 == 1) {
      ASSERT_EQ(r.results.size(), 2u);
      EXPECT_EQ(r.results[0].rows_affected, 1);
      if (i != 1) {
        EXPECT_EQ(r.results[1].error, "UNIQUE constraint failed: t.id");
      }
    } else {
      ASSERT_EQ(r.results.size(), 1u);
      EXPECT_EQ(r.results[0].last_insert_id, i);
    }
  }
  EXPECT_EQ(indexes.size(), static_cast<size_t>(n));
  EXPECT_NE(QueryJ({"SELECT count(*) FROM t WHERE v='tx'"}).find("[[0]]"), std::string::npos);
  EXPECT_NE(QueryJ({"SELECT count(*) FROM t WHERE v IN ('ok','plain')"}).find("[[200]]"),
            std::string::npos);
  Shutdown();
  OpenStore();
  EXPECT_NE(QueryJ({"SELECT count(*) FROM t"}).find("[[200]]"), std::string::npos);
}

TEST_F(StoreTest, StatusTree) {
  api::Tree st = store_->Status();
  auto& m = std::get<api::TreeMap>(st.v);
  EXPECT_TRUE(std::get<bool>(m.at("open").v));
  EXPECT_TRUE(std::get<bool>(m.at("ready").v));
  auto& leader = std::get<api::TreeMap>(m.at("leader").v);
  EXPECT_EQ(std::get<std::string>(leader.at("node_id").v), "1");
  auto& sq = std::get<api::TreeMap>(m.at("sqlite3").v);
  auto& pragmas = std::get<api::TreeMap>(sq.at("pragmas").v);
  auto& rw = std::get<api::TreeMap>(pragmas.at("rw").v);
  EXPECT_EQ(std::get<std::string>(rw.at("synchronous").v), "0");
  EXPECT_FALSE(std::get<api::TreeList>(sq.at("compile_options").v).empty());
  EXPECT_TRUE(store_->Ready());
  EXPECT_EQ(store_->Leader().id, "1");
  EXPECT_EQ(store_->Nodes({false}).size(), 1u);
}

}  // namespace
}  // namespace store
