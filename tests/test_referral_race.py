"""At most one confirmed referral per case, with real concurrent requests on PostgreSQL."""

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.test import Client, TransactionTestCase
from django.urls import reverse
from django.utils import timezone

from tests.base import make_facility, make_municipality, make_user
from tests.referral_factories import make_case, make_receivers, send
from tsunagu.cases.models import Case
from tsunagu.referrals import services
from tsunagu.referrals.models import Referral, ReferralEvent

S = Referral.Status
TOMORROW = timezone.localdate() + timedelta(days=1)
ROUNDS = 5


def post_at_once(requests):
    """POST every (user, url, data) from its own thread and connection, released together."""
    barrier = threading.Barrier(len(requests))
    results = [None] * len(requests)

    def run(index, user, url, data):
        client = Client()
        client.force_login(user)
        try:
            barrier.wait(timeout=10)
            response = client.post(url, data, follow=True)
            results[index] = response
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, *request)) for i, request in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


@pytest.mark.postgres
class ConcurrentConfirmationTests(TransactionTestCase):
    serialized_rollback = True  # keeps the catalogue loaded by the data migrations

    def setUp(self):
        if connection.vendor != "postgresql":
            self.skipTest("needs PostgreSQL (row locks and concurrent transactions)")
        municipality = make_municipality()
        self.hospital = make_facility("平塚中央病院", kind_code="acute", municipality=municipality)
        self.msw = make_user(self.hospital, username="msw")
        self.other_msw = make_user(self.hospital, username="msw2")

    def two_accepted(self):
        case = make_case(self.hospital, by=self.msw, needs=["peg"])
        units = make_receivers(2)
        referrals = send(case, units, self.msw)
        for referral, unit in zip(referrals, units):
            user = make_user(unit.facility)
            services.transition(referral, S.VIEWED, by=user)
            services.transition(referral, S.ACCEPTED, by=user, earliest_date=TOMORROW)
        return case, referrals

    def test_two_confirmations_at_the_same_moment_give_one_confirmed_referral(self):
        for _ in range(ROUNDS):
            case, (first, second) = self.two_accepted()
            post_at_once(
                [
                    (self.msw, reverse("referrals:confirm", args=[first.public_id]), {}),
                    (self.other_msw, reverse("referrals:confirm", args=[second.public_id]), {}),
                ]
            )
            statuses = sorted(Referral.objects.filter(case=case).values_list("status", flat=True))
            self.assertEqual(statuses, [S.CONFIRMED, S.RELEASED])
            self.assertEqual(Case.objects.get(pk=case.pk).status, "matched")

    def test_a_confirmation_and_an_acceptance_at_the_same_moment_never_leave_an_open_acceptance(self):
        for _ in range(ROUNDS):
            case = make_case(self.hospital, by=self.msw, needs=["peg"])
            units = make_receivers(2)
            first, second = send(case, units, self.msw)
            users = [make_user(unit.facility) for unit in units]
            services.transition(first, S.VIEWED, by=users[0])
            services.transition(first, S.ACCEPTED, by=users[0], earliest_date=TOMORROW)
            services.transition(second, S.VIEWED, by=users[1])
            post_at_once(
                [
                    (self.msw, reverse("referrals:confirm", args=[first.public_id]), {}),
                    (
                        users[1],
                        reverse("referrals:answer", args=[second.public_id]),
                        {"action": "accept", "earliest_date": TOMORROW.isoformat()},
                    ),
                ]
            )
            self.assertEqual(Referral.objects.get(pk=first.pk).status, S.CONFIRMED)
            # Either the acceptance came first and was released, or it came too late and was refused.
            self.assertEqual(Referral.objects.get(pk=second.pk).status, S.RELEASED)
            self.assertEqual(Referral.objects.filter(case=case, status=S.CONFIRMED).count(), 1)

    def test_many_confirmations_of_many_referrals_at_once(self):
        case = make_case(self.hospital, by=self.msw, needs=["peg"])
        units = make_receivers(6)
        referrals = send(case, units, self.msw)
        for referral, unit in zip(referrals, units):
            user = make_user(unit.facility)
            services.transition(referral, S.VIEWED, by=user)
            services.transition(referral, S.ACCEPTED, by=user, earliest_date=TOMORROW)
        senders = [self.msw, self.other_msw] + [make_user(self.hospital) for _ in range(4)]
        post_at_once(
            [
                (user, reverse("referrals:confirm", args=[referral.public_id]), {})
                for user, referral in zip(senders, referrals)
            ]
        )
        statuses = list(Referral.objects.filter(case=case).values_list("status", flat=True))
        self.assertEqual(statuses.count(S.CONFIRMED), 1)
        self.assertEqual(statuses.count(S.RELEASED), 5)


@pytest.mark.postgres
class WithdrawAllWhileAnsweringTests(TransactionTestCase):
    serialized_rollback = True

    def setUp(self):
        if connection.vendor != "postgresql":
            self.skipTest("needs PostgreSQL (row locks and concurrent transactions)")
        municipality = make_municipality()
        self.hospital = make_facility("平塚中央病院", kind_code="acute", municipality=municipality)
        self.msw = make_user(self.hospital, username="msw")

    def test_withdraw_all_and_declines_at_the_same_moment_are_never_half_done(self):
        for _ in range(ROUNDS):
            case = make_case(self.hospital, by=self.msw, needs=["peg"])
            units = make_receivers(4)
            referrals = send(case, units, self.msw)
            users = [make_user(unit.facility) for unit in units]
            for referral, user in zip(referrals, users):
                services.transition(referral, S.VIEWED, by=user)
            decline = {"action": "decline", "decline_reason": "full"}
            results = post_at_once(
                [
                    (self.msw, reverse("referrals:withdraw_all", args=[case.ref]), {"reason": ""}),
                    (users[1], reverse("referrals:answer", args=[referrals[1].public_id]), decline),
                    (users[3], reverse("referrals:answer", args=[referrals[3].public_id]), decline),
                ]
            )
            self.assertEqual([response.status_code for response in results], [200, 200, 200])
            statuses = list(
                Referral.objects.filter(case=case).order_by("id").values_list("status", flat=True)
            )
            self.assertLessEqual(set(statuses), {S.WITHDRAWN, S.DECLINED})
            withdrawn, declined = statuses.count(S.WITHDRAWN), statuses.count(S.DECLINED)
            page = results[0].content.decode()
            self.assertIn(f"{withdrawn}件の依頼を取り下げました。", page)
            if declined:
                self.assertIn(f"{declined}件はすでに回答済みのため取り下げていません", page)
            else:
                self.assertNotIn("取り下げていません", page)
            for referral in Referral.objects.filter(case=case):
                last = ReferralEvent.objects.filter(referral=referral).order_by("at", "id").last()
                self.assertEqual(last.to_status, referral.status)
