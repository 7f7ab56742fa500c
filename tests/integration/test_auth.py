"""-auth: HTTP Basic authentication and permissions on a single node (feature rows A30, B42,
J141, J142; cluster-semantics.md §12; http-api.md §1, §1.1, §2).

Passwords are plaintext, as in rqlite v8+: a stored bcrypt-looking string is just a password.
"""
import base64
import json
import os
import unittest
import urllib.parse

from harness import Node, free_port, run_rqlited, wait_until

# A bcrypt hash of "hashed-pw"; rqlite v8+ treats it as the literal password.
BCRYPT_HASH = "$2b$04$0123456789abcdefghijkuE2a0rJBpoXsE6y8ZzYi3wIXW3iFhQqK"

USERS = [
    {"username": "root", "password": "rootpw", "perms": ["all"]},
    {"username": "reader", "password": "readpw", "perms": ["query"]},
    {"username": "writer", "password": "writepw", "perms": ["execute", "query"]},
    {"username": "hashed", "password": BCRYPT_HASH, "perms": ["query"]},
    {"username": "*", "perms": ["status", "ready"]},
]


def basic(user, password):
    token = base64.b64encode(("%s:%s" % (user, password)).encode()).decode()
    return {"Authorization": "Basic " + token}


def json_headers(user=None, password=None):
    h = {"Content-Type": "application/json"}
    if user is not None:
        h.update(basic(user, password))
    return h


class AuthTest(unittest.TestCase):
    node = None

    @classmethod
    def setUpClass(cls):
        cls.node = Node()
        path = os.path.join(cls.node._owned_tmp, "auth.json")
        with open(path, "w") as f:
            json.dump(USERS, f)
        cls.node.extra_args = ["-auth", path]
        cls.node.start()  # readiness polled anonymously: `*` holds `ready`
        r = cls.post(["CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)"], "root", "rootpw")
        assert r.status == 200 and "error" not in r.text, r

    @classmethod
    def tearDownClass(cls):
        cls.node.close()

    @classmethod
    def post(cls, payload, user=None, password=None, path="/db/execute"):
        return cls.node.request("POST", path, body=json.dumps(payload),
                                headers=json_headers(user, password))

    def assert_401(self, r):
        self.assertEqual((r.status, r.body), (401, b""), r)
        self.assertEqual(r.headers.get("www-authenticate"), 'Basic realm="rqlite"')

    def test_j141_wrong_or_missing_password_is_401_empty_body(self):
        ins = ["INSERT INTO t(v) VALUES('x')"]
        self.assert_401(self.post(ins))
        self.assert_401(self.post(ins, "writer", "wrong"))
        self.assert_401(self.post(ins, "writer", ""))
        self.assert_401(self.post(ins, "nobody", "writepw"))
        self.assert_401(self.node.request("POST", "/db/execute", body=json.dumps(ins),
                                          headers={"Content-Type": "application/json",
                                                   "Authorization": "Basic !!notbase64"}))
        r = self.post(ins, "writer", "writepw")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["results"][0]["rows_affected"], 1)

    def test_b42_auth_before_method(self):
        self.assert_401(self.node.get("/db/execute"))
        self.assertEqual(self.node.get("/db/execute", headers=basic("root", "rootpw")).status, 405)
        # params (400) and route (404) still come first
        self.assertEqual(self.node.get("/db/execute?timeout=zz").status, 400)
        self.assertEqual(self.node.get("/no/such/path").status, 404)
        # OPTIONS is never authenticated
        self.assertEqual(self.node.request("OPTIONS", "/db/execute").status, 200)

    def test_a30_headers_when_auth_enabled(self):
        for r in [self.node.get("/status"), self.node.get("/db/query?q=SELECT%201"),
                  self.node.request("OPTIONS", "/db/query")]:
            self.assertEqual(r.headers.get("www-authenticate"), 'Basic realm="rqlite"', r)
            self.assertEqual(r.headers.get("access-control-allow-headers"),
                             "Content-Type, Authorization")
            self.assertEqual(r.headers.get("access-control-allow-credentials"), "true")
        r = self.node.get("/db/query?q=SELECT%201")  # JSON content type is set before auth
        self.assertEqual(r.headers.get("content-type"), "application/json; charset=utf-8")

    def test_query_only_user(self):
        q = "/db/query?q=" + urllib.parse.quote("SELECT count(*) FROM t")
        r = self.node.get(q, headers=basic("reader", "readpw"))
        self.assertEqual(r.status, 200, r)
        self.assertIn("values", r.json()["results"][0])
        self.assert_401(self.post(["INSERT INTO t(v) VALUES('r')"], "reader", "readpw"))
        # /db/request needs query AND execute
        self.assert_401(self.post(["SELECT 1"], "reader", "readpw", path="/db/request"))
        r = self.post(["SELECT 1"], "writer", "writepw", path="/db/request")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["results"][0]["values"], [[1]])
        self.assert_401(self.node.get("/db/backup", headers=basic("reader", "readpw")))

    def test_star_grants_anonymous_status_only(self):
        r = self.node.get("/status")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["http"]["auth"], "enabled")
        self.assertEqual(self.node.get("/readyz").status, 200)
        self.assert_401(self.node.get("/db/query?q=SELECT%201"))
        self.assert_401(self.post(["INSERT INTO t(v) VALUES('anon')"]))
        self.assert_401(self.node.request("POST", "/snapshot"))
        # `*` perms apply even when the supplied credentials are wrong
        self.assertEqual(self.node.get("/status", headers=basic("reader", "bad")).status, 200)

    def test_all_grants_everything(self):
        auth = basic("root", "rootpw")
        self.assertEqual(self.node.get("/db/backup", headers=auth).status, 200)
        self.assertEqual(self.node.get("/nodes", headers=auth).status, 200)
        self.assertEqual(self.node.get("/leader", headers=auth).status, 200)
        r = self.post(["SELECT 1"], "root", "rootpw", path="/db/request")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.node.request("POST", "/snapshot", headers=auth).status // 100, 2)

    def test_bcrypt_looking_password_is_plaintext(self):
        q = "/db/query?q=SELECT%201"
        self.assert_401(self.node.get(q, headers=basic("hashed", "hashed-pw")))
        self.assertEqual(self.node.get(q, headers=basic("hashed", BCRYPT_HASH)).status, 200)


