"""The network office extends the reference catalogue in the admin."""

from django.urls import reverse

from tests.base import PersonaTestCase
from tsunagu.network.models import CareNeed


class CatalogueAdminTests(PersonaTestCase):
    def test_a_new_care_need_gets_the_next_free_bit(self):
        admin_user = self.office
        admin_user.is_staff = admin_user.is_superuser = True
        admin_user.save()
        self.login(admin_user)
        expected = CareNeed.next_free_bit()
        response = self.client.post(
            reverse("admin:network_careneed_add"),
            {
                "code": "cpap",
                "label": "CPAP",
                "group": "respiratory",
                "sort_order": "0",
                "active": "on",
            },
        )
        self.assertEqual(
            response.status_code,
            302,
            getattr(response, "context", None) and response.context["adminform"].form.errors,
        )
        self.assertEqual(CareNeed.objects.get(code="cpap").bit, expected)
        for name in [
            "network_medicalarea",
            "network_municipality",
            "network_facilitykind",
            "facilities_facility",
            "facilities_unit",
            "facilities_importrun",
        ]:
            with self.subTest(name):
                self.assertEqual(self.client.get(reverse(f"admin:{name}_changelist")).status_code, 200)
