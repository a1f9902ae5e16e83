"""The frame every page shares: an icon and a web app manifest for the phone's home screen, a skip link."""

import json

from django.contrib.staticfiles import finders
from django.urls import reverse

from tests.base import PersonaTestCase


class SiteShellTest(PersonaTestCase):
    def test_every_page_links_an_icon_a_manifest_and_a_skip_link(self):
        for page in (self.client.get(reverse("accounts:login")), self._home()):
            html = page.content.decode()
            self.assertIn('rel="manifest"', html)
            self.assertIn('rel="apple-touch-icon"', html)
            self.assertIn('class="skip-link" href="#main"', html)
            self.assertIn('id="main"', html)

    def test_manifest_names_the_app_and_its_icons_exist(self):
        manifest = json.loads(open(finders.find("tsunagu/manifest.webmanifest"), encoding="utf-8").read())
        self.assertEqual(manifest["short_name"], "つなぐ")
        self.assertEqual(manifest["start_url"], "/")
        for icon in manifest["icons"]:
            self.assertIsNotNone(finders.find(f"tsunagu/{icon['src']}"), icon["src"])

    def _home(self):
        self.client.force_login(self.receiver_nurse)
        return self.client.get(reverse("home"))
