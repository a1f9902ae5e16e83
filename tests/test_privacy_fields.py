"""Where the personal-data guard is wired: every free-text field that other users read is guarded,
and an over-long text is refused for its length and never read by the guard, in forms, services
and the API alike."""

import json
from unittest import mock

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.test import RequestFactory, SimpleTestCase
from django.urls import reverse

from tests.base import PersonaTestCase
from tests.referral_factories import make_case, send
from tsunagu.accounts.models import User
from tsunagu.cases import forms as case_forms
from tsunagu.facilities import forms as facility_forms
from tsunagu.facilities.admin import CoordinationDeskInline, FacilityAdmin, UnitAdmin, UnitCapabilityInline
from tsunagu.facilities.models import CoordinationDesk, Facility, Unit, UnitCapability, Vacancy, VacancyEvent
from tsunagu.lib import privacy
from tsunagu.lib.privacy import GuardedCharField
from tsunagu.network.models import CareNeed
from tsunagu.referrals import forms as referral_forms
from tsunagu.referrals import services
from tsunagu.referrals.models import Referral

NAME_AND_PHONE = "山田太郎様 090-1234-5678"


def guard_calls():
    """Counts the guard's readings of a text while the block runs."""
    return mock.patch.object(privacy, "find_personal_data", wraps=privacy.find_personal_data)


def error_codes(error: ValidationError) -> set[str]:
    return {e.code for e in error.error_list}


# Text fields of those forms that are not free text, each with the reason.
NOT_FREE_TEXT = {
    "DirectoryFilterForm.q": "a search filter, never stored nor shown to others",
    "FacilityProfileForm.phone": "the facility's own number: its contact, not a patient's",
    "FacilityProfileForm.fax": "the facility's own number: its contact, not a patient's",
    "DeskForm.name": "the name of the facility's coordination desk",
    "DeskForm.role": "the desk's staff role, the facility's own contact",
    "DeskForm.phone": "the desk's own number: the facility's contact, not a patient's",
    "DeskForm.fax": "the desk's own number: the facility's contact, not a patient's",
    "MemberAddForm.display_name": "a staff member's account, not a patient",
    "MemberAddForm.password": "a password, never shown",
}
FORM_MODULES = [facility_forms, case_forms, referral_forms]


def form_arguments(world):
    """How to make each form of FORM_MODULES; a new form without an entry fails the walk."""
    unit, facility = world.care_unit, world.care_home
    return {
        "DirectoryFilterForm": {},
        "VacancyForm": {"unit": unit},
        "FacilityProfileForm": {"instance": facility, "can_deactivate": True},
        "UnitForm": {"instance": Unit(facility=facility)},
        "CapabilityForm": {"unit": unit, "needs": CareNeed.objects.filter(active=True)[:3]},
        "DeskForm": {"instance": CoordinationDesk(facility=facility)},
        "MemberAddForm": {"facility": facility},
        "RoleForm": {},
        "CaseForm": {"facility": world.hospital},
        "CloseCaseForm": {},
        "SendForm": {},
        "AnswerForm": {},
        "MessageForm": {},
        "ReasonForm": {},
        "OfferForm": {},
    }


def is_plain_text(field) -> bool:
    """A field that takes any text: not a choice, a number, a date or a typed string (URL, e-mail, UUID)."""
    return type(field) is forms.CharField or isinstance(field, GuardedCharField)


