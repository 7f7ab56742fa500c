"""Forming and changing clusters with real processes (issue 4 item 7; cluster-semantics §2, §4,
§5; cli.md §3 runtime fatals): -join, -bootstrap-expect, /remove through a follower and re-join,
a new member catching up, read replicas (-raft-non-voter), -raft-cluster-remove-shutdown, and
the fatal start-up errors of joining.
"""
import os
import shutil
import tempfile
import time
import unittest
import urllib.parse

from cluster_harness import Cluster, ClusterNode
from harness import free_port, run_rqlited, wait_until


class JoinRemoveTest(unittest.TestCase):
    def test_join_remove_via_follower_and_rejoin(self):
        with Cluster(3) as c:
            leader = c.leader()
            leader.execute(["CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)",
                            "INSERT INTO t(v) VALUES('before')"])
            c.wait_value("SELECT COUNT(*) FROM t", 1)
            victim = c.followers(leader)[-1]
            via = next(n for n in c.followers(leader) if n is not victim)
            r = via.request("DELETE", "/remove", body='{"id": "%s"}' % victim.name,
                            headers={"Content-Type": "application/json"})
            self.assertEqual((r.status, r.body), (200, b""), r)
            remaining = [n for n in c.voters if n is not victim]
            c.wait_members(remaining)
            for n in remaining:
                self.assertNotIn(victim.name, n.nodes())
            victim.stop()
            leader.execute([["INSERT INTO t(v) VALUES('while-removed')"]])
            # A removed node comes back only with -join (cluster-semantics §4).
            victim.start(join=[n.raft_addr for n in remaining])
            c.wait_members(c.voters)
            c.wait_value("SELECT COUNT(*) FROM t", 2)

    def test_new_node_joins_running_cluster_and_gets_all_data(self):
        with Cluster(3) as c:
            leader = c.leader()
            leader.execute(["CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)"])
            for k in range(100):
                leader.execute([["INSERT INTO t(v) VALUES(?)", str(k)]])
            node4 = ClusterNode("node4")
            c.add_node(node4)
            c.wait_members(c.voters + [node4])
            c.wait_value("SELECT COUNT(*) FROM t", 100)
            # Joining again (a restart with -join) is idempotent.
            node4.stop()
            node4.start()
            c.wait_members(c.voters + [node4])

    def test_bootstrap_expect_forms_cluster(self):
        with Cluster(3, bootstrap_expect=True) as c:
            leader = c.leader()
            leader.execute(["CREATE TABLE t (id INTEGER PRIMARY KEY)",
                            "INSERT INTO t(id) VALUES(1)"])
            c.wait_value("SELECT COUNT(*) FROM t", 1)
            for n in c.nodes:
                self.assertEqual(sorted(n.nodes()), ["node1", "node2", "node3"])

    def test_cluster_remove_shutdown(self):
        with Cluster(3) as c:
            leader = c.leader()
            leaving = c.followers(leader)[0]
            leaving.stop()
            leaving.start(args=["-raft-cluster-remove-shutdown"])
            leaving.terminate()
            self.assertEqual(leaving.wait_exit(), 0, leaving.stderr()[-2000:])
            c.wait_members([n for n in c.voters if n is not leaving])


class ReadReplicaTest(unittest.TestCase):
    def test_read_replica(self):
        with Cluster(3, non_voters=1) as c:
            replica = c.replicas[0]
            leader = c.leader()
            leader.execute(["CREATE TABLE t (id INTEGER PRIMARY KEY)",
                            "INSERT INTO t(id) VALUES(1)"])
            c.wait_value("SELECT COUNT(*) FROM t", 1)
            # Views: /nodes lists it only with nonvoters, as voter:false.
            self.assertEqual(sorted(leader.nodes()), ["node1", "node2", "node3"])
            m = leader.nodes("?nonvoters")
            self.assertIs(m[replica.name]["voter"], False)
            self.assertIs(m[replica.name]["reachable"], True)
            self.assertIs(replica.raft()["voter"], False)
            # level=none is served locally; weak is forwarded to the leader; auto = none here.
            q = urllib.parse.quote("SELECT COUNT(*) FROM t")
            r = replica.get("/db/query?level=none&q=" + q)
            self.assertEqual(r.headers.get("x-rqlite-served-by"), replica.http_addr)
            self.assertEqual(r.json()["results"][0]["values"], [[1]])
            r = replica.get("/db/query?level=auto&q=" + q)
            self.assertEqual(r.headers.get("x-rqlite-served-by"), replica.http_addr)
            r = replica.get("/db/query?level=weak&q=" + q)
            self.assertEqual(r.headers.get("x-rqlite-served-by"), leader.raft_addr)
            r = replica.post_json("/db/execute", [["INSERT INTO t(id) VALUES(2)"]])
            self.assertEqual(r.json()["results"][0]["rows_affected"], 1, r)
            c.wait_value("SELECT COUNT(*) FROM t", 2)
            # It never votes: kill the leader; a voter wins and the replica stays a follower.
            voters = [n for n in c.voters if n is not leader]
            leader.kill9()
            states = set()

            def elected():
                states.add(replica.raft_state())
                try:
                    return c.leader(timeout=0.5, among=voters + [replica])
                except TimeoutError:
                    return None
            new_leader = wait_until(elected, 30, interval=0.02, what="new leader")
            self.assertIn(new_leader, voters)
            self.assertEqual(states - {None}, {"Follower"}, states)
            self.assertIs(replica.raft()["voter"], False)

    def test_non_voter_cannot_bootstrap(self):
        n = ClusterNode("solo")
        try:
            n.start(args=["-raft-non-voter"], wait_ready=False)
            self.assertEqual(n.wait_exit(), 1)
            self.assertIn("cannot create a new non-voting node without joining it to an "
                          "existing cluster", n.stderr())
        finally:
            n.close()


class JoinFatalTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="rqit-join-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def args(self, *extra):
        return ["-http-addr", "127.0.0.1:%d" % free_port(), "-raft-addr",
                "127.0.0.1:%d" % free_port()] + list(extra) + [os.path.join(self.tmp, "d")]

    def test_join_unreachable_fails_after_attempts(self):
        t0 = time.monotonic()
        code, _, err = run_rqlited(self.args("-join", "127.0.0.1:%d" % free_port(),
                                             "-join-attempts", "2", "-join-interval", "100ms"),
                                   timeout=30)
        self.assertEqual(code, 1, err)
        self.assertIn("failed to join cluster", err)
        self.assertLess(time.monotonic() - t0, 20)

    def test_join_http_address_is_fatal(self):
        with ClusterNode("target") as target:
            target.start()
            code, _, err = run_rqlited(self.args("-join", target.http_addr), timeout=30)
            self.assertEqual(code, 1, err)
            self.assertIn("join address %s appears to be serving HTTP when it should be Raft" %
                          target.http_addr, err)

    def test_single_node_cannot_join_another_cluster(self):
        with ClusterNode("a") as a, ClusterNode("b") as b:
            a.start()
            b.start()  # b is now the sole member of its own cluster
            b.stop()
            b.start(join=[a.raft_addr], wait_ready=False)
            self.assertEqual(b.wait_exit(30), 1)
            self.assertIn("node is the only node in a single-node cluster, joining other "
                          "clusters not supported", b.stderr())


if __name__ == "__main__":
    unittest.main()
