"""Hostile input to every form of the product: never a 500, never stored raw.

The forms are found by walking the URL patterns (as tests/test_tenancy_all_urls.py does) and
opening each page as a user who may use it; every <form method="post"> found there is sent
back with hostile text in each of its text fields: HTML/JavaScript, SQL fragments, NUL
characters, 10 MB values and bytes that are not UTF-8.
"""

import re
from html.parser import HTMLParser

from django.apps import apps
from django.db import transaction
from django.urls import reverse

from tests.test_tenancy_all_urls import (
    INSIDER_OVERRIDES,
    NETWORK_WIDE,
    REGISTRY,
    SKIPPED_NAMESPACES,
    TenancyWorld,
    iter_patterns,
    path_arguments,
)

SCRIPT = '<script>alert("tsunagu")</script><img src=x onerror=alert(1)>'
PAYLOADS = {
    "html": SCRIPT,
    "sql": "'; DROP TABLE facilities_facility; -- 1 OR 1=1 UNION SELECT password FROM accounts_user",
    "nul": "受入れ\x00可能",
    "long": "あ" * 20000,
}
TEN_MB = "x" * (10 * 1024 * 1024)
# Tables whose rows are not the product's data (sessions, lockout counters, the audit trail).
BOOKKEEPING = {
    "sessions.Session",
    "audit.AuditEvent",
    "axes.AccessAttempt",
    "axes.AccessLog",
    "axes.AccessFailureLog",
    "notifications.Notification",
}


class FormParser(HTMLParser):
    """The POST forms of a page: action and fields (name → default value, type)."""

    def __init__(self):
        super().__init__()
        self.forms, self.current, self.select = [], None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("method") or "").lower() == "post":
            self.current = {"action": attrs.get("action") or "", "fields": {}}
            self.forms.append(self.current)
        elif self.current is None or not attrs.get("name"):
            return
        elif tag == "input":
            kind = (attrs.get("type") or "text").lower()
            if kind in {"checkbox", "radio"} and "checked" not in attrs:
                self.current["fields"].setdefault(attrs["name"], (None, kind))
                return
            if kind in {"submit", "button"}:
                return
            self.current["fields"][attrs["name"]] = (attrs.get("value", ""), kind)
        elif tag == "textarea":
            self.current["fields"][attrs["name"]] = ("", "textarea")
        elif tag == "select":
            self.select = attrs["name"]
            self.current["fields"][self.select] = ("", "select")
        elif tag == "option" and self.select:
            value, kind = self.current["fields"][self.select]
            if not value or "selected" in attrs:
                self.current["fields"][self.select] = (attrs.get("value", ""), kind)

    def handle_endtag(self, tag):
        if tag == "form":
            self.current = None
        elif tag == "select":
            self.select = None


TEXT_KINDS = {"text", "textarea", "search", "email", "url", "tel", "number", "date", "password"}


def row_counts():
    return {
        model._meta.label: model.objects.count()
        for model in apps.get_models()
        if model._meta.managed and model._meta.label not in BOOKKEEPING
    }


