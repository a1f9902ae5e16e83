"""The badge that refreshes without reloading, the notification list, e-mails."""

from django.core import mail
from django.urls import reverse

from tests.base import PersonaTestCase
from tests.referral_factories import make_case, send
from tsunagu.notifications.models import Notification
from tsunagu.notifications.services import send_pending_emails


class BadgeTests(PersonaTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.case = make_case(cls.hospital, by=cls.sender_msw, needs=["peg"])

    def test_a_new_request_shows_on_the_receivers_badge_at_once(self):
        self.login(self.receiver_nurse)
        self.assertNotContains(self.client.get(reverse("notifications:badge")), 'class="badge"')
        referral = send(self.case, [self.care_unit], self.sender_msw)[0]
        badge = self.client.get(reverse("notifications:badge"))
        self.assertContains(badge, '<span class="badge"')
        self.assertContains(badge, ">1<")
        # Opening the referral reads its notifications.
        self.client.get(reverse("referrals:detail", args=[referral.public_id]))
        self.assertNotContains(self.client.get(reverse("notifications:badge")), 'class="badge"')

    def test_the_navigation_polls_the_badge(self):
        self.login(self.receiver_nurse)
        page = self.client.get(reverse("referrals:inbox"))
        self.assertContains(page, 'hx-get="{}"'.format(reverse("notifications:badge")))
        self.assertContains(page, "every 20s")

    def test_the_outsider_sees_none_of_another_facilitys_notifications(self):
        send(self.case, [self.care_unit], self.sender_msw)
        self.login(self.outsider)
        self.assertNotContains(self.client.get(reverse("notifications:badge")), 'class="badge"')
        self.assertNotContains(self.client.get(reverse("notifications:index")), self.case.ref)

    def test_the_list_links_to_the_referral_and_can_be_marked_read(self):
        referral = send(self.case, [self.care_unit], self.sender_msw)[0]
        self.login(self.receiver_nurse)
        page = self.client.get(reverse("notifications:index"))
        self.assertContains(page, reverse("referrals:detail", args=[referral.public_id]))
        self.client.post(reverse("notifications:read_all"))
        self.assertFalse(Notification.objects.filter(facility=self.care_home, read_at__isnull=True).exists())

    def test_wrong_methods_and_no_facility(self):
        self.login(self.receiver_nurse)
        self.assertEqual(self.client.post(reverse("notifications:badge")).status_code, 405)
        self.assertEqual(self.client.get(reverse("notifications:read_all")).status_code, 405)
        self.login(self.office)
        self.assertEqual(self.client.get(reverse("notifications:index")).status_code, 403)
        self.assertEqual(self.client.get(reverse("notifications:badge")).status_code, 200)

    def test_decisions_reach_the_receivers_by_email(self):
        send(self.case, [self.care_unit], self.sender_msw)
        send_pending_emails()
        self.assertEqual(
            {m.to[0] for m in mail.outbox}, {self.receiver_nurse.email, self.receiver_admin.email}
        )
        self.assertNotIn(self.outsider.email, {m.to[0] for m in mail.outbox})
