"""Integration-test harness: real rqlited processes on loopback (Python 3 stdlib only).

Every node gets free ports chosen at run time (bind port 0), its own temporary data directory,
and log files. Readiness is polled with a deadline (never a fixed sleep). Nodes are stopped by
PID: SIGTERM, then SIGKILL after a deadline.

The binary comes from the RQLITED environment variable (set by ctest), else build/bin/rqlited.
"""
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


SANITIZER_MARKERS = ("WARNING: ThreadSanitizer", "ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                     "runtime error:")


def rqlited_path():
    path = os.environ.get("RQLITED") or os.path.join(ROOT, "build", "bin", "rqlited")
    if not os.path.exists(path):
        raise RuntimeError("rqlited binary not found at %s (set RQLITED)" % path)
    return path


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout, interval=0.01, what="condition"):
    """Polls predicate() until it returns a truthy value or `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise TimeoutError("timed out after %.1fs waiting for %s" % (timeout, what))
        time.sleep(interval)


# data dir -> the Raft port its node used (see Node._ports).
_RAFT_PORT_OF_DIR = {}


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers  # dict, lower-cased names
        self.body = body  # bytes

    @property
    def text(self):
        return self.body.decode("utf-8", errors="replace")

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return "Response(%d, %r)" % (self.status, self.body[:300])


class Node:
    """One rqlited process. Use as a context manager or call stop() yourself."""

    def __init__(self, data_dir=None, extra_args=None, tmp_root=None):
        # Logs (and the data dir, unless one is given) live in a temp dir removed by close().
        self._owned_tmp = tempfile.mkdtemp(prefix="rqit-", dir=tmp_root)
        if data_dir is None:
            data_dir = os.path.join(self._owned_tmp, "data")
        self.data_dir = data_dir
        self.extra_args = list(extra_args or [])
        self.proc = None
        self.http_port = None
        self.raft_port = None
        log_dir = self._owned_tmp
        self.stdout_path = os.path.join(log_dir, "stdout.log")
        self.stderr_path = os.path.join(log_dir, "stderr.log")
        self.start_seconds = None

    # -- process control --------------------------------------------------------------------

    def start(self, wait_ready=True, timeout=10.0):
        """Starts the process on fresh free ports; retries if a port was taken meanwhile."""
        for attempt in range(3):
            self.http_port, self.raft_port = self._ports(attempt)
            args = [rqlited_path(),
                    "-http-addr", "127.0.0.1:%d" % self.http_port,
                    "-raft-addr", "127.0.0.1:%d" % self.raft_port] + self.extra_args + [
                        self.data_dir]
            t0 = time.monotonic()
            with open(self.stdout_path, "ab") as out, open(self.stderr_path, "ab") as err:
                self.proc = subprocess.Popen(args, stdout=out, stderr=err,
                                             stdin=subprocess.DEVNULL)
            if not wait_ready:
                return self
            try:
                self.wait_ready(timeout)
                self.start_seconds = time.monotonic() - t0
                return self
            except (RuntimeError, TimeoutError):
                self.kill9()  # never leave a process behind
                if "address already in use" in self.stderr().lower() and attempt < 2:
                    continue
                raise
        return self

    def _ports(self, attempt):
        """(http port, raft port) for the next start: a fresh free HTTP port; the Raft port is
        kept for the data directory across restarts, also by a new Node on the same directory
        (the default node ID is the Raft address, and the node's stored Raft configuration
        names it: a changed address is a different node), unless a start just failed on a
        taken port. Cluster nodes keep both (cluster_harness.ClusterNode)."""
        raft = self.raft_port or _RAFT_PORT_OF_DIR.get(self.data_dir)
        if raft is None or attempt > 0:
            raft = free_port()
        _RAFT_PORT_OF_DIR[self.data_dir] = raft
        return free_port(), raft

    def wait_ready(self, timeout=10.0):
        def ready():
            if self.proc.poll() is not None:
                raise RuntimeError("rqlited exited with %s before ready; stderr:\n%s" %
                                   (self.proc.returncode, self.stderr()))
            try:
                return self.get("/readyz", timeout=1).status == 200
            except OSError:
                return False
        wait_until(ready, timeout, what="/readyz on port %d" % self.http_port)

    def stop(self, timeout=10.0):
        """SIGTERM, wait up to `timeout`, then SIGKILL. Returns the exit code. Raises if the
        process did not exit in time or a sanitizer reported an error in its stderr."""
        if self.proc is None or self.proc.poll() is not None:
            return None if self.proc is None else self.proc.returncode
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout)
            raise RuntimeError("rqlited did not exit within %.1fs of SIGTERM" % timeout)
        self.check_sanitizers()
        return code

    def check_sanitizers(self):
        err = self.stderr()
        for marker in SANITIZER_MARKERS:
            at = err.find(marker)
            if at >= 0:
                raise AssertionError("sanitizer report in rqlited stderr:\n" + err[at:at + 4000])

    def kill9(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stderr(self):
        try:
            with open(self.stderr_path, "rb") as f:
                return f.read().decode("utf-8", errors="replace")
        except OSError:
            return ""

    def rss_kib(self):
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return None

    def close(self):
        """Stops the process (SIGTERM, then SIGKILL) and removes the node's temp dir."""
        try:
            self.stop()
        finally:
            self.kill9()
            shutil.rmtree(self._owned_tmp, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- HTTP -------------------------------------------------------------------------------

    def request(self, method, path, body=None, headers=None, timeout=30):
        conn = http.client.HTTPConnection("127.0.0.1", self.http_port, timeout=timeout)
        try:
            if isinstance(body, str):
                body = body.encode("utf-8")
            conn.request(method, path, body=body, headers=headers or {})
            resp = conn.getresponse()
            data = resp.read()
            hdrs = {k.lower(): v for k, v in resp.getheaders()}
            return Response(resp.status, hdrs, data)
        finally:
            conn.close()

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post_json(self, path, payload, **kw):
        return self.request("POST", path, body=json.dumps(payload),
                            headers={"Content-Type": "application/json"}, **kw)

    def execute(self, statements, params=""):
        r = self.post_json("/db/execute" + params, statements)
        if r.status != 200:
            raise AssertionError("execute failed: %r" % r)
        return r.json()

    def query(self, sql, params=""):
        r = self.get("/db/query?q=" + urllib.parse.quote(sql) + params)
        if r.status != 200:
            raise AssertionError("query failed: %r" % r)
        return r.json()

    def query_values(self, sql):
        res = self.query(sql)["results"][0]
        if "error" in res:
            raise AssertionError("query error: %s" % res["error"])
        return res.get("values", [])


def run_rqlited(args, timeout=10.0, cwd=None):
    """Runs rqlited with `args` to completion; returns (exit code, stdout, stderr)."""
    p = subprocess.run([rqlited_path()] + args, capture_output=True, timeout=timeout, cwd=cwd,
                       stdin=subprocess.DEVNULL)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")
