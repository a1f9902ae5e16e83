"""The referral loop as its users live it: send to many, answers, one confirmation, release."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.core import mail
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.base import PersonaTestCase, make_unit, make_user
from tests.referral_factories import make_case, make_receivers, send
from tsunagu.cases.models import Case
from tsunagu.lib.workdays import default_reply_deadline
from tsunagu.notifications.models import Notification, OutgoingEmail
from tsunagu.notifications.services import send_pending_emails
from tsunagu.referrals import services
from tsunagu.referrals.models import Message, Referral, ReferralEvent, RequestBatch, Side
from tsunagu.referrals.services import TransitionRefused

S = Referral.Status
JST = ZoneInfo("Asia/Tokyo")
TOMORROW = timezone.localdate() + timedelta(days=1)


class ReferralTestCase(PersonaTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.case = make_case(cls.hospital, by=cls.sender_msw, needs=["peg"])

    def referral_to_care_home(self, **kwargs):
        return send(self.case, [self.care_unit], self.sender_msw, **kwargs)[0]


class SendingTests(ReferralTestCase):
    def test_msw_sends_to_twelve_two_accept_she_confirms_one_the_others_are_released_and_told(self):
        units = make_receivers(12)
        staff = [make_user(unit.facility) for unit in units]
        referrals = send(self.case, units, self.sender_msw, message="夜間の吸引が必要です")
        self.assertEqual(len(referrals), 12)
        self.assertEqual(RequestBatch.objects.filter(case=self.case).count(), 1)
        self.assertEqual(Notification.objects.filter(kind="new_request").count(), 12)

        first, second = referrals[0], referrals[1]
        for referral, user in ((first, staff[0]), (second, staff[1])):
            services.open_referral(referral, user)
            services.transition(referral, S.ACCEPTED, by=user, earliest_date=TOMORROW)
        services.transition(referrals[2], S.VIEWED, by=staff[2])
        services.transition(referrals[2], S.DECLINED, by=staff[2], decline_reason="full")

        services.transition(first, S.CONFIRMED, by=self.sender_msw)

        self.case.refresh_from_db()
        self.assertEqual(self.case.status, Case.Status.MATCHED)
        statuses = dict(Referral.objects.filter(case=self.case).values_list("pk", "status"))
        self.assertEqual(statuses[first.pk], S.CONFIRMED)
        self.assertEqual(statuses[second.pk], S.RELEASED)
        self.assertEqual(statuses[referrals[2].pk], S.DECLINED)
        self.assertEqual(sum(1 for s in statuses.values() if s == S.RELEASED), 10)
        released = Notification.objects.filter(kind="released")
        self.assertEqual(released.count(), 10)
        self.assertIn(second.receiver, [n.facility for n in released])
        release_event = ReferralEvent.objects.get(referral=second, to_status=S.RELEASED)
        self.assertEqual((release_event.from_status, release_event.actor), (S.ACCEPTED, self.sender_msw))
        self.assertEqual(release_event.reason, "他施設に決定")

    def test_each_receiver_gets_its_own_referral_with_the_deadline_and_the_message(self):
        deadline = timezone.now() + timedelta(days=2)
        referrals = send(
            self.case,
            [self.care_unit, self.other_unit],
            self.sender_msw,
            deadline=deadline,
            message="ご検討ください",
        )
        self.assertEqual({r.receiver for r in referrals}, {self.care_home, self.other})
        self.assertTrue(all(r.deadline == deadline and r.status == S.SENT for r in referrals))
        self.assertEqual(Message.objects.filter(body="ご検討ください").count(), 2)

    def test_the_default_deadline_is_the_next_working_day_at_five(self):
        referral = self.referral_to_care_home()
        self.assertEqual(referral.deadline, default_reply_deadline(referral.created_at))
        self.assertEqual(timezone.localtime(referral.deadline).hour, 17)

    def test_a_message_with_personal_data_is_refused_and_nothing_is_sent(self):
        with self.assertRaisesMessage(Exception, "電話番号"):
            send(self.case, [self.care_unit], self.sender_msw, message="家族 090-1234-5678")
        self.assertFalse(Referral.objects.exists())

    def test_the_same_unit_is_not_asked_twice_while_its_referral_is_open(self):
        self.referral_to_care_home()
        with self.assertRaisesMessage(Exception, "すでに回答待ち"):
            self.referral_to_care_home()
        self.assertEqual(Referral.objects.count(), 1)

    def test_the_database_refuses_a_second_open_referral_for_the_same_unit(self):
        referral = self.referral_to_care_home()
        with self.assertRaises(IntegrityError), transaction.atomic():
            Referral.objects.create(
                case=self.case,
                batch=referral.batch,
                unit=self.care_unit,
                receiver=self.care_home,
                deadline=referral.deadline,
            )

    def test_only_the_case_owners_staff_can_send(self):
        with self.assertRaisesMessage(Exception, "この患者登録の施設の職員だけ"):
            send(self.case, [self.care_unit], self.receiver_nurse)

    def test_a_matched_case_cannot_be_sent_again(self):
        self.case.mark_matched()
        with self.assertRaisesMessage(Exception, "調整中の患者登録だけ"):
            self.referral_to_care_home()


class TransitionTableTests(ReferralTestCase):
    def actor_for(self, side):
        return {Side.SENDER: self.sender_msw, Side.RECEIVER: self.receiver_nurse, Side.SYSTEM: None}[side]

    def answer_for(self, to, direction="request"):
        if to == S.ACCEPTED:
            return {"earliest_date": TOMORROW}
        if to == S.DECLINED and direction == "request":
            return {"decline_reason": "full"}
        return {}

    def test_every_step_not_in_the_table_is_refused_and_changes_nothing(self):
        referral = self.referral_to_care_home()
        for direction in Referral.Direction.values:
            for old in S.values:
                for new in S.values:
                    if (direction, old, new) in Referral.TRANSITIONS:
                        continue
                    # Put the row in the starting state directly (test set-up only).
                    Referral.objects.filter(pk=referral.pk).update(
                        status=old,
                        direction=direction,
                        earliest_date=TOMORROW,
                        batch=referral.batch if direction == "request" else None,
                        decline_reason="full" if old == S.DECLINED and direction == "request" else "",
                    )
                    referral.refresh_from_db()
                    events = ReferralEvent.objects.count()
                    for actor in (self.sender_msw, self.receiver_nurse, None):
                        with self.subTest(direction=direction, old=old, new=new, actor=actor):
                            with self.assertRaisesMessage(TransitionRefused, "にはできません"):
                                services.transition(referral, new, by=actor, **self.answer_for(new))
                            self.assertEqual(Referral.objects.get(pk=referral.pk).status, old)
                    self.assertEqual(ReferralEvent.objects.count(), events)

    def test_every_step_in_the_table_is_refused_for_the_other_side_and_the_office(self):
        referral = self.referral_to_care_home()
        for (direction, old, new), side in Referral.TRANSITIONS.items():
            Referral.objects.filter(pk=referral.pk).update(
                status=old,
                direction=direction,
                earliest_date=TOMORROW if old == S.ACCEPTED else None,
                batch=referral.batch if direction == "request" else None,
            )
            referral.refresh_from_db()
            for actor in (self.sender_msw, self.receiver_nurse, None, self.office, self.outsider):
                if actor is self.actor_for(side):
                    continue
                with self.subTest(old=old, new=new, actor=actor):
                    with self.assertRaises(TransitionRefused):
                        services.transition(referral, new, by=actor, **self.answer_for(new))
                    self.assertEqual(Referral.objects.get(pk=referral.pk).status, old)

    def test_every_step_in_the_table_works_for_its_side_and_writes_one_event(self):
        for (direction, old, new), side in Referral.TRANSITIONS.items():
            Case.objects.filter(pk=self.case.pk).update(status="open")
            Referral.objects.all().delete()
            if direction == "request":
                referral = self.referral_to_care_home()
            else:
                Case.objects.filter(pk=self.case.pk).update(published_for_offers=True)
                self.case.refresh_from_db()
                referral = services.make_offer(self.case, self.care_unit, by=self.receiver_nurse)
            Referral.objects.filter(pk=referral.pk).update(
                status=old, earliest_date=TOMORROW if old == S.ACCEPTED else None
            )
            referral.refresh_from_db()
            with self.subTest(direction=direction, old=old, new=new):
                services.transition(referral, new, by=self.actor_for(side), **self.answer_for(new, direction))
                self.assertEqual(Referral.objects.get(pk=referral.pk).status, new)
                event = referral.events.get(from_status=old)
                self.assertEqual(event.to_status, new)
                self.assertEqual(event.actor, self.actor_for(side))

    def test_a_decline_needs_a_reason_and_other_needs_a_note(self):
        referral = self.referral_to_care_home()
        services.transition(referral, S.VIEWED, by=self.receiver_nurse)
        with self.assertRaisesMessage(TransitionRefused, "理由を選んでください"):
            services.transition(referral, S.DECLINED, by=self.receiver_nurse)
        with self.assertRaisesMessage(TransitionRefused, "理由を書いてください"):
            services.transition(referral, S.DECLINED, by=self.receiver_nurse, decline_reason="other")
        self.assertEqual(Referral.objects.get(pk=referral.pk).status, S.VIEWED)

    def test_an_acceptance_needs_a_date(self):
        referral = self.referral_to_care_home()
        services.transition(referral, S.VIEWED, by=self.receiver_nurse)
        with self.assertRaisesMessage(TransitionRefused, "受入れ可能日"):
            services.transition(referral, S.ACCEPTED, by=self.receiver_nurse)

    def test_a_stale_copy_cannot_overwrite_a_newer_state(self):
        referral = self.referral_to_care_home()
        stale = Referral.objects.get(pk=referral.pk)
        services.transition(referral, S.WITHDRAWN, by=self.sender_msw)
        stale.status = S.SENT
        with self.assertRaisesMessage(TransitionRefused, "他の人が先に更新"):
            services.transition(stale, S.VIEWED, by=self.receiver_nurse)
        self.assertEqual(Referral.objects.get(pk=referral.pk).status, S.WITHDRAWN)

    def test_accepting_after_the_case_was_matched_fails(self):
        units = make_receivers(2)
        first, second = send(self.case, units, self.sender_msw)
        users = [make_user(unit.facility) for unit in units]
        for referral, user in zip((first, second), users):
            services.transition(referral, S.VIEWED, by=user)
        services.transition(first, S.ACCEPTED, by=users[0], earliest_date=TOMORROW)
        stale_second = Referral.objects.select_related("case").get(pk=second.pk)
        services.transition(first, S.CONFIRMED, by=self.sender_msw)
        with self.assertRaises(TransitionRefused):
            services.transition(stale_second, S.ACCEPTED, by=users[1], earliest_date=TOMORROW)
        self.assertEqual(Referral.objects.get(pk=second.pk).status, S.RELEASED)

    def test_the_database_allows_one_confirmed_referral_per_case(self):
        first, second = send(self.case, make_receivers(2), self.sender_msw)
        Referral.objects.filter(pk=first.pk).update(status=S.CONFIRMED)
        with self.assertRaises(IntegrityError), transaction.atomic():
            Referral.objects.filter(pk=second.pk).update(status=S.CONFIRMED)

    def test_withdrawing_the_whole_request_tells_every_receiver(self):
        referrals = send(self.case, make_receivers(3), self.sender_msw)
        outcome = services.withdraw_case(self.case, by=self.sender_msw, reason="自宅退院に変更")
        self.assertEqual((len(outcome.withdrawn), outcome.kept), (3, []))
        self.assertEqual(set(Referral.objects.values_list("status", flat=True)), {S.WITHDRAWN})
        self.assertEqual(Notification.objects.filter(kind="withdrawn").count(), len(referrals))


class WorkerTaskTests(ReferralTestCase):
    def test_overdue_referrals_expire_with_an_event_and_both_sides_are_told(self):
        referral = self.referral_to_care_home()
        accepted = send(self.case, make_receivers(1), self.sender_msw)[0]
        Referral.objects.filter(pk=accepted.pk).update(status=S.ACCEPTED, earliest_date=TOMORROW)
        Referral.objects.update(deadline=timezone.now() - timedelta(minutes=1))
        self.assertEqual(services.expire_overdue_referrals(), 1)
        referral.refresh_from_db()
        self.assertEqual(referral.status, S.EXPIRED)
        self.assertEqual(referral.events.get(to_status=S.EXPIRED).actor, None)
        self.assertEqual(Referral.objects.get(pk=accepted.pk).status, S.ACCEPTED)
        self.assertEqual(Notification.objects.filter(kind="expired").count(), 2)
        self.assertEqual(services.expire_overdue_referrals(), 0)

    def test_a_reminder_goes_out_once_some_hours_before_the_deadline(self):
        referral = self.referral_to_care_home(deadline=timezone.now() + timedelta(hours=2))
        later = send(
            self.case, make_receivers(1), self.sender_msw, deadline=timezone.now() + timedelta(days=2)
        )[0]
        self.assertEqual(services.send_deadline_reminders(), 1)
        self.assertEqual(services.send_deadline_reminders(), 0)
        reminder = Notification.objects.get(kind="reminder")
        self.assertEqual((reminder.facility, reminder.referral), (self.care_home, referral))
        self.assertIsNone(Referral.objects.get(pk=later.pk).reminded_at)

    def test_emails_go_to_the_members_who_want_them_through_the_worker(self):
        make_user(self.care_home, email="nowants@example.jp", wants_email=False)
        self.referral_to_care_home()
        self.assertEqual(len(mail.outbox), 0)  # queued with the change, sent by the worker
        self.assertEqual(send_pending_emails(), 2)  # receiver_nurse and receiver_admin
        recipients = sorted(m.to[0] for m in mail.outbox)
        self.assertEqual(recipients, sorted([self.receiver_nurse.email, self.receiver_admin.email]))
        self.assertIn("新しい受入れ依頼", mail.outbox[0].subject)
        self.assertIn("/referrals/", mail.outbox[0].body)
        self.assertEqual(send_pending_emails(), 0)
        self.assertFalse(OutgoingEmail.objects.filter(sent_at__isnull=True).exists())

    def test_a_failing_mail_server_leaves_the_email_queued_for_another_try(self):
        self.referral_to_care_home()
        with self.settings(EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend", EMAIL_PORT=1):
            self.assertEqual(send_pending_emails(limit=2), 0)
        self.assertEqual(OutgoingEmail.objects.filter(sent_at__isnull=True, attempts__gte=1).count(), 2)
        self.assertEqual(send_pending_emails(), 2)


class WorkerLoopTests(ReferralTestCase):
    def test_the_worker_loop_expires_reminds_and_mails(self):
        from tsunagu.lib.worker import run_once

        overdue = self.referral_to_care_home()
        Referral.objects.filter(pk=overdue.pk).update(deadline=timezone.now() - timedelta(minutes=5))
        soon = send(
            self.case, make_receivers(1), self.sender_msw, deadline=timezone.now() + timedelta(hours=1)
        )[0]
        nurse = make_user(soon.receiver, email="yakin@example.jp")
        done = run_once()
        self.assertEqual(done["tsunagu.referrals.services.expire_overdue_referrals"], 1)
        self.assertEqual(done["tsunagu.referrals.services.send_deadline_reminders"], 1)
        self.assertGreater(done["tsunagu.notifications.services.send_pending_emails"], 0)
        self.assertEqual(Referral.objects.get(pk=overdue.pk).status, S.EXPIRED)
        self.assertIsNotNone(Referral.objects.get(pk=soon.pk).reminded_at)
        self.assertTrue(any("回答期限" in m.subject and m.to == [nurse.email] for m in mail.outbox))

    def test_a_failure_midway_leaves_each_item_whole(self):
        from unittest import mock

        first, second = send(self.case, make_receivers(2), self.sender_msw)
        Referral.objects.update(deadline=timezone.now() - timedelta(minutes=1))
        real_notify = services.notify
        calls = []

        def flaky_notify(facility, kind, text, **kwargs):
            calls.append(kind)
            if len(calls) == 3:  # the first notification of the second referral
                raise RuntimeError("worker killed")
            return real_notify(facility, kind, text, **kwargs)

        with mock.patch.object(services, "notify", flaky_notify):
            with self.assertRaises(RuntimeError):
                services.expire_overdue_referrals()
        self.assertEqual(Referral.objects.get(pk=first.pk).status, S.EXPIRED)
        self.assertEqual(ReferralEvent.objects.filter(referral=first, to_status=S.EXPIRED).count(), 1)
        self.assertEqual(Referral.objects.get(pk=second.pk).status, S.SENT)
        self.assertFalse(ReferralEvent.objects.filter(referral=second, to_status=S.EXPIRED).exists())
        self.assertFalse(Notification.objects.filter(referral=second, kind="expired").exists())
        # The next run finishes the job.
        self.assertEqual(services.expire_overdue_referrals(), 1)


class ClosedCaseTests(ReferralTestCase):
    def test_closing_a_case_withdraws_its_open_requests_and_declines_its_offers(self):
        requested, answered = send(self.case, make_receivers(2), self.sender_msw)
        services.transition(answered, S.VIEWED, by=make_user(answered.receiver))
        services.transition(answered, S.DECLINED, by=make_user(answered.receiver), decline_reason="full")
        Case.objects.filter(pk=self.case.pk).update(published_for_offers=True)
        self.case.refresh_from_db()
        offer = services.make_offer(self.case, self.care_unit, by=self.receiver_nurse)
        self.case.close("home", by=self.sender_msw)
        self.assertEqual(services.withdraw_referrals_of_closed_cases(), 2)
        self.assertEqual(Referral.objects.get(pk=requested.pk).status, S.WITHDRAWN)
        self.assertEqual(Referral.objects.get(pk=offer.pk).status, S.DECLINED)
        self.assertEqual(Referral.objects.get(pk=answered.pk).status, S.DECLINED)
        event = ReferralEvent.objects.get(referral=requested, to_status=S.WITHDRAWN)
        self.assertEqual(event.actor, self.sender_msw)
        self.assertIn("自宅へ退院した", event.reason)
        self.assertTrue(Notification.objects.filter(facility=requested.receiver, kind="withdrawn").exists())
        self.assertEqual(services.withdraw_referrals_of_closed_cases(), 0)


class DeadlineTests(PersonaTestCase):
    def test_friday_afternoon_gives_monday_five_pm(self):
        friday = datetime(2026, 11, 13, 15, 0, tzinfo=JST)
        self.assertEqual(default_reply_deadline(friday), datetime(2026, 11, 16, 17, 0, tzinfo=JST))

    def test_a_national_holiday_is_skipped(self):
        # 2026-11-23 (Mon) is 勤労感謝の日.
        friday = datetime(2026, 11, 20, 9, 0, tzinfo=JST)
        self.assertEqual(default_reply_deadline(friday), datetime(2026, 11, 24, 17, 0, tzinfo=JST))

    def test_golden_week_is_skipped(self):
        thursday = datetime(2026, 4, 30, 10, 0, tzinfo=JST)
        self.assertEqual(default_reply_deadline(thursday).date(), date(2026, 5, 1))
        friday = datetime(2026, 5, 1, 10, 0, tzinfo=JST)
        self.assertEqual(default_reply_deadline(friday).date(), date(2026, 5, 7))

    def test_late_evening_utc_counts_in_japan_time(self):
        # 2026-11-19 23:00 UTC is already Friday 08:00 in Japan.
        moment = datetime(2026, 11, 19, 23, 0, tzinfo=ZoneInfo("UTC"))
        self.assertEqual(default_reply_deadline(moment), datetime(2026, 11, 24, 17, 0, tzinfo=JST))


class HomeCareAdmissionTests(PersonaTestCase):
    def test_a_home_care_clinic_finds_a_hospital_bed_for_today_through_the_same_loop(self):
        ward = make_unit(
            self.hospital,
            kind_code="chiiki_houkatsu",
            name="地域包括ケア病棟",
            capabilities=["peg"],
            free_now=2,
        )
        case = make_case(self.clinic, by=self.clinic_nurse, needs=["peg"], wished_date=timezone.localdate())
        referral = send(case, [ward], self.clinic_nurse)[0]
        services.transition(referral, S.VIEWED, by=self.sender_msw)
        services.transition(referral, S.ACCEPTED, by=self.sender_msw, earliest_date=timezone.localdate())
        services.transition(referral, S.CONFIRMED, by=self.clinic_nurse)
        case.refresh_from_db()
        self.assertEqual(case.status, Case.Status.MATCHED)
        self.assertEqual(referral.receiver, self.hospital)


class QueryCountTests(ReferralTestCase):
    def count_queries(self, url):
        with CaptureQueriesContext(connection) as queries:
            response = self.client.get(url)
        self.assertEqual(response.status_code, 200)
        return len(queries)

    def test_inbox_queries_do_not_grow_with_the_number_of_requests(self):
        self.login(self.receiver_nurse)
        self.referral_to_care_home()
        small = self.count_queries(reverse("referrals:inbox"))
        for _index in range(6):
            case = make_case(self.hospital, by=self.sender_msw, needs=["peg"])
            send(case, [self.care_unit], self.sender_msw)
        self.assertEqual(self.count_queries(reverse("referrals:inbox")), small)

    def test_board_queries_do_not_grow_with_the_number_of_receivers(self):
        self.login(self.sender_msw)
        send(self.case, make_receivers(2), self.sender_msw)
        url = reverse("referrals:board", args=[self.case.ref])
        small = self.count_queries(url)
        case = make_case(self.hospital, by=self.sender_msw, needs=["peg"])
        referrals = send(case, make_receivers(10), self.sender_msw)
        services.transition(referrals[0], S.VIEWED, by=make_user(referrals[0].receiver))
        self.assertEqual(self.count_queries(reverse("referrals:board", args=[case.ref])), small)


class CaseVisibilityTests(ReferralTestCase):
    def test_a_receiver_sees_a_case_addressed_to_it_and_the_outsider_does_not(self):
        self.assertFalse(Case.objects.visible_to(self.receiver_nurse).filter(pk=self.case.pk).exists())
        self.referral_to_care_home()
        self.assertTrue(Case.objects.visible_to(self.receiver_nurse).filter(pk=self.case.pk).exists())
        self.assertFalse(Case.objects.visible_to(self.outsider).filter(pk=self.case.pk).exists())

    def test_published_open_cases_are_seen_in_their_area_only(self):
        Case.objects.filter(pk=self.case.pk).update(published_for_offers=True)
        self.assertTrue(Case.objects.visible_to(self.outsider).filter(pk=self.case.pk).exists())
        far = make_user(make_facility_elsewhere())
        self.assertFalse(Case.objects.visible_to(far).filter(pk=self.case.pk).exists())
        Case.objects.filter(pk=self.case.pk).update(status="matched")
        self.assertFalse(Case.objects.visible_to(self.outsider).filter(pk=self.case.pk).exists())


def make_facility_elsewhere():
    from tests.base import make_area, make_facility, make_municipality

    area = make_area(code="0101", name="南渡島", pref_code="01", pref_name="北海道")
    return make_facility(
        "函館の特養", municipality=make_municipality(code="012025", name="函館市", area=area, pref_code="01")
    )


class CaseProgressTests(ReferralTestCase):
    def test_cases_carry_their_referral_counts_in_one_query(self):
        from tsunagu.referrals.models import with_referral_counts

        units = make_receivers(4)
        referrals = send(self.case, units, self.sender_msw)
        users = [make_user(unit.facility) for unit in units]
        services.transition(referrals[0], S.VIEWED, by=users[0])
        services.transition(referrals[0], S.ACCEPTED, by=users[0], earliest_date=TOMORROW)
        services.transition(referrals[1], S.VIEWED, by=users[1])
        services.transition(referrals[1], S.DECLINED, by=users[1], decline_reason="cost")
        with self.assertNumQueries(1):
            case = with_referral_counts(Case.objects.filter(pk=self.case.pk)).get()
        self.assertEqual(
            (case.n_referrals, case.n_unanswered, case.n_accepted, case.n_declined), (4, 2, 1, 1)
        )
