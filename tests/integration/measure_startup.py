#!/usr/bin/env python3
"""Measures rqlited start-to-ready, idle RSS and SIGTERM-to-exit (not a test; prints figures).

    RQLITED=build/bin/rqlited python3 tests/integration/measure_startup.py [runs]

Start-to-ready = from spawning the process to the first `GET /readyz` answering 200, polled every
1 ms. "fresh" uses a new data dir per run; "existing" restarts on the same data dir.
"""
import http.client
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from harness import free_port, rqlited_path


def readyz(port):
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
        c.request("GET", "/readyz")
        r = c.getresponse()
        r.read()
        c.close()
        return r.status == 200
    except OSError:
        return False


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def run(data_dir):
    hp, rp = free_port(), free_port()
    t0 = time.monotonic()
    p = subprocess.Popen([rqlited_path(), "-http-addr", "127.0.0.1:%d" % hp, "-raft-addr",
                          "127.0.0.1:%d" % rp, data_dir],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = t0 + 10
        while not readyz(hp):
            if time.monotonic() > deadline or p.poll() is not None:
                raise RuntimeError("rqlited did not become ready")
            time.sleep(0.001)
        ready_ms = (time.monotonic() - t0) * 1000
        rss = rss_kib(p.pid)
        t1 = time.monotonic()
        p.send_signal(signal.SIGTERM)
        p.wait(10)
        return ready_ms, rss, (time.monotonic() - t1) * 1000
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    root = tempfile.mkdtemp(prefix="rq-measure-")
    try:
        for mode in ("fresh", "existing"):
            results = [run(os.path.join(root, "%s-%d" % (mode, i) if mode == "fresh" else "same"))
                       for i in range(runs)]
            ready = sorted(r[0] for r in results)
            print("%-8s start-to-ready ms: min %.1f median %.1f max %.1f | idle RSS KiB: max %d | "
                  "SIGTERM-to-exit ms: max %.1f" % (mode, ready[0], ready[len(ready) // 2], ready[-1],
                                                     max(r[1] for r in results),
                                                     max(r[2] for r in results)))
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
