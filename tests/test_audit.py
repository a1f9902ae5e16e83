"""The audit trail: append-only, searchable and exportable by the network office only."""

from unittest import mock

from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.test import TransactionTestCase
from django.urls import reverse

from tests.base import PersonaTestCase
from tsunagu.audit import services
from tsunagu.audit.db import triggers_installed
from tsunagu.audit.models import AppendOnlyError, AuditEvent
from tsunagu.referrals import services as referral_services

S_VIEWED = "viewed"
SEARCH = reverse("audit:search")
EXPORT = reverse("audit:export")


def add_events(count, user, facility=None, action=AuditEvent.Action.VIEW):
    for n in range(count):
        services.record(
            None, action, user=user, facility=facility, object_type="case", object_ref=f"C-2026-{n:05d}"
        )


class AppendOnlyTests(PersonaTestCase):
    def test_the_model_refuses_updates_and_deletes(self):
        event = services.record(None, AuditEvent.Action.VIEW, user=self.sender_msw, object_ref="C-2026-00001")
        event.object_ref = "changed"
        with self.assertRaises(AppendOnlyError):
            event.save()
        with self.assertRaises(AppendOnlyError):
            event.delete()
        with self.assertRaises(AppendOnlyError):
            AuditEvent.objects.filter(pk=event.pk).update(object_ref="changed")
        with self.assertRaises(AppendOnlyError):
            AuditEvent.objects.all().delete()

    def test_the_database_refuses_updates_and_deletes_by_any_client(self):
        event = services.record(None, AuditEvent.Action.VIEW, user=self.sender_msw, object_ref="C-2026-00001")
        for sql in [
            "UPDATE audit_auditevent SET object_ref = 'x' WHERE id = %s",
            "DELETE FROM audit_auditevent WHERE id = %s",
        ]:
            with self.subTest(sql=sql), self.assertRaises(DatabaseError), transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute(sql, [event.pk])
        self.assertEqual(AuditEvent.objects.get(pk=event.pk).object_ref, "C-2026-00001")

    def test_record_describes_objects_by_public_reference_only(self):
        event = services.record(None, AuditEvent.Action.UPDATE, self.care_unit, user=self.receiver_nurse)
        self.assertEqual(event.object_type, "unit")
        self.assertEqual(event.object_ref, str(self.care_unit.public_id))
        self.assertEqual(event.facility, self.care_home)
        self.assertIsNone(event.ip)

    def test_deleting_a_user_keeps_the_record(self):
        from tests.base import make_user

        user = make_user(self.hospital, username="leaving")
        services.record(None, AuditEvent.Action.LOGIN, user=user)
        user.delete()
        event = AuditEvent.objects.select_related("user").get(username="leaving")
        self.assertIsNone(event.user)
        self.assertEqual(event.facility_name, "平塚中央病院")


class SearchTests(PersonaTestCase):
    def test_only_the_office_may_search(self):
        self.assertEqual(self.client.get(SEARCH).status_code, 302)  # anonymous → login
        for user in [self.sender_msw, self.receiver_admin, self.outsider]:
            self.login(user)
            self.assertEqual(self.client.get(SEARCH).status_code, 403)
            self.assertEqual(self.client.get(EXPORT).status_code, 403)
        self.login(self.office)
        self.assertEqual(self.client.get(SEARCH).status_code, 200)
        self.assertEqual(self.client.post(SEARCH).status_code, 405)
        self.assertEqual(self.client.post(EXPORT).status_code, 405)

    def test_filters(self):
        add_events(3, self.sender_msw, self.hospital)
        services.record(None, AuditEvent.Action.LOGIN, user=self.receiver_nurse)
        self.login(self.office)
        response = self.client.get(SEARCH, {"username": "carehome"})
        self.assertContains(response, "特養あおば")
        self.assertNotContains(response, "C-2026-00001")
        response = self.client.get(SEARCH, {"action": "view", "object_ref": "00002"})
        self.assertContains(response, "C-2026-00002")
        self.assertNotContains(response, "C-2026-00001")
        self.assertContains(self.client.get(SEARCH, {"facility": "平塚中央"}), "C-2026-00000")
        response = self.client.get(SEARCH, {"since": "2026-12-01", "until": "2026-11-01"})
        self.assertContains(response, "開始日は終了日より前にしてください")

    def test_query_count_does_not_grow_with_the_trail(self):
        self.login(self.office)
        add_events(5, self.sender_msw, self.hospital)
        self.client.get(SEARCH)
        with self.assertNumQueries(self.count_queries()):
            self.client.get(SEARCH)
        add_events(120, self.receiver_nurse, self.care_home)
        with self.assertNumQueries(self.count_queries()):
            response = self.client.get(SEARCH, {"page": 2})
        self.assertContains(response, "2 / 3")

    def count_queries(self):
        from django.db import connection as conn
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(conn) as queries:
            self.client.get(SEARCH)
        return len(queries)


