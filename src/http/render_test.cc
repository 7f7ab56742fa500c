// Tests for http/render.h: the JSON bodies of http-api.md §5 and §10, byte for byte.
#include "http/render.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace http {
namespace {

using api::Response;
using api::StatementResult;
using api::Value;
using Kind = api::StatementResult::Kind;

StatementResult Exec(int64_t id, int64_t affected, double time_s = 0) {
  StatementResult r;
  r.kind = Kind::kExecute;
  r.last_insert_id = id;
  r.rows_affected = affected;
  r.time_s = time_s;
  return r;
}

StatementResult Rows(std::vector<std::string> cols, std::vector<std::string> types,
                     std::vector<std::vector<Value>> values) {
  StatementResult r;
  r.kind = Kind::kRows;
  r.columns = std::move(cols);
  r.types = std::move(types);
  r.values = std::move(values);
  return r;
}

StatementResult Err(std::string msg) {
  StatementResult r;
  r.kind = Kind::kError;
  r.error = std::move(msg);
  return r;
}

Response Resp(std::vector<StatementResult> results) {
  Response r;
  r.results = std::move(results);
  return r;
}

std::string Render(const Response& resp, RenderOptions o = {}, double time = 0,
                   std::optional<int64_t> seq = std::nullopt) {
  auto r = RenderResponse(resp, o, time, seq);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : "";
}

StatementResult FooRows() {
  return Rows({"id", "name", "age"}, {"integer", "text", "integer"},
              {{int64_t{1}, std::string("fiona"), int64_t{20}},
               {int64_t{2}, std::string("declan"), std::monostate{}}});
}

TEST(RenderTest, E1CreateAndInsert) {
  EXPECT_EQ(Render(Resp({Exec(0, 0)})), R"({"results":[{}]})");
  RenderOptions timings;
  timings.timings = true;
  EXPECT_EQ(Render(Resp({Exec(1, 1, 0.000081), Exec(2, 1, 0.000032)}), timings, 0.0042),
            R"({"results":[{"last_insert_id":1,"rows_affected":1,"time":0.000081},)"
            R"({"last_insert_id":2,"rows_affected":1,"time":0.000032}],"time":0.0042})");
  // Without `timings` no time is shown, even when measured.
  EXPECT_EQ(Render(Resp({Exec(1, 1, 0.5)}), {}, 0.7),
            R"({"results":[{"last_insert_id":1,"rows_affected":1}]})");
  // With `timings`, zero times are omitted.
  EXPECT_EQ(Render(Resp({Exec(0, 3)}), timings, 0), R"({"results":[{"rows_affected":3}]})");
}

TEST(RenderTest, E2Query) {
  EXPECT_EQ(Render(Resp({FooRows()})),
            R"({"results":[{"columns":["id","name","age"],"types":["integer","text","integer"],)"
            R"("values":[[1,"fiona",20],[2,"declan",null]]}]})");
  EXPECT_EQ(Render(Resp({Rows({"id", "name", "age"}, {"integer", "text", "integer"}, {})})),
            R"({"results":[{"columns":["id","name","age"],"types":["integer","text","integer"]}]})");
  RenderOptions assoc;
  assoc.associative = true;
  EXPECT_EQ(Render(Resp({FooRows()}), assoc),
            R"({"results":[{"types":{"age":"integer","id":"integer","name":"text"},)"
            R"("rows":[{"age":20,"id":1,"name":"fiona"},{"age":null,"id":2,"name":"declan"}]}]})");
}

TEST(RenderTest, E3ErrorsInside200) {
  EXPECT_EQ(Render(Resp({Err("no such table: bar"), Err("near \"blah\": syntax error")})),
            R"({"results":[{"error":"no such table: bar"},{"error":"near \"blah\": syntax error"}]})");
  EXPECT_EQ(Render(Resp({Exec(10, 1), Err("UNIQUE constraint failed: foo.id")})),
            R"({"results":[{"last_insert_id":10,"rows_affected":1},)"
            R"({"error":"UNIQUE constraint failed: foo.id"}]})");
  Response pragma;
  pragma.status = base::Status(base::Code::kInvalidArgument, "disallowed pragma");
  EXPECT_EQ(Render(pragma), R"({"results":[],"error":"disallowed pragma"})");
}

