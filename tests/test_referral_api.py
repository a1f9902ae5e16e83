"""The referral API calls the same transition() as the pages: allowed steps, refusals, tenancy."""

import json
from datetime import timedelta

from django.utils import timezone

from tests.base import PersonaTestCase
from tests.referral_factories import make_case, send
from tsunagu.referrals.models import Referral

S = Referral.Status
TOMORROW = timezone.localdate() + timedelta(days=1)


class ReferralApiTests(PersonaTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.case = make_case(cls.hospital, by=cls.sender_msw, needs=["peg"])

    def setUp(self):
        self.referral = send(self.case, [self.care_unit], self.sender_msw)[0]
        self.url = f"/api/v1/referrals/{self.referral.public_id}"

    def post(self, body):
        return self.client.post(f"{self.url}/transition", json.dumps(body), content_type="application/json")

    def status(self):
        return Referral.objects.get(pk=self.referral.pk).status

    def test_the_receiver_answers_through_the_api(self):
        self.login(self.receiver_nurse)
        self.assertEqual(self.client.get(self.url).json()["allowed"], ["viewed"])
        self.assertEqual(self.post({"to": "viewed"}).status_code, 200)
        response = self.post({"to": "accepted", "earliest_date": TOMORROW.isoformat()})
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json()["status"], "accepted")
        self.assertEqual(self.status(), S.ACCEPTED)
        self.assertEqual(self.referral.events.count(), 3)

    def test_a_step_outside_the_table_is_409_in_japanese_and_changes_nothing(self):
        self.login(self.receiver_nurse)
        response = self.post({"to": "confirmed"})
        self.assertEqual(response.status_code, 409)
        self.assertIn("にはできません", response.json()["detail"])
        self.assertEqual(self.post({"to": "nonsense"}).status_code, 409)
        self.assertEqual(self.status(), S.SENT)

    def test_texts_longer_than_the_pages_allow_are_refused_in_japanese(self):
        self.login(self.receiver_nurse)
        self.post({"to": "viewed"})
        response = self.post({"to": "declined", "decline_reason": "other", "decline_note": "満床" * 151})
        self.assertEqual(response.status_code, 422)
        self.assertIn("300", response.json()["detail"])
        self.assertIn("文字", response.json()["detail"])
        self.assertEqual(self.status(), S.VIEWED)
        self.login(self.sender_msw)
        response = self.post({"to": "withdrawn", "reason": "あ" * 301})
        self.assertEqual(response.status_code, 422)
        self.assertEqual(self.status(), S.VIEWED)
        self.assertEqual(self.referral.events.count(), 2)

    def test_a_note_of_exactly_the_limit_is_kept_whole(self):
        self.login(self.receiver_nurse)
        self.post({"to": "viewed"})
        response = self.post({"to": "declined", "decline_reason": "other", "decline_note": "満床" * 150})
        self.assertEqual(response.status_code, 200)
        self.assertEqual(Referral.objects.get(pk=self.referral.pk).decline_note, "満床" * 150)

    def test_the_wrong_side_is_refused(self):
        self.login(self.sender_msw)
        response = self.post({"to": "viewed"})
        self.assertEqual(response.status_code, 409)
        self.assertIn("依頼を受けた施設だけ", response.json()["detail"])
        self.assertEqual(self.status(), S.SENT)

    def test_the_outsider_gets_404_and_anonymous_401(self):
        self.login(self.outsider)
        self.assertEqual(self.client.get(self.url).status_code, 404)
        self.assertEqual(self.post({"to": "viewed"}).status_code, 404)
        self.assertNotIn(self.case.ref, self.client.get("/api/v1/referrals/incoming").content.decode())
        self.client.logout()
        self.assertEqual(self.client.get(self.url).status_code, 401)
        self.assertEqual(self.status(), S.SENT)

    def test_incoming_lists_the_facilitys_unanswered_requests(self):
        self.login(self.receiver_nurse)
        rows = self.client.get("/api/v1/referrals/incoming").json()
        self.assertEqual([row["case"] for row in rows], [self.case.ref])

    def test_wrong_method_is_405(self):
        self.login(self.receiver_nurse)
        self.assertEqual(self.client.get(f"{self.url}/transition").status_code, 405)
        self.assertEqual(self.client.delete(self.url).status_code, 405)
