"""Network partitions of a real rqlited cluster (issue 4 item 7; cluster-semantics §7).

The test builds its own network: one network namespace per node, each with a veth pair whose host
end is enslaved to a bridge the test creates; the bridge carries an address too, so this process
(in the root namespace) reaches every node's HTTP API even while the node is cut off. A node is
cut off by iptables rules inside ITS OWN namespace that drop all traffic to and from the other
nodes' addresses. Names (namespaces, links) carry a random per-run tag and a free 10.x.y.0/24 is
chosen, so parallel runs never collide; everything is deleted in cleanup, whatever happens.

Asserted, for a cut-off follower and for a cut-off leader:
- the minority node acknowledges no write, and no strong or linearizable read (error or timeout);
- it still answers level=none reads, and level=none with freshness answers "stale read" once it
  has been out of contact with the leader for longer than the bound;
- the majority side has (or elects) a leader and keeps acknowledging writes;
- after healing, the minority node catches up and every acknowledged write is on every node.
Every wait is a bounded poll. Skips (with the reason) only when not root or `ip netns`/iptables
are unavailable.
"""
import http.client
import os
import random
import shutil
import subprocess
import time
import unittest
import urllib.parse

from cluster_harness import FORM_TIMEOUT_S, Cluster, ClusterNode, WriteLoad, dump, ids_on
from harness import Response, rqlited_path, wait_until

HTTP_PORT = 4001  # every node has its own namespace, hence its own port space
RAFT_PORT = 4002
# The minority's requests must not be acknowledged; each is bounded so that a request the node
# parks (e.g. a forward to an unreachable leader) counts as "no acknowledgement" after this long.
MINORITY_REQUEST_TIMEOUT_S = 4.0
HEAL_TIMEOUT_S = 60.0


def run(*args, check=True):
    p = subprocess.run(list(args), capture_output=True, text=True, timeout=30)
    if check and p.returncode != 0:
        raise RuntimeError("%s failed (%d): %s" % (" ".join(args), p.returncode, p.stderr))
    return p


def skip_reason():
    if os.geteuid() != 0:
        return "partition tests need root (network namespaces and iptables)"
    if shutil.which("ip") is None:
        return "`ip` (iproute2) is not installed"
    if shutil.which("iptables") is None:
        return "iptables is not installed"
    probe = "rqprobe%06x" % random.getrandbits(24)
    p = subprocess.run(["ip", "netns", "add", probe], capture_output=True, text=True)
    if p.returncode != 0:
        return "`ip netns add` is unavailable here: %s" % p.stderr.strip()
    subprocess.run(["ip", "netns", "del", probe], capture_output=True)
    return None


class Net:
    """N namespaces on one bridge. node i (0-based) has address <prefix>.<i+1>; the bridge (this
    process's side) has <prefix>.254."""

    def __init__(self, n):
        self.tag = "rqp%05x" % random.getrandbits(20)  # link names stay under 15 characters
        self.bridge = self.tag + "b"
        self.namespaces = []
        self.prefix = self._free_prefix()
        self.n = n
        try:
            run("ip", "link", "add", self.bridge, "type", "bridge")
            run("ip", "addr", "add", self.prefix + ".254/24", "dev", self.bridge)
            run("ip", "link", "set", self.bridge, "up")
            for i in range(n):
                self._add_node(i)
        except BaseException:
            self.destroy()
            raise

    @staticmethod
    def _free_prefix():
        used = run("ip", "-4", "-o", "addr").stdout + run("ip", "-4", "route").stdout
        for _ in range(100):
            prefix = "10.%d.%d" % (random.randint(200, 254), random.randint(0, 254))
            if (prefix + ".") not in used:
                return prefix
        raise RuntimeError("no free 10.x.y.0/24 found")

    def ns(self, i):
        return "%s-n%d" % (self.tag, i + 1)

    def ip(self, i):
        return "%s.%d" % (self.prefix, i + 1)

    def _add_node(self, i):
        ns, host_end, peer_end = self.ns(i), "%sh%d" % (self.tag, i + 1), "%sp%d" % (self.tag, i + 1)
        run("ip", "netns", "add", ns)
        self.namespaces.append(ns)
        run("ip", "link", "add", host_end, "type", "veth", "peer", "name", peer_end)
        run("ip", "link", "set", peer_end, "netns", ns)
        run("ip", "link", "set", host_end, "master", self.bridge)
        run("ip", "link", "set", host_end, "up")
        inside = ["ip", "netns", "exec", ns]
        run(*inside, "ip", "link", "set", peer_end, "name", "eth0")
        run(*inside, "ip", "addr", "add", self.ip(i) + "/24", "dev", "eth0")
        run(*inside, "ip", "link", "set", "eth0", "up")
        run(*inside, "ip", "link", "set", "lo", "up")

    def isolate(self, group):
        """Drops all traffic between the nodes in `group` (an index or a list of indexes) and
        every node outside it, inside the group's namespaces (the bridge address, i.e. this
        test, still reaches every node; nodes inside the group still reach each other)."""
        group = [group] if isinstance(group, int) else list(group)
        for i in group:
            for j in range(self.n):
                if j not in group:
                    run("ip", "netns", "exec", self.ns(i), "iptables", "-A", "INPUT", "-s",
                        self.ip(j), "-j", "DROP")
                    run("ip", "netns", "exec", self.ns(i), "iptables", "-A", "OUTPUT", "-d",
                        self.ip(j), "-j", "DROP")

    def heal(self, group):
        for i in ([group] if isinstance(group, int) else group):
            run("ip", "netns", "exec", self.ns(i), "iptables", "-F")

    def destroy(self):
        for ns in self.namespaces:  # deleting a namespace deletes its veth pair
            run("ip", "netns", "del", ns, check=False)
        self.namespaces = []
        run("ip", "link", "del", self.bridge, check=False)