TEST(RenderTest, E4Blobs) {
  const std::string dead("\xde\xad\xbe\xef");
  auto rows = Rows({"id", "data"}, {"integer", "blob"},
                   {{int64_t{1}, api::Blob{dead}}, {int64_t{2}, api::Blob{dead}}});
  EXPECT_EQ(Render(Resp({rows})),
            R"({"results":[{"columns":["id","data"],"types":["integer","blob"],)"
            R"("values":[[1,"3q2+7w=="],[2,"3q2+7w=="]]}]})");
  RenderOptions arr;
  arr.blob_array = true;
  EXPECT_EQ(Render(Resp({Rows({"data"}, {"blob"}, {{api::Blob{dead}}})}), arr),
            R"({"results":[{"columns":["data"],"types":["blob"],"values":[[[222,173,190,239]]]}]})");
  EXPECT_EQ(Render(Resp({Rows({"d"}, {"blob"}, {{api::Blob{""}}})}), arr),
            R"({"results":[{"columns":["d"],"types":["blob"],"values":[[[]]]}]})");
  EXPECT_EQ(Render(Resp({Rows({"d"}, {"blob"}, {{api::Blob{""}}})})),
            R"({"results":[{"columns":["d"],"types":["blob"],"values":[[""]]}]})");
}

TEST(RenderTest, E5Returning) {
  auto rows = Rows({"id", "name", "age"}, {"integer", "text", "integer"},
                   {{int64_t{5}, std::string("alice"), std::monostate{}}});
  EXPECT_EQ(Render(Resp({rows})),
            R"({"results":[{"columns":["id","name","age"],"types":["integer","text","integer"],)"
            R"("values":[[5,"alice",null]]}]})");
}

TEST(RenderTest, E6QueuedWrite) {
  EXPECT_EQ(Render(Resp({}), {}, 0, 1653314298877648934),
            R"({"results":[],"sequence_number":1653314298877648934})");
  RenderOptions timings;
  timings.timings = true;
  EXPECT_EQ(Render(Resp({}), timings, 0.25, 1653314298877648935),
            R"({"results":[],"time":0.25,"sequence_number":1653314298877648935})");
}

TEST(RenderTest, E8StaleRead) {
  Response stale;
  stale.status = base::Status(base::Code::kStale, "stale read");
  EXPECT_EQ(Render(stale), R"({"results":[],"error":"stale read"})");
}

TEST(RenderTest, EnvelopeFieldOrderAndRaftIndex) {
  Response r = Resp({Exec(1, 1)});
  r.status = base::Status(base::Code::kAborted, "leadership lost while committing log");
  r.raft_index = 42;
  RenderOptions o;
  o.timings = true;
  o.raft_index = true;
  EXPECT_EQ(Render(r, o, 1.5, 7),
            R"({"results":[{"last_insert_id":1,"rows_affected":1}],)"
            R"("error":"leadership lost while committing log","time":1.5,"sequence_number":7,)"
            R"("raft_index":42})");
  r.raft_index = 0;  // not through Raft: omitted
  EXPECT_EQ(Render(Resp({}), o), R"({"results":[]})");
  o.raft_index = false;
  r = Resp({});
  r.raft_index = 9;
  EXPECT_EQ(Render(r, o), R"({"results":[]})");
}

TEST(RenderTest, AssociativeRequestExample) {
  // http-api.md §7.3.
  RenderOptions assoc;
  assoc.associative = true;
  auto rows = Rows({"id", "name", "age"}, {"integer", "text", "integer"},
                   {{int64_t{1}, std::string("fiona"), int64_t{20}}});
  EXPECT_EQ(Render(Resp({Exec(1, 1), rows, Err("no such table: bar")}), assoc),
            R"({"results":[{"last_insert_id":1,"rows_affected":1,"rows":null},)"
            R"({"types":{"age":"integer","id":"integer","name":"text"},)"
            R"("rows":[{"age":20,"id":1,"name":"fiona"}]},{"error":"no such table: bar"}]})");
}

TEST(RenderTest, AssociativeDetails) {
  RenderOptions assoc;
  assoc.associative = true;
  // DDL on a fresh connection.
  EXPECT_EQ(Render(Resp({Exec(0, 0)}), assoc), R"({"results":[{"rows":null}]})");
  // Zero rows: rows is [] and types still shown.
  EXPECT_EQ(Render(Resp({Rows({"a"}, {"integer"}, {})}), assoc),
            R"({"results":[{"types":{"a":"integer"},"rows":[]}]})");
  // No columns at all: types omitted.
  EXPECT_EQ(Render(Resp({Rows({}, {}, {})}), assoc), R"({"results":[{"rows":[]}]})");
  // Duplicate column names collapse, last wins; keys sorted byte-wise ("B" < "a").
  auto dup = Rows({"a", "B", "a"}, {"integer", "text", "real"},
                  {{int64_t{1}, std::string("x"), 2.5}});
  EXPECT_EQ(Render(Resp({dup}), assoc),
            R"({"results":[{"types":{"B":"text","a":"real"},"rows":[{"B":"x","a":2.5}]}]})");
  // Timings inside associative results come after rows/error.
  RenderOptions at = assoc;
  at.timings = true;
  auto timed = Rows({"a"}, {"integer"}, {{int64_t{1}}});
  timed.time_s = 0.001;
  EXPECT_EQ(Render(Resp({timed, Exec(1, 1, 0.002)}), at),
            R"({"results":[{"types":{"a":"integer"},"rows":[{"a":1}],"time":0.001},)"
            R"({"last_insert_id":1,"rows_affected":1,"time":0.002,"rows":null}]})");
  // /db/query errors are rows objects in associative form.
  RenderOptions q = assoc;
  q.query_errors_as_rows = true;
  EXPECT_EQ(Render(Resp({Err("no such table: bar")}), q),
            R"({"results":[{"rows":[],"error":"no such table: bar"}]})");
  // ...but not in the default array form.
  q.associative = false;
  EXPECT_EQ(Render(Resp({Err("no such table: bar")}), q),
            R"({"results":[{"error":"no such table: bar"}]})");
}