class AuthNoStarTest(unittest.TestCase):
    def test_without_star_even_readyz_needs_credentials(self):
        with Node() as node:
            path = os.path.join(node._owned_tmp, "auth.json")
            with open(path, "w") as f:
                json.dump([{"username": "u", "password": "p", "perms": ["ready", "status"]}], f)
            node.extra_args = ["-auth", path]
            node.start(wait_ready=False)

            def ready():
                try:
                    return node.get("/readyz", headers=basic("u", "p"), timeout=1).status == 200
                except OSError:
                    return False
            wait_until(ready, 10.0, what="/readyz with credentials")
            self.assertEqual(node.get("/readyz").status, 401)
            r = node.get("/status", headers=basic("u", "p"))
            self.assertEqual(r.json()["http"]["auth"], "enabled")

    def test_status_says_disabled_without_auth(self):
        with Node() as node:
            node.start()
            r = node.get("/status")
            self.assertEqual(r.json()["http"]["auth"], "disabled")
            self.assertNotIn("www-authenticate", r.headers)
            self.assertNotIn("access-control-allow-credentials", r.headers)
            self.assertEqual(r.headers.get("access-control-allow-headers"), "Content-Type")


class AuthFileErrorsTest(unittest.TestCase):
    def test_invalid_auth_file_is_fatal(self):
        with Node() as node:
            path = os.path.join(node._owned_tmp, "bad.json")
            with open(path, "w") as f:
                f.write("{not json")
            code, _, err = run_rqlited(["-auth", path,
                                        "-http-addr", "127.0.0.1:%d" % free_port(),
                                        "-raft-addr", "127.0.0.1:%d" % free_port(),
                                        node.data_dir])
            self.assertEqual(code, 1, err)
            self.assertIn("failed to get credential store", err)
            self.assertIn(path, err)

    def test_missing_auth_file_is_fatal(self):
        code, _, err = run_rqlited(["-auth", "/nonexistent/auth.json", "/tmp/rq-auth-unused"])
        self.assertEqual(code, 1, err)
        self.assertIn("/nonexistent/auth.json does not exist", err)


if __name__ == "__main__":
    unittest.main()
