"""A 3-node cluster of real rqlited processes: status and membership views, forwarding and
redirects, every read consistency level, queued writes on a follower (issue 4 item 7;
cluster-semantics §1, §5-§8, http-api §6, §7.10-§7.14).

One cluster is shared by the whole class (forming one costs seconds); the tests do not change its
membership or leadership, and find the leader afresh each time.
"""
import unittest
import urllib.parse

from cluster_harness import Cluster, dump
from harness import wait_until


class ClusterTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.cluster = Cluster(3).__enter__()
        leader = cls.cluster.leader()
        leader.execute(["CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v TEXT)"])

    @classmethod
    def tearDownClass(cls):
        cls.cluster.close()

    def setUp(self):
        self.leader = self.cluster.leader()
        self.followers = self.cluster.followers(self.leader)
        self.assertEqual(len(self.followers), 2)

    def insert(self, node, v):
        r = node.post_json("/db/execute", [["INSERT INTO t(v) VALUES(?)", v]])
        self.assertEqual(r.status, 200, r)
        body = r.json()
        self.assertNotIn("error", body)
        self.assertEqual(body["results"][0].get("rows_affected"), 1, body)
        return r

    def count(self, v):
        return "SELECT COUNT(*) FROM t WHERE v = '%s'" % v

    # -- views ---------------------------------------------------------------------------------

    def test_status_raft_fields(self):
        states = {}
        for n in self.cluster.nodes:
            st = n.status()["store"]
            raft = st["raft"]
            states[n.name] = raft["state"]
            self.assertIs(raft["voter"], True, n.name)
            self.assertEqual(st["node_id"], n.name)
            self.assertEqual(st["addr"], n.raft_addr)
            self.assertEqual(st["leader"]["node_id"], self.leader.name, n.name)
            self.assertEqual(st["leader"]["addr"], self.leader.raft_addr, n.name)
            self.assertIs(st["ready"], True)
            for key in ("term", "commit_index", "applied_index", "last_log_index",
                        "last_snapshot_index", "fsm_pending", "num_peers"):
                self.assertIsInstance(raft[key], int, "%s store.raft.%s" % (n.name, key))
            self.assertEqual(raft["num_peers"], 2, n.name)
            self.assertEqual(sorted(x["id"] for x in st["nodes"]), ["node1", "node2", "node3"])
            self.assertTrue(all(x["suffrage"] == "voter" for x in st["nodes"]), st["nodes"])
        self.assertEqual(sorted(states.values()), ["Follower", "Follower", "Leader"], states)
        terms = {n.name: n.raft()["term"] for n in self.cluster.nodes}
        self.assertEqual(len(set(terms.values())), 1, terms)

    def test_nodes_map_and_ver2(self):
        for n in self.cluster.nodes:
            m = n.nodes()
            self.assertEqual(sorted(m), ["node1", "node2", "node3"], m)
            for name, info in m.items():
                node = next(x for x in self.cluster.nodes if x.name == name)
                self.assertEqual(info["id"], name)
                self.assertEqual(info["addr"], node.raft_addr)
                self.assertEqual(info["api_addr"], node.api_url)
                self.assertIs(info["voter"], True)
                self.assertIs(info["reachable"], True, info)
                self.assertIs(info["leader"], name == self.leader.name, info)
                self.assertIsInstance(info["time"], float)
                self.assertNotIn("error", info)
            v2 = n.nodes("?ver=2")
            self.assertEqual([x["id"] for x in v2["nodes"]], ["node1", "node2", "node3"])
            self.assertEqual(list(v2["nodes"][0].keys())[:3], ["id", "api_addr", "addr"])

    def test_leader_endpoint_and_readyz(self):
        for n in self.cluster.nodes:
            r = n.get("/leader")
            self.assertEqual(r.status, 200, r)
            self.assertEqual(r.json()["id"], self.leader.name)
            self.assertEqual(r.json()["api_addr"], self.leader.api_url)
            r = n.get("/readyz")
            self.assertEqual((r.status, r.text),
                             (200, "[+]node ok\n[+]leader ok\n[+]store ok\n[+]db ok"))
            r = n.get("/readyz?noleader")
            self.assertEqual((r.status, r.text), (200, "[+]node ok"))
            r = n.get("/readyz?sync&timeout=5s")
            self.assertEqual(r.status, 200, r)
            self.assertIn("[+]sync ok", r.text)

    # -- forwarding and redirects --------------------------------------------------------------

    def test_execute_on_follower_is_forwarded(self):
        f = self.followers[0]
        r = self.insert(f, "fwd-exec")
        self.assertEqual(r.headers.get("x-rqlite-served-by"), self.leader.raft_addr)
        r = self.insert(self.leader, "local-exec")
        self.assertEqual(r.headers.get("x-rqlite-served-by"), self.leader.http_addr)
        self.cluster.wait_value(self.count("fwd-exec"), 1)
        self.cluster.wait_value(self.count("local-exec"), 1)

    def test_weak_read_on_follower_is_forwarded(self):
        self.insert(self.leader, "weak")
        f = self.followers[1]
        r = f.get("/db/query?level=weak&q=" + urllib.parse.quote(self.count("weak")))
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.headers.get("x-rqlite-served-by"), self.leader.raft_addr)
        # Served by the leader, which applied the write before acknowledging it.
        self.assertEqual(r.json()["results"][0]["values"], [[1]])
        # An unknown level is weak.
        r = f.get("/db/query?level=bogus&q=" + urllib.parse.quote(self.count("weak")))
        self.assertEqual(r.headers.get("x-rqlite-served-by"), self.leader.raft_addr)

    def test_request_on_follower_is_forwarded(self):
        f = self.followers[0]
        r = f.post_json("/db/request", [["INSERT INTO t(v) VALUES(?)", "req"],
                                        [self.count("req")]])
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.headers.get("x-rqlite-served-by"), self.leader.raft_addr)
        res = r.json()["results"]
        self.assertEqual(res[0]["rows_affected"], 1)
        self.assertEqual(res[1]["values"], [[1]])

    def test_redirect_gives_301_with_leader_url(self):
        f = self.followers[0]
        path = "/db/query?q=" + urllib.parse.quote("SELECT 1") + "&redirect"
        r = f.get(path)
        self.assertEqual(r.status, 301, r)
        self.assertEqual(r.headers["location"], self.leader.api_url + path)
        r = f.post_json("/db/execute?redirect", [["INSERT INTO t(v) VALUES('x')"]])
        self.assertEqual(r.status, 301, r)
        self.assertEqual(r.headers["location"], self.leader.api_url + "/db/execute?redirect")
        # The leader, and a none read anywhere, never redirect.
        self.assertEqual(self.leader.get(path).status, 200)
        r = f.get("/db/query?level=none&redirect&q=" + urllib.parse.quote("SELECT 1"))
        self.assertEqual(r.status, 200, r)

    # -- consistency levels ---------------------------------------------------------------------

    def test_none_read_served_locally(self):
        self.insert(self.leader, "none")
        for f in self.followers:
            wait_until(lambda: f.scalar_none(self.count("none")) == 1, 10,
                       what="replication to %s" % f.name)
            r = f.get("/db/query?level=none&q=" + urllib.parse.quote("SELECT 1"))
            self.assertEqual(r.headers.get("x-rqlite-served-by"), f.http_addr)

    def test_none_freshness_on_follower(self):
        f = self.followers[0]
        q = "/db/query?level=none&freshness=1h&q=" + urllib.parse.quote("SELECT 1")
        r = f.get(q)
        self.assertEqual(r.json()["results"][0]["values"], [[1]], r)
        # A follower that heard from the leader within 1 ns is impossible: stale read.
        r = f.get("/db/query?level=none&freshness=1ns&q=" + urllib.parse.quote("SELECT 1"))
        self.assertEqual(r.json(), {"results": [], "error": "stale read"}, r)
        # The leader is never stale.
        r = self.leader.get("/db/query?level=none&freshness=1ns&q=" + urllib.parse.quote("SELECT 1"))
        self.assertEqual(r.json()["results"][0]["values"], [[1]], r)

    def test_linearizable_read_sees_write_acked_by_other_node(self):
        for k in range(20):
            v = "lin-%d" % k
            writer = self.cluster.nodes[k % 3]
            reader = self.cluster.nodes[(k + 1) % 3]
            self.insert(writer, v)
            r = reader.get("/db/query?level=linearizable&q=" + urllib.parse.quote(self.count(v)))
            self.assertEqual(r.status, 200, r)
            self.assertEqual(r.json()["results"][0]["values"], [[1]], (v, r))

    def test_strong_read_goes_through_the_log(self):
        f = self.followers[0]
        before = self.leader.raft()["commit_index"]
        r = f.get("/db/query?level=strong&q=" + urllib.parse.quote("SELECT 1"))
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.headers.get("x-rqlite-served-by"), self.leader.raft_addr)
        self.assertEqual(r.json()["results"][0]["values"], [[1]])
        self.assertGreater(self.leader.raft()["commit_index"], before)
        # A weak read does not append to the log.
        before = self.leader.raft()["commit_index"]
        self.leader.get("/db/query?level=weak&q=" + urllib.parse.quote("SELECT 1"))
        self.assertEqual(self.leader.raft()["commit_index"], before)

    def test_auto_level_on_voter_is_weak(self):
        f = self.followers[0]
        r = f.get("/db/query?level=auto&q=" + urllib.parse.quote("SELECT 1"))
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.headers.get("x-rqlite-served-by"), self.leader.raft_addr)

    # -- queued writes ---------------------------------------------------------------------------

    def test_queued_writes_on_follower(self):
        f = self.followers[1]
        seqs = []
        for k in range(10):
            r = f.post_json("/db/execute?queue", [["INSERT INTO t(v) VALUES('queued')"]])
            self.assertEqual(r.status, 200, r)
            body = r.json()
            self.assertEqual(body["results"], [])
            seqs.append(body["sequence_number"])
        self.assertEqual(seqs, sorted(seqs))
        r = f.post_json("/db/execute?queue&wait&timeout=10s", [])
        self.assertEqual(r.status, 200, r)
        self.cluster.wait_value(self.count("queued"), 10)
        q = f.status()["http"]["queue"]["_default"]
        self.assertGreaterEqual(q["sequence_number"], seqs[-1])

    def test_followers_apply_every_write(self):
        for k in range(50):
            self.insert(self.cluster.nodes[k % 3], "many")
        self.cluster.wait_value(self.count("many"), 50)
        idx = {n.name: n.raft()["applied_index"] for n in self.cluster.nodes}
        self.assertTrue(all(i > 0 for i in idx.values()), (idx, dump(self.cluster.nodes)))


if __name__ == "__main__":
    unittest.main()