TEST(RenderTest, ValueEncoding) {
  auto rows = Rows({"v"}, {""},
                   {{true}, {false}, {20.0}, {-0.0}, {0.1}, {1e-7}, {1e21}, {INT64_MIN},
                    {std::string("<&>\n\xff")}});
  EXPECT_EQ(Render(Resp({rows})),
            R"({"results":[{"columns":["v"],"types":[""],"values":[[true],[false],[20],[-0],)"
            R"([0.1],[1e-7],[1e+21],[-9223372036854775808],["\u003c\u0026\u003e\n\ufffd"]]}]})");
}

TEST(RenderTest, NonFiniteRealIsAnError) {
  auto rows = Rows({"v"}, {"real"}, {{std::numeric_limits<double>::infinity()}});
  auto r = RenderResponse(Resp({rows}), {}, 0, std::nullopt);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "json: error calling MarshalJSON for type *http.DBResults: json: unsupported value: +Inf");
  rows.values = {{std::nan("")}};
  RenderOptions assoc;
  assoc.associative = true;
  r = RenderResponse(Resp({rows}), assoc, 0, std::nullopt);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "json: error calling MarshalJSON for type *http.DBResults: json: unsupported value: NaN");
}

TEST(RenderTest, PrettyResponse) {
  RenderOptions o;
  o.pretty = true;
  auto rows = Rows({"id"}, {"integer"}, {{int64_t{1}}});
  EXPECT_EQ(Render(Resp({rows, Exec(0, 0)}), o),
            "{\n"
            "    \"results\": [\n"
            "        {\n"
            "            \"columns\": [\n"
            "                \"id\"\n"
            "            ],\n"
            "            \"types\": [\n"
            "                \"integer\"\n"
            "            ],\n"
            "            \"values\": [\n"
            "                [\n"
            "                    1\n"
            "                ]\n"
            "            ]\n"
            "        },\n"
            "        {}\n"
            "    ]\n"
            "}");
  Response err;
  err.status = base::Status(base::Code::kStale, "stale read");
  EXPECT_EQ(Render(err, o), "{\n    \"results\": [],\n    \"error\": \"stale read\"\n}");
}

TEST(Base64Test, StdEncodingWithPadding) {
  EXPECT_EQ(Base64Encode(""), "");
  EXPECT_EQ(Base64Encode("f"), "Zg==");
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
  EXPECT_EQ(Base64Encode("foo"), "Zm9v");
  EXPECT_EQ(Base64Encode("foob"), "Zm9vYg==");
  EXPECT_EQ(Base64Encode("\xfb\xff"), "+/8=");
  EXPECT_EQ(Base64Encode("SQLite"), "U1FMaXRl");
}

api::NodeInfo Node(std::string id, std::string raft, std::string api, bool leader) {
  api::NodeInfo n;
  n.id = std::move(id);
  n.raft_addr = std::move(raft);
  n.api_addr = std::move(api);
  n.version = "v10.2.7";
  n.voter = true;
  n.reachable = true;
  n.leader = leader;
  n.probe_time_s = 0.0000121;
  return n;
}

TEST(RenderNodesTest, E9Ver2AndLegacy) {
  std::vector<api::NodeInfo> nodes = {Node("1", "localhost:4002", "http://localhost:4001", true)};
  EXPECT_EQ(RenderNodes(nodes, /*ver2=*/true, false),
            R"({"nodes":[{"id":"1","api_addr":"http://localhost:4001","addr":"localhost:4002",)"
            "\"version\":\"v10.2.7\",\"voter\":true,\"reachable\":true,\"leader\":true,"
            "\"time\":0.0000121,\"time_s\":\"12.1\xC2\xB5s\"}]}");
  EXPECT_EQ(RenderNodes(nodes, false, false),
            R"({"1":{"id":"1","api_addr":"http://localhost:4001","addr":"localhost:4002",)"
            "\"version\":\"v10.2.7\",\"voter\":true,\"reachable\":true,\"leader\":true,"
            "\"time\":0.0000121,\"time_s\":\"12.1\xC2\xB5s\"}}");
}

