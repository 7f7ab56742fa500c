"""Multi-node harness: N real rqlited processes on loopback forming one cluster (stdlib only).

Each ClusterNode picks its free HTTP and Raft ports once, at creation, and keeps them across
restarts: the Raft address is the node's identity in the cluster configuration, so a restarted
node must come back on the same address with the same data directory. Every wait is a bounded
poll (harness.wait_until); processes are stopped by PID (SIGTERM, or SIGKILL for crash tests).

    with Cluster(3) as c:          # node1 bootstraps, node2..3 -join node1's Raft address
        leader = c.leader()        # the node whose /status says store.raft.state == Leader
        leader.execute([...])
        c.wait_rows("SELECT COUNT(*) FROM t", 10)   # every live node, read at level=none
"""
import json
import os
import signal
import threading
import time
import urllib.parse

from harness import Node, free_port, wait_until

# Raft timing for tests: rqlite's defaults (1 s heartbeat, 1 s election). Tests that measure
# failover derive their bounds from these.
HEARTBEAT_TIMEOUT_S = 1.0
ELECTION_TIMEOUT_S = 1.0
# How long a cluster may take to form or to heal on this loaded 2-core machine.
FORM_TIMEOUT_S = 30.0


class ClusterNode(Node):
    """One cluster member. `name` is its node ID (-node-id)."""

    def __init__(self, name, common_args=None, tmp_root=None):
        super().__init__(tmp_root=tmp_root)
        self.name = name
        self.common_args = list(common_args or [])
        self.http_port, self.raft_port = free_port(), free_port()
        self.join_args = []
        self.node_args = []

    def _ports(self, attempt):
        return self.http_port, self.raft_port

    @property
    def raft_addr(self):
        return "127.0.0.1:%d" % self.raft_port

    @property
    def http_addr(self):
        return "127.0.0.1:%d" % self.http_port

    @property
    def api_url(self):
        return "http://" + self.http_addr

    def start(self, join=None, args=None, wait_ready=True, timeout=FORM_TIMEOUT_S):
        """Starts (or restarts, same ports and data dir) the process. `join` = list of Raft
        addresses for -join; `args` = extra flags for this start only (remembered for restarts
        unless replaced)."""
        if join is not None:
            self.join_args = ["-join", ",".join(join)] if join else []
        if args is not None:
            self.node_args = list(args)
        self.extra_args = (["-node-id", self.name] + self.common_args + self.join_args +
                           self.node_args)
        return super().start(wait_ready=wait_ready, timeout=timeout)

    def terminate(self):
        """Sends SIGTERM without waiting (graceful shutdown runs in the background)."""
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)

    def wait_exit(self, timeout=15.0):
        return self.proc.wait(timeout)

    # -- views --------------------------------------------------------------------------------

    def status(self, timeout=5):
        r = self.get("/status", timeout=timeout)
        if r.status != 200:
            raise AssertionError("/status on %s: %r" % (self.name, r))
        return r.json()

    def raft(self, timeout=5):
        """store.raft of /status, or None when the node does not answer."""
        try:
            return self.status(timeout)["store"].get("raft")
        except (OSError, ValueError, KeyError, AssertionError):
            return None

    def raft_state(self):
        r = self.raft()
        return r.get("state") if r else None

    def nodes(self, params=""):
        r = self.get("/nodes" + params, timeout=10)
        if r.status != 200:
            raise AssertionError("/nodes%s on %s: %r" % (params, self.name, r))
        return r.json()

    def query_none(self, sql):
        """A level=none read served by this node from its own database copy."""
        r = self.get("/db/query?level=none&q=" + urllib.parse.quote(sql), timeout=10)
        if r.status != 200:
            raise AssertionError("query on %s failed: %r" % (self.name, r))
        res = r.json()["results"][0]
        if "error" in res:
            raise AssertionError("query error on %s: %s" % (self.name, res["error"]))
        return res.get("values", [])

    def scalar_none(self, sql):
        return self.query_none(sql)[0][0]