class EveryFreeTextFieldIsGuardedTests(PersonaTestCase):
    def free_text_fields(self):
        """(form.field, field) for every free-text field of every form of the modules."""
        arguments = form_arguments(self)
        for module in FORM_MODULES:
            for name, form_class in sorted(vars(module).items()):
                if not (isinstance(form_class, type) and issubclass(form_class, forms.BaseForm)):
                    continue
                if form_class.__module__ != module.__name__:
                    continue
                self.assertIn(name, arguments, f"{name}: add how to make it to form_arguments()")
                form = form_class(**arguments[name])
                for field_name, field in form.fields.items():
                    # CapabilityForm has one condition per need of the catalogue: note_peg, note_suction…
                    label = f"{name}.{'note' if field_name.startswith('note_') else field_name}"
                    if is_plain_text(field) and label not in NOT_FREE_TEXT:
                        yield label, field

    def test_the_walk_finds_the_fields_the_network_reads(self):
        labels = {label for label, _field in self.free_text_fields()}
        for label in [
            "VacancyForm.note",
            "FacilityProfileForm.note",
            "CapabilityForm.note",
            "DeskForm.note",
            "DeskForm.hours",
            "UnitForm.name",
            "CaseForm.summary",
            "CloseCaseForm.note",
            "SendForm.message",
            "AnswerForm.decline_note",
            "AnswerForm.question",
            "MessageForm.body",
            "ReasonForm.reason",
            "OfferForm.message",
        ]:
            self.assertIn(label, labels)

    def test_every_free_text_field_refuses_a_name_and_a_phone_number(self):
        for label, field in self.free_text_fields():
            with self.subTest(field=label), self.assertRaises(ValidationError) as refused:
                field.clean(NAME_AND_PHONE)
            self.assertEqual(error_codes(refused.exception), {"personal_data"})
            self.assertEqual(len(refused.exception.error_list), 2)

    def test_an_over_long_text_is_refused_for_its_length_only(self):
        for label, field in self.free_text_fields():
            with self.subTest(field=label):
                self.assertIsNotNone(field.max_length, "a guarded field needs a length limit")
                too_long = NAME_AND_PHONE + "あ" * field.max_length
                with guard_calls() as guard, self.assertRaises(ValidationError) as refused:
                    field.clean(too_long)
                self.assertEqual(error_codes(refused.exception), {"max_length"})
                self.assertEqual(guard.call_count, 0)


class GuardLimitTests(SimpleTestCase):
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
                services.transition(
                    self.referral,
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


class FacilityTextsTheNetworkReadsTests(PersonaTestCase):
    """The vacancy note, the facility's notice and a capability's condition are shown to every
    user of the network: a name and a phone number written there are refused and not stored."""

    def test_the_vacancy_note(self):
        self.login(self.receiver_nurse)
        url = reverse("facilities:vacancy_save", args=[self.care_unit.public_id])
        response = self.client.post(
            url, {"action": "save", "free_now": 1, "expected_7d": 0, "note": NAME_AND_PHONE}
        )
        self.assertContains(response, "氏名のような呼び方『山田太郎様』")
        self.assertContains(response, "電話番号のような数字『090-1234-5678』")
        self.assertEqual(Vacancy.objects.get(unit=self.care_unit).note, "")
        self.assertFalse(VacancyEvent.objects.filter(unit=self.care_unit).exists())

    def test_the_facility_notice(self):
        self.login(self.receiver_admin)
        url = reverse("facilities:profile_edit", args=[self.care_home.public_id])
        response = self.client.post(
            url, {"phone": "0463-12-3456", "fax": "", "url": "", "note": NAME_AND_PHONE}
        )
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "個人を特定できる情報は登録できません")
        self.care_home.refresh_from_db()
        self.assertEqual((self.care_home.phone, self.care_home.note), ("", ""))

    def test_the_condition_of_a_capability(self):
        self.login(self.receiver_nurse)
        url = reverse("facilities:unit_capabilities", args=[self.care_unit.public_id])
        data = {}
        for need in CareNeed.objects.filter(active=True):
            data[f"level_{need.code}"], data[f"note_{need.code}"] = "no", ""
        data["level_peg"], data["note_peg"] = "conditional", NAME_AND_PHONE
        response = self.client.post(url, data)
        self.assertContains(response, "個人を特定できる情報は登録できません")
        self.assertFalse(UnitCapability.objects.filter(unit=self.care_unit, note=NAME_AND_PHONE).exists())


class AdminTextsAreGuardedTests(PersonaTestCase):
    def test_the_office_writes_the_same_texts_through_the_guard(self):
        request = RequestFactory().get("/")
        request.user = User.objects.create_superuser("root", "root@example.jp", "x" * 20)
        forms_and_fields = [
            (FacilityAdmin(Facility, admin.site).get_form(request, self.care_home), "note"),
            (UnitAdmin(Unit, admin.site).get_form(request, self.care_unit), "name"),
        ]
        for inline, field in [(UnitCapabilityInline, "note"), (CoordinationDeskInline, "hours")]:
            parent = Unit if inline is UnitCapabilityInline else Facility
            forms_and_fields.append((inline(parent, admin.site).get_formset(request).form, field))
        for form_class, field in forms_and_fields:
            with self.subTest(form=form_class.__name__, field=field), self.assertRaises(ValidationError):
                form_class.base_fields[field].clean(NAME_AND_PHONE)
