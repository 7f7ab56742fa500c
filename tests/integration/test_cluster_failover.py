"""Failures and restarts in real 3- and 5-node clusters (issue 4 item 7): the leader killed under
write load (a new leader within the election timeout, no acknowledged write lost), followers
restarted after missing many writes (catch up from the log, or from a snapshot when the range they
missed was compacted), graceful SIGTERM of the leader (leadership transferred first), and
POST /leader stepdown (cluster-semantics §4, §6, §9; http-api §7.12).
"""
import sys
import time
import unittest

from cluster_harness import (ELECTION_TIMEOUT_S, HEARTBEAT_TIMEOUT_S, Cluster, WriteLoad, dump,
                             ids_on)
from harness import wait_until

# Failure detection takes up to one heartbeat timeout, the election up to two election timeouts
# (randomised in [T, 2T)); the slack absorbs polling and a loaded 2-core machine.
FAILOVER_BOUND_S = HEARTBEAT_TIMEOUT_S + 2 * ELECTION_TIMEOUT_S + 2.0


def report(what, seconds):
    sys.stderr.write("\n  [measured] %s: %.3f s\n" % (what, seconds))


class KillLeaderTest(unittest.TestCase):
    def kill_leader_under_load(self, size, extra_kills=0):
        with Cluster(size) as c:
            leader = c.leader()
            leader.execute(["CREATE TABLE load (id INTEGER PRIMARY KEY)"])
            c.wait_value("SELECT COUNT(*) FROM sqlite_master WHERE name = 'load'", 1)
            survivors = c.followers(leader)
            victims = survivors[:extra_kills]
            survivors = survivors[extra_kills:]
            load = WriteLoad(survivors, threads=4).start()
            try:
                wait_until(lambda: load.acked_count() >= 200, 30, what="200 acked writes")
                for v in victims:
                    v.kill9()
                t0 = time.monotonic()
                leader.kill9()
                new_leader = c.leader(timeout=30, among=survivors)
                elapsed = time.monotonic() - t0
                report("%d-node cluster, leader killed -> new leader agreed" % size, elapsed)
                self.assertIn(new_leader, survivors)
                acked_at_failover = load.acked_count()
                wait_until(lambda: load.acked_count() >= acked_at_failover + 200, 30,
                           what="writes resuming after failover")
            finally:
                acked = load.stop()
            self.assertLess(elapsed, FAILOVER_BOUND_S, dump(c.nodes))
            for n in survivors:
                wait_until(lambda: acked <= ids_on(n, "load"), 30,
                           what="every acked write on %s" % n.name)
            # The killed nodes come back with their data directories and catch up.
            for n in [leader] + victims:
                n.start()
            for n in c.nodes:
                wait_until(lambda: acked <= ids_on(n, "load"), 30,
                           what="every acked write on restarted %s" % n.name)
            rows = {n.name: len(ids_on(n, "load")) for n in c.nodes}
            self.assertEqual(len(set(rows.values())), 1, rows)
            self.assertGreaterEqual(min(rows.values()), len(acked))

    def test_three_nodes_kill_leader_under_write_load(self):
        self.kill_leader_under_load(3)

    def test_five_nodes_kill_leader_and_a_follower_under_write_load(self):
        self.kill_leader_under_load(5, extra_kills=1)