class ExportTests(PersonaTestCase):
    def test_csv_opens_in_excel_and_is_recorded(self):
        add_events(2, self.sender_msw, self.hospital)
        services.record(None, AuditEvent.Action.LOGIN_FAILED, detail={"username": "=HYPERLINK(1)"})
        self.login(self.office)
        response = self.client.get(EXPORT, {"action": ""})
        self.assertEqual(response.status_code, 200)
        self.assertIn("attachment;", response["Content-Disposition"])
        body = b"".join(response.streaming_content).decode("utf-8")
        self.assertTrue(body.startswith("\ufeff日時,利用者,施設,操作"))
        self.assertIn("平塚中央病院,閲覧,case,C-2026-00001", body)
        self.assertNotIn(",=HYPERLINK", body)
        self.assertTrue(AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT, user=self.office).exists())

    def test_export_follows_the_search(self):
        add_events(2, self.sender_msw, self.hospital)
        services.record(None, AuditEvent.Action.LOGIN, user=self.receiver_nurse)
        self.login(self.office)
        body = b"".join(self.client.get(EXPORT, {"username": "carehome"}).streaming_content).decode()
        self.assertIn("carehome", body)
        self.assertNotIn("C-2026-00001", body)


class FlushTests(TransactionTestCase):
    """Emptying a test database is maintenance: the triggers are lifted for it and put back."""

    # Leaves the database empty as the serialized-rollback tests that may follow expect it.
    serialized_rollback = True

    def test_flush_keeps_the_triggers(self):
        services.record(None, AuditEvent.Action.LOGIN)
        call_command("flush", interactive=False, verbosity=0, inhibit_post_migrate=True)
        self.assertEqual(AuditEvent.objects.count(), 0)
        self.assertTrue(triggers_installed(connection))


class ChangesAreRecordedTests(PersonaTestCase):
    def test_vacancy_and_desk_changes_leave_a_record(self):
        self.login(self.receiver_admin)
        self.client.post(
            reverse("facilities:vacancy_save", args=[self.care_unit.public_id]),
            {"action": "unchanged", "version": 0},
        )
        event = AuditEvent.objects.get(action=AuditEvent.Action.UPDATE)
        self.assertEqual((event.object_type, event.object_ref), ("unit", str(self.care_unit.public_id)))
        self.assertEqual(event.user, self.receiver_admin)
        self.assertEqual(event.facility, self.care_home)
        self.client.post(
            reverse("facilities:desks", args=[self.care_home.public_id]),
            {"name": "地域連携室", "role": "MSW", "sort_order": 0},
        )
        self.assertTrue(
            AuditEvent.objects.filter(
                action=AuditEvent.Action.CREATE, object_type="coordinationdesk"
            ).exists()
        )


class AdminIsReadOnlyTests(PersonaTestCase):
    def test_even_a_superuser_cannot_change_or_delete_events_in_the_admin(self):
        from tests.base import make_user

        event = services.record(None, AuditEvent.Action.LOGIN, user=self.sender_msw)
        root = make_user(None, username="root", is_staff=True, is_superuser=True)
        self.login(root)
        change = reverse("admin:audit_auditevent_change", args=[event.pk])
        self.assertEqual(self.client.get(reverse("admin:audit_auditevent_changelist")).status_code, 200)
        self.assertEqual(self.client.get(change).status_code, 200)  # view only
        self.assertEqual(self.client.post(change, {"username": "x"}).status_code, 403)
        delete = reverse("admin:audit_auditevent_delete", args=[event.pk])
        self.assertEqual(self.client.post(delete, {"post": "yes"}).status_code, 403)
        self.assertEqual(self.client.get(reverse("admin:audit_auditevent_add")).status_code, 403)
        self.assertEqual(AuditEvent.objects.get(pk=event.pk).username, "msw")


