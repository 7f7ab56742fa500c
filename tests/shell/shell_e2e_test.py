#!/usr/bin/env python3
"""End-to-end tests of the `rqlite` shell, driven as a person would: through a pseudo-terminal,
against a real `rqlited` started on free loopback ports in a temporary directory.

Usage: shell_e2e_test.py --rqlite build/bin/rqlite --rqlited build/bin/rqlited [unittest args]
Exits 77 (ctest: skipped) when rqlited has not been built. No fixed sleeps: every wait polls a
condition with a deadline. Every process started here is stopped by its PID.
"""
import argparse
import fcntl
import json
import os
import pty
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import termios
import time
import unittest
import urllib.error
import urllib.request

RQLITE = None
RQLITED = None
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[=>]|\x07")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def dead_port():
    """A port with nothing listening (bound then released)."""
    return free_port()


class Node:
    """A real rqlited process on free loopback ports, in its own temp dir."""

    def __init__(self, root, name, extra=()):
        self.dir = os.path.join(root, name)
        os.makedirs(self.dir)
        self.http_port = free_port()
        self.raft_port = free_port()
        self.addr = "127.0.0.1:%d" % self.http_port
        self.log = open(os.path.join(root, name + ".log"), "w")
        args = [RQLITED, "-node-id", name, "-http-addr", self.addr,
                "-raft-addr", "127.0.0.1:%d" % self.raft_port, *extra, os.path.join(self.dir, "data")]
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout=60, headers=None):
        deadline = time.time() + timeout
        last = None
        while time.time() < deadline:
            if self.proc.poll() is not None:
                self.skip_if_unsupported()
                raise RuntimeError("rqlited exited with %s (see %s)" % (self.proc.returncode, self.log.name))
            try:
                req = urllib.request.Request("http://%s/readyz" % self.addr, headers=headers or {})
                with urllib.request.urlopen(req, timeout=2) as r:
                    if r.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, socket.timeout) as e:
                last = e
            time.sleep(0.05)
        raise RuntimeError("rqlited not ready after %ss: %s" % (timeout, last))

    def skip_if_unsupported(self):
        """A server that does not implement a flag yet skips the tests that need it."""
        self.log.flush()
        with open(self.log.name) as f:
            for line in f:
                if "not supported yet" in line:
                    raise unittest.SkipTest("rqlited: " + line.strip())

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


class PtyShell:
    """build/bin/rqlite on a pseudo-terminal: type lines, read the screen text."""

    def __init__(self, args, home, env_extra=None):
        self.master, slave = pty.openpty()
        env = dict(os.environ)
        env.pop("RQLITE_HOST", None)
        env.update({"HOME": home, "TERM": "xterm"})
        env.update(env_extra or {})
        def make_controlling_tty():
            # New session whose controlling terminal is the pty, so Ctrl-C raises SIGINT.
            os.setsid()
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)

        self.proc = subprocess.Popen([RQLITE, *args], stdin=slave, stdout=slave, stderr=slave,
                                     env=env, preexec_fn=make_controlling_tty, close_fds=True)
        os.close(slave)
        self.buf = ""

    def _read(self, timeout):
        r, _, _ = select.select([self.master], [], [], timeout)
        if not r:
            return False
        try:
            data = os.read(self.master, 65536)
        except OSError:
            return False
        if not data:
            return False
        self.buf += ANSI.sub("", data.decode("utf-8", "replace")).replace("\r", "")
        return True

    def expect(self, pattern, timeout=20):
        """Waits until regex `pattern` matches the unread output; returns the text up to the match end."""
        deadline = time.time() + timeout
        rx = re.compile(pattern, re.S)
        while True:
            m = rx.search(self.buf)
            if m:
                text = self.buf[:m.end()]
                self.buf = self.buf[m.end():]
                return text
            left = deadline - time.time()
            if left <= 0:
                raise AssertionError("did not see %r; output so far:\n%s" % (pattern, self.buf))
            if not self._read(min(left, 0.5)) and self.proc.poll() is not None:
                while self._read(0.05):
                    pass
                if not rx.search(self.buf):
                    raise AssertionError("shell exited before %r; output:\n%s" % (pattern, self.buf))

    def send(self, line):
        os.write(self.master, (line + "\r").encode())

    def run(self, line, prompt):
        """Types `line`, waits for the next prompt, returns what was printed in between."""
        self.send(line)
        text = self.expect(r"\n" + re.escape(prompt) + r"$|\n" + re.escape(prompt) + r"(?=\S)", 30)
        body = text.split("\n", 1)[1] if "\n" in text else ""
        return body[: -len(prompt)] if body.endswith(prompt) else body

    def wait_exit(self, timeout=20):
        deadline = time.time() + timeout
        while self.proc.poll() is None and time.time() < deadline:
            self._read(0.2)
        while self._read(0.05):
            pass
        if self.proc.poll() is None:
            self.proc.kill()
            raise AssertionError("shell did not exit; output:\n" + self.buf)
        return self.proc.returncode

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        os.close(self.master)


