"""Feature table section B (HTTP server behaviour), P0 and P1 rows, against real rqlited nodes.

Not covered: B42's 401 part (needs -auth), B48-B50 (P2), B51-B53 (TLS, a later issue).
"""
import unittest

from harness import Node, run_rqlited


class HttpTest(unittest.TestCase):
    node = None

    @classmethod
    def setUpClass(cls):
        cls.node = Node().start()
        cls.node.execute(["CREATE TABLE IF NOT EXISTS h (id INTEGER PRIMARY KEY, v TEXT)"])

    @classmethod
    def tearDownClass(cls):
        cls.node.close()

    def test_b41_prefix_routing(self):
        r = self.node.post_json("/db/executeXYZ", ["INSERT INTO h(v) VALUES('prefix')"])
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["results"][0]["rows_affected"], 1)
        r = self.node.get("/db/queryfoo?q=SELECT%20count(*)%20FROM%20h%20WHERE%20v%3D'prefix'")
        self.assertEqual(r.json()["results"][0]["values"], [[1]])
        self.assertEqual(self.node.get("/statusfoo").status, 200)
        for path in ["/db/xxx", "/join", "/db/tables", "/metrics", "/db/snapshot", "/nope"]:
            r = self.node.get(path)
            self.assertEqual((r.status, r.body), (404, b""), path)

    def test_b42_check_order_params_route_method(self):
        # params (400) before route (404) before method (405)
        self.assertEqual(self.node.get("/no/such/path?db_timeout=zz").status, 400)
        self.assertEqual(self.node.get("/db/execute?timeout=zz").status, 400)
        self.assertEqual(self.node.get("/no/such/path").status, 404)
        self.assertEqual(self.node.get("/db/execute").status, 405)

    def test_b43_wrong_methods_405_empty_body(self):
        for method, path in [("GET", "/db/execute"), ("DELETE", "/db/query"), ("PUT", "/db/request"),
                             ("GET", "/db/load"), ("GET", "/boot"), ("GET", "/snapshot"),
                             ("POST", "/db/backup"), ("POST", "/status"), ("POST", "/readyz"),
                             ("GET", "/remove")]:
            r = self.node.request(method, path)
            self.assertEqual((r.status, r.body), (405, b""), (method, path))

    def test_b44_options_and_cors(self):
        for path in ["/db/execute", "/anything/at/all", "/status?timeout=bad"]:
            r = self.node.request("OPTIONS", path)
            self.assertEqual((r.status, r.body), (200, b""), path)
            self.assertEqual(r.headers.get("access-control-allow-methods"), "OPTIONS, GET, POST")
            self.assertEqual(r.headers.get("access-control-allow-headers"), "Content-Type")
        # No -http-allow-origin: no Allow-Origin header.
        self.assertNotIn("access-control-allow-origin", self.node.get("/status").headers)
        with Node(extra_args=["-http-allow-origin", "https://example.org"]).start() as n:
            for r in [n.get("/status"), n.request("OPTIONS", "/db/query"), n.get("/nope")]:
                self.assertEqual(r.headers.get("access-control-allow-origin"),
                                 "https://example.org")

    def test_b45_version_header_on_every_response(self):
        responses = [self.node.get("/status"), self.node.get("/nope"), self.node.get("/db/execute"),
                     self.node.get("/db/query?q="), self.node.request("OPTIONS", "/"),
                     self.node.post_json("/db/execute", ["SELECT 1"])]
        versions = {r.headers.get("x-rqlite-version") for r in responses}
        self.assertEqual(len(versions), 1, versions)
        # The same version string as `rqlited -version` prints.
        _, _, err = run_rqlited(["-version"])
        self.assertEqual(versions.pop(), err.split()[1])

    def test_b46_served_by(self):
        r = self.node.post_json("/db/execute", ["INSERT INTO h(v) VALUES('served')"])
        self.assertEqual(r.headers.get("x-rqlite-served-by"), "127.0.0.1:%d" % self.node.http_port)

    def test_b47_plain_text_errors(self):
        r = self.node.request("POST", "/db/execute", body="[broken",
                              headers={"Content-Type": "application/json"})
        self.assertEqual(r.status, 400)
        self.assertEqual(r.body, b"invalid JSON body\n")
        self.assertEqual(r.headers.get("content-type"), "text/plain; charset=utf-8")
        self.assertEqual(r.headers.get("x-content-type-options"), "nosniff")

    def test_json_content_type(self):
        r = self.node.get("/db/query?q=SELECT%201")
        self.assertEqual(r.headers.get("content-type"), "application/json; charset=utf-8")

    def test_g100_single_node_is_leader_of_itself(self):
        r = self.node.get("/readyz")
        self.assertEqual(r.status, 200)
        self.assertTrue(r.text.startswith("[+]node ok"))
        self.assertEqual(self.node.get("/readyz?noleader").text, "[+]node ok")
        nodes = self.node.get("/nodes?ver=2").json()["nodes"]
        self.assertEqual(len(nodes), 1)
        self.assertTrue(nodes[0]["leader"])
        # Node ID defaults to the advertised Raft address.
        self.assertEqual(nodes[0]["id"], "127.0.0.1:%d" % self.node.raft_port)
        self.assertEqual(nodes[0]["api_addr"], "http://127.0.0.1:%d" % self.node.http_port)


if __name__ == "__main__":
    unittest.main()