class CaseViewsAreRecordedTests(PersonaTestCase):
    def test_viewing_a_case_leaves_a_record_with_its_reference_only(self):
        from tests.referral_factories import make_case

        case = make_case(self.hospital, by=self.sender_msw, needs=["peg"])
        self.login(self.sender_msw)
        self.assertEqual(self.client.get(reverse("cases:detail", args=[case.ref])).status_code, 200)
        event = AuditEvent.objects.get(action=AuditEvent.Action.VIEW)
        self.assertEqual(
            (event.object_type, event.object_ref, event.user), ("case", case.ref, self.sender_msw)
        )
        # An outsider's attempt is a 404 and leaves no view record.
        self.login(self.outsider)
        self.assertEqual(self.client.get(reverse("cases:detail", args=[case.ref])).status_code, 404)
        self.assertEqual(AuditEvent.objects.filter(action=AuditEvent.Action.VIEW).count(), 1)


class ChangeAndRecordCommitTogetherTests(PersonaTestCase):
    """A change and its audit row commit in one transaction: when the audit write fails, the change
    is not there either, and the user is told that the outcome could not be confirmed."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        from datetime import timedelta

        from django.utils import timezone

        from tests.base import make_user
        from tests.referral_factories import make_case, make_receivers, send
        from tsunagu.facilities.models import CoordinationDesk

        cls.case = make_case(cls.hospital, by=cls.sender_msw, needs=["peg"], published=True)
        cls.referral = send(cls.case, [cls.care_unit], cls.sender_msw)[0]
        referral_services.transition(cls.referral, S_VIEWED, by=cls.receiver_nurse)
        cls.accepted = send(cls.case, make_receivers(1), cls.sender_msw)[0]
        cls.accepting = make_user(cls.accepted.receiver)
        referral_services.transition(cls.accepted, S_VIEWED, by=cls.accepting)
        referral_services.transition(
            cls.accepted, "accepted", by=cls.accepting, earliest_date=timezone.localdate() + timedelta(days=1)
        )
        cls.new_units = make_receivers(1)
        cls.desk = CoordinationDesk.objects.create(facility=cls.care_home, name="相談室")

    def changes(self):
        """(user, url, data) of every kind of change the pages make."""
        from django.utils import timezone

        r = self.referral
        return [
            (
                self.receiver_nurse,
                reverse("referrals:answer", args=[r.public_id]),
                {"action": "decline", "decline_reason": "full"},
            ),
            (self.receiver_nurse, reverse("referrals:message", args=[r.public_id]), {"body": "承知しました"}),
            (self.sender_msw, reverse("referrals:withdraw", args=[r.public_id]), {}),
            (
                self.sender_msw,
                reverse("referrals:confirm", args=[self.accepted.public_id]),
                {"next": "board"},
            ),
            (self.sender_msw, reverse("referrals:withdraw_all", args=[self.case.ref]), {"reason": ""}),
            (
                self.sender_msw,
                reverse("referrals:send", args=[self.case.ref]),
                {
                    "units": [str(self.new_units[0].public_id)],
                    "deadline": (timezone.localtime() + timezone.timedelta(days=2)).strftime(
                        "%Y-%m-%dT%H:%M"
                    ),
                    "message": "",
                    "send": "1",
                },
            ),
            (
                self.outsider,
                reverse("referrals:offer", args=[self.case.ref]),
                {"unit": str(self.other_unit.public_id)},
            ),
            (
                self.receiver_nurse,
                reverse("facilities:vacancy_save", args=[self.care_unit.public_id]),
                self.vacancy_post(5),
            ),
            (
                self.receiver_nurse,
                reverse("facilities:vacancy_save", args=[self.care_unit.public_id]),
                self.vacancy_post(None),
            ),
            (self.receiver_nurse, reverse("facilities:vacancy_confirm_all"), self.confirm_all_post()),
            (
                self.receiver_admin,
                reverse("facilities:desks", args=[self.care_home.public_id]),
                {"name": "連携室", "sort_order": 0},
            ),
            (self.receiver_admin, reverse("facilities:desk_delete", args=[self.desk.public_id]), {}),
            (
                self.receiver_admin,
                reverse("facilities:profile_edit", args=[self.care_home.public_id]),
                {"phone": "0463-00-0000"},
            ),
            (self.sender_msw, reverse("cases:close", args=[self.case.ref]), {"outcome": "home", "note": ""}),
        ]

    def vacancy_post(self, free_now):
        if free_now is None:
            return {"action": "unchanged", "version": 0}
        return {"action": "save", "free_now": free_now, "expected_7d": 0, "version": 0}

    def confirm_all_post(self):
        return {f"version-{self.care_unit.public_id}": 0}

    def state(self):
        from tsunagu.accounts.models import Membership
        from tsunagu.cases.models import Case
        from tsunagu.facilities.models import CoordinationDesk, Facility, Vacancy, VacancyEvent
        from tsunagu.referrals.models import Message, Referral, ReferralEvent, RequestBatch

        return (
            sorted(Referral.objects.values_list("pk", "status")),
            ReferralEvent.objects.count(),
            Message.objects.count(),
            RequestBatch.objects.count(),
            sorted(Vacancy.objects.values_list("pk", "free_now", "updated_at")),
            VacancyEvent.objects.count(),
            sorted(CoordinationDesk.objects.values_list("pk", "name")),
            sorted(Facility.objects.values_list("pk", "phone")),
            sorted(Case.objects.values_list("pk", "status")),
            sorted(Membership.objects.values_list("pk", "role")),
        )

    def test_a_failed_audit_write_leaves_no_change_behind(self):
        self.client.raise_request_exception = False
        for user, url, data in self.changes():
            with self.subTest(url=url):
                self.login(user)
                before, rows = self.state(), AuditEvent.objects.count()
                with mock.patch.object(AuditEvent.objects, "create", side_effect=DatabaseError("cut")):
                    response = self.client.post(url, data)
                self.assertEqual(response.status_code, 500)
                self.assertContains(
                    response,
                    "完了したか確認できませんでした。画面を再読み込みして確認してください",
                    status_code=500,
                )
                self.assertNotContains(response, "完了していません", status_code=500)
                self.assertEqual(self.state(), before)
                self.assertEqual(AuditEvent.objects.count(), rows)

    def test_the_api_transition_too(self):
        import json

        self.client.raise_request_exception = False
        self.login(self.receiver_nurse)
        before = self.state()
        with mock.patch.object(AuditEvent.objects, "create", side_effect=DatabaseError("cut")):
            response = self.client.post(
                f"/api/v1/referrals/{self.referral.public_id}/transition",
                json.dumps({"to": "declined", "decline_reason": "full"}),
                content_type="application/json",
            )
        self.assertEqual(response.status_code, 500)
        self.assertEqual(self.state(), before)

    def test_opening_a_request_marks_it_seen_only_with_its_record(self):
        from tests.referral_factories import send

        fresh = send(self.case, [self.other_unit], self.sender_msw)[0]
        self.client.raise_request_exception = False
        self.login(self.outsider)
        with mock.patch.object(AuditEvent.objects, "create", side_effect=DatabaseError("cut")):
            response = self.client.get(reverse("referrals:detail", args=[fresh.public_id]))
        self.assertContains(response, "システムエラーが発生しました", status_code=500)
        fresh.refresh_from_db()
        self.assertEqual(fresh.status, "sent")

    def test_each_change_is_recorded_when_nothing_fails(self):
        """Control for the test above: the same requests do change something and leave a record."""
        for user, url, data in self.changes():
            with self.subTest(url=url), transaction.atomic():
                self.login(user)
                before, rows = self.state(), AuditEvent.objects.count()
                response = self.client.post(url, data)
                self.assertLess(response.status_code, 400)
                self.assertNotEqual(self.state(), before)
                self.assertGreater(AuditEvent.objects.count(), rows)
                transaction.set_rollback(True)


class ServerErrorPageTests(PersonaTestCase):
    def test_after_a_get_the_page_says_a_system_error_occurred(self):
        self.client.raise_request_exception = False
        self.login(self.receiver_nurse)
        with mock.patch("tsunagu.facilities.views._vacancy_units", side_effect=DatabaseError("cut")):
            response = self.client.get(reverse("facilities:vacancy"))
        self.assertContains(response, "システムエラーが発生しました", status_code=500)
        self.assertNotContains(response, "完了したか確認できませんでした", status_code=500)

    def test_in_english_too(self):
        self.client.raise_request_exception = False
        self.login(self.receiver_nurse)
        with mock.patch("tsunagu.facilities.views._vacancy_units", side_effect=DatabaseError("cut")):
            response = self.client.post(
                reverse("facilities:vacancy_confirm_all"), headers={"accept-language": "en"}
            )
        self.assertContains(response, "We could not confirm whether this was completed", status_code=500)


class RefusedAccessIsRecordedTests(PersonaTestCase):
    """A logged-in user's 403 or 404 on a URL naming an object leaves exactly one row."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        from tests.referral_factories import make_case, send

        cls.case = make_case(cls.hospital, by=cls.sender_msw, needs=["peg"])
        [cls.referral] = send(cls.case, [cls.care_unit], by=cls.sender_msw)

    def denied(self):
        return list(AuditEvent.objects.filter(action=AuditEvent.Action.DENIED))

    def test_an_outsiders_404_on_a_case_is_recorded_once_with_the_id_and_status(self):
        self.login(self.outsider)
        url = reverse("cases:detail", args=[self.case.ref])
        self.assertEqual(self.client.get(url).status_code, 404)
        [event] = self.denied()
        self.assertEqual(
            (event.user, event.facility, event.object_ref), (self.outsider, self.other, self.case.ref)
        )
        self.assertEqual(event.detail, {"status": 404, "method": "GET", "path": url, "view": "cases:detail"})

    def test_a_403_for_the_wrong_role_is_recorded(self):
        # The office may look at a case but not change it.
        self.login(self.office)
        url = reverse("cases:edit", args=[self.case.ref])
        self.assertEqual(self.client.post(url).status_code, 403)
        [event] = self.denied()
        self.assertEqual(
            (event.user, event.detail["status"], event.detail["method"]), (self.office, 403, "POST")
        )

    def test_the_api_refusal_is_recorded(self):
        self.login(self.outsider)
        url = f"/api/v1/referrals/{self.referral.public_id}"
        self.assertEqual(self.client.get(url).status_code, 404)
        [event] = self.denied()
        self.assertEqual(event.object_ref, str(self.referral.public_id))

    def test_unknown_pages_and_anonymous_visitors_leave_nothing(self):
        self.assertEqual(self.client.get(reverse("cases:detail", args=[self.case.ref])).status_code, 302)
        self.login(self.outsider)
        self.assertEqual(self.client.get("/no-such-page/").status_code, 404)
        self.assertEqual(self.client.get(reverse("audit:search")).status_code, 403)  # names no object
        self.assertEqual(self.denied(), [])

    def test_the_owner_leaves_no_refusal(self):
        self.login(self.sender_msw)
        self.assertEqual(self.client.get(reverse("cases:detail", args=[self.case.ref])).status_code, 200)
        self.assertEqual(self.denied(), [])


