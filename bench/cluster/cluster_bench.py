#!/usr/bin/env python3
"""3-node cluster benchmark: rqlited vs dqlite-demo, side by side in one run (issue 4, item 8).

Each round starts a 3-node dqlite-demo cluster and a 3-node rqlited cluster (one after the other,
never at the same time) on free loopback ports in their own temp dirs, measures the fdatasync floor
in the same file system, and drives both with wrk (Lua scripts beside this file):
  single-row insert req/s, goodput, errors, p50/p99 at 1/16/64 connections; 100-row batch rows/s
  at 1 and 16 connections (dqlite: its shell, 100 statements per exec = one transaction);
  point reads (rqlited level=none and level=linearizable, dqlite-demo GET) at 1 and 16
  connections; RSS per node idle and peak (VmHWM) after the load; failover time (leader SIGKILLed
  -> first successful write through a surviving node). For dqlite also its engine-only
  dqlite-benchmark kvwrite (3 nodes, 1 worker, no HTTP) as a second reference.
The order of the two systems alternates between rounds. Medians (min-max) over rounds.

Method: /work/shared/benchmarking.md. Peer: bench/cluster/install-dqlite.sh.
Usage: bench/cluster/cluster_bench.py [--rqlited build/bin/rqlited] [--duration 4] [--rounds 3]
       [--systems dqlite,rqlited] [--json out.json]
Prints a markdown table to stdout, progress to stderr. It stops only the processes it started
(by PID) and removes its temp dirs.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "bench", "http"))

from clusters import DqliteCluster, RqliteCluster, dqlite_engine_kvwrite, wrk  # noqa: E402,E501


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def measure_system(cl, args, add, rnd):
    """Runs every scenario against a started cluster `cl`; add(metric, value) records."""
    name, d = cl.NAME, args.duration
    for i, kib in enumerate(cl.rss_all()):
        add(name, f"RSS idle, node {i + 1} (MiB)", kib / 1024)
    add(name, "RSS idle, max node (MiB)", max(cl.rss_all()) / 1024)
    leader = cl.leader()
    log(f"{name}: leader is node {leader.index + 1}")
    for c in (1, 16, 64):
        before, cs_before = cl.cpu_ticks(), cl.ctx_switches()
        r = wrk(leader.api_url, c, d, cl.INSERT_SCRIPT, f"i{rnd}c{c}")
        cpu_per_insert(cl, before, r, c, add)
        add(name, f"context switches per acknowledged insert (3 nodes), {c} conn",
            (cl.ctx_switches() - cs_before) / max(1, r["ok_rps"] * r["duration_s"]))
        add(name, f"insert req/s, {c} conn", r["rps"])
        add(name, f"insert ok/s, {c} conn", r["ok_rps"])
        add(name, f"insert errors, {c} conn", r["errors"])
        add(name, f"insert error %, {c} conn", 100.0 * r["errors"] / max(1, r["requests"]))
        add(name, f"insert p50 (us), {c} conn", r["p50_us"])
        add(name, f"insert p99 (us), {c} conn", r["p99_us"])
        log(f"{name}: insert {c} conn: {r}")
    for c in (1, 16):
        rows, errors = cl.batch(leader, c, d)
        add(name, f"100-row batch rows/s, {c} conn", rows)
        add(name, f"100-row batch errors, {c} conn", errors)
        log(f"{name}: batch {c} conn: {rows:.0f} rows/s, {errors} errors")
    for level, url in cl.read_urls(leader):
        for c in (1, 16):
            r = wrk(url, c, d, cl.READ_SCRIPT)
            add(name, f"point read {level} req/s, {c} conn", r["ok_rps"])
            add(name, f"point read {level} errors, {c} conn", r["errors"])
            add(name, f"point read {level} p50 (us), {c} conn", r["p50_us"])
            log(f"{name}: read {level} {c} conn: {r}")
    peaks = cl.rss_all("VmHWM")
    for i, kib in enumerate(peaks):
        add(name, f"RSS peak under load, node {i + 1} (MiB)", kib / 1024)
    add(name, "RSS peak under load, max node (MiB)", max(peaks) / 1024)
    secs, via = cl.failover()
    add(name, "failover: SIGKILL leader -> first write ok (s)", secs)
    log(f"{name}: failover {secs:.3f} s (write through node {via + 1})")


def profile(args, out_dir):
    """perf profile of all three rqlited nodes during a 64-connection insert run: where the CPU
    goes, per thread name and per symbol. Writes perf-*.txt into out_dir."""
    tmp = tempfile.mkdtemp(prefix="rqcb-perf-")
    cl = RqliteCluster(tmp, args.rqlited)
    try:
        cl.start()
        leader = cl.leader()
        pids = ",".join(str(n.proc.pid) for n in cl.nodes)
        data = os.path.join(tmp, "perf.data")
        perf = subprocess.Popen(["perf", "record", "-e", "cpu-clock", "-F", "999", "-g",
                                 "-p", pids, "-o", data, "--", "sleep", f"{args.duration:g}"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        r = wrk(leader.api_url, 64, args.duration, cl.INSERT_SCRIPT, "perf")
        perf.wait(args.duration + 60)
        log(f"perf run: {r}")
        os.makedirs(out_dir, exist_ok=True)
        for name, sort in (("threads", "pid,comm"), ("symbols", "comm,dso,sym")):
            rep = subprocess.run(["perf", "report", "-i", data, "--stdio", "--no-children",
                                  "--sort", sort, "--percent-limit", "1", "-g", "none"],
                                 capture_output=True, text=True)
            with open(os.path.join(out_dir, f"perf-{name}.txt"), "w") as f:
                f.write(f"# leader = node {leader.index + 1}, pids {pids}; wrk: {r}\n")
                f.write(rep.stdout)
        log(f"perf reports written to {out_dir}")
    finally:
        cl.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def single_node_reference(args, add):
    """The same insert load against ONE rqlited node (one fdatasync per commit, no network
    round trip): the gap to the 3-node figures is what replication costs."""
    tmp = tempfile.mkdtemp(prefix="rqcb-one-")
    cl = RqliteCluster(tmp, args.rqlited, size=1)
    try:
        cl.start()
        for c in (1, 64):
            r = wrk(cl.nodes[0].api_url, c, args.duration, cl.INSERT_SCRIPT, f"one{c}")
            add("rqlited-1", f"insert ok/s, {c} conn", r["ok_rps"])
            add("rqlited-1", f"insert p50 (us), {c} conn", r["p50_us"])
            add("rqlited-1", f"insert p99 (us), {c} conn", r["p99_us"])
            log(f"rqlited 1 node: insert {c} conn: {r}")
    finally:
        cl.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def cpu_per_insert(cl, before, r, conns, add):
    """CPU time (all nodes, all threads) per acknowledged insert, and its split by role and
    thread name: the per-stage counters of where the time goes."""
    after = cl.cpu_ticks()
    tick_us = 1e6 / os.sysconf("SC_CLK_TCK")
    ok = max(1, r["ok_rps"] * r["duration_s"])
    total = 0
    groups = {}
    for key, ticks in after.items():
        delta = ticks - before.get(key, 0)
        total += delta
        _, role, comm = key
        groups[(role, comm)] = groups.get((role, comm), 0) + delta
    add(cl.NAME, f"CPU us per acknowledged insert (3 nodes), {conns} conn", total * tick_us / ok)
    if conns == 64:
        for (role, comm), ticks in sorted(groups.items()):
            if ticks * tick_us / ok >= 1:
                add(cl.NAME, f"  CPU us/insert at 64 conn: {role} thread '{comm}'",
                    ticks * tick_us / ok)


def fsync_tool():
    """build/bench/fsync_floor (bench/fsync_floor.cc, built with the project); if that build
    dir is absent, compile the same source once into build-bench/."""
    tool = os.path.join(ROOT, "build", "bench", "fsync_floor")
    if os.path.exists(tool):
        return tool
    tool = os.path.join(ROOT, "build-bench", "fsync_floor")
    if not os.path.exists(tool):
        os.makedirs(os.path.dirname(tool), exist_ok=True)
        subprocess.run(["c++", "-O2", "-std=c++20", "-o", tool,
                        os.path.join(ROOT, "bench", "fsync_floor.cc")], check=True)
    return tool


def fsync_sample(dir_, add, label):
    # The raft log writes into zero-filled preallocated segments: that pattern's floor too.
    out = subprocess.run([fsync_tool(), dir_, "1", "prezeroed"], capture_output=True, text=True,
                         check=True)
    pre = json.loads(out.stdout)
    add("floor", "fdatasync p50 (us), prezeroed file (raft log pattern)", pre["p50_us"])
    out = subprocess.run([fsync_tool(), dir_, "2"], capture_output=True, text=True, check=True)
    fl = json.loads(out.stdout)
    add("floor", f"fdatasync p50 (us), {label}", fl["p50_us"])
    add("floor", "fdatasync p50 (us), all samples", fl["p50_us"])
    add("floor", "fdatasync ops/s, all samples", fl["ops_per_s"])
    log(f"fsync floor ({label}): {fl}")
    return fl["p50_us"]


def print_table(results, systems, args, loads):
    commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip()
    print(f"commit {commit}; {args.rounds} rounds x {args.duration:g} s per scenario; "
          f"wrk on loopback; load average at start/end: {loads[0]} / {loads[1]}; "
          f"rqlited binary {args.rqlited}; dqlite-demo from Debian go-dqlite\n")
    med = {k: statistics.median(v) for k, v in results.items()}

    def cell(key):
        vals = results.get(key)
        if not vals:
            return "—"
        return f"{statistics.median(vals):,.1f} ({min(vals):,.1f}–{max(vals):,.1f})"

    metrics = []
    for (sys_, m) in results:
        if sys_ in ("dqlite", "rqlited") and m not in metrics:
            metrics.append(m)
    print("| metric | dqlite-demo median (min–max) | rqlited median (min–max) | rqlited / dqlite |")
    print("|---|---|---|---|")
    for m in metrics:
        dq, rq = med.get(("dqlite", m)), med.get(("rqlited", m))
        ratio = f"{rq / dq:.2f}×" if dq and rq is not None and dq > 0 else "—"
        print(f"| {m} | {cell(('dqlite', m))} | {cell(('rqlited', m))} | {ratio} |")
    print("\n| reference, same run | median (min–max) |")
    print("|---|---|")
    for (sys_, m) in results:
        if sys_ == "floor":
            print(f"| {m} | {cell((sys_, m))} |")
        elif sys_ == "rqlited-1":
            print(f"| rqlited, 1 node: {m} | {cell((sys_, m))} |")
    floor = med.get(("floor", "fdatasync p50 (us), all samples"))
    rq_p50 = med.get(("rqlited", "insert p50 (us), 1 conn"))
    pre = med.get(("floor", "fdatasync p50 (us), prezeroed file (raft log pattern)"))
    if floor and rq_p50:
        print(f"\nrqlited insert p50 at 1 conn / fdatasync p50 (append) = {rq_p50 / floor:.2f}×"
              + (f"; / prezeroed fdatasync p50 = {rq_p50 / pre:.2f}×" if pre else ""))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rqlited", default=os.path.join(ROOT, "build", "bin", "rqlited"))
    ap.add_argument("--duration", type=float, default=4)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--systems", default="dqlite,rqlited")
    ap.add_argument("--json", help="also write the raw samples here")
    ap.add_argument("--perf", metavar="DIR",
                    help="after the rounds, profile rqlited at 64 connections into DIR")
    args = ap.parse_args()
    systems = [s for s in args.systems.split(",") if s]
    results = {}

    def add(sys_, metric, value):
        results.setdefault((sys_, metric), []).append(value)

    loads = [" ".join(f"{x:.2f}" for x in os.getloadavg())]
    for rnd in range(args.rounds):
        order = systems if rnd % 2 == 0 else list(reversed(systems))
        for name in order:
            tmp = tempfile.mkdtemp(prefix=f"rqcb-{name}-")
            try:
                fsync_sample(tmp, add, f"before {name}")
                cl = (DqliteCluster(tmp) if name == "dqlite"
                      else RqliteCluster(tmp, args.rqlited))
                try:
                    t0 = time.monotonic()
                    cl.start()
                    log(f"{name}: 3 nodes up in {time.monotonic() - t0:.2f} s")
                    measure_system(cl, args, add, rnd)
                finally:
                    cl.stop()
                if name == "dqlite":
                    e = dqlite_engine_kvwrite(tmp, args.duration)
                    add(name, "engine only: dqlite-benchmark kvwrite writes/s, 1 worker", e["ops"])
                    add(name, "engine only: dqlite-benchmark kvwrite p50 (us), 1 worker",
                        e["p50_us"])
                    log(f"dqlite-benchmark kvwrite: {e}")
                if name == "rqlited":
                    single_node_reference(args, add)
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
        log(f"round {rnd + 1}/{args.rounds} done")
    loads.append(" ".join(f"{x:.2f}" for x in os.getloadavg()))
    if args.perf and "rqlited" in systems:
        profile(args, args.perf)
    print_table(results, systems, args, loads)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({f"{k[0]}|{k[1]}": v for k, v in results.items()}, f, indent=1)


if __name__ == "__main__":
    main()