class BadInputTests(TenancyWorld):
    def form_pages(self):
        """(user, url) for every page with a POST form, opened by someone who may use it."""
        seen = set()
        for name, pattern in iter_patterns():
            if name.split(":")[0] in {*SKIPPED_NAMESPACES, "api-v1"} or name in NETWORK_WIDE:
                continue
            arguments = path_arguments(pattern)
            if arguments:
                if name in INSIDER_OVERRIDES:
                    continue  # POST-only action without its own page
                # The owner, and the receiving side (which answers referrals on the same page).
                users = list(dict.fromkeys([REGISTRY[arguments[0]].insider(self), self.receiver_admin]))
                url = reverse(name, kwargs={arg: REGISTRY[arg].foreign(self) for arg in arguments})
            else:
                users = [self.sender_msw, self.receiver_admin, self.office]
                url = reverse(name)
            for user in users:
                self.client.force_login(user)
                response = self.client.get(url)
                if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
                    continue
                parser = FormParser()
                parser.feed(response.content.decode())
                for form in parser.forms:
                    action = form["action"] or url
                    if action.startswith(("/accounts/logout", "/i18n/")) or (user.pk, action) in seen:
                        continue
                    text_fields = [field for field, (_, kind) in form["fields"].items() if kind in TEXT_KINDS]
                    if text_fields:
                        seen.add((user.pk, action))
                        yield user, action, form["fields"], text_fields

    def post(self, user, action, data):
        self.client.force_login(user)
        with transaction.atomic():
            response = self.client.post(action, data)
            transaction.set_rollback(True)
        return response

    def base_data(self, fields):
        return {
            name: value
            for name, (value, kind) in fields.items()
            if value is not None and name != "csrfmiddlewaretoken"
        }

    def test_hostile_text_in_every_field_of_every_form(self):
        pages = list(self.form_pages())
        self.assertGreater(len(pages), 8, [action for _, action, _, _ in pages])
        for user, action, fields, text_fields in pages:
            for label, payload in PAYLOADS.items():
                data = self.base_data(fields)
                data.update({name: payload for name in text_fields})
                response = self.post(user, action, data)
                with self.subTest(action=action, payload=label, status=response.status_code):
                    self.assertIn(response.status_code, {200, 302, 303, 400, 409, 422})
                    self.assertNotIn(SCRIPT.encode(), response.content)

    def test_ten_megabyte_fields_are_refused_and_nothing_is_stored(self):
        pages = list(self.form_pages())  # opening a page may prepare things (a 2FA device)
        before = row_counts()
        for user, action, fields, text_fields in pages:
            data = self.base_data(fields)
            data[text_fields[0]] = TEN_MB
            self.client.force_login(user)
            response = self.client.post(action, data)
            with self.subTest(action=action):
                self.assertEqual(response.status_code, 400)
                self.assertContains(response, "リクエストを処理できませんでした", status_code=400)
        self.assertEqual(row_counts(), before)

    def test_bytes_that_are_not_utf8_never_crash(self):
        boundary = "tsunaguboundary"
        for user, action, fields, text_fields in self.form_pages():
            parts = []
            for name, value in self.base_data(fields).items():
                raw = b"\xff\xfe\xc3\x28 \xa0\xa1" if name in text_fields else str(value).encode()
                parts.append(
                    f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
                    + raw
                    + b"\r\n"
                )
            body = b"".join(parts) + f"--{boundary}--\r\n".encode()
            self.client.force_login(user)
            with transaction.atomic():
                response = self.client.generic(
                    "POST", action, body, content_type=f"multipart/form-data; boundary={boundary}"
                )
                transaction.set_rollback(True)
            with self.subTest(action=action, status=response.status_code):
                self.assertIn(response.status_code, {200, 302, 303, 400, 409, 422})

    def test_stored_html_is_shown_as_text(self):
        """Where a form accepts the text (a desk's note, a message), pages show it escaped."""
        self.login(self.receiver_admin)
        desk_url = reverse("facilities:desk_edit", args=[self.foreign_desk.public_id])
        page = self.client.get(desk_url).content.decode()
        parser = FormParser()
        parser.feed(page)
        data = self.base_data(parser.forms[0]["fields"])
        data["note"] = SCRIPT
        self.client.post(desk_url, data)
        for url in [
            reverse("facilities:desks", args=[self.care_home.public_id]),
            reverse("facilities:detail", args=[self.care_home.public_id]),
        ]:
            html = self.client.get(url).content.decode()
            self.assertNotIn("<script>alert", html)
            self.assertNotRegex(html, r"<img src=x onerror")


class ImportFileTests(TenancyWorld):
    def test_an_import_file_that_is_not_utf8_or_csv_is_refused_cleanly(self):
        from django.core.files.uploadedfile import SimpleUploadedFile

        self.login(self.office)
        url = reverse("facilities:import")
        page = self.client.get(url).content.decode()
        parser = FormParser()
        parser.feed(page)
        data = {
            name: value
            for name, (value, kind) in parser.forms[0]["fields"].items()
            if value is not None and kind != "file" and name != "csrfmiddlewaretoken"
        }
        file_field = next(name for name, (_, kind) in parser.forms[0]["fields"].items() if kind == "file")
        for content in [
            b"\xff\xfe\x00\x00garbage\x80\x81",
            b"<script>alert(1)</script>\n" * 50,
            b"'; DROP TABLE facilities_facility; --\n",
            b"",
        ]:
            upload = SimpleUploadedFile("facilities.csv", content, content_type="text/csv")
            response = self.client.post(url, {**data, file_field: upload})
            with self.subTest(content=content[:20]):
                self.assertIn(response.status_code, {200, 302, 400})
        from tsunagu.facilities.importers import process_pending_imports

        before = row_counts()
        process_pending_imports()
        after = row_counts()
        before.pop("facilities.ImportRun"), after.pop("facilities.ImportRun")
        self.assertEqual(after, before)
        self.assertFalse(
            re.search(
                "Traceback",
                "".join(run.summary for run in apps.get_model("facilities", "ImportRun").objects.all()),
            )
        )
