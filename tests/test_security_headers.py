"""Deployment settings, response headers, CSP, CSRF and request size limits."""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.test import Client, SimpleTestCase
from django.urls import reverse

from tests.base import PersonaTestCase

ROOT = Path(__file__).resolve().parent.parent


class DeployCheckTests(SimpleTestCase):
    def test_check_deploy_has_no_warnings_under_production_settings(self):
        env = {
            key: value
            for key, value in os.environ.items()
            if key not in {"DEBUG", "SECURE_SSL_REDIRECT", "OTP_REQUIRED_FOR_ADMINS", "STATIC_MANIFEST"}
        }
        env.update(DEBUG="0", SECRET_KEY=secrets.token_urlsafe(60), ALLOWED_HOSTS="tsunagu.example.jp")
        result = subprocess.run(
            [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertIn("System check identified no issues", result.stdout + result.stderr)
        self.assertNotIn("WARNINGS", result.stdout + result.stderr)

    def test_production_refuses_to_start_without_a_secret_key(self):
        env = {key: value for key, value in os.environ.items() if key not in {"DEBUG", "SECRET_KEY"}}
        result = subprocess.run(
            [sys.executable, "manage.py", "check"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("SECRET_KEY must be set", result.stderr)

    def test_production_cookie_and_transport_settings(self):
        # The suite itself runs with DEBUG off.
        self.assertFalse(settings.DEBUG)
        self.assertTrue(settings.SESSION_COOKIE_SECURE)
        self.assertTrue(settings.CSRF_COOKIE_SECURE)
        self.assertTrue(settings.SESSION_COOKIE_HTTPONLY)
        self.assertGreaterEqual(settings.SECURE_HSTS_SECONDS, 31536000)
        self.assertEqual(settings.SESSION_COOKIE_AGE, 30 * 60)
        self.assertEqual(settings.PASSWORD_HASHERS[0], "django.contrib.auth.hashers.Argon2PasswordHasher")


class HeaderTests(PersonaTestCase):
    def test_security_headers_on_every_page(self):
        response = self.client.get(reverse("accounts:login"))
        self.assertEqual(response["X-Frame-Options"], "DENY")
        self.assertEqual(response["X-Content-Type-Options"], "nosniff")
        self.assertEqual(response["Referrer-Policy"], "same-origin")
        csp = response["Content-Security-Policy"]
        directives = dict(part.strip().split(" ", 1) for part in csp.split(";") if part.strip())
        self.assertEqual(directives["script-src"], "'self'")
        self.assertEqual(directives["style-src"], "'self'")
        self.assertEqual(directives["frame-ancestors"], "'none'")
        self.assertNotIn("unsafe-inline", csp)
        self.assertNotIn("unsafe-eval", csp)

    def test_hsts_on_https(self):
        response = self.client.get(reverse("accounts:login"), secure=True)
        self.assertIn("max-age=31536000", response["Strict-Transport-Security"])

    def test_rendered_pages_have_no_inline_script_or_style(self):
        """The CSP would block them in the browser; catch them here first."""
        self.login(self.receiver_admin)
        urls = [
            reverse("facilities:directory"),
            reverse("facilities:vacancy"),
            reverse("facilities:detail", args=[self.care_home.public_id]),
            reverse("accounts:account"),
            reverse("accounts:password_change"),
            reverse("accounts:otp_setup"),
        ]
        self.client.logout()
        pages = {reverse("accounts:login"): self.client.get(reverse("accounts:login"))}
        self.login(self.receiver_admin)
        pages.update({url: self.client.get(url) for url in urls})
        self.login(self.office)
        pages[reverse("audit:search")] = self.client.get(reverse("audit:search"))
        for url, response in pages.items():
            with self.subTest(url=url):
                self.assertEqual(response.status_code, 200)
                html = response.content.decode()
                inline_scripts = [tag for tag in re.findall(r"<script\b[^>]*>", html) if "src=" not in tag]
                self.assertEqual(inline_scripts, [])
                self.assertNotRegex(html, r"<style\b")
                self.assertNotRegex(html, r"\sstyle=")
                self.assertNotRegex(html, r"\son[a-z]+=")
                self.assertIn('"includeIndicatorStyles":false', html)


class CsrfTests(PersonaTestCase):
    def test_post_without_token_is_refused_with_a_japanese_page(self):
        client = Client(enforce_csrf_checks=True)
        client.force_login(self.sender_msw)
        response = client.post(reverse("accounts:logout_everywhere"))
        self.assertEqual(response.status_code, 403)
        self.assertContains(response, "もう一度操作してください", status_code=403)

    def test_htmx_requests_carry_the_token(self):
        client = Client(enforce_csrf_checks=True)
        client.force_login(self.sender_msw)
        page = client.get(reverse("accounts:account")).content.decode()
        token = re.search(r'hx-headers=\'\{"X-CSRFToken": "([^"]+)"\}\'', page).group(1)
        response = client.post(
            reverse("accounts:recovery_codes"), HTTP_X_CSRFTOKEN=token, HTTP_HX_REQUEST="true"
        )
        self.assertNotEqual(response.status_code, 403)

    def test_every_form_in_the_templates_that_posts_has_a_csrf_token(self):
        base = ROOT / "tsunagu"
        for path in base.rglob("*.html"):
            text = path.read_text(encoding="utf-8")
            for form in re.findall(r"<form\b[^>]*method=\"post\"[^>]*>.*?</form>", text, flags=re.S | re.I):
                with self.subTest(template=str(path.relative_to(ROOT))):
                    self.assertTrue("csrf_token" in form or "_form" in form, form[:200])


class RequestSizeTests(PersonaTestCase):
    def test_oversized_body_answers_a_japanese_400(self):
        self.login(self.sender_msw)
        response = self.client.post(
            reverse("accounts:password_change"),
            {
                "old_password": "x",
                "new_password1": "a" * (10 * 1024 * 1024),
                "new_password2": "b",
            },
        )
        self.assertEqual(response.status_code, 400)
        self.assertContains(response, "リクエストを処理できませんでした", status_code=400)

    def test_404_is_japanese(self):
        self.login(self.sender_msw)
        response = self.client.get("/no-such-page/")
        self.assertContains(response, "ページが見つかりません", status_code=404)


class CacheControlTests(PersonaTestCase):
    """Nothing shown to a logged-in user is kept by the browser's or a proxy's cache."""

    def assert_not_stored(self, response):
        directives = {part.strip() for part in response["Cache-Control"].split(",")}
        self.assertLessEqual({"no-store", "private"}, directives)
        self.assertEqual(response["Pragma"], "no-cache")

    def test_a_case_page_the_audit_export_and_the_api_are_not_stored(self):
        from tests.referral_factories import make_case

        case = make_case(self.hospital, by=self.sender_msw, needs=["peg"])
        self.login(self.sender_msw)
        self.assert_not_stored(self.client.get(reverse("cases:detail", args=[case.ref])))
        self.assert_not_stored(self.client.get("/api/v1/ping"))
        # Refusals and redirects of a logged-in user too.
        self.assert_not_stored(self.client.get(reverse("audit:search")))
        self.login(self.office)
        export = self.client.get(reverse("audit:export"))
        self.assertEqual(export.status_code, 200)
        self.assert_not_stored(export)

    def test_a_view_that_sets_its_own_cache_control_keeps_it(self):
        from django.http import HttpResponse
        from django.test import RequestFactory

        from tsunagu.accounts.middleware import PrivateResponseMiddleware

        def cacheable(request):
            response = HttpResponse("logo")
            response["Cache-Control"] = "max-age=3600, private"
            return response

        request = RequestFactory().get("/")
        request.user = self.sender_msw
        response = PrivateResponseMiddleware(cacheable)(request)
        self.assertEqual(response["Cache-Control"], "max-age=3600, private")

    def test_the_login_page_of_an_anonymous_visitor_is_left_alone(self):
        self.assertFalse(self.client.get(reverse("accounts:login")).has_header("Pragma"))