class Cluster:
    """`size` voters (node1..N), then `non_voters` read replicas (-raft-non-voter)."""

    def __init__(self, size=3, non_voters=0, args=None, bootstrap_expect=False):
        self.common_args = list(args or [])
        self.bootstrap_expect = bootstrap_expect
        self.nodes = [ClusterNode("node%d" % (i + 1), self.common_args)
                      for i in range(size + non_voters)]
        self.voters = self.nodes[:size]
        self.replicas = self.nodes[size:]

    def __enter__(self):
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc):
        self.close()

    def start(self, timeout=FORM_TIMEOUT_S):
        if self.bootstrap_expect:
            addrs = [n.raft_addr for n in self.voters]
            flags = ["-bootstrap-expect", str(len(self.voters)), "-bootstrap-expect-timeout",
                     "%ds" % int(timeout)]
            for n in self.voters:
                n.start(join=addrs, args=flags, wait_ready=False)
            for n in self.voters:
                n.wait_ready(timeout)
        else:
            first = self.voters[0]
            first.start(join=[])
            for n in self.voters[1:]:
                n.start(join=[first.raft_addr], args=["-join-interval", "500ms"],
                        wait_ready=False)
            for n in self.voters[1:]:
                n.wait_ready(timeout)
        for n in self.replicas:
            self.add_replica(n, timeout)
        self.wait_members(self.voters, self.replicas, timeout)
        return self

    def add_node(self, node, non_voter=False, timeout=FORM_TIMEOUT_S):
        """Starts `node` with -join pointing at every current member (any of them redirects to
        the leader)."""
        join = [n.raft_addr for n in self.nodes if n is not node and n.alive()]
        args = ["-join-interval", "500ms"] + (["-raft-non-voter"] if non_voter else [])
        node.start(join=join, args=args, timeout=timeout)
        if node not in self.nodes:
            self.nodes.append(node)
        return node

    def add_replica(self, node, timeout=FORM_TIMEOUT_S):
        return self.add_node(node, non_voter=True, timeout=timeout)

    def live(self):
        return [n for n in self.nodes if n.alive()]

    def leader(self, timeout=FORM_TIMEOUT_S, among=None):
        """Polls until a live node reports itself Leader, with every other live voter in
        `among` (default: all live nodes) agreeing on its node ID; returns that node."""
        def find():
            nodes = [n for n in (among or self.live()) if n.alive()]
            leaders = []
            views = {}
            for n in nodes:
                try:
                    st = n.status(timeout=2)["store"]
                except (OSError, ValueError, KeyError, AssertionError):
                    return None
                views[n.name] = (st.get("leader") or {}).get("node_id", "")
                if (st.get("raft") or {}).get("state") == "Leader":
                    leaders.append(n)
            if len(leaders) != 1:
                return None
            if any(v != leaders[0].name for v in views.values()):
                return None
            return leaders[0]
        return wait_until(find, timeout, interval=0.05, what="one agreed leader")

    def followers(self, leader=None):
        leader = leader or self.leader()
        return [n for n in self.live() if n is not leader]

    def wait_members(self, voters, replicas=(), timeout=FORM_TIMEOUT_S):
        """Polls the leader's /nodes?nonvoters until the configuration is exactly the given
        voters and replicas, all reachable."""
        want = {n.name: True for n in voters}
        want.update({n.name: False for n in replicas})

        def ok():
            try:
                nodes = self.leader(timeout=timeout).nodes("?nonvoters&ver=2")["nodes"]
            except (OSError, ValueError, KeyError, AssertionError, TimeoutError):
                return False
            got = {n["id"]: n.get("voter") for n in nodes}
            return got == want and all(n.get("reachable") for n in nodes)
        wait_until(ok, timeout, interval=0.1, what="cluster membership %s" % want)

    def wait_value(self, sql, expected, nodes=None, timeout=FORM_TIMEOUT_S):
        """Polls level=none reads on every node in `nodes` (default: all live) until each
        returns `expected` as the first column of the first row."""
        nodes = nodes or self.live()

        def ok():
            for n in nodes:
                try:
                    if n.scalar_none(sql) != expected:
                        return False
                except (OSError, AssertionError, IndexError, ValueError):
                    return False
            return True
        try:
            wait_until(ok, timeout, interval=0.05, what="%s == %r on every node" % (sql, expected))
        except TimeoutError:
            got = {}
            for n in nodes:
                try:
                    got[n.name] = n.scalar_none(sql)
                except Exception as e:  # noqa: BLE001 - diagnostics only
                    got[n.name] = repr(e)
            raise AssertionError("%s: expected %r everywhere, got %s" % (sql, expected, got))

    def close(self):
        errors = []
        for n in self.nodes:
            try:
                n.close()
            except Exception as e:  # noqa: BLE001 - close every node, then report
                errors.append("%s: %s" % (n.name, e))
        if errors:
            raise AssertionError("; ".join(errors))


class WriteLoad:
    """Background writers inserting unique ids through the given nodes (forwarded to the leader
    as needed). `acked` = ids whose INSERT was acknowledged (HTTP 200, no error, 1 row)."""

    def __init__(self, nodes, table="load", threads=4, timeout=10.0):
        self.nodes = list(nodes)
        self.table = table
        self.threads = threads
        self.timeout = timeout
        self.acked = set()
        self.errors = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._workers = []
        self._next = 0

    def _next_id(self):
        with self._lock:
            self._next += 1
            return self._next

    def _run(self, k):
        while not self._stop.is_set():
            node = self.nodes[k % len(self.nodes)]
            if not node.alive():
                k += 1
                continue
            i = self._next_id()
            ok = False
            try:
                r = node.post_json("/db/execute", [["INSERT INTO %s(id) VALUES(?)" % self.table, i]],
                                   timeout=self.timeout)
                if r.status == 200:
                    res = r.json()
                    ok = ("error" not in res and "error" not in res["results"][0] and
                          res["results"][0].get("rows_affected") == 1)
            except (OSError, ValueError, KeyError, IndexError):
                ok = False
            with self._lock:
                if ok:
                    self.acked.add(i)
                else:
                    self.errors += 1
            if not ok:
                k += 1  # try another node next time
                time.sleep(0.01)

    def start(self):
        for k in range(self.threads):
            t = threading.Thread(target=self._run, args=(k,), daemon=True)
            t.start()
            self._workers.append(t)
        return self

    def acked_count(self):
        with self._lock:
            return len(self.acked)

    def stop(self):
        self._stop.set()
        for t in self._workers:
            t.join(self.timeout + 5)
        return set(self.acked)


def ids_on(node, table):
    return {row[0] for row in node.query_none("SELECT id FROM %s" % table)}


def dump(nodes):
    """A compact diagnostic of each node's view, for assertion messages."""
    out = {}
    for n in nodes:
        r = n.raft() if n.alive() else None
        out[n.name] = ("down" if not n.alive() else
                       json.dumps({k: r.get(k) for k in ("state", "term", "commit_index",
                                                         "applied_index")} if r else None))
    return out


def stderr_tail(node, n=2000):
    return node.stderr()[-n:]


def env_flag(name):
    return os.environ.get(name, "") not in ("", "0")
