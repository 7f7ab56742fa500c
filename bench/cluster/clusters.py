"""3-node clusters on loopback for bench/cluster/cluster_bench.py: dqlite-demo and rqlited.

Each cluster lives in a temp dir it is given, picks free ports, starts its processes and remembers
their PIDs; stop() signals only those PIDs (SIGTERM, then SIGKILL after a deadline). Every wait is a
bounded poll. Python 3 stdlib only.
"""
import json
import os
import signal
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import http_bench as hb  # bench/http: free_port, http, rss_kib

HERE = os.path.dirname(os.path.abspath(__file__))


def poll(predicate, timeout, what, interval=0.02):
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = predicate()
        except (OSError, ValueError, subprocess.SubprocessError):
            value = None
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def request(method, url, body=None, timeout=5.0, ctype=None):
    """(status, body text) or (None, error text) on a transport error/timeout."""
    req = urllib.request.Request(url, data=body, method=method)
    if ctype:
        req.add_header("Content-Type", ctype)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8", "replace")
    except (OSError, ValueError) as e:
        return None, str(e)


def wrk(url, conns, duration, script, run_id="r"):
    """Runs wrk with <script> + report.lua; returns the JSON line report.lua prints."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as combined:
        for part in (script, "report.lua"):
            combined.write(open(os.path.join(HERE, part)).read() + "\n")
    try:
        out = subprocess.run(["wrk", "-t", str(min(2, conns)), "-c", str(conns),
                              "-d", f"{duration:g}s", "--timeout", "10s", "-s", combined.name,
                              url, "--", run_id],
                             capture_output=True, text=True, check=True,
                             timeout=duration + 60)
    finally:
        os.unlink(combined.name)
    for line in out.stdout.splitlines():
        if line.startswith("{"):
            return json.loads(line)
    raise RuntimeError("wrk printed no report: " + out.stdout + out.stderr)


class Proc:
    def __init__(self, index, args, log_path, api_port, db_port):
        self.index = index
        self.api_port, self.db_port = api_port, db_port
        self.api_url = f"http://127.0.0.1:{api_port}"
        self.db_addr = f"127.0.0.1:{db_port}"
        self.log_path = log_path
        with open(log_path, "ab") as logf:
            self.proc = subprocess.Popen(args, stdout=logf, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL)

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        if not self.alive():
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)

    def kill9(self):
        if self.alive():
            self.proc.kill()
            self.proc.wait(10)


class Cluster:
    NAME = "?"

    def __init__(self, tmp):
        self.tmp = tmp
        self.nodes = []

    def stop(self):
        for n in self.nodes:
            n.stop()

    def cpu_ticks(self):
        """{(node index, "leader"/"follower", thread name): utime+stime clock ticks} for every
        thread of every live node (/proc/PID/task/*/stat)."""
        leader = self.leader()
        out = {}
        for n in self.nodes:
            if not n.alive():
                continue
            role = "leader" if n is leader else "follower"
            base = f"/proc/{n.proc.pid}/task"
            for tid in os.listdir(base):
                try:
                    with open(f"{base}/{tid}/stat") as f:
                        stat = f.read()
                except OSError:
                    continue
                comm = stat[stat.index("(") + 1:stat.rindex(")")]
                fields = stat[stat.rindex(")") + 2:].split()
                key = (n.index, role, comm)
                out[key] = out.get(key, 0) + int(fields[11]) + int(fields[12])
        return out

    def ctx_switches(self):
        """Voluntary + involuntary context switches of every thread of every live node."""
        total = 0
        for n in self.nodes:
            if not n.alive():
                continue
            base = f"/proc/{n.proc.pid}/task"
            for tid in os.listdir(base):
                try:
                    with open(f"{base}/{tid}/status") as f:
                        for line in f:
                            if line.startswith(("voluntary_ctxt", "nonvoluntary_ctxt")):
                                total += int(line.split()[1])
                except OSError:
                    continue
        return total

    def rss_all(self, field="VmRSS"):
        return [hb.rss_kib(n.proc.pid, field) for n in self.nodes if n.alive()]

    def _start_node(self, index, args_fn):
        """Starts node `index` on fresh free ports (retries if a port was taken meanwhile)."""
        api, db = hb.free_port(), hb.free_port()
        node = Proc(index, args_fn(api, db), os.path.join(self.tmp, f"node{index + 1}.log"),
                    api, db)
        self.nodes.append(node)
        return node

    def failover(self):
        """SIGKILLs the leader; returns (seconds until the first acknowledged write through a
        surviving node, index of that node). A new write attempt (each bounded by 10 s) starts
        every 50 ms, alternating between the survivors, at most 16 in flight, so the figure does
        not depend on a per-attempt timeout."""
        leader = self.leader()
        survivors = [n for n in self.nodes if n is not leader]
        done = threading.Event()
        first = []
        lock = threading.Lock()
        slots = threading.Semaphore(16)

        def attempt(node, key):
            try:
                if self.write_once(node, key, timeout=10.0):
                    with lock:
                        if not first:
                            first.append((time.monotonic(), node.index))
                    done.set()
            finally:
                slots.release()

        leader.kill9()
        t0 = time.monotonic()
        threads = []
        i = 0
        while not done.is_set() and time.monotonic() - t0 < 60:
            if slots.acquire(timeout=0.05):
                node = survivors[i % len(survivors)]
                i += 1
                t = threading.Thread(target=attempt, args=(node, f"failover-{i}"), daemon=True)
                t.start()
                threads.append(t)
            done.wait(0.05)
        for t in threads:
            t.join(15)
        if not first:
            raise TimeoutError(f"{self.NAME}: no write succeeded within 60 s of killing the leader")
        return first[0][0] - t0, first[0][1]


class DqliteCluster(Cluster):
    """dqlite-demo: PUT/GET /<key> over HTTP; node 1 bootstraps, 2 and 3 join it."""
    NAME = "dqlite"
    INSERT_SCRIPT = "dq_insert.lua"
    READ_SCRIPT = "dq_get.lua"

    def start(self):
        ddir = os.path.join(self.tmp, "dqlite")
        os.makedirs(ddir)
        first = None
        for i in range(3):
            join = [] if first is None else ["--join", first.db_addr]
            node = self._start_node(i, lambda api, db: [
                "dqlite-demo", "--api", f"127.0.0.1:{api}", "--db", f"127.0.0.1:{db}",
                "--dir", ddir] + join)
            first = first or node
            # The demo serves HTTP only after its app is ready and its schema exists.
            poll(lambda: request("GET", node.api_url + "/probe", timeout=1)[0] == 200,
                 60, f"dqlite-demo node {i + 1} HTTP")
        poll(lambda: self._shell(".cluster").count("|voter") == 3, 60, "3 dqlite voters")
        ok = self.write_once(first, "k1")
        assert ok, "dqlite-demo: first write failed"

    def _shell(self, command, stdin=None, timeout=10):
        addrs = ",".join(n.db_addr for n in self.nodes if n.alive())
        out = subprocess.run(["dqlite", "-s", addrs, "demo"] + ([command] if command else []),
                             input=stdin, capture_output=True, text=True, timeout=timeout)
        return out.stdout + out.stderr

    def _count(self):
        """Rows in the batch table (retried: the shell can fail with "database is locked")."""
        def count():
            out = self._shell("SELECT count(*) FROM bench").split()
            return [int(out[-1])] if out and out[-1].isdigit() else None
        return poll(count, 30, "dqlite SELECT count(*)")[0]

    def leader(self):
        addr = poll(lambda: self._shell(".leader").strip(), 30, "dqlite leader")
        for n in self.nodes:
            if n.db_addr == addr and n.alive():
                return n
        raise RuntimeError(f"dqlite leader {addr!r} is not one of our live nodes")

    def write_once(self, node, key, timeout=5.0):
        status, body = request("PUT", f"{node.api_url}/{key}", b"v", timeout=timeout)
        return status == 200 and body.startswith("done")

    def read_urls(self, leader):
        return [("dqlite GET", leader.api_url + "/k1")]

    def batch(self, leader, conns, duration):
        """100 INSERTs per exec through `conns` dqlite shells (each exec = one transaction) for
        `duration` s; returns (committed rows/s, error count)."""
        poll(lambda: "Error" not in self._shell("CREATE TABLE IF NOT EXISTS bench "
                                                "(k TEXT, v INTEGER)"), 30, "dqlite CREATE TABLE")
        before = self._count()
        # The shell reads lines of at most 4 KiB: keep the 100 statements short (~3.5 KiB).
        line = "".join(f"INSERT INTO bench VALUES('b{i}',{i});" for i in range(100))
        assert len(line) < 4000
        addrs = ",".join(n.db_addr for n in self.nodes)
        procs = [subprocess.Popen(["dqlite", "-s", addrs, "demo"], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
                 for _ in range(conns)]
        outputs = [""] * conns
        t0 = time.monotonic()

        def drive(i):
            p = procs[i]
            try:
                while time.monotonic() - t0 < duration:
                    p.stdin.write(line + "\n")
                    p.stdin.flush()
            except BrokenPipeError:
                pass
            finally:
                try:
                    p.stdin.close()
                except BrokenPipeError:
                    pass

        def drain(i):
            outputs[i] = procs[i].stdout.read()

        threads = [threading.Thread(target=f, args=(i,)) for i in range(conns)
                   for f in (drive, drain)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(duration + 60)
        for p in procs:
            p.wait(60)
        elapsed = time.monotonic() - t0
        after = self._count()
        errors = sum(o.count("Error") for o in outputs)
        return (after - before) / elapsed, errors


class RqliteCluster(Cluster):
    """rqlited: node 1 bootstraps, 2 and 3 start with -join <node 1 Raft address>."""
    NAME = "rqlited"
    INSERT_SCRIPT = "rq_insert.lua"
    READ_SCRIPT = "rq_query.lua"

    def __init__(self, tmp, binary, size=3):
        super().__init__(tmp)
        self.binary = binary
        self.size = size

    def start(self):
        first = None
        for i in range(self.size):
            join = [] if first is None else ["-join", first.db_addr]
            data = os.path.join(self.tmp, f"data{i + 1}")
            node = self._start_node(i, lambda api, db: [
                self.binary, "-http-addr", f"127.0.0.1:{api}", "-raft-addr", f"127.0.0.1:{db}"]
                + join + [data])
            first = first or node
            poll(lambda: node.alive() and
                 request("GET", node.api_url + "/readyz", timeout=1)[0] == 200,
                 60, f"rqlited node {i + 1} /readyz")
        poll(lambda: self._voters_reachable() == self.size, 60,
             f"{self.size} reachable rqlited voters")
        status, body = request("POST", first.api_url + "/db/execute",
                               b'["CREATE TABLE bench (id INTEGER PRIMARY KEY, k TEXT, v INTEGER)"]',
                               ctype="application/json")
        assert status == 200 and '"error"' not in body, body
        assert self.write_once(first, "seed"), "rqlited: first write failed"

    def _nodes_json(self, node, timeout=2.0):
        status, body = request("GET", node.api_url + "/nodes?timeout=1s", timeout=timeout)
        return json.loads(body) if status == 200 else None

    def _voters_reachable(self):
        js = self._nodes_json(self.nodes[0])
        if not js:
            return 0
        return sum(1 for v in js.values() if v.get("voter") and v.get("reachable"))

    def leader(self):
        def find():
            for n in self.nodes:
                if not n.alive():
                    continue
                js = self._nodes_json(n)
                for v in (js or {}).values():
                    if v.get("leader"):
                        for m in self.nodes:
                            if m.db_addr == v.get("addr") and m.alive():
                                return m
            return None
        return poll(find, 30, "rqlited leader")

    def write_once(self, node, key, timeout=5.0):
        body = json.dumps([["INSERT INTO bench(k, v) VALUES(?, ?)", key, 1]]).encode()
        status, text = request("POST", node.api_url + "/db/execute", body, timeout=timeout,
                               ctype="application/json")
        return status == 200 and '"error"' not in text and '"rows_affected":1' in text

    def read_urls(self, leader):
        q = urllib.parse.quote("SELECT v FROM bench WHERE id=1")
        return [(f"level={lv}", f"{leader.api_url}/db/query?level={lv}&q={q}")
                for lv in ("none", "linearizable")]

    def batch(self, leader, conns, duration):
        r = wrk(leader.api_url + "/db/execute", conns, duration, "rq_batch.lua")
        return r["ok_rps"] * 100, r["errors"]


def dqlite_engine_kvwrite(tmp, duration, workers=1):
    """dqlite-benchmark kvwrite on its own 3-node cluster (engine only, no HTTP): the driver runs
    on node 1 (the bootstrap leader). Returns {"ops": writes/s, "errors": n, "p50_us": ...}."""
    ports = [hb.free_port() for _ in range(3)]
    addrs = [f"127.0.0.1:{p}" for p in ports]
    dirs = [os.path.join(tmp, f"engine{i + 1}") for i in range(3)]
    procs = []
    try:
        for i in (1, 2):
            with open(os.path.join(tmp, f"engine{i + 1}.log"), "ab") as logf:
                procs.append(subprocess.Popen(
                    ["dqlite-benchmark", "--db", addrs[i], "--dir", dirs[i], "--join", addrs[0]],
                    stdout=logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL))
        out = subprocess.run(
            ["dqlite-benchmark", "--db", addrs[0], "--dir", dirs[0], "--driver", "--cluster",
             ",".join(addrs), "--duration", str(max(1, round(duration))), "--workers",
             str(workers), "--workload", "kvwrite", "--cluster-timeout", "60"],
            capture_output=True, text=True, timeout=duration + 120)
        results = os.path.join(dirs[0], addrs[0], "results")
        n = errors = 0
        lat = []
        for name in os.listdir(results):
            with open(os.path.join(results, name)) as f:
                for line in f:
                    parts = line.split()
                    if not parts:
                        continue
                    if parts[0] == "n":
                        n += int(parts[1])
                    elif parts[0] == "n_err":
                        errors += int(parts[1])
                    elif len(parts) == 2 and parts[0].isdigit():  # "<timestamp ns> <ms>"
                        lat.append(float(parts[1]) * 1000)
        if not n:
            raise RuntimeError("dqlite-benchmark produced no results: " + out.stdout + out.stderr)
        lat.sort()
        return {"ops": n / max(1, round(duration)), "errors": errors,
                "p50_us": lat[len(lat) // 2] if lat else 0}
    finally:
        for p in procs:
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait(10)
