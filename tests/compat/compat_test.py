#!/usr/bin/env python3
"""Golden HTTP compatibility tests (shared/spec/http-api.md), Python 3 stdlib only.

Each file in golden/*.http is one scenario run against a FRESH rqlited process (free ports, its
own temp data dir, readiness polled with a deadline, stopped by PID). The format is a transcript:

    @spec http-api.md §10 E1           file-level: where the examples come from
    @args -http-allow-origin *         file-level: extra rqlited flags
    # comment
    ### step name                      starts a step
    > POST /db/execute?timings         request line
    > Content-Type: application/json   request headers
    >                                  blank: the body follows (lines joined with "\\n")
    > ["CREATE TABLE foo (x)"]
    > @body-sqlite SQL                 body = a SQLite file image built from SQL (python sqlite3)
    > @body-bytes N C                  body = N copies of character C
    < 200                              expected status
    < Content-Type: application/json; charset=utf-8   expected header (template)
    < Location: !absent                header must be absent
    <                                  blank: the expected body follows (template, full match)
    < {"results":[{}]}
    <@gunzip                           gunzip the actual body before matching
    <@any-body                         do not check the body

Templates (expected bodies and header values): <<T>> a JSON number (timings), <<D>> a Go
duration, <<name=INT>> captures an integer, <<name>> a captured or built-in value (http_addr,
raft_addr, version, node_id), <<name+K>> a captured integer plus K, <<*>> anything.
Every response must also carry X-Rqlite-Version and the CORS method/header lines.

The rqlited path comes from $RQLITED (set by ctest) or build/bin/rqlited.
"""
import glob
import gzip
import http.client
import os
import re
import signal
import socket
import sqlite3
import subprocess
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
START_TIMEOUT_S = 20.0


def rqlited_path():
    return os.environ.get("RQLITED") or os.path.join(ROOT, "build", "bin", "rqlited")


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(pred, timeout, what):
    deadline = time.monotonic() + timeout
    while True:
        if pred():
            return
        if time.monotonic() > deadline:
            raise TimeoutError("timed out after %.1fs waiting for %s" % (timeout, what))
        time.sleep(0.01)