class AdminViewsAreRecordedTests(PersonaTestCase):
    """The office's look at cases and referrals in the admin is in the trail like the pages'."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        from tests.base import make_user
        from tests.referral_factories import make_case, send

        cls.case = make_case(cls.hospital, by=cls.sender_msw, needs=["peg"])
        [cls.referral] = send(cls.case, [cls.care_unit], by=cls.sender_msw)
        cls.root = make_user(None, username="root", is_staff=True, is_superuser=True)

    def admin_views(self):
        return list(
            AuditEvent.objects.filter(action=AuditEvent.Action.VIEW, detail__via="admin")
            .order_by("id")
            .values_list("object_type", "object_ref", "detail__page")
        )

    def test_lists_and_records_opened_in_the_admin_are_recorded(self):
        self.login(self.root)
        pages = [
            (reverse("admin:cases_case_changelist"), {"q": "C-"}),
            (reverse("admin:cases_case_change", args=[self.case.pk]), {}),
            (reverse("admin:referrals_referral_changelist"), {}),
            (reverse("admin:referrals_referral_change", args=[self.referral.pk]), {}),
        ]
        for url, query in pages:
            self.assertEqual(self.client.get(url, query).status_code, 200, url)
        self.assertEqual(
            self.admin_views(),
            [
                ("case", "", "list"),
                ("case", self.case.ref, "change"),
                ("referral", "", "list"),
                ("referral", str(self.referral.public_id), "change"),
            ],
        )
        self.assertEqual(AuditEvent.objects.filter(detail__page="list").first().user, self.root)
