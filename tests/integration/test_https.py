"""HTTPS for the HTTP API (cluster-semantics.md §13, cli.md -http-cert/-http-key/-http-ca-cert/
-http-verify-client/-http-verify-common-name): TLS >= 1.2, mutual TLS, exact client CN.

Certificates (a throwaway CA, a server cert for 127.0.0.1/localhost, client certs) are made at
test time with the openssl command line in the test's temp dir.
"""
import functools
import http.client
import json
import os
import shutil
import ssl
import subprocess
import tempfile
import time
import unittest

from harness import Node, free_port, run_rqlited, wait_until


def make_certs(d):
    """ca.pem/key, server.pem/key (SAN 127.0.0.1, localhost), client.pem/key (CN=client),
    other.pem/key (CN=other, same CA) and rogue.pem/key (self-signed, CN=client)."""
    def ossl(*args):
        subprocess.run(["openssl", *args], cwd=d, check=True, capture_output=True, timeout=60)

    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    ossl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
         "-subj", "/CN=rqit-ca")
    with open(os.path.join(d, "san.ext"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    for name, cn in (("server", "server"), ("client", "client"), ("other", "other")):
        ossl("req", *ec, "-keyout", name + ".key", "-out", name + ".csr", "-subj", "/CN=" + cn)
        ossl("x509", "-req", "-in", name + ".csr", "-CA", "ca.pem", "-CAkey", "ca.key",
             "-CAcreateserial", "-out", name + ".pem", "-days", "2", "-extfile", "san.ext")
    ossl("req", "-x509", *ec, "-keyout", "rogue.key", "-out", "rogue.pem", "-days", "2",
         "-subj", "/CN=client")
    return functools.partial(os.path.join, d)  # not a lambda: stays unbound as a class attribute


def client_context(cafile, cert=None, key=None):
    ctx = ssl.create_default_context(cafile=cafile)
    if cert:
        ctx.load_cert_chain(cert, key)
    return ctx


def https_get(port, path, ctx, timeout=10):
    conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=timeout)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


class TlsTestBase(unittest.TestCase):
    EXTRA = []  # flags after the cert/key
    CLIENT = None  # (cert, key) used for readiness

    @classmethod
    def setUpClass(cls):
        if shutil.which("openssl") is None:
            raise unittest.SkipTest("openssl not installed")
        cls.tmp = tempfile.mkdtemp(prefix="rqit-https-")
        cls.p = make_certs(cls.tmp)
        p = cls.p
        args = ["-http-cert", p("server.pem"), "-http-key", p("server.key")]
        args += [a if not a.startswith("@") else p(a[1:]) for a in cls.EXTRA]
        cls.node = Node(extra_args=args, tmp_root=cls.tmp)
        cls.node.start(wait_ready=False)
        cert = cls.CLIENT and (p(cls.CLIENT[0]), p(cls.CLIENT[1]))
        ctx = client_context(p("ca.pem"), *(cert or ()))

        def ready():
            if cls.node.proc.poll() is not None:
                raise RuntimeError("rqlited exited: " + cls.node.stderr())
            try:
                return https_get(cls.node.http_port, "/readyz", ctx, timeout=2)[0] == 200
            except (OSError, ssl.SSLError):
                return False
        try:
            wait_until(ready, 20, what="HTTPS /readyz")
        except BaseException:
            cls.node.close()
            shutil.rmtree(cls.tmp, ignore_errors=True)
            raise

    @classmethod
    def tearDownClass(cls):
        cls.node.close()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def ctx(self, cert=None):
        p = self.p
        pair = (p(cert + ".pem"), p(cert + ".key")) if cert else ()
        return client_context(p("ca.pem"), *pair)

    def get(self, path, cert=None):
        return https_get(self.node.http_port, path, self.ctx(cert))


class HttpsTest(TlsTestBase):
    """Server TLS only (no client certificates)."""

    def test_query_over_https(self):
        conn = http.client.HTTPSConnection("127.0.0.1", self.node.http_port, context=self.ctx(),
                                           timeout=10)
        try:
            conn.request("POST", "/db/execute", body='["CREATE TABLE t (x)", "INSERT INTO t VALUES (7)"]',
                         headers={"Content-Type": "application/json"})
            r = conn.getresponse()
            self.assertEqual(r.status, 200, r.read())
            r.read()
            # Same keep-alive TLS connection for the second request.
            conn.request("GET", "/db/query?q=SELECT+x+FROM+t")
            r = conn.getresponse()
            body = json.loads(r.read())
            self.assertEqual(r.status, 200)
            self.assertEqual(body["results"][0]["values"], [[7]])
        finally:
            conn.close()

    def test_hostname_localhost_verifies(self):
        ctx = self.ctx()
        conn = http.client.HTTPSConnection("localhost", self.node.http_port, context=ctx, timeout=10)
        try:
            conn.request("GET", "/readyz")
            self.assertEqual(conn.getresponse().status, 200)
        except OSError as e:  # localhost may resolve to ::1 first where nothing listens
            if "refused" not in str(e).lower():
                raise
        finally:
            conn.close()

    def test_status_reports_tls(self):
        status, body = self.get("/status")
        self.assertEqual(status, 200)
        st = json.loads(body)
        tls = st["http"]["tls"]
        self.assertEqual(tls["enabled"], "true")
        self.assertEqual(tls["client_auth"], "NoClientCert")
        self.assertEqual(tls["cert_file"], self.p("server.pem"))
        self.assertEqual(st["cluster"]["https"], "true")

    def test_nodes_advertise_https(self):
        def api_addr():
            status, body = self.get("/nodes")
            nodes = json.loads(body)
            node = nodes.get("nodes", nodes)
            for v in (node.values() if isinstance(node, dict) else node):
                return v.get("api_addr", "")
            return ""
        wait_until(lambda: api_addr().startswith("https://"), 10, what="https api_addr")

    def test_log_line_uses_https(self):
        def text():
            with open(self.node.stdout_path, errors="replace") as f:
                return self.node.stderr() + f.read()
        wait_until(lambda: "node HTTP API available at https://127.0.0.1:%d" % self.node.http_port
                   in text(), 10, what="https log line")

    def test_plain_http_to_tls_port_fails(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.node.http_port, timeout=5)
        try:
            with self.assertRaises((OSError, http.client.HTTPException)):
                conn.request("GET", "/readyz")
                resp = conn.getresponse()
                resp.read()
                if resp.status:  # any parsed HTTP answer is a failure of this test
                    self.fail("plain HTTP got status %d from the TLS port" % resp.status)
        finally:
            conn.close()
        # The server keeps serving TLS afterwards.
        self.assertEqual(self.get("/readyz")[0], 200)

    def test_tls_1_1_refused(self):
        # The client offers only TLS 1.0/1.1 (security level 0 so OpenSSL 3 allows it): the
        # server must answer with a protocol_version alert, not a client-side refusal.
        ctx = self.ctx()
        try:
            ctx.minimum_version = ssl.TLSVersion.TLSv1
            ctx.maximum_version = ssl.TLSVersion.TLSv1_1
            ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
        except (ValueError, ssl.SSLError) as e:
            self.skipTest("client cannot offer TLS 1.1: %s" % e)
        with self.assertRaises(ssl.SSLError) as cm:
            https_get(self.node.http_port, "/readyz", ctx)
        self.assertIn("PROTOCOL_VERSION", str(cm.exception))

    def test_tls_1_2_accepted(self):
        ctx = self.ctx()
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        self.assertEqual(https_get(self.node.http_port, "/readyz", ctx)[0], 200)

    def test_unknown_ca_rejected_by_client(self):
        ctx = ssl.create_default_context(cafile=self.p("rogue.pem"))
        with self.assertRaises(ssl.SSLCertVerificationError):
            https_get(self.node.http_port, "/readyz", ctx)


class MutualTlsTest(TlsTestBase):
    """-http-verify-client with -http-ca-cert."""
    EXTRA = ["-http-ca-cert", "@ca.pem", "-http-verify-client"]
    CLIENT = ("client.pem", "client.key")

    def assert_rejected(self, cert):
        with self.assertRaises((ssl.SSLError, OSError, http.client.HTTPException)):
            self.get("/readyz", cert)

    def test_client_cert_from_ca_accepted(self):
        self.assertEqual(self.get("/readyz", "client")[0], 200)
        self.assertEqual(self.get("/readyz", "other")[0], 200)

    def test_no_client_cert_rejected(self):
        self.assert_rejected(None)

    def test_cert_from_other_ca_rejected(self):
        self.assert_rejected("rogue")

    def test_status_client_auth(self):
        st = json.loads(self.get("/status", "client")[1])
        self.assertEqual(st["http"]["tls"]["client_auth"], "RequireAndVerifyClientCert")
        self.assertEqual(st["http"]["tls"]["ca_file"], self.p("ca.pem"))


class CommonNameTest(TlsTestBase):
    """-http-verify-common-name: the client's leaf certificate must have exactly that CN."""
    EXTRA = ["-http-ca-cert", "@ca.pem", "-http-verify-client", "-http-verify-common-name",
             "client"]
    CLIENT = ("client.pem", "client.key")

    def test_matching_cn_accepted(self):
        self.assertEqual(self.get("/readyz", "client")[0], 200)

    def test_wrong_cn_rejected(self):
        with self.assertRaises((ssl.SSLError, OSError, http.client.HTTPException)):
            self.get("/readyz", "other")

    def test_no_cert_rejected(self):
        with self.assertRaises((ssl.SSLError, OSError, http.client.HTTPException)):
            self.get("/readyz")


class BadCertificateTest(unittest.TestCase):
    """Unreadable or invalid certificate material is fatal at start-up."""

    @classmethod
    def setUpClass(cls):
        if shutil.which("openssl") is None:
            raise unittest.SkipTest("openssl not installed")
        cls.tmp = tempfile.mkdtemp(prefix="rqit-https-bad-")
        cls.p = make_certs(cls.tmp)
        with open(cls.p("garbage.pem"), "w") as f:
            f.write("not a certificate\n")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def run_node(self, cert, key, *extra):
        data = os.path.join(self.tmp, "data-%d" % time.monotonic_ns())
        return run_rqlited(["-http-addr", "127.0.0.1:%d" % free_port(),
                            "-raft-addr", "127.0.0.1:%d" % free_port(),
                            "-http-cert", self.p(cert), "-http-key", self.p(key), *extra, data],
                           timeout=30)

    def test_garbage_certificate(self):
        code, out, err = self.run_node("garbage.pem", "server.key")
        self.assertNotEqual(code, 0)
        self.assertIn("certificate", err)
        self.assertIn("garbage.pem", err)

    def test_mismatched_key(self):
        code, out, err = self.run_node("server.pem", "client.key")
        self.assertNotEqual(code, 0)
        self.assertIn("client.key", err)

    def test_garbage_ca(self):
        code, out, err = self.run_node("server.pem", "server.key", "-http-ca-cert",
                                       self.p("garbage.pem"), "-http-verify-client")
        self.assertNotEqual(code, 0)
        self.assertIn("garbage.pem", err)

    def test_cn_requires_verify_client(self):
        code, out, err = self.run_node("server.pem", "server.key",
                                       "-http-verify-common-name", "client")
        self.assertEqual(code, 1)
        self.assertIn("-http-verify-common-name requires -http-verify-client", err)

    def test_cert_without_key(self):
        data = os.path.join(self.tmp, "data-nokey")
        code, out, err = run_rqlited(["-http-cert", self.p("server.pem"), data])
        self.assertEqual(code, 1)
        self.assertIn("either both -http-cert and -http-key must be set, or neither", err)


if __name__ == "__main__":
    unittest.main()