class Node:
    """One rqlited process on free loopback ports with its own temp data dir."""

    def __init__(self, extra_args):
        self.tmp = tempfile.TemporaryDirectory(prefix="rqcompat-")
        self.extra_args = extra_args
        self.proc = None

    def start(self):
        for attempt in range(3):
            self.http_port, self.raft_port = free_port(), free_port()
            args = [rqlited_path(), "-node-id", "1",
                    "-http-addr", "127.0.0.1:%d" % self.http_port,
                    "-raft-addr", "127.0.0.1:%d" % self.raft_port] + self.extra_args + [
                        os.path.join(self.tmp.name, "data")]
            self.log = open(os.path.join(self.tmp.name, "log.txt"), "wb")
            self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL)
            try:
                wait_until(self._ready, START_TIMEOUT_S, "rqlited /readyz")
                return
            except RuntimeError:
                if "address already in use" in self.output().lower() and attempt < 2:
                    continue
                raise

    def _ready(self):
        if self.proc.poll() is not None:
            raise RuntimeError("rqlited exited (%s):\n%s" % (self.proc.returncode, self.output()))
        try:
            status, _, _ = self.request("GET", "/readyz", {}, b"", timeout=1)
            return status == 200
        except OSError:
            return False

    def output(self):
        with open(os.path.join(self.tmp.name, "log.txt"), "rb") as f:
            return f.read().decode("utf-8", "replace")

    def stop(self):
        """SIGTERM by PID (SIGKILL after a deadline); returns (exit code, log text)."""
        code, out = None, ""
        if self.proc is not None:
            if self.proc.poll() is None:
                os.kill(self.proc.pid, signal.SIGTERM)
                try:
                    self.proc.wait(15)
                except subprocess.TimeoutExpired:
                    os.kill(self.proc.pid, signal.SIGKILL)
                    self.proc.wait(15)
            code = self.proc.returncode
            self.log.close()
            out = self.output()
        self.tmp.cleanup()
        return code, out

    def request(self, method, path, headers, body, timeout=30):
        conn = http.client.HTTPConnection("127.0.0.1", self.http_port, timeout=timeout)
        try:
            conn.request(method, path, body=body if body or method in ("POST", "PUT", "DELETE")
                         else None, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            return resp.status, resp.getheaders(), data
        finally:
            conn.close()


# ------------------------------------------------------------------------------------------
# Golden file parsing

class Step:
    def __init__(self, name):
        self.name = name
        self.method = None
        self.path = None
        self.req_headers = {}
        self.req_body_lines = None
        self.req_body_special = None
        self.status = None
        self.headers = []  # (name, template or None for absent)
        self.body_lines = None
        self.gunzip = False
        self.any_body = False


def parse_golden(path):
    spec, args, steps = "", [], []
    step = None
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    for lineno, line in enumerate(lines, 1):
        where = "%s:%d" % (os.path.basename(path), lineno)
        if line.startswith("@spec "):
            spec = line[6:]
        elif line.startswith("@args "):
            args = line[6:].split()
        elif line.startswith("###"):
            step = Step(line[3:].strip())
            steps.append(step)
        elif line.startswith("#") or (line.strip() == "" and step is None):
            continue
        elif line.strip() == "":
            continue
        elif step is None:
            raise ValueError("%s: content outside a step" % where)
        elif line.startswith(">"):
            parse_request_line(step, line[1:], where)
        elif line.startswith("<@"):
            directive = line[2:].strip()
            if directive == "gunzip":
                step.gunzip = True
            elif directive == "any-body":
                step.any_body = True
            else:
                raise ValueError("%s: unknown directive %r" % (where, directive))
        elif line.startswith("<"):
            parse_response_line(step, line[1:], where)
        else:
            raise ValueError("%s: unrecognised line %r" % (where, line))
    return spec, args, steps


def strip_one_space(s):
    return s[1:] if s.startswith(" ") else s


def parse_request_line(step, rest, where):
    if step.req_body_lines is not None:
        text = strip_one_space(rest)
        if text.startswith("@body-"):
            step.req_body_special = text
        else:
            step.req_body_lines.append(text)
    elif step.method is None:
        step.method, step.path = strip_one_space(rest).split(" ", 1)
    elif rest.strip() == "":
        step.req_body_lines = []
    else:
        name, value = strip_one_space(rest).split(":", 1)
        step.req_headers[name.strip()] = value.strip()


def parse_response_line(step, rest, where):
    if step.body_lines is not None:
        step.body_lines.append(strip_one_space(rest))
    elif step.status is None:
        step.status = int(rest.strip())
    elif rest.strip() == "":
        step.body_lines = []
    else:
        name, value = strip_one_space(rest).split(":", 1)
        value = value.strip()
        step.headers.append((name.strip(), None if value == "!absent" else value))


def request_body(step):
    if step.req_body_special:
        kind, _, arg = step.req_body_special.partition(" ")
        if kind == "@body-sqlite":
            return sqlite_image(arg)
        if kind == "@body-bytes":
            n, c = arg.split(" ", 1)
            return c.encode("latin-1") * int(n)
        raise ValueError("unknown body directive %r" % kind)
    if step.req_body_lines is None:
        return b""
    return "\n".join(step.req_body_lines).encode("utf-8")


def sqlite_image(sql):
    with tempfile.TemporaryDirectory() as d:
        p = os.path.join(d, "x.db")
        conn = sqlite3.connect(p)
        conn.executescript(sql)
        conn.commit()
        conn.close()
        with open(p, "rb") as f:
            return f.read()


# ------------------------------------------------------------------------------------------
# Templates

TOKEN = re.compile(r"<<([^<>]*)>>")
NUMBER = r"-?[0-9]+(?:\.[0-9]+)?(?:e[-+]?[0-9]+)?"
DURATION = r"(?:(?:[0-9.]+(?:h|m|s|ms|µs|ns))+|0s)"


def template_regex(template, env):
    """Returns (regex, capture names)."""
    out, names, pos = [], [], 0
    for m in TOKEN.finditer(template):
        out.append(re.escape(template[pos:m.start()]))
        tok = m.group(1)
        if tok == "T":
            out.append(NUMBER)
        elif tok == "D":
            out.append(DURATION)
        elif tok == "*":
            out.append("(?s:.*?)")
        elif tok.endswith("=INT"):
            names.append(tok[:-4])
            out.append("(-?[0-9]+)")
        elif "+" in tok:
            name, k = tok.split("+", 1)
            out.append(re.escape(str(int(env[name]) + int(k))))
        else:
            out.append(re.escape(str(env[tok])))
        pos = m.end()
    out.append(re.escape(template[pos:]))
    return "".join(out), names


def match_template(template, actual, env):
    regex, names = template_regex(template, env)
    m = re.fullmatch(regex, actual, flags=re.DOTALL)
    if not m:
        return False
    for name, value in zip(names, m.groups()):
        env[name] = value
    return True


# ------------------------------------------------------------------------------------------

class CompatCase(unittest.TestCase):
    path = None

    def runTest(self):
        spec, args, steps = parse_golden(self.path)
        node = Node(args)
        try:
            node.start()
            env = {"http_addr": "127.0.0.1:%d" % node.http_port,
                   "raft_addr": "127.0.0.1:%d" % node.raft_port, "node_id": "1"}
            for step in steps:
                self.run_step(node, step, env, spec)
        finally:
            code, out = node.stop()
        # A clean shutdown (also catches sanitizer reports in instrumented builds).
        self.assertEqual(code, 0, "rqlited exit code %s; log:\n%s" % (code, out[-4000:]))

    def run_step(self, node, step, env, spec):
        where = "%s [%s] step %r" % (os.path.basename(self.path), spec, step.name)
        status, headers, body = node.request(step.method, step.path, step.req_headers,
                                             request_body(step))
        hdrs = {}
        for k, v in headers:
            hdrs.setdefault(k.lower(), v)
        env["version"] = hdrs.get("x-rqlite-version", "")
        text = body.decode("latin-1") if step.gunzip else body.decode("utf-8", "replace")
        if step.gunzip:
            text = gzip.decompress(body).decode("latin-1")
        detail = "%s\n  got %d %r\n  headers %r" % (where, status, text[:2000], hdrs)
        self.assertEqual(status, step.status, detail)
        self.assertNotEqual(hdrs.get("x-rqlite-version", ""), "", detail)
        self.assertEqual(hdrs.get("access-control-allow-methods"), "OPTIONS, GET, POST", detail)
        self.assertEqual(hdrs.get("access-control-allow-headers"), "Content-Type", detail)
        for name, template in step.headers:
            got = hdrs.get(name.lower())
            if template is None:
                self.assertIsNone(got, "%s: header %s must be absent" % (detail, name))
            else:
                self.assertIsNotNone(got, "%s: header %s missing" % (detail, name))
                self.assertTrue(match_template(template, got, env),
                                "%s: header %s = %r, want %r" % (detail, name, got, template))
        if step.any_body:
            return
        expected = "\n".join(step.body_lines or [])
        self.assertTrue(match_template(expected, text, env),
                        "%s\n  body mismatch:\n  want %r\n  got  %r" % (where, expected, text))


def load_tests(loader, tests, pattern):
    suite = unittest.TestSuite()
    for path in sorted(glob.glob(os.path.join(HERE, "golden", "*.http"))):
        case = type("Compat_" + re.sub(r"\W", "_", os.path.basename(path)[:-5]),
                    (CompatCase,), {"path": path})
        suite.addTest(case())
    from compat_extra_test import ExtraTests  # noqa: E402 (same directory)
    suite.addTests(loader.loadTestsFromTestCase(ExtraTests))
    return suite


if __name__ == "__main__":
    unittest.main()
