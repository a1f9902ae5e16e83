"""The referral pages: answering in three taps, the board, tenancy (404), roles (403), methods (405)."""

from datetime import timedelta
from unittest import mock

from django.urls import reverse
from django.utils import timezone

from tests.base import PersonaTestCase, make_user
from tests.referral_factories import make_case, make_receivers, send
from tsunagu.audit.models import AuditEvent
from tsunagu.cases.models import Case
from tsunagu.notifications.models import Notification
from tsunagu.referrals import services
from tsunagu.referrals.models import Referral, ReferralEvent

S = Referral.Status
TOMORROW = timezone.localdate() + timedelta(days=1)


class ReferralViewTestCase(PersonaTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.case = make_case(cls.hospital, by=cls.sender_msw, needs=["peg"])

    def setUp(self):
        self.referral = send(self.case, [self.care_unit], self.sender_msw)[0]

    def url(self, name, referral=None):
        return reverse(f"referrals:{name}", args=[(referral or self.referral).public_id])

    def status(self):
        return Referral.objects.get(pk=self.referral.pk).status


class ReceiverAnswerTests(ReferralViewTestCase):
    def test_opening_a_request_marks_it_seen_for_the_sender(self):
        self.login(self.receiver_nurse)
        response = self.client.get(self.url("detail"))
        self.assertContains(response, "受入可")
        self.assertContains(response, "受入不可")
        self.assertContains(response, "要相談")
        self.assertContains(response, self.case.ref)
        self.assertEqual(self.status(), S.VIEWED)
        self.assertTrue(Notification.objects.filter(facility=self.hospital, kind="viewed").exists())

    def test_the_sender_opening_it_does_not_mark_it_seen(self):
        self.login(self.sender_msw)
        self.client.get(self.url("detail"))
        self.assertEqual(self.status(), S.SENT)

    def test_accept_with_the_earliest_date(self):
        self.login(self.receiver_nurse)
        self.client.get(self.url("detail"))
        response = self.client.post(
            self.url("answer"), {"action": "accept", "earliest_date": TOMORROW.isoformat()}
        )
        self.assertRedirects(response, self.url("detail"))
        referral = Referral.objects.get(pk=self.referral.pk)
        self.assertEqual((referral.status, referral.earliest_date), (S.ACCEPTED, TOMORROW))

    def test_decline_with_a_reason_code(self):
        self.login(self.receiver_nurse)
        self.client.get(self.url("detail"))
        self.client.post(self.url("answer"), {"action": "decline", "decline_reason": "full"})
        referral = Referral.objects.get(pk=self.referral.pk)
        self.assertEqual((referral.status, referral.decline_reason), (S.DECLINED, "full"))
        self.login(self.sender_msw)
        board = self.client.get(reverse("referrals:board", args=[self.case.ref]))
        self.assertContains(board, "満床")

    def test_ask_a_question_which_becomes_a_message(self):
        self.login(self.receiver_nurse)
        self.client.get(self.url("detail"))
        self.client.post(self.url("answer"), {"action": "ask", "question": "夜間の吸引回数を教えてください"})
        self.assertEqual(self.status(), S.ASKED)
        self.assertEqual(self.referral.messages.get().body, "夜間の吸引回数を教えてください")

    def test_a_question_with_personal_data_is_refused_with_the_reason(self):
        self.login(self.receiver_nurse)
        self.client.get(self.url("detail"))
        response = self.client.post(
            self.url("answer"), {"action": "ask", "question": "山田様の件"}, follow=True
        )
        self.assertContains(response, "氏名のような呼び方")
        self.assertEqual(self.status(), S.VIEWED)
        self.assertFalse(self.referral.messages.exists())

    def test_a_refused_step_shows_a_japanese_error_and_changes_nothing(self):
        self.login(self.receiver_nurse)
        self.client.get(self.url("detail"))
        self.client.post(self.url("answer"), {"action": "decline", "decline_reason": "full"})
        response = self.client.post(
            self.url("answer"), {"action": "accept", "earliest_date": TOMORROW.isoformat()}, follow=True
        )
        self.assertContains(response, "「受入不可」の打診を「受入可」にはできません。")
        self.assertEqual(self.status(), S.DECLINED)

    def test_the_sender_cannot_answer_for_the_receiver(self):
        self.login(self.sender_msw)
        response = self.client.post(
            self.url("answer"), {"action": "accept", "earliest_date": TOMORROW.isoformat()}
        )
        self.assertEqual(response.status_code, 403)
        self.assertEqual(self.status(), S.SENT)

    def test_both_sides_exchange_messages_and_the_guard_refuses_personal_data(self):
        self.login(self.sender_msw)
        self.client.post(self.url("message"), {"body": "吸引は夜間2回です"})
        self.client.post(self.url("message"), {"body": "連絡は 0463-12-3456 へ"})
        self.login(self.receiver_nurse)
        self.client.post(self.url("message"), {"body": "承知しました"})
        bodies = list(self.referral.messages.values_list("body", flat=True))
        self.assertEqual(bodies, ["吸引は夜間2回です", "承知しました"])
        self.assertTrue(Notification.objects.filter(facility=self.care_home, kind="message").exists())


class SenderBoardTests(ReferralViewTestCase):
    def test_the_board_shows_who_saw_accepted_declined_and_who_has_not_answered(self):
        units = make_receivers(3)
        others = send(self.case, units, self.sender_msw)
        users = [make_user(unit.facility) for unit in units]
        services.transition(others[0], S.VIEWED, by=users[0])
        services.transition(others[0], S.ACCEPTED, by=users[0], earliest_date=TOMORROW)
        services.transition(others[1], S.VIEWED, by=users[1])
        services.transition(others[1], S.DECLINED, by=users[1], decline_reason="staffing")
        self.login(self.sender_msw)
        response = self.client.get(reverse("referrals:board", args=[self.case.ref]))
        self.assertContains(response, "未読 2")
        self.assertContains(response, "受入可 1")
        self.assertContains(response, "人員不足")
        self.assertContains(response, "回答待ち")
        self.assertContains(response, "決定")
        self.assertContains(response, 'hx-trigger="every 10s"')
        partial = self.client.get(
            reverse("referrals:board", args=[self.case.ref]), headers={"HX-Request": "true"}
        )
        self.assertNotContains(partial, "<html")
        self.assertContains(partial, "受入可 1")

    def test_confirm_from_the_board_matches_the_case_and_releases_the_others(self):
        other = send(self.case, make_receivers(1), self.sender_msw)[0]
        services.transition(self.referral, S.VIEWED, by=self.receiver_nurse)
        services.transition(self.referral, S.ACCEPTED, by=self.receiver_nurse, earliest_date=TOMORROW)
        self.login(self.sender_msw)
        response = self.client.post(self.url("confirm"), {"next": "board"})
        self.assertRedirects(response, reverse("referrals:board", args=[self.case.ref]))
        self.assertEqual(self.status(), S.CONFIRMED)
        self.assertEqual(Referral.objects.get(pk=other.pk).status, S.RELEASED)
        self.assertEqual(Case.objects.get(pk=self.case.pk).status, "matched")

    def test_the_receiver_cannot_confirm(self):
        services.transition(self.referral, S.VIEWED, by=self.receiver_nurse)
        services.transition(self.referral, S.ACCEPTED, by=self.receiver_nurse, earliest_date=TOMORROW)
        self.login(self.receiver_nurse)
        response = self.client.post(self.url("confirm"), follow=True)
        self.assertContains(response, "依頼した施設だけ")
        self.assertEqual(self.status(), S.ACCEPTED)

    def test_withdraw_one_or_the_whole_request(self):
        other = send(self.case, make_receivers(1), self.sender_msw)[0]
        self.login(self.sender_msw)
        self.client.post(self.url("withdraw"))
        self.assertEqual(self.status(), S.WITHDRAWN)
        self.assertEqual(Referral.objects.get(pk=other.pk).status, S.SENT)
        self.client.post(reverse("referrals:withdraw_all", args=[self.case.ref]), {"reason": "方針変更"})
        self.assertEqual(Referral.objects.get(pk=other.pk).status, S.WITHDRAWN)

    def test_the_send_page_from_the_search_results_then_the_send(self):
        units = make_receivers(2)
        self.login(self.sender_msw)
        url = reverse("referrals:send", kwargs={"ref": self.case.ref})
        ids = [str(unit.public_id) for unit in units]
        page = self.client.post(url, {"units": ids})
        self.assertContains(page, "依頼を送信")
        self.assertContains(page, units[0].facility.name)
        response = self.client.post(url, {"units": ids, "message": "よろしくお願いします", "send": "1"})
        self.assertRedirects(response, reverse("referrals:board", args=[self.case.ref]))
        self.assertEqual(Referral.objects.filter(unit__in=units).count(), 2)

    def test_sending_with_personal_data_in_the_message_shows_the_reason_and_sends_nothing(self):
        units = make_receivers(1)
        self.login(self.sender_msw)
        response = self.client.post(
            reverse("referrals:send", args=[self.case.ref]),
            {"units": [str(units[0].public_id)], "message": "佐藤さんの件", "send": "1"},
        )
        self.assertContains(response, "氏名のような呼び方")
        self.assertFalse(Referral.objects.filter(unit=units[0]).exists())


class WithdrawAllTests(ReferralViewTestCase):
    """「すべて取り下げる」 while receivers answer: one transaction, a report per referral, never half done."""

    def setUp(self):
        super().setUp()
        self.units = make_receivers(3)
        self.others = send(self.case, self.units, self.sender_msw)
        self.receivers = [make_user(unit.facility) for unit in self.units]
        for referral, user in zip(self.others, self.receivers):
            services.transition(referral, S.VIEWED, by=user)
        self.url_all = reverse("referrals:withdraw_all", args=[self.case.ref])

    def answer_meanwhile(self, changes):
        """Let receivers answer between withdraw-all's read of a referral and its write:
        {referral: callable} runs just before the withdrawal of that referral is attempted."""
        real = services.transition
        pending = {referral.pk: change for referral, change in changes.items()}

        def transition(referral, to, **kwargs):
            change = pending.pop(referral.pk, None)
            if change is not None:
                change()
            return real(referral, to, **kwargs)

        return mock.patch.object(services, "transition", side_effect=transition)

    def decline(self, index):
        def change():
            fresh = Referral.objects.select_related("case", "unit", "receiver").get(pk=self.others[index].pk)
            services.transition(fresh, S.DECLINED, by=self.receivers[index], decline_reason="full")

        return change

    def accept(self, index):
        def change():
            fresh = Referral.objects.select_related("case", "unit", "receiver").get(pk=self.others[index].pk)
            services.transition(fresh, S.ACCEPTED, by=self.receivers[index], earliest_date=TOMORROW)

        return change

    def test_a_receiver_declining_during_it_is_reported_and_the_rest_are_withdrawn(self):
        self.login(self.sender_msw)
        with self.answer_meanwhile({self.others[1]: self.decline(1)}):
            response = self.client.post(self.url_all, {"reason": "自宅退院に変更"}, follow=True)
        self.assertEqual(response.status_code, 200)
        statuses = [Referral.objects.get(pk=r.pk).status for r in [self.referral, *self.others]]
        self.assertEqual(statuses, [S.WITHDRAWN, S.WITHDRAWN, S.DECLINED, S.WITHDRAWN])
        self.assertContains(response, "3件の依頼を取り下げました。")
        self.assertContains(
            response, "1件はすでに回答済みのため取り下げていません: 受入施設2 本体(受入不可)。"
        )
        # Every withdrawal has its event; the declined one has its own answer only.
        self.assertEqual(ReferralEvent.objects.filter(to_status=S.WITHDRAWN).count(), 3)
        self.assertFalse(
            ReferralEvent.objects.filter(referral=self.others[1], to_status=S.WITHDRAWN).exists()
        )
        event = AuditEvent.objects.get(action=AuditEvent.Action.TRANSITION, object_ref=self.case.ref)
        self.assertEqual((event.detail["referrals"], event.detail["kept"]), (3, 1))

    def test_a_referral_accepted_during_it_is_still_withdrawn(self):
        self.login(self.sender_msw)
        with self.answer_meanwhile({self.others[0]: self.accept(0)}):
            response = self.client.post(self.url_all, {"reason": ""}, follow=True)
        self.assertContains(response, "4件の依頼を取り下げました。")
        self.assertNotContains(response, "取り下げていません")
        self.assertEqual(
            set(Referral.objects.filter(case=self.case).values_list("status", flat=True)), {S.WITHDRAWN}
        )

    def test_an_expiry_during_it_is_reported_as_ended(self):
        def expire():
            fresh = Referral.objects.select_related("case", "unit", "receiver").get(pk=self.others[2].pk)
            services.transition(fresh, S.EXPIRED, by=None)

        self.login(self.sender_msw)
        with self.answer_meanwhile({self.others[2]: expire}):
            response = self.client.post(self.url_all, {"reason": ""}, follow=True)
        self.assertContains(
            response, "3件の依頼を取り下げました。1件はすでに終了していたため取り下げていません"
        )
        self.assertEqual(Referral.objects.get(pk=self.others[2].pk).status, S.EXPIRED)

    def test_a_failure_half_way_leaves_every_referral_as_it_was(self):
        real = services.transition
        calls = []

        def transition(referral, to, **kwargs):
            calls.append(referral.pk)
            if len(calls) == 3:
                raise RuntimeError("the database went away")
            return real(referral, to, **kwargs)

        self.login(self.sender_msw)
        self.client.raise_request_exception = False
        with mock.patch.object(services, "transition", side_effect=transition):
            response = self.client.post(self.url_all, {"reason": ""})
        self.assertEqual(response.status_code, 500)
        self.assertEqual(
            set(Referral.objects.filter(case=self.case).values_list("status", flat=True)), {S.SENT, S.VIEWED}
        )
        self.assertFalse(ReferralEvent.objects.filter(to_status=S.WITHDRAWN).exists())


class TenancyTests(ReferralViewTestCase):
    """Every referral page and action, for the outsider (404), the office and anonymous users."""

    def referral_urls(self):
        return [
            ("get", self.url("detail")),
            ("post", self.url("answer")),
            ("post", self.url("message")),
            ("post", self.url("confirm")),
            ("post", self.url("withdraw")),
            ("post", self.url("decline_offer")),
        ]

    def case_urls(self):
        return [
            ("get", reverse("referrals:board", args=[self.case.ref])),
            ("post", reverse("referrals:send", args=[self.case.ref])),
            ("post", reverse("referrals:withdraw_all", args=[self.case.ref])),
        ]

    def test_the_outsider_gets_404_everywhere_and_changes_nothing(self):
        self.login(self.outsider)
        for method, url in self.referral_urls() + self.case_urls():
            with self.subTest(url=url):
                response = getattr(self.client, method)(url, {"action": "accept", "body": "x", "units": []})
                self.assertEqual(response.status_code, 404)
        self.assertEqual(self.status(), S.SENT)
        self.assertFalse(self.referral.messages.exists())

    def test_the_receiver_gets_404_for_the_senders_case_pages(self):
        self.login(self.receiver_nurse)
        for method, url in self.case_urls():
            with self.subTest(url=url):
                self.assertEqual(getattr(self.client, method)(url).status_code, 404)

    def test_anonymous_users_are_sent_to_login(self):
        for method, url in self.referral_urls() + self.case_urls():
            with self.subTest(url=url):
                response = getattr(self.client, method)(url)
                self.assertEqual(response.status_code, 302)
                self.assertIn("/accounts/login/", response["Location"])

    def test_the_office_may_look_but_not_act(self):
        self.login(self.office)
        self.assertEqual(self.client.get(self.url("detail")).status_code, 200)
        self.assertEqual(self.client.get(reverse("referrals:board", args=[self.case.ref])).status_code, 200)
        self.assertEqual(self.status(), S.SENT)
        for name in ("confirm", "withdraw", "answer"):
            with self.subTest(name=name):
                self.assertEqual(self.client.post(self.url(name)).status_code, 403)
        self.assertEqual(self.client.post(reverse("referrals:send", args=[self.case.ref])).status_code, 403)
        self.assertEqual(self.client.get(reverse("referrals:inbox")).status_code, 403)
        self.assertEqual(self.status(), S.SENT)

    def test_the_outsider_does_not_see_the_referral_in_any_inbox(self):
        self.login(self.outsider)
        response = self.client.get(reverse("referrals:inbox"))
        self.assertNotContains(response, self.case.ref)
        self.login(self.receiver_nurse)
        self.assertContains(self.client.get(reverse("referrals:inbox")), self.case.ref)

    def test_a_guessed_id_is_404(self):
        self.login(self.receiver_nurse)
        response = self.client.get(reverse("referrals:detail", args=["00000000-0000-0000-0000-000000000000"]))
        self.assertEqual(response.status_code, 404)

    def test_wrong_methods_are_405(self):
        self.login(self.sender_msw)
        for method, url in (
            self.referral_urls()
            + self.case_urls()
            + [
                ("get", reverse("referrals:inbox")),
                ("get", reverse("referrals:offers")),
                ("post", reverse("referrals:offer", args=[self.case.ref])),
            ]
        ):
            wrong = "post" if method == "get" else "get"
            with self.subTest(url=url, method=wrong):
                self.assertEqual(getattr(self.client, wrong)(url).status_code, 405)


class InboxTests(ReferralViewTestCase):
    def test_inbox_rows_show_the_needs_and_when_the_request_came(self):
        self.login(self.receiver_nurse)
        page = self.client.get(reverse("referrals:inbox"))
        self.assertContains(page, "胃ろう・腸ろう")
        self.assertContains(page, "受信")

    def test_the_inbox_filters_new_answered_and_closed(self):
        answered_case = make_case(self.hospital, by=self.sender_msw, needs=["peg"])
        answered = send(answered_case, [self.care_unit], self.sender_msw)[0]
        services.transition(answered, S.VIEWED, by=self.receiver_nurse)
        services.transition(answered, S.DECLINED, by=self.receiver_nurse, decline_reason="full")
        self.login(self.receiver_nurse)
        inbox = reverse("referrals:inbox")
        self.assertContains(self.client.get(inbox), self.case.ref)
        self.assertNotContains(self.client.get(inbox), answered_case.ref)
        self.assertContains(self.client.get(inbox + "?show=answered"), answered_case.ref)
        self.assertNotContains(self.client.get(inbox + "?show=closed"), self.case.ref)