class cleanup_on_failure:
    """In setUpClass: if setup fails or skips, stop the node; on a skip also remove the temp dir
    (a failure keeps it, with the node's log). unittest runs tearDownClass only after a
    successful setUpClass."""

    def __init__(self, cls):
        self.cls = cls

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            self.cls.node.stop()
            if issubclass(exc_type, unittest.SkipTest):
                shutil.rmtree(self.cls.root, ignore_errors=True)
        return False


class Redirector:
    """An HTTP listener (own thread) that answers every request with 301 to `target` + path, as a
    follower told to redirect would. Counts the requests it saw."""

    def __init__(self, target_fn):
        import http.server
        import threading
        outer = self
        self.count = 0

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _redirect(self):
                outer.count += 1
                n = int(self.headers.get("Content-Length") or 0)
                if n:
                    self.rfile.read(n)
                self.send_response(301)
                self.send_header("Location", target_fn() + self.path)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_POST = do_DELETE = _redirect

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class AuthProxy:
    """Until rqlited supports -auth/-http-cert: an HTTP listener (own thread) in front of a real
    node that forwards every request unchanged. With check_auth it answers 401 unless Basic Auth
    is bob:secret; with an ssl_context it serves HTTPS (TLS terminated here)."""

    GOOD = "Basic Ym9iOnNlY3JldA=="

    def __init__(self, target, check_auth=True, ssl_context=None):
        import http.server
        import threading
        outer = self
        self.seen_auth = []

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _reply(self, status, body, headers):
                self.send_response(status)
                for k, v in headers:
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _handle(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else None
                outer.seen_auth.append(self.headers.get("Authorization"))
                if check_auth and self.headers.get("Authorization") != AuthProxy.GOOD:
                    self._reply(401, b"unauthorized\n", [("X-Rqlite-Version", "v10.0.0"),
                                                          ("Content-Type", "text/plain")])
                    return
                req = urllib.request.Request("http://%s%s" % (target, self.path), data=body,
                                             method=self.command)
                if self.headers.get("Content-Type"):
                    req.add_header("Content-Type", self.headers["Content-Type"])
                try:
                    with urllib.request.urlopen(req, timeout=30) as r:
                        status, data, hdrs = r.status, r.read(), r.headers
                except urllib.error.HTTPError as e:
                    status, data, hdrs = e.code, e.read(), e.headers
                keep = [(k, v) for k, v in hdrs.items() if k.lower() in ("content-type", "x-rqlite-version")]
                self._reply(status, data, keep)

            do_GET = do_POST = do_DELETE = _handle

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if ssl_context is not None:
            self.server.socket = ssl_context.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class ShellTestBase(unittest.TestCase):
    root = None
    node = None

    @classmethod
    def setUpClass(cls):
        cls.root = tempfile.mkdtemp(prefix="rqlite_shell_e2e_")
        cls.node = Node(cls.root, "node1")
        with cleanup_on_failure(cls):
            cls.node.wait_ready()

    @classmethod
    def tearDownClass(cls):
        cls.node.stop()
        shutil.rmtree(cls.root, ignore_errors=True)

    def setUp(self):
        self.home = tempfile.mkdtemp(dir=self.root)
        self.shells = []

    def tearDown(self):
        for s in self.shells:
            s.close()

    def start(self, args=None, env=None, connect=True):
        args = ["-p", str(self.node.http_port)] if args is None else args
        sh = PtyShell(args, self.home, env)
        self.shells.append(sh)
        if connect:
            sh.expect(r"Welcome to the rqlite CLI\.\nEnter \"\.help\" for usage hints\.\n"
                      r"Connected to http://127\.0\.0\.1:\d+ running version \S+\n")
            sh.expect(re.escape(self.prompt()) + "$")
        return sh

    def prompt(self):
        return "%s> " % self.node.addr

    def run_line(self, sh, line):
        return sh.run(line, self.prompt())


class SessionTest(ShellTestBase):
    def test_sql_multiline_and_formats(self):
        sh = self.start()
        p = self.prompt()
        # DDL reports whatever count the server gives (SQLite's changes() is not reset by DDL).
        self.assertRegex(self.run_line(sh, "CREATE TABLE foo (id INTEGER NOT NULL PRIMARY KEY, name TEXT);"),
                         r"^\d+ rows? affected\n$")
        self.assertEqual(self.run_line(sh, 'INSERT INTO foo(name) VALUES("fiona");'), "1 row affected\n")
        # Multi-line: continuation prompt until the ';'.
        sh.send("INSERT INTO foo(name)")
        sh.expect(r"\n   \.\.\.> $")
        sh.send("VALUES('declan');")
        out = sh.expect(re.escape(p) + "$")
        self.assertIn("1 row affected\n", out)
        self.assertEqual(self.run_line(sh, "SELECT * FROM foo;"),
                         "+----+--------+\n| id | name   |\n+----+--------+\n| 1  | fiona  |\n"
                         "+----+--------+\n| 2  | declan |\n+----+--------+\n")
        self.assertEqual(self.run_line(sh, ".mode csv"), "")
        self.assertEqual(self.run_line(sh, "SELECT * FROM foo;"), "id,name\n1,fiona\n2,declan\n")
        self.run_line(sh, ".mode json")
        self.assertEqual(self.run_line(sh, "SELECT * FROM foo WHERE id=1;"),
                         '[\n  {\n    "id": 1,\n    "name": "fiona"\n  }\n]\n')
        self.run_line(sh, ".mode line")
        self.assertEqual(self.run_line(sh, "SELECT * FROM foo;"),
                         "  id = 1\nname = fiona\n\n  id = 2\nname = declan\n")
        self.assertEqual(self.run_line(sh, ".mode"), "line\n")
        self.run_line(sh, ".mode column")
        self.run_line(sh, ".changes on")
        self.assertEqual(self.run_line(sh, "INSERT INTO foo(name) VALUES('x');"),
                         "1 row affected\nlast insert ID: 3\n")
        self.run_line(sh, ".timer on")
        out = self.run_line(sh, "UPDATE foo SET name='y' WHERE id>1;")
        self.assertRegex(out, r"^2 rows affected \(\d+\.\d{6} sec\)\nlast insert ID: \d+\n$")
        out = self.run_line(sh, "SELECT COUNT(*) AS n FROM foo;")
        self.assertRegex(out, r"^\+---\+\n\| n \|\n\+---\+\n\| 3 \|\n\+---\+\nRun Time: \d+\.\d{6} seconds\n$")
        self.assertEqual(self.run_line(sh, "SELECT * FROM nosuch;"), "Error: no such table: nosuch\n")
        sh.send(".quit")
        sh.expect("bye~")
        self.assertEqual(sh.wait_exit(), 0)

    def test_settings_commands(self):
        sh = self.start()
        self.assertEqual(self.run_line(sh, ".timer"), "off\n")
        self.assertEqual(self.run_line(sh, ".blobarray on"), "")
        self.assertEqual(self.run_line(sh, ".forcewrites on"), "")
        self.assertEqual(self.run_line(sh, ".consistency strong"), "")
        self.assertEqual(self.run_line(sh, ".consistency"), "strong\n")
        self.assertEqual(self.run_line(sh, ".show"),
                         "  blobarray: on\n  changes: off\n  consistency: strong\n  forcewrites: on\n"
                         "  mode: column\n  output: stdout\n  timer: off\n")
        self.assertEqual(self.run_line(sh, ".timer maybe"),
                         "ERR! invalid option 'maybe'. Use 'on' or 'off' (default)\n")
        help_text = self.run_line(sh, ".help")
        lines = help_text.splitlines()
        self.assertEqual(lines, sorted(lines))
        self.assertEqual(len(lines), 30)
        # forcewrites: even a SELECT goes to /db/execute and reports rows affected.
        self.assertRegex(self.run_line(sh, "SELECT 1;"), r"^\d+ rows? affected\n$")
        sh.send("exit")
        sh.expect("bye~")
        self.assertEqual(sh.wait_exit(), 0)

    def test_schema_and_node_commands(self):
        sh = self.start()
        self.run_line(sh, "CREATE TABLE t1 (id INTEGER PRIMARY KEY, v TEXT);")
        self.run_line(sh, "CREATE INDEX t1v ON t1(v);")
        self.assertIn("| t1   |", self.run_line(sh, ".tables"))
        self.assertIn("CREATE INDEX t1v ON t1(v)", self.run_line(sh, ".indexes"))
        self.assertIn("CREATE TABLE t1 (id INTEGER PRIMARY KEY, v TEXT)", self.run_line(sh, ".schema"))
        status = self.run_line(sh, ".status")
        self.assertRegex(status, r"(?m)^store:$")
        self.assertRegex(status, r"(?m)^  \w+")
        keys = [l for l in status.splitlines() if not l.startswith(" ")]
        self.assertEqual(keys, sorted(keys))
        only_store = self.run_line(sh, ".status store")
        self.assertTrue(only_store.startswith("store:\n"), only_store)
        self.assertNotRegex(only_store, r"(?m)^http:")
        self.assertRegex(self.run_line(sh, ".expvar"), r"(?m)^\w+")
        self.assertIn("api_addr: http://%s" % self.node.addr, self.run_line(sh, ".nodes"))
        self.assertIn("api_addr: http://%s" % self.node.addr, self.run_line(sh, ".nodes all"))
        leader = self.run_line(sh, ".leader")
        self.assertTrue(leader.startswith("node1:\n"), leader)
        self.assertIn("  leader: true\n", leader)
        self.assertEqual(self.run_line(sh, ".ready"), "ready\n")
        self.assertEqual(self.run_line(sh, ".extensions"), "")
        self.assertRegex(self.run_line(sh, ".snapshot"), r"^(|ERR! server responded with [^\n]*\n)$")
        self.assertRegex(self.run_line(sh, ".reap"), r"^snapshots reaped: \d+, WALs checkpointed: \d+\n$")
        # Outcomes that depend on the server's choices: success prints nothing, failure one line.
        for cmd in (".remove no-such-node", ".stepdown"):
            out = self.run_line(sh, cmd)
            self.assertRegex(out, r"^(|ERR! (server responded with|unauthorized)[^\n]*\n)$", cmd)
        dump = os.path.join(self.home, "sys.txt")
        self.assertEqual(self.run_line(sh, ".sysdump " + dump), "")
        with open(dump) as f:
            text = f.read()
        self.assertIn("URL: http://%s/status?pretty\nStatus: 200 OK" % self.node.addr, text)
        self.assertIn("URL: http://%s/readyz" % self.node.addr, text)
        sh.send(".EXIT")  # dot-commands are case-insensitive
        sh.expect("bye~")
        self.assertEqual(sh.wait_exit(), 0)

    def test_files_backup_dump_restore_read_output_boot(self):
        sh = self.start()
        self.run_line(sh, "CREATE TABLE f1 (id INTEGER PRIMARY KEY, name TEXT);")
        self.run_line(sh, "INSERT INTO f1(name) VALUES('a');")
        backup = os.path.join(self.home, "b.sqlite")
        self.assertEqual(self.run_line(sh, ".backup " + backup), "backup file written successfully\n")
        with open(backup, "rb") as f:
            self.assertEqual(f.read(16), b"SQLite format 3\x00")
        dump = os.path.join(self.home, "d.sql")
        self.assertEqual(self.run_line(sh, ".dump %s f1" % dump), "SQL text file written successfully\n")
        with open(dump) as f:
            self.assertIn("CREATE TABLE f1", f.read())
        self.assertEqual(self.run_line(sh, ".backup"), "ERR! please specify an output file for the backup\n")
        # .read: one statement per line, comments and blank lines skipped.
        script = os.path.join(self.home, "in.sql")
        with open(script, "w") as f:
            f.write("-- a comment\n\nINSERT INTO f1(name) VALUES('b')\nINSERT INTO f1(name) VALUES('c')\n")
        self.assertEqual(self.run_line(sh, ".read " + script), "1 row affected\n1 row affected\n")
        # .output: results to a file, then back to stdout.
        outfile = os.path.join(self.home, "out.txt")
        self.assertEqual(self.run_line(sh, ".output " + outfile), "")
        self.assertEqual(self.run_line(sh, "SELECT COUNT(*) AS n FROM f1;"), "")
        self.assertEqual(self.run_line(sh, ".output"), "")
        with open(outfile) as f:
            self.assertEqual(f.read(), "+---+\n| n |\n+---+\n| 3 |\n+---+\n")
        # .restore from the SQL dump (which creates f1): back to one row.
        self.run_line(sh, "DROP TABLE f1;")
        out = self.run_line(sh, ".restore " + dump)
        self.assertTrue(out.endswith("Database restored successfully.\n"), out)
        self.assertIn("| 1 |", self.run_line(sh, "SELECT COUNT(*) AS n FROM f1;"))
        # .restore from the SQLite backup file.
        self.assertTrue(self.run_line(sh, ".restore " + backup).endswith("Database restored successfully.\n"))
        self.assertEqual(self.run_line(sh, ".boot " + dump), "ERR! boot file is not a SQLite file\n")
        # .boot with the SQLite backup: the node now holds exactly the backed-up data.
        self.assertEqual(self.run_line(sh, ".boot " + backup), "Node booted successfully.\n")
        self.assertEqual(self.run_line(sh, "SELECT name FROM f1;"),
                         "+------+\n| name |\n+------+\n| a    |\n+------+\n")

    def test_history_persisted(self):
        sh = self.start()
        self.run_line(sh, ".timer on")
        sh.send("SELECT 1")
        sh.expect(r"   \.\.\.> $")
        sh.send("AS one;")
        sh.expect(re.escape(self.prompt()) + "$")
        sh.send(".quit")
        sh.expect("bye~")
        sh.wait_exit()
        with open(os.path.join(self.home, ".rqlite_history")) as f:
            self.assertEqual(f.read().splitlines(), [".timer on", "SELECT 1 AS one;", ".quit"])
        # A new session recalls it with the up arrow.
        sh2 = self.start()
        sh2.buf = ""
        os.write(sh2.master, b"\x1b[A\x1b[A")
        sh2.expect(r"SELECT 1 AS one;")
        os.write(sh2.master, b"\r")
        sh2.expect(r"\| one \|")
        sh2.send(".quit")
        sh2.wait_exit()
        # RQLITE_HISTFILESIZE=0 removes the history file.
        sh3 = self.start(env={"RQLITE_HISTFILESIZE": "0"})
        sh3.send(".quit")
        sh3.wait_exit()
        self.assertFalse(os.path.exists(os.path.join(self.home, ".rqlite_history")))

    def test_ctrl_d_and_ctrl_c_exit(self):
        sh = self.start()
        os.write(sh.master, b"\x04")
        sh.expect("bye~")
        self.assertEqual(sh.wait_exit(), 0)
        sh = self.start()
        os.write(sh.master, b"SEL\x03")
        sh.expect("bye~")
        self.assertEqual(sh.wait_exit(), 0)


class ConnectionTest(ShellTestBase):
    def test_failover_to_alternative(self):
        dead = dead_port()
        sh = PtyShell(["-p", str(dead), "-a", self.node.addr], self.home)
        self.shells.append(sh)
        sh.expect(r"Connected to http://127\.0\.0\.1:%d running version" % dead)
        # The first request already failed over; the prompt shows the host that answered.
        sh.expect(re.escape(self.prompt()) + "$")
        self.assertRegex(sh.run("CREATE TABLE fo (x);", self.prompt()), r"^\d+ rows? affected\n$")
        sh.send(".quit")
        sh.wait_exit()

    def test_failover_mid_session(self):
        other = Node(self.root, "spare%d" % free_port())
        try:
            other.wait_ready()
            sh = PtyShell(["-p", str(other.http_port), "-a", self.node.addr], self.home)
            self.shells.append(sh)
            other_prompt = "%s> " % other.addr
            sh.expect(re.escape(other_prompt) + "$")
            self.assertIn("| 1 |", sh.run("SELECT 1;", other_prompt))
            other.stop()  # the current host goes away: the next request moves to the alternative
            self.assertIn("| 2 |", sh.run("SELECT 2;", self.prompt()))
        finally:
            other.stop()

    def test_follows_301_with_method_and_body(self):
        red = Redirector(lambda: "http://" + self.node.addr)
        try:
            sh = PtyShell(["-p", str(red.port)], self.home)
            self.shells.append(sh)
            prompt = "127.0.0.1:%d> " % red.port
            sh.expect(re.escape(prompt) + "$")
            self.assertRegex(sh.run("CREATE TABLE IF NOT EXISTS r301 (x);", prompt), r"^\d+ rows? affected\n$")
            self.assertEqual(sh.run("INSERT INTO r301 VALUES(301);", prompt), "1 row affected\n")
            self.assertIn("| 301 |", sh.run("SELECT x FROM r301;", prompt))
            self.assertEqual(sh.run(".ready", prompt), "ready\n")
            self.assertGreaterEqual(red.count, 5)
        finally:
            red.close()

    def test_redirect_loop_is_bounded(self):
        holder = {}
        red = Redirector(lambda: "http://127.0.0.1:%d" % holder["port"])
        holder["port"] = red.port
        try:
            r = subprocess.run([RQLITE, "-p", str(red.port)], input="", text=True, capture_output=True,
                               timeout=60, env=dict(os.environ, HOME=self.home))
            self.assertEqual(r.stdout, "ERR! maximum leader redirect limit exceeded\n")
            self.assertEqual(red.count, 22)  # the first request + 21 redirects followed
        finally:
            red.close()

    def test_credentials_through_auth_proxy(self):
        proxy = AuthProxy(self.node.addr)
        try:
            prompt = "127.0.0.1:%d> " % proxy.port
            bad = PtyShell(["-p", str(proxy.port), "-u", "bob:wrong"], self.home)
            self.shells.append(bad)
            bad.expect(r"running version v10\.0\.0\n")
            bad.expect(re.escape(prompt) + "$")
            self.assertEqual(bad.run("SELECT 1;", prompt),
                             "ERR! server responded with 401 Unauthorized: unauthorized\n\n")
            self.assertEqual(bad.run(".status", prompt), "ERR! unauthorized\n")
            self.assertEqual(bad.run(".nodes", prompt), "ERR! unauthorized\n")
            self.assertIn("Basic Ym9iOndyb25n", proxy.seen_auth)  # bob:wrong
            good = PtyShell(["-p", str(proxy.port), "--user=bob:secret"], self.home)
            self.shells.append(good)
            good.expect(re.escape(prompt) + "$")
            self.assertIn("| 1 |", good.run("SELECT 1;", prompt))
            self.assertIn("store:", good.run(".status", prompt))
            bad_format = PtyShell(["-p", str(proxy.port), "-u", "bob"], self.home)
            self.shells.append(bad_format)
            bad_format.expect(r"ERR! invalid Basic Auth credential format\n")
        finally:
            proxy.close()

    def test_https_through_tls_proxy(self):
        import ssl
        if shutil.which("openssl") is None:
            self.skipTest("openssl not installed")
        certs = make_certs(tempfile.mkdtemp(dir=self.root))
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(certs["server.pem"], certs["server.key"])
        ctx.load_verify_locations(certs["ca.pem"])
        ctx.verify_mode = ssl.CERT_REQUIRED  # mTLS: the client must present a cert from the CA
        proxy = AuthProxy(self.node.addr, check_auth=False, ssl_context=ctx)
        try:
            prompt = "127.0.0.1:%d> " % proxy.port
            base = ["-s", "https", "-p", str(proxy.port)]
            client = ["-d", certs["client.pem"], "-k", certs["client.key"]]
            sh = PtyShell(base + ["-c", certs["ca.pem"]] + client, self.home)
            self.shells.append(sh)
            sh.expect(r"Connected to https://127\.0\.0\.1:%d running version" % proxy.port)
            sh.expect(re.escape(prompt) + "$")
            self.assertIn("| 1 |", sh.run("SELECT 1;", prompt))
            sh2 = PtyShell(base + ["--insecure"] + client, self.home)
            self.shells.append(sh2)
            sh2.expect(re.escape(prompt) + "$")
            self.assertIn("| 2 |", sh2.run("SELECT 2;", prompt))
            no_ca = PtyShell(base + client, self.home)
            self.shells.append(no_ca)
            text = no_ca.expect(r"ERR! [^\n]*certificate[^\n]*\n")
            self.assertNotIn("Welcome", text)
            no_client_cert = PtyShell(base + ["-c", certs["ca.pem"]], self.home)
            self.shells.append(no_client_cert)
            text = no_client_cert.expect(r"ERR! [^\n]+\n")
            self.assertNotIn("Welcome", text)
        finally:
            proxy.close()

    def test_http_timeout(self):
        # A listener that accepts but never answers: -t bounds the wait.
        with socket.socket() as srv:
            srv.bind(("127.0.0.1", 0))
            srv.listen(4)
            port = srv.getsockname()[1]
            start = time.time()
            r = subprocess.run([RQLITE, "-p", str(port), "-t", "500ms"], input="", text=True,
                               capture_output=True, timeout=30, env=dict(os.environ, HOME=self.home))
            self.assertLess(time.time() - start, 10)
            self.assertRegex(r.stdout, r"^ERR! [^\n]*[Tt]imed? ?out[^\n]*\n$")

    def test_unreachable_host(self):
        dead = dead_port()
        sh = PtyShell(["-p", str(dead)], self.home)
        self.shells.append(sh)
        sh.expect(r"ERR! Unable to connect to rqlited at http://127\.0\.0\.1:%d - is it running\?\n" % dead)
        self.assertEqual(sh.wait_exit(), 0)

    def test_bad_host_name(self):
        # A host name that cannot be valid, so no DNS query ever leaves this machine.
        sh = PtyShell(["-H", "no such host", "-p", "4001"], self.home)
        self.shells.append(sh)
        text = sh.expect(r"ERR! [^\n]+\n")
        self.assertNotIn("Welcome", text)
        sh.wait_exit()

    def test_rqlite_host_env(self):
        sh = PtyShell([], self.home, {"RQLITE_HOST": "http://" + self.node.addr})
        self.shells.append(sh)
        sh.expect(r"Connected to http://%s running version" % re.escape(self.node.addr))
        sh.expect(re.escape(self.prompt()) + "$")
        sh.send(".quit")
        sh.wait_exit()

    def test_piped_stdin(self):
        script = ("CREATE TABLE pipe (id INTEGER PRIMARY KEY, name TEXT);\n"
                  "INSERT INTO pipe(name) VALUES('p1');\n"
                  ".tables\n"
                  "SELECT name\n  FROM pipe")  # last statement has no ';': runs at EOF
        env = dict(os.environ, HOME=self.home)
        r = subprocess.run([RQLITE, "-p", str(self.node.http_port)], input=script, text=True,
                           capture_output=True, timeout=60, env=env)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r"\d+ rows? affected\n1 row affected\n")
        self.assertIn("| pipe |", r.stdout)
        self.assertIn("+------+\n| name |\n+------+\n| p1   |\n+------+\n", r.stdout)
        self.assertTrue(r.stdout.endswith("bye~\n"), r.stdout)
        self.assertNotIn("\x1b", r.stdout)

    def test_version_and_help(self):
        r = subprocess.run([RQLITE, "-v"], capture_output=True, text=True, timeout=20)
        self.assertRegex(r.stdout, r"^Version v\S+, commit \S+, built on \S+\n$")
        r = subprocess.run([RQLITE, "--help"], capture_output=True, text=True, timeout=20)
        for opt in ("-a, --alternatives", "-H, --host[=127.0.0.1]", "-t, --http-timeout[=30s]"):
            self.assertIn(opt, r.stdout)


