"""Pages that refresh themselves: polling is declared once (@polled), keeps no idle session alive
and leaves no audit rows; an idle session ends for the polls too."""

import re
from pathlib import Path
from unittest import mock

from django.conf import settings
from django.contrib.sessions.models import Session
from django.urls import reverse

from tests.base import PersonaTestCase
from tests.referral_factories import make_case, send
from tests.test_tenancy_all_urls import iter_patterns
from tsunagu.accounts.middleware import LAST_SEEN_SESSION_KEY
from tsunagu.audit.models import AuditEvent
from tsunagu.lib.polling import is_polled_view

TEMPLATES = Path(settings.BASE_DIR) / "tsunagu"
# An element's opening tag that refreshes on a timer, and the URL name it asks for.
TIMED_TAG = re.compile(r"<[^<>]*\bhx-trigger=\"[^\"]*\bevery\b[^\"]*\"[^<>]*>", re.S)
HX_GET_URL = re.compile(r"\bhx-get=\"\{%\s*url\s+'([\w:-]+)'")

T0 = 1_900_000_000  # a fixed moment for the idle clock
IDLE = settings.SESSION_IDLE_MINUTES * 60


def polled_in_templates(root=TEMPLATES):
    """URL names that some template asks for with hx-get on a timer."""
    names = set()
    for path in root.rglob("*.html"):
        for tag in TIMED_TAG.findall(path.read_text(encoding="utf-8")):
            found = HX_GET_URL.search(tag)
            assert found, f"{path.name}: a timed htmx element without an {{% url %}} in hx-get: {tag}"
            names.add(found.group(1))
    return names


def polled_in_url_conf():
    return {name for name, pattern in iter_patterns() if is_polled_view(pattern.callback)}


class DeclaredOnceTests(PersonaTestCase):
    def test_the_polled_views_are_exactly_those_the_pages_poll(self):
        from_templates = polled_in_templates()
        self.assertIn("referrals:board", from_templates)
        self.assertIn("referrals:inbox", from_templates)
        self.assertEqual(polled_in_url_conf(), from_templates)

    def test_the_template_reader_finds_timed_elements_only(self):
        sample = (
            '<div id="a" hx-get="{% url \'x:timed\' case.ref %}"\n hx-trigger="load, every 20s">'
            '<a hx-get="{% url \'x:clicked\' %}" hx-target="#a">'
        )
        with mock.patch.object(Path, "rglob", return_value=[_Text(sample)]):
            self.assertEqual(polled_in_templates(), {"x:timed"})


class _Text:
    name = "sample.html"

    def __init__(self, text):
        self.text = text

    def read_text(self, encoding):
        return self.text


class IdleTimeoutTests(PersonaTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.case = make_case(cls.hospital, by=cls.sender_msw, needs=["peg"])
        send(cls.case, [cls.care_unit], cls.sender_msw)

    def setUp(self):
        self.board = reverse("referrals:board", args=[self.case.ref])
        self.login(self.sender_msw)
        session = self.client.session
        session[LAST_SEEN_SESSION_KEY] = T0
        session.save()
        self.expiry = Session.objects.get().expire_date

    def at(self, seconds):
        return mock.patch("tsunagu.accounts.middleware.now", return_value=T0 + seconds)

    def poll(self, url, page=None):
        return self.client.get(
            url,
            headers={"HX-Request": "true", "HX-Current-URL": f"http://testserver{page or url}"},
        )

    def last_seen(self):
        return Session.objects.get().get_decoded().get(LAST_SEEN_SESSION_KEY)

    def test_polls_neither_move_the_idle_timer_nor_refresh_the_cookie(self):
        polls = [
            (self.board, self.board),
            (reverse("notifications:badge"), self.board),
        ]
        with self.at(10 * 60):
            for url, page in polls:
                with self.subTest(url=url):
                    response = self.poll(url, page)
                    self.assertEqual(response.status_code, 200)
                    self.assertNotIn(settings.SESSION_COOKIE_NAME, response.cookies)
        self.login(self.receiver_nurse)
        session = self.client.session
        session[LAST_SEEN_SESSION_KEY] = T0
        session.save()
        with self.at(10 * 60):
            response = self.poll(reverse("referrals:inbox") + "?show=new", reverse("referrals:inbox"))
            self.assertEqual(response.status_code, 200)
            self.assertNotIn(settings.SESSION_COOKIE_NAME, response.cookies)
        for session in Session.objects.all():
            self.assertEqual(session.get_decoded()[LAST_SEEN_SESSION_KEY], T0)

    def test_opening_a_page_is_activity(self):
        with self.at(10 * 60):
            response = self.client.get(self.board)
        self.assertEqual(response.status_code, 200)
        self.assertIn(settings.SESSION_COOKIE_NAME, response.cookies)
        self.assertEqual(self.last_seen(), T0 + 10 * 60)
        self.assertGreater(Session.objects.get().expire_date, self.expiry)

    def test_a_poll_after_the_idle_time_sends_the_page_to_the_login_form(self):
        with self.at(IDLE - 1):
            self.assertEqual(self.poll(self.board).status_code, 200)
        with self.at(IDLE + 1):
            response = self.poll(self.board)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(
            response["HX-Redirect"], reverse("accounts:login") + "?next=" + self.board.replace("/", "%2F")
        )
        self.assertNotContains(response, "<form")
        # The session is over: the page itself now asks for a login as well.
        self.assertRedirects(
            self.client.get(self.board), f"{reverse('accounts:login')}?next={self.board}", 302
        )
        self.assertTrue(AuditEvent.objects.filter(action=AuditEvent.Action.LOGOUT).exists())

    def test_a_poll_of_an_expired_session_redirects_the_page_not_the_fragment(self):
        Session.objects.all().delete()
        response = self.poll(self.board)
        self.assertIn("HX-Redirect", response)
        self.assertTrue(response["HX-Redirect"].startswith(reverse("accounts:login")))
        self.assertNotContains(response, "<form")


class PollsLeaveNoAuditTests(PersonaTestCase):
    def test_the_board_is_recorded_when_opened_not_every_ten_seconds(self):
        case = make_case(self.hospital, by=self.sender_msw, needs=["peg"])
        board = reverse("referrals:board", args=[case.ref])
        self.login(self.sender_msw)
        self.assertEqual(self.client.get(board).status_code, 200)
        for _ in range(5):
            self.assertEqual(self.client.get(board, headers={"HX-Request": "true"}).status_code, 200)
        views = AuditEvent.objects.filter(action=AuditEvent.Action.VIEW, object_ref=case.ref)
        self.assertEqual(views.count(), 1)
