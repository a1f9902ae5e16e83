"""The home page by role: the care home sees its vacancies and the requests waiting for it,
the MSW her action queue, the network office how current the network is."""

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.base import PersonaTestCase, make_unit
from tests.referral_factories import make_case, make_receivers, send
from tsunagu.cases.models import Case
from tsunagu.facilities.models import Vacancy
from tsunagu.referrals import services
from tsunagu.referrals.models import Referral
from tsunagu.referrals.worklist import action_queue

Status = Referral.Status


class CareHomeHomeTest(PersonaTestCase):
    def test_care_home_sees_vacancies_first_and_new_requests_with_a_count(self):
        case = make_case(self.hospital, by=self.sender_msw, needs=["peg"])
        send(case, [self.care_unit], self.sender_msw)
        self.client.force_login(self.receiver_nurse)
        page = self.client.get(reverse("home"))
        self.assertEqual(page.status_code, 200)
        html = page.content.decode()
        self.assertIn(case.ref, html)
        self.assertIn('data-testid="awaiting-count">1<', html)
        self.assertIn("胃ろう", html)  # the needs on the row
        # Vacancies come first, with 変更なし posting to the same endpoint as the vacancy page.
        self.assertLess(html.index("今日の空床"), html.index("回答待ちの依頼"))
        self.assertIn(reverse("facilities:vacancy_save", args=[self.care_unit.public_id]), html)
        self.assertIn('value="unchanged"', html)

    def test_unchanged_from_home_confirms_the_unit(self):
        Vacancy.objects.filter(unit=self.care_unit).update(updated_at=timezone.now() - timedelta(days=5))
        self.client.force_login(self.receiver_nurse)
        home = self.client.get(reverse("home"))
        self.assertContains(home, "変更なし")
        self.client.post(
            reverse("facilities:vacancy_save", args=[self.care_unit.public_id]),
            {"action": "unchanged", **_shown_version(home)},
            HTTP_HX_REQUEST="true",
        )
        self.care_unit.vacancy.refresh_from_db()
        self.assertGreater(self.care_unit.vacancy.updated_at, timezone.now() - timedelta(minutes=1))

    def test_other_facilities_requests_never_show(self):
        case = make_case(self.hospital, by=self.sender_msw, needs=["peg"])
        send(case, [self.other_unit], self.sender_msw)
        self.client.force_login(self.receiver_nurse)
        self.assertNotContains(self.client.get(reverse("home")), case.ref)


def _shown_version(page):
    """The version field the vacancy card carries, when it carries one."""
    import re

    match = re.search(r'name="version" value="(\d+)"', page.content.decode())
    return {"version": match.group(1)} if match else {}


class MswQueueTest(PersonaTestCase):
    def test_msw_sees_answers_cases_to_confirm_due_today_and_unplaced(self):
        units = make_receivers(3)
        answered = make_case(self.hospital, by=self.sender_msw, needs=["peg"])
        first, second, _third = send(answered, units, self.sender_msw)
        for referral in (first, second):
            services.open_referral(referral, _member(referral))
        services.transition(first, Status.ACCEPTED, by=_member(first), earliest_date=timezone.localdate())
        services.transition(second, Status.DECLINED, by=_member(second), decline_reason="full")
        old = make_case(self.hospital, by=self.sender_msw, needs=["peg"])
        Case.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=9))
        due = make_case(self.hospital, by=self.sender_msw, needs=["peg"])
        send(due, units[:1], self.sender_msw, deadline=timezone.now() + timedelta(minutes=30))

        rows = action_queue(self.hospital)
        kinds = {(row.kind, row.case.ref) for row in rows}
        self.assertIn(("confirm", answered.ref), kinds)
        self.assertIn(("unplaced", old.ref), kinds)
        if timezone.localdate(timezone.now() + timedelta(minutes=30)) == timezone.localdate():
            self.assertIn(("due_today", due.ref), kinds)

        self.client.force_login(self.sender_msw)
        html = self.client.get(reverse("home")).content.decode()
        self.assertLess(html.index("対応が必要な患者"), html.index("回答待ちの依頼"))
        self.assertIn(answered.ref, html)
        self.assertIn("data-print", html)

    def test_queue_filters_by_owner_and_sorts(self):
        colleague = _colleague(self)
        mine = make_case(self.hospital, by=self.sender_msw)
        theirs = make_case(self.hospital, by=colleague)
        Case.objects.filter(pk__in=[mine.pk, theirs.pk]).update(created_at=timezone.now() - timedelta(days=8))
        self.client.force_login(self.sender_msw)
        page = self.client.get(reverse("home"), {"by": str(colleague.public_id), "sort": "case"})
        self.assertContains(page, theirs.ref)
        self.assertNotContains(page, mine.ref)
        self.assertEqual([r.case for r in action_queue(self.hospital, sort="case")], [mine, theirs])

    def test_queue_never_shows_another_facilitys_cases(self):
        foreign = make_case(self.other, by=self.outsider)
        Case.objects.filter(pk=foreign.pk).update(created_at=timezone.now() - timedelta(days=8))
        self.client.force_login(self.sender_msw)
        self.assertNotContains(self.client.get(reverse("home")), foreign.ref)

    def test_query_count_does_not_grow_with_the_queue(self):
        self.client.force_login(self.sender_msw)
        with CaptureQueriesContext(connection) as few:
            self.client.get(reverse("home"))
        units = make_receivers(2)
        for _index in range(5):
            case = make_case(self.hospital, by=self.sender_msw, needs=["peg"])
            send(case, units, self.sender_msw)
        with self.assertNumQueries(len(few.captured_queries)):
            self.client.get(reverse("home"))


class OfficeHomeTest(PersonaTestCase):
    def test_office_sees_freshness_by_area_imports_and_users_not_signed_in(self):
        make_unit(self.other, name="古い棟", updated_at=timezone.now() - timedelta(days=10))
        self.client.force_login(self.office)
        page = self.client.get(reverse("home"))
        self.assertEqual(page.status_code, 200)
        self.assertContains(page, "空床情報の鮮度")
        self.assertContains(page, "湘南西部")
        self.assertContains(page, self.other.name)  # stalest list
        self.assertContains(page, "まだログインしていない利用者")

    def test_user_without_facility_is_told_what_to_do(self):
        from tests.base import make_user

        self.client.force_login(make_user(None, username="nobody"))
        self.assertContains(self.client.get(reverse("home")), "所属の登録を依頼")


def _member(referral):
    from tests.base import make_user

    membership = referral.receiver.memberships.select_related("user").first()
    return membership.user if membership else make_user(referral.receiver)


def _colleague(test):
    from tests.base import make_user

    return make_user(test.hospital, username="msw2", display_name="看護師B")