class AuthTest(ShellTestBase):
    @classmethod
    def setUpClass(cls):
        cls.root = tempfile.mkdtemp(prefix="rqlite_shell_auth_")
        auth = os.path.join(cls.root, "auth.json")
        with open(auth, "w") as f:
            json.dump([{"username": "bob", "password": "secret", "perms": ["all"]}], f)
        cls.node = Node(cls.root, "authnode", ["-auth", auth])
        with cleanup_on_failure(cls):
            cls.node.wait_ready(headers={"Authorization": "Basic Ym9iOnNlY3JldA=="})

    def test_bad_credentials_give_401(self):
        sh = self.start(["-p", str(self.node.http_port), "-u", "bob:wrong"])
        out = self.run_line(sh, "SELECT 1;")
        self.assertTrue(out.startswith("ERR! server responded with 401 Unauthorized: "), out)
        self.assertEqual(self.run_line(sh, ".status"), "ERR! unauthorized\n")

    def test_good_credentials(self):
        sh = self.start(["-p", str(self.node.http_port), "--user=bob:secret"])
        self.assertIn("| 1 |", self.run_line(sh, "SELECT 1;"))


def make_certs(d):
    """A throwaway CA, a server cert for 127.0.0.1 and a client cert, all signed by the CA."""
    def ossl(*args):
        subprocess.run(["openssl", *args], cwd=d, check=True, capture_output=True, timeout=60)

    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    ossl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=shell-test-ca")
    with open(os.path.join(d, "san.ext"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    for name in ("server", "client"):
        ossl("req", *ec, "-keyout", name + ".key", "-out", name + ".csr", "-subj", "/CN=" + name)
        ossl("x509", "-req", "-in", name + ".csr", "-CA", "ca.pem", "-CAkey", "ca.key",
             "-CAcreateserial", "-out", name + ".pem", "-days", "2", "-extfile", "san.ext")
    return {k: os.path.join(d, k) for k in ("ca.pem", "server.pem", "server.key", "client.pem", "client.key")}


class TlsTest(ShellTestBase):
    """HTTPS: -s https with -c (CA), -i (insecure), and -d/-k client certificates (mTLS)."""

    @classmethod
    def setUpClass(cls):
        if shutil.which("openssl") is None:
            raise unittest.SkipTest("openssl not installed")
        cls.root = tempfile.mkdtemp(prefix="rqlite_shell_tls_")
        cls.certs = make_certs(cls.root)
        c = cls.certs
        cls.node = Node(cls.root, "tlsnode", ["-http-cert", c["server.pem"], "-http-key", c["server.key"],
                                              "-http-ca-cert", c["ca.pem"], "-http-verify-client"])
        with cleanup_on_failure(cls):
            deadline = time.time() + 60
            while True:
                r = subprocess.run(["curl", "-sf", "--cacert", c["ca.pem"], "--cert", c["client.pem"],
                                    "--key", c["client.key"], "https://%s/readyz" % cls.node.addr],
                                   capture_output=True, timeout=10)
                if r.returncode == 0:
                    break
                if cls.node.proc.poll() is not None:
                    cls.node.skip_if_unsupported()
                if time.time() > deadline or cls.node.proc.poll() is not None:
                    raise RuntimeError("TLS rqlited not ready (see %s)" % cls.node.log.name)
                time.sleep(0.1)

    def https_args(self, *extra):
        return ["-s", "https", "-p", str(self.node.http_port), *extra]

    def test_ca_and_client_cert(self):
        c = self.certs
        sh = PtyShell(self.https_args("-c", c["ca.pem"], "-d", c["client.pem"], "-k", c["client.key"]),
                      self.home)
        self.shells.append(sh)
        sh.expect(r"Connected to https://%s running version" % re.escape(self.node.addr))
        sh.expect(re.escape(self.prompt()) + "$")
        self.assertIn("| 1 |", sh.run("SELECT 1;", self.prompt()))

    def test_insecure_skips_verification(self):
        c = self.certs
        sh = PtyShell(self.https_args("-i", "--client-cert=" + c["client.pem"],
                                      "--client-key=" + c["client.key"]), self.home)
        self.shells.append(sh)
        sh.expect(re.escape(self.prompt()) + "$")
        self.assertIn("| 1 |", sh.run("SELECT 1;", self.prompt()))

    def test_unknown_ca_is_rejected(self):
        sh = PtyShell(self.https_args(), self.home)
        self.shells.append(sh)
        text = sh.expect(r"ERR! [^\n]*(certificate|SSL)[^\n]*\n")
        self.assertNotIn("Welcome", text)
        sh.wait_exit()


def main():
    global RQLITE, RQLITED
    ap = argparse.ArgumentParser()
    ap.add_argument("--rqlite", required=True)
    ap.add_argument("--rqlited", required=True)
    args, rest = ap.parse_known_args()
    RQLITE, RQLITED = os.path.abspath(args.rqlite), os.path.abspath(args.rqlited)
    if not os.access(RQLITED, os.X_OK):
        print("SKIP: %s not built" % RQLITED)
        sys.exit(77)
    unittest.main(argv=[sys.argv[0], *rest], verbosity=2)


if __name__ == "__main__":
    main()
