from tests.base import PersonaTestCase


class LoginRequiredTests(PersonaTestCase):
    def test_anonymous_is_sent_to_login(self):
        response = self.client.get("/facilities/")
        self.assertEqual(response.status_code, 302)
        self.assertIn("/accounts/login/", response["Location"])

    def test_login_page_is_japanese(self):
        response = self.client.get("/accounts/login/")
        self.assertContains(response, "ログイン")
