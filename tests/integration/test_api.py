"""Feature table section A (write/read API core), P0 and P1 rows, against one real rqlited.

Each test names its row ("A12"). Tables are unique per test, so the tests share one node.
Rows not covered here: A30 (needs -auth, not built yet).
"""
import json
import unittest
import urllib.parse

from harness import Node


class ApiTest(unittest.TestCase):
    node = None

    @classmethod
    def setUpClass(cls):
        cls.node = Node().start()
        # A1/A7 need a fresh write connection (counters are connection-global, A8): run first.
        cls.first = [cls.node.post_json("/db/execute", stmts).body for stmts in (
            ["CREATE TABLE a1 (id INTEGER PRIMARY KEY, v TEXT)"],
            ["INSERT INTO a1(id, v) VALUES(41, 'x')"])]

    @classmethod
    def tearDownClass(cls):
        cls.node.close()

    def ex(self, stmts, params=""):
        return self.node.execute(stmts, params)

    def raw_ex(self, stmts, params=""):
        r = self.node.post_json("/db/execute" + params, stmts)
        self.assertEqual(r.status, 200, r)
        return r.body

    def q(self, sql, params=""):
        return self.node.query(sql, params)

    def raw_q(self, sql, params=""):
        r = self.node.get("/db/query?q=" + urllib.parse.quote(sql) + params)
        self.assertEqual(r.status, 200, r)
        return r.body

    # -- A1, A7, A8 ------------------------------------------------------------------------

    def test_a1_a7_execute_create_insert_exact(self):
        self.assertEqual(self.first[0], b'{"results":[{}]}')
        self.assertEqual(self.first[1], b'{"results":[{"last_insert_id":41,"rows_affected":1}]}')

    def test_a8_connection_global_counters(self):
        self.ex(["CREATE TABLE a8 (id INTEGER PRIMARY KEY, v TEXT)"])
        self.ex(["INSERT INTO a8(id, v) VALUES(77, 'x')"])
        out = self.ex(["CREATE TABLE a8b (x)", "UPDATE a8 SET v='y' WHERE id=12345"])
        # DDL reports the previous DML's counters; an UPDATE matching nothing keeps the last id.
        self.assertEqual(out["results"][0], {"last_insert_id": 77, "rows_affected": 1})
        self.assertEqual(out["results"][1], {"last_insert_id": 77})

    # -- A2..A5 parameters -------------------------------------------------------------------

    def test_a2_positional_parameters(self):
        self.ex(["CREATE TABLE a2 (a TEXT, b INTEGER)"])
        self.ex([["INSERT INTO a2(a, b) VALUES(?, ?)", "positional", 42]])
        self.assertEqual(self.node.query_values("SELECT a, b FROM a2"), [["positional", 42]])

    def test_a3_named_parameters_all_prefixes(self):
        self.ex(["CREATE TABLE a3 (p TEXT, n INTEGER)"])
        out = self.ex([["INSERT INTO a3(p, n) VALUES(:s, :k)", {"s": "colon", "k": 1}],
                       ["INSERT INTO a3(p, n) VALUES(@s, @k)", {"s": "at", "k": 2}],
                       ["INSERT INTO a3(p, n) VALUES($s, $k)", {"s": "dollar", "k": 3}]])
        self.assertNotIn("error", json.dumps(out))
        self.assertEqual(self.node.query_values("SELECT p, n FROM a3 ORDER BY n"),
                         [["colon", 1], ["at", 2], ["dollar", 3]])

    def test_a4_parameter_typing(self):
        self.ex(["CREATE TABLE a4 (x)"])
        self.ex([["INSERT INTO a4(x) VALUES(?)", 7], ["INSERT INTO a4(x) VALUES(?)", 7.0],
                 ["INSERT INTO a4(x) VALUES(?)", False], ["INSERT INTO a4(x) VALUES(?)", None],
                 ["INSERT INTO a4(x) VALUES(?)", "7"]])
        self.assertEqual(self.node.query_values("SELECT typeof(x) FROM a4 ORDER BY rowid"),
                         [["integer"], ["real"], ["integer"], ["null"], ["text"]])

    def test_a5_blob_parameters(self):
        self.ex(["CREATE TABLE a5 (id INTEGER PRIMARY KEY, b BLOB)"])
        self.ex([["INSERT INTO a5(id, b) VALUES(?, ?)", 1, "X'CAFE'"],
                 ["INSERT INTO a5(id, b) VALUES(?, ?)", 2, [202, 254]]])
        res = self.q("SELECT b, typeof(b) FROM a5 ORDER BY id")["results"][0]
        self.assertEqual(res["values"], [["yv4=", "blob"], ["yv4=", "blob"]])

    # -- A6 text/plain -----------------------------------------------------------------------

    def test_a6_text_plain_bodies(self):
        self.ex(["CREATE TABLE a6 (v TEXT)"])
        r = self.node.request("POST", "/db/execute", body="INSERT INTO a6(v) VALUES('plain')",
                              headers={"Content-Type": "text/plain"})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json(), {"results": [{"last_insert_id": 1, "rows_affected": 1}]})
        r = self.node.request("POST", "/db/query", body="SELECT v FROM a6",
                              headers={"Content-Type": "text/plain; charset=utf-8"})
        self.assertEqual(r.json(), self.node.post_json("/db/query", ["SELECT v FROM a6"]).json())

    # -- A9..A12 errors, transactions, multi-statement --------------------------------------

    def test_a9_sql_error_in_200(self):
        self.assertEqual(self.raw_ex(["INSERT INTO a9_missing VALUES(1)"]),
                         b'{"results":[{"error":"no such table: a9_missing"}]}')

    def test_a10_transaction_rollback_and_stop(self):
        self.ex(["CREATE TABLE a10 (id INTEGER PRIMARY KEY)"])
        out = self.ex(["INSERT INTO a10(id) VALUES(1)", "INSERT INTO a10(id) VALUES(1)",
                       "INSERT INTO a10(id) VALUES(2)"], "?transaction")
        self.assertEqual(len(out["results"]), 2)
        self.assertEqual(out["results"][1], {"error": "UNIQUE constraint failed: a10.id"})
        self.assertEqual(self.node.query_values("SELECT count(*) FROM a10"), [[0]])

    def test_a11_without_transaction_later_statements_run(self):
        self.ex(["CREATE TABLE a11 (id INTEGER PRIMARY KEY)"])
        out = self.ex(["INSERT INTO a11_nope VALUES(1)", "INSERT INTO a11(id) VALUES(5)"])
        self.assertIn("error", out["results"][0])
        self.assertEqual(out["results"][1], {"last_insert_id": 5, "rows_affected": 1})
        self.assertEqual(self.node.query_values("SELECT id FROM a11"), [[5]])

    def test_a12_multi_statement_strings(self):
        self.ex(["CREATE TABLE a12 (id INTEGER PRIMARY KEY)"])
        out = self.ex(["INSERT INTO a12(id) VALUES(3); INSERT INTO a12(id) VALUES(4)"])
        self.assertEqual(out["results"], [{"last_insert_id": 4, "rows_affected": 1}])
        self.assertEqual(self.node.query_values("SELECT count(*) FROM a12"), [[2]])
        self.assertEqual(self.node.query_values("SELECT 3; SELECT 4"), [[4]])

    # -- A13..A18 queries ----------------------------------------------------------------------

    def test_a13_get_query(self):
        self.ex(["CREATE TABLE a13 (id INTEGER PRIMARY KEY, name VARCHAR(10))",
                 "INSERT INTO a13 VALUES(1, 'one')"])
        self.assertEqual(self.raw_q("SELECT * FROM a13"),
                         b'{"results":[{"columns":["id","name"],"types":["integer","varchar(10)"],'
                         b'"values":[[1,"one"]]}]}')

    def test_a14_bulk_post_query(self):
        r = self.node.post_json("/db/query", ["SELECT 1 AS x", ["SELECT ? AS y", "two"]])
        self.assertEqual(r.json(), {"results": [
            {"columns": ["x"], "types": ["integer"], "values": [[1]]},
            {"columns": ["y"], "types": ["text"], "values": [["two"]]}]})

    def test_a15_rows_shape_without_values(self):
        self.ex(["CREATE TABLE a15 (k TEXT, n REAL)"])
        self.assertEqual(self.raw_q("SELECT * FROM a15"),
                         b'{"results":[{"columns":["k","n"],"types":["text","real"]}]}')

    def test_a16_query_refuses_writes(self):
        self.ex(["CREATE TABLE a16 (x)"])
        out = self.q("INSERT INTO a16 VALUES(1)")
        self.assertEqual(out["results"][0]["error"],
                         "attempt to change database via query operation")
        self.assertEqual(self.node.query_values("SELECT count(*) FROM a16"), [[0]])

    def test_a17_type_reporting(self):
        self.ex(["CREATE TABLE a17 (u UUID, j JSON, f Float)", "INSERT INTO a17 VALUES('x', '{}', 1.5)"])
        res = self.q("SELECT u, j, f, count(*), NULL, 1.5 * 2 FROM a17")["results"][0]
        self.assertEqual(res["types"], ["uuid", "json", "float", "integer", "", "real"])

    def test_a18_blob_base64_and_text_like(self):
        self.ex(["CREATE TABLE a18 (b BLOB, t TEXT)",
                 "INSERT INTO a18 VALUES(x'00ff10', x'6869')"])
        res = self.q("SELECT b, t, x'616263' FROM a18")["results"][0]
        self.assertEqual(res["values"], [["AP8Q", "hi", "abc"]])
        self.assertEqual(res["types"], ["blob", "text", "text"])

    # -- A19..A23 rendering options -------------------------------------------------------------

    def test_a19_blob_array(self):
        self.ex(["CREATE TABLE a19 (b BLOB)", "INSERT INTO a19 VALUES(x'0102ff')",
                 "INSERT INTO a19 VALUES(x'')"])
        res = self.q("SELECT b FROM a19 ORDER BY rowid", "&blob_array")["results"][0]
        self.assertEqual(res["values"], [[[1, 2, 255]], [[]]])

    def test_a20_associative_query(self):
        self.ex(["CREATE TABLE a20 (zeta INTEGER, alpha TEXT)", "INSERT INTO a20 VALUES(1, 'a')"])
        self.assertEqual(self.raw_q("SELECT zeta, alpha FROM a20", "&associative"),
                         b'{"results":[{"types":{"alpha":"text","zeta":"integer"},'
                         b'"rows":[{"alpha":"a","zeta":1}]}]}')
        self.assertEqual(self.raw_q("SELECT zeta FROM a20 WHERE 0", "&associative"),
                         b'{"results":[{"types":{"zeta":"integer"},"rows":[]}]}')

    def test_a21_associative_execute(self):
        self.ex(["CREATE TABLE a21 (id INTEGER PRIMARY KEY)"])
        self.assertEqual(self.raw_ex(["INSERT INTO a21(id) VALUES(9)"], "?associative"),
                         b'{"results":[{"last_insert_id":9,"rows_affected":1,"rows":null}]}')

    def test_a22_datetime_columns_rfc3339(self):
        self.ex(["CREATE TABLE a22 (d DATE, ts TIMESTAMP, dt DATETIME)",
                 "INSERT INTO a22 VALUES('2021-06-01', 1000000000, '2021-06-01 10:11:12')"])
        self.assertEqual(self.node.query_values("SELECT d, ts, dt FROM a22"),
                         [["2021-06-01T00:00:00Z", "2001-09-09T01:46:40Z", "2021-06-01T10:11:12Z"]])

    def test_a23_boolean_columns(self):
        self.ex(["CREATE TABLE a23 (b BOOLEAN)", "INSERT INTO a23 VALUES(1)",
                 "INSERT INTO a23 VALUES(0)"])
        self.assertEqual(self.raw_q("SELECT b FROM a23 ORDER BY rowid"),
                         b'{"results":[{"columns":["b"],"types":["boolean"],"values":[[true],[false]]}]}')

    # -- A24..A27 JSON formatting ---------------------------------------------------------------

    def test_a24_go_number_formatting(self):
        body = self.raw_q("SELECT 3.0, 0.5, 2e-8, 5e22, -0.25, 123456789.125")
        self.assertIn(b'"values":[[3,0.5,2e-8,5e+22,-0.25,123456789.125]]', body)

    def test_a25_string_escaping_and_unicode(self):
        self.ex(["CREATE TABLE a25 (s TEXT)"])
        self.ex([["INSERT INTO a25 VALUES(?)", "<a&b>\u00e9\u4e2d\U0001F600\"\\\n"]])
        body = self.raw_q("SELECT s FROM a25")
        self.assertIn(b'"\\u003ca\\u0026b\\u003e' + "\u00e9\u4e2d\U0001F600".encode() +
                      b'\\"\\\\\\n"', body)

    def test_a26_pretty(self):
        body = self.raw_q("SELECT 1 AS one", "&pretty")
        self.assertEqual(body.decode().rstrip("\n"), '{\n    "results": [\n        {\n            "columns": [\n'
                         '                "one"\n            ],\n            "types": [\n'
                         '                "integer"\n            ],\n            "values": [\n'
                         '                [\n                    1\n                ]\n'
                         '            ]\n        }\n    ]\n}')

    def test_a27_timings(self):
        out = self.q("SELECT 1", "&timings")
        self.assertGreater(out["time"], 0)
        self.assertGreater(out["results"][0]["time"], 0)
        out = self.q("SELECT 1")
        self.assertNotIn("time", out)
        self.assertNotIn("time", out["results"][0])

    # -- A28, A29, A31..A34 ----------------------------------------------------------------------

    def test_a28_unified_request(self):
        self.ex(["CREATE TABLE a28 (id INTEGER PRIMARY KEY, v TEXT)"])
        r = self.node.post_json("/db/request", [["INSERT INTO a28(id, v) VALUES(?, ?)", 1, "u"],
                                                "SELECT id, v FROM a28"])
        self.assertEqual(r.json(), {"results": [
            {"last_insert_id": 1, "rows_affected": 1},
            {"columns": ["id", "v"], "types": ["integer", "text"], "values": [[1, "u"]]}]})

    def test_a29_request_classification(self):
        self.ex(["CREATE TABLE a29 (x)"])
        # All reads: served without a log entry (no raft_index); any write goes through the log.
        r = self.node.post_json("/db/request?raft_index&level=none", ["SELECT count(*) FROM a29"])
        self.assertNotIn("raft_index", r.json())
        r = self.node.post_json("/db/request?raft_index", ["INSERT INTO a29 VALUES(1)"])
        self.assertGreater(r.json()["raft_index"], 0)
        # A statement that fails to prepare counts as a write (and reports its error).
        r = self.node.post_json("/db/request?raft_index", ["SELECT * FROM a29_missing"])
        self.assertGreater(r.json()["raft_index"], 0)
        self.assertEqual(r.json()["results"], [{"error": "no such table: a29_missing"}])

    def test_a31_returning(self):
        self.ex(["CREATE TABLE a31 (id INTEGER PRIMARY KEY, v TEXT)"])
        out = self.ex(["INSERT INTO a31(id, v) VALUES(8, 'r') RETURNING id, v"])
        self.assertEqual(out["results"], [{"columns": ["id", "v"], "types": ["integer", "text"],
                                           "values": [[8, "r"]]}])
        r = self.node.post_json("/db/request", ["UPDATE a31 SET v='s' RETURNING v"])
        self.assertEqual(r.json()["results"][0]["values"], [["s"]])

    def test_a32_explain_is_a_read_on_request(self):
        self.ex(["CREATE TABLE a32 (x)"])
        r = self.node.post_json("/db/request", ["EXPLAIN QUERY PLAN INSERT INTO a32 VALUES(1)"])
        self.assertIn("columns", r.json()["results"][0])
        self.assertEqual(self.node.query_values("SELECT count(*) FROM a32"), [[0]])

    def test_a33_disallowed_pragmas(self):
        for sql in ["PRAGMA journal_mode=DELETE", "  pragma synchronous = 0",
                    "PRAGMA main.wal_checkpoint(TRUNCATE)", "PRAGMA query_only=1",
                    "PRAGMA wal_autocheckpoint=5"]:
            self.assertEqual(self.raw_ex(["SELECT 1", sql]),
                             b'{"results":[],"error":"disallowed pragma"}', sql)
        # Reading a pragma is fine.
        self.assertEqual(self.node.query_values("PRAGMA journal_mode"), [["wal"]])

    def test_a34_db_timeout(self):
        sql = ("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c) "
               "SELECT count(*) FROM c")
        out = self.q(sql, "&db_timeout=10ms")
        self.assertEqual(out["results"][0]["error"], "query timeout")

    # -- A35, A36 (P2) -------------------------------------------------------------------------

    def test_a35_raft_index(self):
        self.ex(["CREATE TABLE a35 (x)"])
        first = self.ex(["INSERT INTO a35 VALUES(1)"], "?raft_index")["raft_index"]
        second = self.ex(["INSERT INTO a35 VALUES(2)"], "?raft_index")["raft_index"]
        self.assertGreater(second, first)
        self.assertNotIn("raft_index", self.q("SELECT * FROM a35", "&raft_index"))

    def test_a36_qualify_columns(self):
        self.ex(["CREATE TABLE a36l (id INTEGER)", "CREATE TABLE a36r (id INTEGER)",
                 "INSERT INTO a36l VALUES(1)", "INSERT INTO a36r VALUES(1)"])
        res = self.q("SELECT a36l.id, a36r.id, 5 AS five FROM a36l JOIN a36r ON a36l.id = a36r.id",
                     "&qualify_columns")["results"][0]
        self.assertEqual(res["columns"], ["a36l.id", "a36r.id", "five"])

    # -- A37..A40 ------------------------------------------------------------------------------

    def test_a37_empty_statements_skipped(self):
        self.assertEqual(self.raw_ex(["", ""]), b'{"results":[]}')

    def test_a38_body_parse_errors(self):
        for body, msg in [('{"a":1}', "invalid request"), ("[]", "no statements"),
                          ("[[1]]", "invalid request"), ("[\"x\"", "invalid JSON body"),
                          ("hello", "invalid JSON body"), ("[[]]", "invalid request")]:
            for path in ["/db/execute", "/db/query", "/db/request"]:
                r = self.node.request("POST", path, body=body,
                                      headers={"Content-Type": "application/json"})
                self.assertEqual((r.status, r.text), (400, msg + "\n"), (path, body))

    def test_a39_query_param_validation(self):
        for params, msg in [("?timeout=abc", "timeout is not a valid duration"),
                            ("?db_timeout=1x", "db_timeout is not a valid duration"),
                            ("?freshness=soon", "freshness is not a valid duration"),
                            ("?retries=two", "retries is not a valid integer"),
                            ("?q=", "query parameter not set"),
                            ("?level=none&freshness_strict", "freshness_strict requires freshness")]:
            r = self.node.get("/db/query" + params)
            self.assertEqual((r.status, r.text), (400, msg + "\n"), params)
        # Validation happens before routing: even an unknown path gets 400.
        self.assertEqual(self.node.get("/nowhere?timeout=abc").status, 400)

    def test_a40_presence_based_flags(self):
        self.assertIn(b"\n    ", self.raw_q("SELECT 1", "&pretty=false"))
        self.assertIn(b'"time"', self.raw_q("SELECT 1", "&timings=0"))
        self.assertNotIn(b"\n", self.raw_q("SELECT 1"))


if __name__ == "__main__":
    unittest.main()
