"""A retried or double-clicked form gets the first answer again, not a second change or a refusal."""

import re
from datetime import timedelta
from unittest import mock

import pytest
from django.db import DatabaseError, connection
from django.test import TransactionTestCase
from django.urls import reverse
from django.utils import timezone

from tests.base import PersonaTestCase, make_facility, make_municipality, make_user
from tests.referral_factories import make_case, make_receivers, send
from tests.test_cases import case_post
from tsunagu.cases.models import Case
from tsunagu.facilities.models import VacancyEvent
from tsunagu.idempotency.models import SubmittedForm
from tsunagu.idempotency.services import FIELD, new_key, purge_idempotency_keys
from tsunagu.referrals import services
from tsunagu.referrals.models import Referral, ReferralEvent, RequestBatch

S = Referral.Status
TOMORROW = timezone.localdate() + timedelta(days=1)
KEY_INPUT = re.compile(rf'name="{FIELD}" value="([0-9a-f]{{32}})"')


def twice(client, url, data, **extra):
    """The same form sent twice, as a double click or a browser retry does."""
    return client.post(url, data, **extra), client.post(url, data, **extra)


class DoubleSubmitTests(PersonaTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.case = make_case(cls.hospital, by=cls.sender_msw, needs=["peg"])

    def test_a_double_click_on_send_makes_one_request_and_both_land_on_the_board(self):
        units = make_receivers(3)
        self.login(self.sender_msw)
        url = reverse("referrals:send", args=[self.case.ref])
        page = self.client.post(url, {"units": [str(u.public_id) for u in units]})
        key = KEY_INPUT.search(page.content.decode()).group(1)
        data = {"units": [str(u.public_id) for u in units], "message": "", "send": "1", FIELD: key}
        first, second = twice(self.client, url, data, follow=True)
        board = reverse("referrals:board", args=[self.case.ref])
        self.assertEqual(first.redirect_chain, [(board, 302)])
        self.assertEqual(second.redirect_chain, [(board, 302)])
        self.assertEqual(RequestBatch.objects.filter(case=self.case).count(), 1)
        self.assertEqual(Referral.objects.filter(case=self.case).count(), 3)
        # The repeat carries the first answer's message, not 「すでに回答待ちの依頼があります」.
        for response in (first, second):
            self.assertContains(response, "3件の依頼先に送信しました。", count=1)
            self.assertNotContains(response, "すでに回答待ち")

    def test_a_double_click_on_confirm_returns_the_same_page_not_an_error(self):
        referral = send(self.case, [self.care_unit], self.sender_msw)[0]
        services.transition(referral, S.VIEWED, by=self.receiver_nurse)
        services.transition(referral, S.ACCEPTED, by=self.receiver_nurse, earliest_date=TOMORROW)
        self.login(self.sender_msw)
        url = reverse("referrals:confirm", args=[referral.public_id])
        first, second = twice(self.client, url, {FIELD: new_key()}, follow=True)
        self.assertEqual(first.redirect_chain, second.redirect_chain)
        for response in (first, second):
            self.assertContains(response, "受入先を決定しました。")
            self.assertNotContains(response, "にはできません")
        self.assertEqual(ReferralEvent.objects.filter(referral=referral, to_status=S.CONFIRMED).count(), 1)

    def test_a_double_click_on_an_answer_and_on_a_message(self):
        referral = send(self.case, [self.care_unit], self.sender_msw)[0]
        self.login(self.receiver_nurse)
        self.client.get(reverse("referrals:detail", args=[referral.public_id]))
        answer = {"action": "accept", "earliest_date": TOMORROW.isoformat(), FIELD: new_key()}
        first, second = twice(
            self.client, reverse("referrals:answer", args=[referral.public_id]), answer, follow=True
        )
        self.assertContains(second, "回答を送りました: 受入可")
        self.assertEqual(ReferralEvent.objects.filter(referral=referral, to_status=S.ACCEPTED).count(), 1)
        message = {"body": "よろしくお願いします", FIELD: new_key()}
        twice(self.client, reverse("referrals:message", args=[referral.public_id]), message)
        self.assertEqual(referral.messages.count(), 1)

    def test_withdraw_all_twice_reports_the_first_result_again(self):
        send(self.case, make_receivers(2), self.sender_msw)
        self.login(self.sender_msw)
        url = reverse("referrals:withdraw_all", args=[self.case.ref])
        first, second = twice(self.client, url, {"reason": "", FIELD: new_key()}, follow=True)
        for response in (first, second):
            self.assertContains(response, "2件の依頼を取り下げました。")
        self.assertEqual(ReferralEvent.objects.filter(to_status=S.WITHDRAWN).count(), 2)

    def test_a_double_tap_on_a_vacancy_card_gives_the_same_card_not_a_refusal(self):
        self.login(self.receiver_nurse)
        url = reverse("facilities:vacancy_save", args=[self.care_unit.public_id])
        data = {"action": "save", "free_now": 4, "expected_7d": 0, "version": 0, FIELD: new_key()}
        first, second = twice(self.client, url, data, headers={"HX-Request": "true"})
        self.assertContains(second, "保存しました。")
        self.assertNotContains(second, "保存していません")
        self.assertEqual(first.content, second.content)
        self.assertEqual(VacancyEvent.objects.filter(unit=self.care_unit).count(), 1)

    def test_a_double_click_on_register_makes_one_case(self):
        self.login(self.sender_msw)
        page = self.client.get(reverse("cases:new"))
        key = KEY_INPUT.search(page.content.decode()).group(1)
        before = Case.objects.count()
        data = case_post(municipality=self.hiratsuka.pk, area=self.area.pk) | {FIELD: key}
        first, second = twice(self.client, reverse("cases:new"), data)
        self.assertEqual(first.status_code, 302, first.content.decode()[:2000])
        self.assertEqual(first["Location"], second["Location"])
        self.assertEqual(Case.objects.count(), before + 1)

    def test_a_new_key_is_a_new_submission(self):
        referral = send(self.case, [self.care_unit], self.sender_msw)[0]
        self.login(self.sender_msw)
        url = reverse("referrals:message", args=[referral.public_id])
        self.client.post(url, {"body": "一通目", FIELD: new_key()})
        self.client.post(url, {"body": "一通目", FIELD: new_key()})
        self.assertEqual(referral.messages.count(), 2)

    def test_a_key_is_the_users_own(self):
        referral = send(self.case, [self.care_unit], self.sender_msw)[0]
        key = new_key()
        self.login(self.sender_msw)
        self.client.post(
            reverse("referrals:message", args=[referral.public_id]), {"body": "送信元", FIELD: key}
        )
        self.login(self.receiver_nurse)
        self.client.post(
            reverse("referrals:message", args=[referral.public_id]), {"body": "受入側", FIELD: key}
        )
        self.assertEqual(sorted(referral.messages.values_list("body", flat=True)), ["受入側", "送信元"])

    def test_a_failed_first_attempt_keeps_no_key_and_the_retry_does_the_work(self):
        referral = send(self.case, [self.care_unit], self.sender_msw)[0]
        self.login(self.sender_msw)
        self.client.raise_request_exception = False
        url = reverse("referrals:withdraw", args=[referral.public_id])
        data = {FIELD: new_key()}
        with mock.patch("tsunagu.audit.services.AuditEvent.objects.create", side_effect=DatabaseError("cut")):
            self.assertEqual(self.client.post(url, data).status_code, 500)
        self.assertEqual(Referral.objects.get(pk=referral.pk).status, S.SENT)
        self.assertFalse(SubmittedForm.objects.exists())
        self.assertRedirects(
            self.client.post(url, data), reverse("referrals:detail", args=[referral.public_id])
        )
        self.assertEqual(Referral.objects.get(pk=referral.pk).status, S.WITHDRAWN)

    def test_a_page_with_form_errors_is_not_kept(self):
        units = make_receivers(1)
        self.login(self.sender_msw)
        url = reverse("referrals:send", args=[self.case.ref])
        data = {"units": [str(units[0].public_id)], "message": "佐藤さんの件", "send": "1", FIELD: new_key()}
        self.assertContains(self.client.post(url, data), "氏名のような呼び方")
        self.assertFalse(SubmittedForm.objects.exists())

    def test_every_form_of_the_loop_carries_a_key(self):
        referral = send(self.case, [self.care_unit], self.sender_msw)[0]
        self.login(self.receiver_nurse)
        detail = self.client.get(reverse("referrals:detail", args=[referral.public_id])).content.decode()
        # 受入可, 受入不可, 要相談 and the message: four forms, four different keys.
        self.assertEqual(len(set(KEY_INPUT.findall(detail))), 4)
        vacancy = self.client.get(reverse("facilities:vacancy")).content.decode()
        self.assertEqual(len(set(KEY_INPUT.findall(vacancy))), 2)  # すべて変更なし and the card
        self.login(self.sender_msw)
        board = self.client.get(reverse("referrals:board", args=[self.case.ref])).content.decode()
        self.assertEqual(len(set(KEY_INPUT.findall(board))), 2)  # 取り下げ on the row, すべて取り下げる


class KeyCleanupTests(PersonaTestCase):
    def test_keys_older_than_a_day_are_purged(self):
        old = SubmittedForm.objects.create(user=self.sender_msw, key=new_key())
        fresh = SubmittedForm.objects.create(user=self.sender_msw, key=new_key())
        SubmittedForm.objects.filter(pk=old.pk).update(
            created_at=timezone.now() - timedelta(days=1, minutes=1)
        )
        self.assertEqual(purge_idempotency_keys(), 1)
        self.assertEqual(list(SubmittedForm.objects.values_list("pk", flat=True)), [fresh.pk])

    def test_sending_a_form_clears_the_users_own_old_keys(self):
        mine = SubmittedForm.objects.create(user=self.receiver_nurse, key=new_key())
        theirs = SubmittedForm.objects.create(user=self.sender_msw, key=new_key())
        SubmittedForm.objects.update(created_at=timezone.now() - timedelta(days=2))
        self.login(self.receiver_nurse)
        self.client.post(
            reverse("facilities:vacancy_save", args=[self.care_unit.public_id]),
            {"action": "unchanged", "version": 0, FIELD: new_key()},
        )
        self.assertFalse(SubmittedForm.objects.filter(pk=mine.pk).exists())
        self.assertTrue(SubmittedForm.objects.filter(pk=theirs.pk).exists())


@pytest.mark.postgres
class SimultaneousRepeatTests(TransactionTestCase):
    serialized_rollback = True  # keeps the catalogue loaded by the data migrations

    def test_the_same_send_on_two_connections_at_once_makes_one_request(self):
        if connection.vendor != "postgresql":
            self.skipTest("needs PostgreSQL (concurrent transactions)")
        from tests.test_referral_race import post_at_once

        hospital = make_facility("平塚中央病院", kind_code="acute", municipality=make_municipality())
        msw = make_user(hospital, username="msw")
        for _ in range(5):
            case = make_case(hospital, by=msw, needs=["peg"])
            units = make_receivers(2)
            url = reverse("referrals:send", args=[case.ref])
            data = {"units": [str(u.public_id) for u in units], "message": "", "send": "1", FIELD: new_key()}
            responses = post_at_once([(msw, url, data), (msw, url, data)])
            self.assertEqual(RequestBatch.objects.filter(case=case).count(), 1)
            for response in responses:
                self.assertEqual(response.redirect_chain[-1][0], reverse("referrals:board", args=[case.ref]))
                self.assertContains(response, "2件の依頼先に送信しました。")
