"""The reverse-proxy setup of SECURITY.md, run as written: collectstatic, then waitress with
--trusted-proxy, asked once through the proxy (127.0.0.1) and once directly from another address.

Through the proxy Django must see https and the client's address (the last X-Forwarded-For entry,
the one the proxy added); directly, forged X-Forwarded-For and X-Forwarded-Proto headers must be
ignored. The address seen is what the audit trail and the login lockout record.
"""

import http.client
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from django.test import SimpleTestCase

ROOT = Path(__file__).resolve().parent.parent
HOST = "tsunagu.example.jp"
# The command lines of SECURITY.md ("リバースプロキシ"), with a free port.
COLLECTSTATIC = [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"]
WAITRESS = [
    sys.executable,
    "-m",
    "waitress",
    "--trusted-proxy=127.0.0.1",
    "--trusted-proxy-headers=x-forwarded-for x-forwarded-proto",
    "tsunagu.wsgi:application",
]


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ProxySetupTests(SimpleTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tmp = tempfile.TemporaryDirectory()
        env = {
            key: value
            for key, value in os.environ.items()
            if key not in {"DEBUG", "SECURE_SSL_REDIRECT", "SECURE_PROXY_SSL_HEADER", "TRUSTED_PROXY_COUNT"}
        }
        env.update(
            DJANGO_SETTINGS_MODULE="tests.proxy.settings",
            PROXY_TEST_STATIC_ROOT=str(Path(cls.tmp.name) / "static"),
            SECRET_KEY=secrets.token_urlsafe(50),
            ALLOWED_HOSTS=HOST,
            STATIC_MANIFEST="1",
            DATABASE_URL=f"sqlite:///{Path(cls.tmp.name) / 'unused.sqlite3'}",
        )
        subprocess.run(COLLECTSTATIC, cwd=ROOT, env=env, check=True, timeout=300)
        cls.port = free_port()
        cls.server = subprocess.Popen(
            [*WAITRESS[:3], f"--listen=127.0.0.1:{cls.port}", *WAITRESS[3:]],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", cls.port), timeout=1).close()
                break
            except OSError:
                if cls.server.poll() is not None or time.monotonic() > deadline:
                    cls.tearDownClass()
                    raise RuntimeError("waitress did not start") from None
                time.sleep(0.2)

    @classmethod
    def tearDownClass(cls):
        cls.server.terminate()
        try:
            cls.server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            cls.server.kill()
            cls.server.wait()
        cls.server.stderr.close()
        cls.tmp.cleanup()
        super().tearDownClass()

    def request(self, path, headers, source="127.0.0.1"):
        """One GET from `source` (127.0.0.1 is the proxy; any other address is a client)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30, source_address=(source, 0))
        try:
            conn.request("GET", path, headers={"Host": HOST, **headers})
            response = conn.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            conn.close()

    def probe(self, headers, source="127.0.0.1"):
        status, _, body = self.request("/proxy-probe/", headers, source)
        self.assertEqual(status, 200, body[:500])
        return json.loads(body)

    def test_through_the_proxy_django_sees_https_and_the_clients_address(self):
        seen = self.probe(
            # The client sent its own X-Forwarded-For; the proxy appended the address it saw.
            {"X-Forwarded-For": "203.0.113.99, 198.51.100.7", "X-Forwarded-Proto": "https"}
        )
        self.assertTrue(seen["secure"])
        self.assertEqual(seen["client_ip"], "198.51.100.7")
        self.assertEqual(seen["remote_addr"], "198.51.100.7")

    def test_a_direct_request_with_forged_headers_is_not_trusted(self):
        forged = {"X-Forwarded-For": "198.51.100.7", "X-Forwarded-Proto": "https"}
        seen = self.probe(forged, source="127.0.0.2")
        self.assertFalse(seen["secure"])
        self.assertEqual(seen["client_ip"], "127.0.0.2")
        self.assertIsNone(seen["forwarded_for"])  # waitress dropped the untrusted header
        # So plain http is sent to https, whatever the forged header says.
        status, headers, _ = self.request("/accounts/login/", forged, source="127.0.0.2")
        self.assertEqual(status, 301)
        self.assertEqual(headers["Location"], f"https://{HOST}/accounts/login/")

    def test_the_login_page_and_its_collected_static_files_are_served_over_the_proxy(self):
        status, headers, body = self.request(
            "/accounts/login/", {"X-Forwarded-For": "198.51.100.7", "X-Forwarded-Proto": "https"}
        )
        self.assertEqual(status, 200, body[:500])
        self.assertIn("max-age=31536000", headers["Strict-Transport-Security"])
        # The stylesheet's name carries its hash (the manifest collectstatic wrote) and is served.
        stylesheet = re.search(rb'href="(/static/tsunagu/site\.[0-9a-f]{12}\.css)"', body).group(1).decode()
        status, headers, _ = self.request(stylesheet, {"X-Forwarded-Proto": "https"})
        self.assertEqual(status, 200)
        self.assertIn("max-age", headers["Cache-Control"])
