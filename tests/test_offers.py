"""Offers: a receiver with free beds offers one for a published case; the sender confirms it."""

from django.urls import reverse

from tests.base import PersonaTestCase, make_area, make_municipality
from tests.referral_factories import make_case, send
from tsunagu.cases.models import Case
from tsunagu.notifications.models import Notification
from tsunagu.referrals.models import Referral

S = Referral.Status


class OfferTests(PersonaTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        # The care home's unit covers 胃ろう and 看取り; the published case needs 胃ろう.
        cls.published = make_case(cls.hospital, by=cls.sender_msw, needs=["peg"], published=True)
        cls.unpublished = make_case(cls.hospital, by=cls.sender_msw, needs=["peg"])
        cls.too_hard = make_case(
            cls.hospital, by=cls.sender_msw, needs=["peg", "ventilator_tppv"], published=True
        )
        far_area = make_area(code="0101", name="南渡島", pref_code="01", pref_name="北海道")
        far = make_municipality(code="012025", name="函館市", area=far_area, pref_code="01")
        cls.far_case = make_case(
            cls.hospital, by=cls.sender_msw, needs=["peg"], published=True, municipality=far
        )

    def browse(self, user):
        self.login(user)
        return self.client.get(reverse("referrals:offers"))

    def test_the_care_home_sees_only_published_open_cases_of_its_area_that_its_units_can_care_for(self):
        page = self.browse(self.receiver_nurse)
        self.assertContains(page, self.published.ref)
        self.assertContains(page, "従来型で受入れを申し出る")
        for case in (self.unpublished, self.too_hard, self.far_case):
            self.assertNotContains(page, case.ref)

    def test_the_sender_does_not_see_its_own_cases_there(self):
        self.assertNotContains(self.browse(self.sender_msw), self.published.ref)

    def test_offer_then_the_sender_sees_it_beside_the_answers_and_confirms_it(self):
        requested = send(self.published, [self.other_unit], self.sender_msw)[0]
        self.login(self.receiver_nurse)
        response = self.client.post(
            reverse("referrals:offer", args=[self.published.ref]),
            {"unit": str(self.care_unit.public_id), "message": "個室が空いています"},
        )
        offer = Referral.objects.get(direction="offer")
        self.assertRedirects(response, reverse("referrals:detail", args=[offer.public_id]))
        self.assertEqual((offer.status, offer.receiver, offer.batch), (S.OFFERED, self.care_home, None))
        self.assertTrue(Notification.objects.filter(facility=self.hospital, kind="offer").exists())

        self.login(self.sender_msw)
        board = self.client.get(reverse("referrals:board", args=[self.published.ref]))
        self.assertContains(board, "受入れの申し出")
        self.assertContains(board, reverse("referrals:confirm", args=[offer.public_id]))
        self.client.post(reverse("referrals:confirm", args=[offer.public_id]))
        self.assertEqual(Referral.objects.get(pk=offer.pk).status, S.CONFIRMED)
        self.assertEqual(Referral.objects.get(pk=requested.pk).status, S.RELEASED)
        self.assertEqual(Case.objects.get(pk=self.published.pk).status, "matched")

    def test_the_sender_can_decline_an_offer_and_the_receiver_can_withdraw_one(self):
        self.login(self.receiver_nurse)
        self.client.post(
            reverse("referrals:offer", args=[self.published.ref]), {"unit": str(self.care_unit.public_id)}
        )
        offer = Referral.objects.get(direction="offer")
        self.login(self.sender_msw)
        self.client.post(reverse("referrals:decline_offer", args=[offer.public_id]))
        self.assertEqual(Referral.objects.get(pk=offer.pk).status, S.DECLINED)
        self.login(self.receiver_nurse)
        self.client.post(
            reverse("referrals:offer", args=[self.published.ref]), {"unit": str(self.care_unit.public_id)}
        )
        second = Referral.objects.get(direction="offer", status=S.OFFERED)
        self.client.post(reverse("referrals:withdraw", args=[second.public_id]))
        self.assertEqual(Referral.objects.get(pk=second.pk).status, S.WITHDRAWN)

    def test_one_unit_offers_once_while_its_offer_is_open(self):
        self.login(self.receiver_nurse)
        url = reverse("referrals:offer", args=[self.published.ref])
        self.client.post(url, {"unit": str(self.care_unit.public_id)})
        response = self.client.post(url, {"unit": str(self.care_unit.public_id)}, follow=True)
        self.assertContains(response, "すでに進行中の打診")
        self.assertEqual(Referral.objects.filter(direction="offer").count(), 1)

    def test_offering_is_404_for_unpublished_other_area_and_foreign_units(self):
        self.login(self.receiver_nurse)
        for case in (self.unpublished, self.far_case):
            with self.subTest(case=case.ref):
                response = self.client.post(
                    reverse("referrals:offer", args=[case.ref]), {"unit": str(self.care_unit.public_id)}
                )
                self.assertEqual(response.status_code, 404)
        response = self.client.post(
            reverse("referrals:offer", args=[self.published.ref]), {"unit": str(self.other_unit.public_id)}
        )
        self.assertEqual(response.status_code, 404)
        self.assertFalse(Referral.objects.exists())

    def test_the_outsider_cannot_see_an_offer_it_is_not_part_of(self):
        self.login(self.receiver_nurse)
        self.client.post(
            reverse("referrals:offer", args=[self.published.ref]), {"unit": str(self.care_unit.public_id)}
        )
        offer = Referral.objects.get(direction="offer")
        self.login(self.outsider)
        self.assertEqual(
            self.client.get(reverse("referrals:detail", args=[offer.public_id])).status_code, 404
        )

    def test_the_browse_page_queries_do_not_grow_with_the_cases(self):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        self.login(self.receiver_nurse)
        with CaptureQueriesContext(connection) as before:
            self.client.get(reverse("referrals:offers"))
        for _ in range(5):
            make_case(self.hospital, by=self.sender_msw, needs=["peg"], published=True)
        with CaptureQueriesContext(connection) as after:
            page = self.client.get(reverse("referrals:offers"))
        self.assertEqual(page.content.decode().count("で受入れを申し出る"), 6)
        self.assertEqual(len(after), len(before))
