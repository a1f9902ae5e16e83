"""`make demo` loads a real Kanagawa network with five demo logins."""

import io

from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import TestCase

from tsunagu.accounts.models import User
from tsunagu.facilities.demo import DEMO_PASSWORD
from tsunagu.facilities.models import CoordinationDesk, Facility, Unit, UnitCapability, Vacancy
from tsunagu.network.models import MedicalArea, Municipality, care_level_mask


class LoadDemoTests(TestCase):
    def test_load_demo_builds_the_kanagawa_network_and_is_safe_to_run_twice(self):
        out = io.StringIO()
        call_command("load_demo", stdout=out)
        self.assertIn(DEMO_PASSWORD, out.getvalue())
        self.assertEqual(MedicalArea.objects.count(), 9)
        self.assertEqual(Municipality.objects.count(), 61)
        self.assertEqual(Municipality.objects.filter(area__name="湘南西部").count(), 5)
        self.assertEqual(Facility.objects.filter(source="iryojoho", kind__code="hospital").count(), 307)
        self.assertEqual(Facility.objects.filter(kind__code="tokuyo").count(), 129)
        self.assertEqual(Facility.objects.filter(kind__code="roken").count(), 56)
        self.assertEqual(Facility.objects.filter(kind__code="sakouju").count(), 37)
        self.assertFalse(Facility.objects.filter(is_demo=False).exists())  # every profile is generated

        # Plausible generated profiles: 特養 take 要介護3-5, 胃ろう yes, never a ventilator.
        tokuyo = Unit.objects.filter(kind__code="tokuyo")
        self.assertEqual(
            set(tokuyo.values_list("care_level_mask", flat=True)), {care_level_mask(["c3", "c4", "c5"])}
        )
        self.assertFalse(
            UnitCapability.objects.filter(unit__kind__code="tokuyo", need__code="ventilator_tppv")
            .exclude(level="no")
            .exists()
        )
        self.assertFalse(tokuyo.filter(cost_min__isnull=True).exists())
        vacancies = Vacancy.objects.all()
        self.assertEqual(vacancies.count(), Unit.objects.count())
        self.assertTrue(vacancies.filter(free_now=0, expected_7d=0).exists())
        self.assertTrue(any(vacancy.is_stale for vacancy in vacancies))
        self.assertTrue(Unit.objects.filter(search_open=True, search_area__code="1408").exists())
        self.assertEqual(CoordinationDesk.objects.count(), Facility.objects.count())

        self.assertIsNotNone(authenticate(username="msw", password=DEMO_PASSWORD))
        demo_users = User.objects.filter(
            username__in=["msw", "carehome", "clinic", "carehome_admin", "office"]
        )
        self.assertEqual(
            set(demo_users.values_list("password", flat=True)), {User.objects.get(username="msw").password}
        )
        msw = User.objects.get(username="msw")
        self.assertEqual(msw.facility.municipality.name, "平塚市")
        self.assertTrue(msw.facility.units.filter(kind__code="acute").exists())
        self.assertEqual(
            User.objects.get(username="carehome_admin").facility,
            User.objects.get(username="carehome").facility,
        )
        self.assertEqual(User.objects.get(username="clinic").facility.kind.code, "home_care_clinic")
        self.assertTrue(User.objects.get(username="office").is_office)

        counts = (
            Facility.objects.count(),
            Unit.objects.count(),
            UnitCapability.objects.count(),
            Vacancy.objects.count(),
            CoordinationDesk.objects.count(),
            User.objects.count(),
        )
        call_command("load_demo", stdout=io.StringIO())
        self.assertEqual(
            counts,
            (
                Facility.objects.count(),
                Unit.objects.count(),
                UnitCapability.objects.count(),
                Vacancy.objects.count(),
                CoordinationDesk.objects.count(),
                User.objects.count(),
            ),
        )