class CatchUpTest(unittest.TestCase):
    def test_restarted_follower_catches_up_from_the_log(self):
        with Cluster(3) as c:
            leader = c.leader()
            leader.execute(["CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)"])
            f = c.followers(leader)[0]
            c.wait_value("SELECT COUNT(*) FROM sqlite_master WHERE name = 't'", 1)
            f.kill9()
            for k in range(500):
                leader.execute([["INSERT INTO t(v) VALUES(?)", "row-%d" % k]])
            t0 = time.monotonic()
            f.start()
            c.wait_value("SELECT COUNT(*) FROM t", 500)
            report("follower restarted after 500 missed writes -> caught up",
                   time.monotonic() - t0)
            self.assertEqual(f.raft()["state"], "Follower")

    def test_follower_behind_compacted_log_catches_up_from_snapshot(self):
        # -raft-snap 64 keeps 80 trailing entries; checked every 200 ms.
        with Cluster(3, args=["-raft-snap", "64", "-raft-snap-int", "200ms"]) as c:
            leader = c.leader()
            leader.execute(["CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)"])
            f = c.followers(leader)[0]
            c.wait_value("SELECT COUNT(*) FROM sqlite_master WHERE name = 't'", 1)
            missed_from = f.raft()["applied_index"]
            f.kill9()
            for k in range(600):
                leader.execute([["INSERT INTO t(v) VALUES(?)", "row-%d" % k]])
            # The leader snapshotted far enough past the follower's position that the entries
            # it needs (and the 80 trailing ones) are gone from the log.
            wait_until(lambda: leader.raft()["last_snapshot_index"] > missed_from + 200, 30,
                       what="leader snapshot beyond the follower's position")
            t0 = time.monotonic()
            f.start()
            c.wait_value("SELECT COUNT(*) FROM t", 600)
            report("follower behind a compacted range -> caught up", time.monotonic() - t0)
            # It installed a snapshot (and may have taken its own since); the status may lag.
            wait_until(lambda: f.raft()["last_snapshot_index"] > missed_from + 200, 10,
                       what="follower's last_snapshot_index beyond the missed range")
            # Its Raft status agrees with its database: everything is applied.
            wait_until(lambda: f.raft()["applied_index"] >= leader.raft()["commit_index"] - 1,
                       10, what="follower's applied_index caught up: %s" % f.raft())
            # And it keeps replicating after the snapshot.
            leader.execute([["INSERT INTO t(v) VALUES('after')"]])
            c.wait_value("SELECT COUNT(*) FROM t", 601)


class ShutdownAndStepdownTest(unittest.TestCase):
    def test_sigterm_leader_transfers_leadership_quickly(self):
        with Cluster(3) as c:
            leader = c.leader()
            leader.execute(["CREATE TABLE t (id INTEGER PRIMARY KEY)"])
            others = c.followers(leader)
            t0 = time.monotonic()
            leader.terminate()
            new_leader = c.leader(timeout=30, among=others)
            elapsed = time.monotonic() - t0
            report("SIGTERM leader -> new leader agreed", elapsed)
            self.assertEqual(leader.wait_exit(), 0, leader.stderr()[-2000:])
            # Without the stepdown, failure detection alone takes a heartbeat timeout plus an
            # election timeout.
            self.assertLess(elapsed, HEARTBEAT_TIMEOUT_S + ELECTION_TIMEOUT_S, dump(c.nodes))
            new_leader.execute([["INSERT INTO t(id) VALUES(1)"]])
            leader.start()  # rejoins as a follower from its data directory
            c.wait_value("SELECT COUNT(*) FROM t", 1)
            self.assertIs(c.leader(), new_leader)

    def test_post_leader_stepdown(self):
        with Cluster(3) as c:
            leader = c.leader()
            a, b = c.followers(leader)
            # Forwarded from a follower, to a named target, waiting for the outcome.
            r = a.post_json("/leader?wait", {"id": b.name})
            self.assertEqual((r.status, r.body), (200, b""), r)
            self.assertIs(c.leader(), b)
            r = a.post_json("/leader", {"id": b.name})
            self.assertEqual(r.status, 500, r)
            self.assertIn("cannot step down to the current Leader", r.text)
            r = b.post_json("/leader", {"id": "no-such-node"})
            self.assertEqual(r.status, 500, r)
            self.assertIn("node not found in cluster", r.text)
            # No body: any other node.
            r = b.request("POST", "/leader?wait")
            self.assertEqual(r.status, 200, r)
            self.assertIsNot(c.leader(), b)
            current = c.leader()
            other = next(n for n in c.nodes if n is not current)
            r = other.post_json("/leader?redirect", {"id": b.name})
            self.assertEqual(r.status, 301, r)
            self.assertEqual(r.headers["location"], current.api_url + "/leader?redirect")


if __name__ == "__main__":
    unittest.main()
