"""Wire-level checks against a real rqlited that do not fit the transcript format: huge bodies,
keep-alive and pipelining, Expect: 100-continue. Started once for the class (one process)."""
import json
import socket
import threading
import unittest

from compat_test import Node

HUGE_BODY_BYTES = 100 * 1000 * 1000   # must be handled (below the 256 MiB limit)
OVER_LIMIT_BYTES = 300 * 1000 * 1000  # must be refused with 413 (above the limit)


def read_response(sock_file):
    """Reads one HTTP/1.1 response with Content-Length from a socket file; returns
    (status, headers dict lower-cased, body bytes)."""
    status_line = sock_file.readline().decode("latin-1")
    if not status_line:
        raise ConnectionError("connection closed before a response")
    status = int(status_line.split(" ", 2)[1])
    headers = {}
    while True:
        line = sock_file.readline().decode("latin-1").rstrip("\r\n")
        if not line:
            break
        k, v = line.split(":", 1)
        headers[k.strip().lower()] = v.strip()
    body = sock_file.read(int(headers.get("content-length", "0")))
    return status, headers, body


class ExtraTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.node = Node([])
        cls.node.start()

    @classmethod
    def tearDownClass(cls):
        code, out = cls.node.stop()
        if code != 0:
            raise AssertionError("rqlited exit code %s; log:\n%s" % (code, out[-4000:]))

    def connect(self):
        s = socket.create_connection(("127.0.0.1", self.node.http_port), timeout=60)
        return s, s.makefile("rb")

    def test_huge_body_is_handled(self):
        s, f = self.connect()
        with s, f:
            head = ("POST /db/execute HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    "Content-Length: %d\r\n\r\n" % HUGE_BODY_BYTES).encode()
            s.sendall(head)
            chunk = b"x" * (1 << 20)
            sent = 0
            while sent < HUGE_BODY_BYTES:
                n = min(len(chunk), HUGE_BODY_BYTES - sent)
                s.sendall(chunk[:n])
                sent += n
            status, headers, body = read_response(f)
        self.assertEqual(status, 400)
        self.assertEqual(body, b"invalid JSON body\n")
        status, _, _ = self.node.request("GET", "/readyz", {}, b"")
        self.assertEqual(status, 200)

    def test_body_over_limit_is_413_without_reading_it(self):
        s, f = self.connect()
        with s, f:
            s.sendall(("POST /db/load HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" %
                       OVER_LIMIT_BYTES).encode() + b"y" * 4096)
            status, headers, body = read_response(f)
        self.assertEqual(status, 413)
        self.assertEqual(headers.get("content-type"), "text/plain; charset=utf-8")
        self.assertTrue(body.startswith(b"http: request body too large"), body)
        self.assertEqual(headers.get("connection"), "close")
        status, _, _ = self.node.request("GET", "/readyz", {}, b"")
        self.assertEqual(status, 200)

    def test_keep_alive_and_pipelining(self):
        s, f = self.connect()
        with s, f:
            reqs = b""
            for i in range(5):
                body = json.dumps([["SELECT ?", i]]).encode()
                reqs += (b"POST /db/query HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
                         b"\r\nContent-Length: %d\r\n\r\n" % len(body)) + body
            s.sendall(reqs)
            for i in range(5):
                status, headers, body = read_response(f)
                self.assertEqual(status, 200)
                self.assertEqual(json.loads(body)["results"][0]["values"], [[i]])
                self.assertNotEqual(headers.get("connection"), "close")

    def test_expect_100_continue(self):
        s, f = self.connect()
        with s, f:
            body = b'["SELECT 1"]'
            s.sendall(b"POST /db/query HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
                      b"Content-Length: %d\r\n\r\n" % len(body))
            line = f.readline()
            self.assertIn(b" 100 ", line)
            while f.readline() not in (b"\r\n", b""):
                pass
            s.sendall(body)
            status, _, resp = read_response(f)
        self.assertEqual(status, 200)
        self.assertEqual(json.loads(resp)["results"][0]["values"], [[1]])

    def test_queued_write_wait_for_many_concurrent_clients(self):
        self.node.request("POST", "/db/execute", {"Content-Type": "application/json"},
                          b'["CREATE TABLE IF NOT EXISTS q (x INTEGER)"]')
        socks = [self.connect() for _ in range(20)]
        try:
            for i, (s, _) in enumerate(socks):
                body = json.dumps([["INSERT INTO q(x) VALUES(?)", i]]).encode()
                s.sendall(b"POST /db/execute?queue&wait HTTP/1.1\r\nHost: x\r\nContent-Length:"
                          b" %d\r\n\r\n" % len(body) + body)
            seqs = []
            for s, f in socks:
                status, _, body = read_response(f)
                self.assertEqual(status, 200)
                seqs.append(json.loads(body)["sequence_number"])
        finally:
            for s, f in socks:
                f.close()
                s.close()
        self.assertEqual(len(set(seqs)), 20)
        self.assertEqual(max(seqs) - min(seqs), 19)
        _, _, body = self.node.request("GET", "/db/query?q=SELECT%20COUNT(*)%20FROM%20q", {}, b"")
        self.assertEqual(json.loads(body)["results"][0]["values"], [[20]])

    def test_queued_writes_are_batched_into_few_log_entries(self):
        """feature-table #71: many queued inserts land in far fewer Raft entries."""
        self.node.request("POST", "/db/execute", {"Content-Type": "application/json"},
                          b'["CREATE TABLE IF NOT EXISTS batched (x INTEGER)"]')

        def last_log_index():
            _, _, body = self.node.request("GET", "/status?key=store.raft.last_log_index", {},
                                           b"")
            return int(body)

        before = last_log_index()
        n = 1000
        s, f = self.connect()
        with s, f:
            reqs = b""
            for i in range(n):
                body = json.dumps([["INSERT INTO batched(x) VALUES(?)", i]]).encode()
                reqs += (b"POST /db/execute?queue HTTP/1.1\r\nHost: x\r\nContent-Length: %d"
                         b"\r\n\r\n" % len(body)) + body
            # Send from a thread so that neither side can block the other on full buffers.
            sender = threading.Thread(target=s.sendall, args=(reqs,))
            sender.start()
            for _ in range(n):
                status, _, _ = read_response(f)
                self.assertEqual(status, 200)
            sender.join()
            marker = b"[]"
            s.sendall(b"POST /db/execute?queue&wait HTTP/1.1\r\nHost: x\r\nContent-Length: %d"
                      b"\r\n\r\n" % len(marker) + marker)
            status, _, _ = read_response(f)
            self.assertEqual(status, 200)
        _, _, body = self.node.request(
            "GET", "/db/query?q=SELECT%20COUNT(*)%20FROM%20batched", {}, b"")
        self.assertEqual(json.loads(body)["results"][0]["values"], [[n]])
        entries = last_log_index() - before
        self.assertGreater(entries, 0)
        # 1000 requests in batches of up to 128: at least 8 entries, far fewer than 1000.
        self.assertLess(entries, n // 4, "queued writes were not batched: %d entries" % entries)
