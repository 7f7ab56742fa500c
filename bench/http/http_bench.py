#!/usr/bin/env python3
"""Single-node HTTP benchmark for rqlited (issue 2, item 7).

Starts a real rqlited on free loopback ports in a temp dir, measures the fdatasync floor in the
same data dir, then drives it with wrk (Lua scripts beside this file):
  point query req/s (level=none) at 1/16/64 connections, single-row INSERT req/s + p50/p99 at
  1 and 64 connections, 100-row batch INSERT rows/s, RSS idle and under load (VmRSS / VmHWM),
  start-to-ready time. Repeats each measurement `--rounds` times and reports min/median/max.

Usage: bench/http/http_bench.py [--rqlited build/bin/rqlited] [--duration 5] [--rounds 3]
Prints a markdown table to stdout; progress to stderr. Everything it starts, it stops.
"""
import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(method, url, body=None, ctype="application/json"):
    req = urllib.request.Request(url, data=body, method=method)
    if body is not None:
        req.add_header("Content-Type", ctype)
    with urllib.request.urlopen(req, timeout=10) as r:
        return r.status, r.read()


def rss_kib(pid, field="VmRSS"):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


class Node:
    def __init__(self, binary, tmp):
        self.http_port, self.raft_port = free_port(), free_port()
        self.dir = os.path.join(tmp, "data")
        self.base = f"http://127.0.0.1:{self.http_port}"
        t0 = time.monotonic()
        self.proc = subprocess.Popen(
            [binary, "-http-addr", f"127.0.0.1:{self.http_port}",
             "-raft-addr", f"127.0.0.1:{self.raft_port}", self.dir],
            stdout=subprocess.DEVNULL, stderr=open(os.path.join(tmp, "rqlited.log"), "w"))
        deadline = t0 + 10
        while True:
            try:
                if http("GET", self.base + "/readyz")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("rqlited not ready within 10 s")
            time.sleep(0.002)
        self.ready_ms = (time.monotonic() - t0) * 1000

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def wrk(url, conns, duration, script, threads=None):
    combined = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
    with combined:
        for part in (script, "report.lua"):
            if part:
                combined.write(open(os.path.join(HERE, part)).read() + "\n")
    threads = threads or min(2, conns)
    out = subprocess.run(["wrk", "-t", str(threads), "-c", str(conns), "-d", f"{duration:g}s",
                          "-s", combined.name, url], capture_output=True, text=True, check=True)
    os.unlink(combined.name)
    for line in out.stdout.splitlines():
        if line.startswith("{"):
            return json.loads(line)
    raise RuntimeError("wrk printed no report: " + out.stdout + out.stderr)


def fsync_floor(dir_, seconds=2):
    tool = os.path.join(ROOT, "build", "bench", "fsync_floor")
    out = subprocess.run([tool, dir_, str(seconds)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def summarize(values):
    return min(values), statistics.median(values), max(values)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rqlited", default=os.path.join(ROOT, "build", "bin", "rqlited"))
    ap.add_argument("--duration", type=float, default=5)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    results = {}

    def add(name, value):
        results.setdefault(name, []).append(value)

    for rnd in range(args.rounds):
        tmp = tempfile.mkdtemp(prefix="rqbench-")
        node = Node(args.rqlited, tmp)
        try:
            add("start-to-ready (ms)", node.ready_ms)
            add("RSS idle (MiB)", rss_kib(node.proc.pid) / 1024)
            http("POST", node.base + "/db/execute",
                 b'["CREATE TABLE bench (id INTEGER PRIMARY KEY, k TEXT, v INTEGER)"]')
            http("POST", node.base + "/db/execute",
                 b'[["INSERT INTO bench(k, v) VALUES(?, ?)", "seed", 1]]')
            fl = fsync_floor(node.dir)
            add("fdatasync floor p50 (us)", fl["p50_us"])
            add("fdatasync floor ops/s", fl["ops_per_s"])
            d = args.duration
            for c in (1, 16, 64):
                r = wrk(node.base + "/db/query?level=none&q=SELECT%20v%20FROM%20bench%20WHERE%20id%3D1",
                        c, d, None)
                add(f"point query req/s, {c} conn", r["rps"])
            for c in (1, 64):
                r = wrk(node.base + "/db/execute", c, d, "insert.lua")
                add(f"INSERT req/s, {c} conn", r["rps"])
                add(f"INSERT p50 (us), {c} conn", r["p50_us"])
                add(f"INSERT p99 (us), {c} conn", r["p99_us"])
            fl2 = fsync_floor(node.dir)
            add("fdatasync floor p50 (us)", fl2["p50_us"])
            r = wrk(node.base + "/db/execute", 16, d, "batch.lua")
            add("100-row batch rows/s, 16 conn", r["rps"] * 100)
            add("RSS under load, peak VmHWM (MiB)", rss_kib(node.proc.pid, "VmHWM") / 1024)
        finally:
            node.stop()
            shutil.rmtree(tmp, ignore_errors=True)
        print(f"round {rnd + 1}/{args.rounds} done", file=sys.stderr)

    commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip()
    print(f"commit {commit}, {args.rounds} rounds x {args.duration:g} s, wrk on loopback\n")
    print("| metric | min | median | max |")
    print("|---|---|---|---|")
    for name, vals in results.items():
        lo, med, hi = summarize(vals)
        print(f"| {name} | {lo:,.1f} | {med:,.1f} | {hi:,.1f} |")


if __name__ == "__main__":
    main()