TEST(RenderNodesTest, SortingUnreachableAndPretty) {
  api::NodeInfo down;
  down.id = "2";
  down.raft_addr = "host2:4002";
  down.voter = false;
  down.probe_time_s = 0.5;
  down.error = "timeout waiting for node to respond";
  std::vector<api::NodeInfo> nodes = {down, Node("1", "h1:4002", "http://h1:4001", true)};
  EXPECT_EQ(RenderNodes(nodes, true, false),
            R"({"nodes":[{"id":"1","api_addr":"http://h1:4001","addr":"h1:4002",)"
            "\"version\":\"v10.2.7\",\"voter\":true,\"reachable\":true,\"leader\":true,"
            "\"time\":0.0000121,\"time_s\":\"12.1\xC2\xB5s\"},"
            R"({"id":"2","addr":"host2:4002","version":"","voter":false,"reachable":false,)"
            R"("leader":false,"time":0.5,"time_s":"500ms",)"
            R"("error":"timeout waiting for node to respond"}]})");
  EXPECT_EQ(RenderNodes({}, true, false), R"({"nodes":[]})");
  EXPECT_EQ(RenderNodes({}, false, false), "{}");
  EXPECT_EQ(RenderNodes({}, true, true), "{\n    \"nodes\": []\n}");
  EXPECT_EQ(RenderNode(down, true),
            "{\n    \"id\": \"2\",\n    \"addr\": \"host2:4002\",\n    \"version\": \"\",\n"
            "    \"voter\": false,\n    \"reachable\": false,\n    \"leader\": false,\n"
            "    \"time\": 0.5,\n    \"time_s\": \"500ms\",\n"
            "    \"error\": \"timeout waiting for node to respond\"\n}");
}

api::Tree StatusTree() {
  api::TreeMap leader{{"node_id", "1"}, {"addr", "localhost:4002"}};
  api::TreeMap raft{{"state", "Leader"}, {"voter", true}, {"term", uint64_t{3}}};
  api::TreeMap store{{"leader", leader}, {"raft", raft}, {"ready", true},
                     {"dir_size", int64_t{4096}}, {"nodes", api::TreeList{"a", 1, 2.5}},
                     {"empty", api::TreeMap{}}, {"none", api::Tree()}};
  return api::TreeMap{{"store", store}, {"build", api::TreeMap{{"version", "v10.0.0"}}}};
}

TEST(RenderTreeTest, SortedKeysCompactAndPretty) {
  auto r = RenderTree(StatusTree(), false);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r,
            R"({"build":{"version":"v10.0.0"},"store":{"dir_size":4096,"empty":{},)"
            R"("leader":{"addr":"localhost:4002","node_id":"1"},"nodes":["a",1,2.5],"none":null,)"
            R"("raft":{"state":"Leader","term":3,"voter":true},"ready":true}})");
  auto p = RenderTree(api::TreeMap{{"a", api::TreeList{}}, {"b", api::TreeMap{{"c", 1}}}}, true);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(*p, "{\n    \"a\": [],\n    \"b\": {\n        \"c\": 1\n    }\n}");
  auto bad = RenderTree(api::TreeMap{{"x", std::nan("")}}, false);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "json: unsupported value: NaN");
}

TEST(RenderTreeTest, LookupPath) {
  const api::Tree t = StatusTree();
  const api::Tree* leader = LookupTreePath(t, "store.leader");
  ASSERT_NE(leader, nullptr);
  EXPECT_EQ(*RenderTree(*leader, false), R"({"addr":"localhost:4002","node_id":"1"})");
  const api::Tree* state = LookupTreePath(t, "store.raft.state");
  ASSERT_NE(state, nullptr);
  EXPECT_EQ(*RenderTree(*state, false), R"("Leader")");
  EXPECT_EQ(LookupTreePath(t, "store.nope"), nullptr);
  EXPECT_EQ(LookupTreePath(t, "nope"), nullptr);
  EXPECT_EQ(LookupTreePath(t, ""), &t);
  // Past a non-object value the value itself is returned.
  EXPECT_EQ(LookupTreePath(t, "store.ready.x"), LookupTreePath(t, "store.ready"));
}

}  // namespace
}  // namespace http