class NsNode(ClusterNode):
    """A cluster member running inside network namespace `ns` at address `ip`."""

    def __init__(self, name, ns, ip):
        super().__init__(name)
        self.ns, self.ip = ns, ip
        self.http_port, self.raft_port = HTTP_PORT, RAFT_PORT

    @property
    def raft_addr(self):
        return "%s:%d" % (self.ip, self.raft_port)

    @property
    def http_addr(self):
        return "%s:%d" % (self.ip, self.http_port)

    def start(self, join=None, args=None, wait_ready=True, timeout=FORM_TIMEOUT_S):
        if join is not None:
            self.join_args = ["-join", ",".join(join)] if join else []
        if args is not None:
            self.node_args = list(args)
        cmd = ["ip", "netns", "exec", self.ns, rqlited_path(), "-node-id", self.name,
               "-http-addr", self.http_addr, "-raft-addr", self.raft_addr] + \
            self.join_args + self.node_args + [self.data_dir]
        with open(self.stdout_path, "ab") as out, open(self.stderr_path, "ab") as err:
            # `ip netns exec` execs rqlited in place: this PID is rqlited's.
            self.proc = subprocess.Popen(cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        if wait_ready:
            self.wait_ready(timeout)
        return self

    def request(self, method, path, body=None, headers=None, timeout=30):
        conn = http.client.HTTPConnection(self.ip, self.http_port, timeout=timeout)
        try:
            if isinstance(body, str):
                body = body.encode("utf-8")
            conn.request(method, path, body=body, headers=headers or {})
            resp = conn.getresponse()
            data = resp.read()
            return Response(resp.status, {k.lower(): v for k, v in resp.getheaders()}, data)
        finally:
            conn.close()


def acknowledged(resp):
    """True when an execute/query response is a success (HTTP 200, no error anywhere)."""
    if resp is None or resp.status != 200:
        return False
    try:
        js = resp.json()
    except ValueError:
        return False
    return "error" not in js and all("error" not in r for r in js.get("results", [{}]))


class PartitionBase(unittest.TestCase):
    """Set-up (network + cluster) and the shared assertions; test cases live in subclasses."""
    SIZE = 3

    def setUp(self):
        reason = skip_reason()
        if reason:
            self.skipTest(reason)
        self.net = Net(self.SIZE)
        self.addCleanup(self.net.destroy)
        self.cluster = Cluster(size=0)
        self.cluster.nodes = self.cluster.voters = [
            NsNode("node%d" % (i + 1), self.net.ns(i), self.net.ip(i)) for i in range(self.SIZE)]
        self.addCleanup(self.cluster.close)  # runs before destroy (LIFO): processes first
        self.cluster.start()
        leader = self.cluster.leader()
        leader.execute(["CREATE TABLE t (id INTEGER PRIMARY KEY)"])
        leader.execute([["INSERT INTO t(id) VALUES(?)", 0]])
        self.cluster.wait_value("SELECT COUNT(*) FROM t", 1)

    def try_request(self, node, method, path, payload=None):
        """The response, or None when the node did not answer within the bound."""
        try:
            if payload is None:
                return node.request(method, path, timeout=MINORITY_REQUEST_TIMEOUT_S)
            return node.post_json(path, payload, timeout=MINORITY_REQUEST_TIMEOUT_S)
        except OSError:  # includes socket.timeout
            return None

    def read(self, node, level, extra=""):
        q = urllib.parse.quote("SELECT COUNT(*) FROM t")
        return self.try_request(node, "GET", "/db/query?level=%s&q=%s%s" % (level, q, extra))

    def check_minority(self, minority, majority, first_id=1):
        """The assertions made while `minority` is cut off from `majority`; the majority's
        writes use ids from `first_id` on."""
        # Writes: none acknowledged, and none visible on the majority side.
        for k in range(3):
            marker = 1_000_000 + k
            r = self.try_request(minority, "POST", "/db/execute",
                                 [["INSERT INTO t(id) VALUES(?)", marker]])
            self.assertFalse(acknowledged(r), "minority acknowledged a write: %r" % r)
        # Strong and linearizable reads are refused (or time out).
        for level in ("strong", "linearizable"):
            r = self.read(minority, level)
            self.assertFalse(acknowledged(r), "minority answered level=%s: %r" % (level, r))
        # level=none still answers from the local copy.
        r = self.read(minority, "none")
        self.assertTrue(acknowledged(r), "level=none refused on the minority: %r" % r)
        self.assertGreaterEqual(r.json()["results"][0]["values"][0][0], 1)
        # ... and with a freshness bound it reports "stale read" once out of contact that long.
        wait_until(lambda: b"stale read" in (self.read(minority, "none", "&freshness=1s")
                                             or Response(0, {}, b"")).body,
                   15, interval=0.1, what="stale read on the minority with freshness=1s")
        # The majority keeps a leader and keeps serving writes.
        new_leader = self.cluster.leader(timeout=30, among=majority)
        self.assertIn(new_leader, majority)
        load = WriteLoad(majority, table="t", threads=2, timeout=10)
        load._next = first_id - 1  # the harness numbers ids from _next + 1
        load.start()
        try:
            wait_until(lambda: load.acked_count() >= 100, 30,
                       what="100 writes acknowledged by the majority")
        finally:
            acked = load.stop()
        r = new_leader.get("/db/query?level=linearizable&q=" +
                           urllib.parse.quote("SELECT COUNT(*) FROM t WHERE id >= 1000000 "
                                              "AND id < 1000003"), timeout=10)
        self.assertTrue(acknowledged(r), r)
        self.assertEqual(r.json()["results"][0]["values"][0][0], 0,
                         "a write refused by the minority reached the majority")
        # A linearizable read on the majority sees every acknowledged write.
        self.assertTrue(acked <= ids_on(new_leader, "t"))
        return acked | {0}

    def heal_and_check(self, minority_indexes, acked):
        self.net.heal(minority_indexes)
        minority_indexes = ([minority_indexes] if isinstance(minority_indexes, int)
                            else minority_indexes)
        for n in self.cluster.nodes:
            wait_until(lambda: acked <= ids_on(n, "t"), HEAL_TIMEOUT_S, interval=0.1,
                       what="every acknowledged write on %s after the heal" % n.name)
        leader = self.cluster.leader(timeout=HEAL_TIMEOUT_S)
        # After the heal the former minority node serves consistent reads again.
        r = leader.get("/db/query?level=linearizable&q=" +
                       urllib.parse.quote("SELECT COUNT(*) FROM t"), timeout=10)
        self.assertTrue(acknowledged(r), r)
        total = r.json()["results"][0]["values"][0][0]
        self.cluster.wait_value("SELECT COUNT(*) FROM t", total, timeout=HEAL_TIMEOUT_S)
        for i in minority_indexes:
            minority = self.cluster.nodes[i]
            wait_until(lambda: acknowledged(self.read(minority, "none", "&freshness=1s")),
                       HEAL_TIMEOUT_S, interval=0.1, what="fresh reads on healed %s" % minority.name)



class PartitionTest(PartitionBase):
    SIZE = 3

    def test_follower_cut_off(self):
        leader = self.cluster.leader()
        follower = self.cluster.followers(leader)[0]
        i = self.cluster.nodes.index(follower)
        self.net.isolate(i)
        majority = [n for n in self.cluster.nodes if n is not follower]
        acked = self.check_minority(follower, majority)
        self.assertIs(self.cluster.leader(timeout=30, among=majority), leader, dump(majority))
        self.heal_and_check(i, acked)

    def test_leader_cut_off(self):
        old = self.cluster.leader()
        i = self.cluster.nodes.index(old)
        t0 = time.monotonic()
        self.net.isolate(i)
        majority = [n for n in self.cluster.nodes if n is not old]
        new_leader = self.cluster.leader(timeout=30, among=majority)
        elected_s = time.monotonic() - t0
        self.assertIsNot(new_leader, old)
        # The cut-off leader must step down (check-quorum) rather than keep claiming leadership.
        wait_until(lambda: old.raft_state() not in ("Leader", None), 30, interval=0.1,
                   what="the cut-off leader stepping down")
        acked = self.check_minority(old, majority)
        self.heal_and_check(i, acked)
        print("\n  [measured] leader cut off -> new leader agreed by the majority: %.3f s"
              % elected_s)


class FiveNodePartitionTest(PartitionBase):
    """5 voters split 2 | 3: the old leader and one follower on the minority side (they still
    reach each other, yet cannot form a quorum); the three others elect a leader and serve."""
    SIZE = 5

    def test_leader_and_follower_cut_off(self):
        old = self.cluster.leader()
        other = self.cluster.followers(old)[0]
        group = [self.cluster.nodes.index(old), self.cluster.nodes.index(other)]
        self.net.isolate(group)
        majority = [n for n in self.cluster.nodes if n not in (old, other)]
        new_leader = self.cluster.leader(timeout=30, among=majority)
        self.assertNotIn(new_leader, (old, other))
        for n in (old, other):
            wait_until(lambda: n.raft_state() not in ("Leader", None), 30, interval=0.1,
                       what="no leader on the minority side (%s)" % n.name)
        acked = self.check_minority(old, majority)
        acked |= self.check_minority(other, majority, first_id=100_000)
        self.heal_and_check(group, acked)


if __name__ == "__main__":
    unittest.main()
