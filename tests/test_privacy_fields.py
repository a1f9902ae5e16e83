"""Where the personal-data guard is wired: an over-long text is refused for its length and never
read by the guard, in forms, services and the API alike."""

import json
from unittest import mock

from django.core.exceptions import ValidationError
from django.test import SimpleTestCase

from tests.base import PersonaTestCase
from tests.referral_factories import make_case, send
from tsunagu.cases import privacy
from tsunagu.cases.forms import CloseCaseForm
from tsunagu.referrals import services
from tsunagu.referrals.forms import AnswerForm, MessageForm, OfferForm, ReasonForm, SendForm
from tsunagu.referrals.models import Referral

NAME_AND_PHONE = "山田太郎様 090-1234-5678"


def guard_calls():
    """Counts the guard's readings of a text while the block runs."""
    return mock.patch.object(privacy, "find_personal_data", wraps=privacy.find_personal_data)


def error_codes(error: ValidationError) -> set[str]:
    return {e.code for e in error.error_list}


class LengthBeforeGuardInFormsTests(SimpleTestCase):
    FIELDS = [
        (SendForm, "message"),
        (AnswerForm, "decline_note"),
        (AnswerForm, "question"),
        (MessageForm, "body"),
        (ReasonForm, "reason"),
        (OfferForm, "message"),
        (CloseCaseForm, "note"),
    ]

    def test_an_over_long_text_is_refused_for_its_length_only(self):
        for form_class, name in self.FIELDS:
            field = form_class.base_fields[name]
            too_long = NAME_AND_PHONE + "あ" * field.max_length
            with self.subTest(form=form_class.__name__, field=name), guard_calls() as guard:
                with self.assertRaises(ValidationError) as refused:
                    field.clean(too_long)
                self.assertEqual(error_codes(refused.exception), {"max_length"})
                self.assertEqual(guard.call_count, 0)

    def test_a_text_within_the_limit_is_guarded(self):
        for form_class, name in self.FIELDS:
            field = form_class.base_fields[name]
            with (
                self.subTest(form=form_class.__name__, field=name),
                self.assertRaises(ValidationError) as refused,
            ):
                field.clean(NAME_AND_PHONE)
            self.assertEqual(error_codes(refused.exception), {"personal_data"})

    def test_the_validator_alone_never_reads_a_text_longer_than_any_field(self):
        with guard_calls() as guard, self.assertRaises(ValidationError) as refused:
            privacy.validate_no_personal_data("あ" * (privacy.GUARD_MAX_LENGTH + 1))
        self.assertEqual(error_codes(refused.exception), {"max_length"})
        self.assertEqual(guard.call_count, 0)
        with guard_calls() as guard, self.assertRaises(ValidationError):
            privacy.validate_no_personal_data("山田様" + "あ" * 300, max_length=300)
        self.assertEqual(guard.call_count, 0)


class LengthBeforeGuardInServicesAndApiTests(PersonaTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.case = make_case(cls.hospital, by=cls.sender_msw, needs=["peg"])

    def setUp(self):
        self.referral = send(self.case, [self.care_unit], self.sender_msw)[0]

    def test_the_api_refuses_an_over_long_decline_note_before_the_guard(self):
        self.login(self.receiver_nurse)
        url = f"/api/v1/referrals/{self.referral.public_id}/transition"
        body = {"to": "declined", "decline_reason": "other", "decline_note": "山田様" + "あ" * 64_000}
        with guard_calls() as guard:
            response = self.client.post(url, json.dumps(body), content_type="application/json")
        self.assertEqual(response.status_code, 422)
        self.assertEqual(guard.call_count, 0)
        self.assertEqual(Referral.objects.get(pk=self.referral.pk).status, Referral.Status.SENT)

    def test_services_refuse_over_long_texts_before_the_guard(self):
        too_long = "山田様" + "あ" * 64_000
        with guard_calls() as guard:
            with self.assertRaises(services.TransitionRefused):
                self.referral.transition(
                    Referral.Status.DECLINED,
                    by=self.receiver_nurse,
                    decline_reason="other",
                    decline_note=too_long,
                )
            with self.assertRaises(services.TransitionRefused):
                services.ask(self.referral, by=self.receiver_nurse, question=too_long)
            with self.assertRaises(ValidationError):
                services.post_message(self.referral, by=self.sender_msw, body=too_long)
            with self.assertRaises(ValidationError):
                services.make_offer(self.case, self.care_unit, by=self.receiver_nurse, message=too_long)
            with self.assertRaises(ValidationError):
                self.case.close("home", note=too_long)
        self.assertEqual(guard.call_count, 0)
