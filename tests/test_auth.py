"""Logging in: password rules, lockout, two-factor, forced password change, idle timeout."""

from datetime import timedelta

from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.base import PASSWORD, PersonaTestCase, make_user
from tsunagu.accounts.validators import GuidelinePasswordValidator
from tsunagu.audit.models import AuditEvent

LOGIN = reverse("accounts:login")
DIRECTORY = reverse("facilities:directory")


def code_for(device, drift=0):
    return f"{totp(device.bin_key, drift=drift):06d}"


def give_totp(user):
    return TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


class LoginTests(PersonaTestCase):
    def post_login(self, username, password, client=None):
        return (client or self.client).post(
            LOGIN,
            {"username": username, "password": password},
            REMOTE_ADDR="192.0.2.10",
            HTTP_USER_AGENT="pytest-browser",
        )

    def test_login_is_recorded_with_ip_and_facility(self):
        response = self.post_login("msw", PASSWORD)
        self.assertRedirects(response, reverse("home"), fetch_redirect_response=False)
        event = AuditEvent.objects.get(action=AuditEvent.Action.LOGIN)
        self.assertEqual(event.user, self.sender_msw)
        self.assertEqual(event.facility, self.hospital)
        self.assertEqual(event.facility_name, "平塚中央病院")
        self.assertEqual(event.ip, "192.0.2.10")
        self.assertEqual(event.user_agent, "pytest-browser")

    def test_wrong_password_shows_japanese_error_and_is_recorded(self):
        response = self.post_login("msw", "wrong-password-123!")
        self.assertContains(response, "ユーザー名またはパスワードが正しくありません")
        event = AuditEvent.objects.get(action=AuditEvent.Action.LOGIN_FAILED)
        self.assertEqual(event.user, self.sender_msw)
        self.assertNotIn("wrong-password", str(event.detail))

    def test_five_failures_lock_the_account_with_a_japanese_message(self):
        for _ in range(5):
            self.post_login("msw", "wrong-password-123!")
        # Even the right password is refused while the account is locked.
        response = self.post_login("msw", PASSWORD)
        self.assertEqual(response.status_code, 429)
        self.assertContains(response, "ログインを一時停止しています", status_code=429)
        self.assertContains(response, "30分", status_code=429)
        self.assertNotIn("_auth_user_id", self.client.session)
        self.assertTrue(
            AuditEvent.objects.filter(action=AuditEvent.Action.LOCKOUT, user=self.sender_msw).exists()
        )
        # Other users (e.g. colleagues behind the same hospital address) can still log in.
        other = Client()
        response = self.post_login("carehome", PASSWORD, client=other)
        self.assertEqual(response.status_code, 302)

    def test_the_same_user_name_from_another_address_is_not_locked(self):
        """Someone elsewhere who knows a user name cannot lock its owner out."""
        for _ in range(5):
            self.post_login("msw", "wrong-password-123!")
        self.assertEqual(self.post_login("msw", PASSWORD, client=Client()).status_code, 429)
        response = Client().post(
            LOGIN, {"username": "msw", "password": PASSWORD}, REMOTE_ADDR="198.51.100.20"
        )
        self.assertRedirects(response, reverse("home"), fetch_redirect_response=False)

    @override_settings(TRUSTED_PROXY_COUNT=1)
    def test_behind_the_proxy_the_lock_is_on_the_clients_address(self):
        def attempt(client_address, password, user_agent="browser"):
            return Client().post(
                LOGIN,
                {"username": "msw", "password": password},
                REMOTE_ADDR="127.0.0.1",  # the reverse proxy
                HTTP_X_FORWARDED_FOR=f"203.0.113.99, {client_address}",  # the first one is forged
                HTTP_USER_AGENT=user_agent,
            )

        for number in range(5):
            attempt("198.51.100.7", "wrong-password-123!", user_agent=f"browser {number}")
        self.assertEqual(attempt("198.51.100.7", PASSWORD).status_code, 429)
        lockouts = AuditEvent.objects.filter(action=AuditEvent.Action.LOCKOUT)
        self.assertEqual(set(lockouts.values_list("ip", flat=True)), {"198.51.100.7"})
        # A colleague behind the same proxy, at another address, is not locked out.
        self.assertEqual(attempt("198.51.100.8", PASSWORD).status_code, 302)

    def test_logout_is_recorded(self):
        self.post_login("msw", PASSWORD)
        self.client.post(reverse("accounts:logout"))
        self.assertTrue(
            AuditEvent.objects.filter(action=AuditEvent.Action.LOGOUT, user=self.sender_msw).exists()
        )


class PasswordRuleTests(PersonaTestCase):
    validator = GuidelinePasswordValidator()

    def messages(self, password, user=None):
        try:
            self.validator.validate(password, user)
        except ValidationError as error:
            return " ".join(error.messages)
        return ""

    def test_thirteen_characters_of_letters_digits_and_symbols_without_second_factor(self):
        self.assertIn("13文字以上", self.messages("abc-defg-123", self.sender_msw))  # 12
        self.assertEqual(self.messages("abc-defg-1234", self.sender_msw), "")
        self.assertIn("記号", self.messages("abcdefgh12345", self.sender_msw))
        self.assertIn("数字", self.messages("abcdefgh-ijkl", self.sender_msw))
        self.assertIn("英字", self.messages("1234-5678-901", self.sender_msw))

    def test_eight_characters_are_enough_with_a_second_factor(self):
        give_totp(self.sender_msw)
        self.assertEqual(self.messages("ab-12345", self.sender_msw), "")
        self.assertIn("8文字以上", self.messages("ab-1234", self.sender_msw))


class GuessablePasswordTests(PersonaTestCase):
    """Digits and symbols around a common word, a keyboard walk or the user's own name do not help."""

    def messages(self, password, user):
        from django.contrib.auth.password_validation import validate_password

        try:
            validate_password(password, user)
        except ValidationError as error:
            return " ".join(error.messages)
        return ""

    def test_common_words_and_keyboard_walks_with_digits_and_symbols_are_refused(self):
        give_totp(self.sender_msw)  # 8 characters would be enough: only the word is wrong
        for password in [
            "password1234!",
            "Passw0rd!2026",
            "P@55w0rd-2026!",
            "tsunagu2026!!",
            "qwertyuiop12",
            "!!Zxcvbnm2026a",
            "aaaa-1111-bbbb!",
        ]:
            with self.subTest(password):
                self.assertIn("よく使われる単語", self.messages(password, self.sender_msw))

    def test_the_user_name_or_e_mail_name_inside_the_password_is_refused(self):
        user = make_user(self.hospital, username="tanaka", email="hanako.sato@example.jp")
        for password in [
            "Tanaka-2026-kaigo!",
            "akanat-renkei-2026",
            "t4n4ka-fuyu-2026!",
            "hanako.sato!2026x",
        ]:
            with self.subTest(password):
                self.assertIn("利用者名やメールアドレスの名前", self.messages(password, user))

    def test_long_mixed_passwords_still_pass(self):
        user = make_user(self.hospital, username="tanaka", email="hanako.sato@example.jp")
        for password in ["kaigo-renkei-2026!", "Fuji-yama-Sakura-88", "shoki-Password-2026"]:
            with self.subTest(password):
                self.assertEqual(self.messages(password, user), "")

    def test_the_password_change_page_says_why(self):
        self.login(self.sender_msw)
        response = self.client.post(
            reverse("accounts:password_change"),
            {"old_password": PASSWORD, "new_password1": "Passw0rd!2026", "new_password2": "Passw0rd!2026"},
        )
        self.assertContains(response, "よく使われる単語やキーボードの並び")
        response = self.client.post(
            reverse("accounts:password_change"),
            {
                "old_password": PASSWORD,
                "new_password1": "wsm-renkei-2026!",
                "new_password2": "wsm-renkei-2026!",
            },
        )
        self.assertContains(response, "利用者名やメールアドレスの名前")


class PasswordChangeTests(PersonaTestCase):
    url = reverse("accounts:password_change")

    def test_initial_password_must_be_changed_before_anything_else(self):
        user = make_user(self.hospital, must_change_password=True)
        self.login(user)
        response = self.client.get(DIRECTORY)
        self.assertRedirects(response, f"{self.url}?next={DIRECTORY}", fetch_redirect_response=False)
        response = self.client.get(self.url)
        self.assertContains(response, "初期パスワードのままです")
        response = self.client.post(
            self.url,
            {
                "old_password": PASSWORD,
                "new_password1": "short-1",
                "new_password2": "short-1",
            },
        )
        self.assertContains(response, "13文字以上")
        response = self.client.post(
            f"{self.url}?next={DIRECTORY}",
            {
                "old_password": PASSWORD,
                "new_password1": "kaigo-renkei-2026!",
                "new_password2": "kaigo-renkei-2026!",
            },
        )
        self.assertRedirects(response, DIRECTORY, fetch_redirect_response=False)
        user.refresh_from_db()
        self.assertFalse(user.must_change_password)
        self.assertIsNotNone(user.password_changed_at)
        self.assertEqual(self.client.get(DIRECTORY).status_code, 200)
        self.assertTrue(
            AuditEvent.objects.filter(action=AuditEvent.Action.PASSWORD_CHANGE, user=user).exists()
        )

    def test_same_password_is_refused(self):
        self.login(self.sender_msw)
        response = self.client.post(
            self.url,
            {
                "old_password": PASSWORD,
                "new_password1": PASSWORD,
                "new_password2": PASSWORD,
            },
        )
        self.assertContains(response, "今までと違うパスワード")

    def test_changing_the_password_ends_other_sessions(self):
        other = Client()
        other.force_login(self.sender_msw)
        self.login(self.sender_msw)
        self.client.post(
            self.url,
            {
                "old_password": PASSWORD,
                "new_password1": "kaigo-renkei-2026!",
                "new_password2": "kaigo-renkei-2026!",
            },
        )
        self.assertEqual(self.client.get(DIRECTORY).status_code, 200)
        self.assertEqual(other.get(DIRECTORY).status_code, 302)

    def test_wrong_method(self):
        self.login(self.sender_msw)
        self.assertEqual(self.client.put(self.url).status_code, 405)


class SessionTests(PersonaTestCase):
    def test_idle_session_expires(self):
        self.login(self.sender_msw)
        self.assertEqual(self.client.get(DIRECTORY).status_code, 200)
        self.assertEqual(self.client.session.get_expiry_age(), 30 * 60)
        Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
        response = self.client.get(DIRECTORY)
        self.assertEqual(response.status_code, 302)
        self.assertTrue(response["Location"].startswith(LOGIN))

    def test_activity_moves_the_expiry_forward(self):
        self.login(self.sender_msw)
        session = self.client.session
        session["tsunagu_last_seen"] = 0
        session.save()
        Session.objects.update(expire_date=timezone.now() + timedelta(minutes=1))
        self.client.get(DIRECTORY)
        expiry = Session.objects.get().expire_date
        self.assertGreater(expiry, timezone.now() + timedelta(minutes=29))

    def test_logout_everywhere_ends_every_session(self):
        phone = Client()
        phone.force_login(self.sender_msw)
        self.login(self.sender_msw)
        response = self.client.post(reverse("accounts:logout_everywhere"))
        self.assertRedirects(response, LOGIN, fetch_redirect_response=False)
        self.assertEqual(phone.get(DIRECTORY).status_code, 302)
        self.assertEqual(self.client.get(DIRECTORY).status_code, 302)
        self.assertTrue(AuditEvent.objects.filter(action=AuditEvent.Action.LOGOUT_EVERYWHERE).exists())
        # A fresh login works again.
        self.sender_msw.refresh_from_db()
        phone.force_login(self.sender_msw)
        self.assertEqual(phone.get(DIRECTORY).status_code, 200)

    def test_logout_everywhere_only_by_post(self):
        self.login(self.sender_msw)
        self.assertEqual(self.client.get(reverse("accounts:logout_everywhere")).status_code, 405)

    def test_anonymous_is_sent_to_login(self):
        for name in ["accounts:account", "accounts:password_change", "accounts:otp_setup"]:
            response = self.client.get(reverse(name))
            self.assertEqual(response.status_code, 302, name)
            self.assertTrue(response["Location"].startswith(LOGIN))

    def test_account_page(self):
        self.login(self.sender_msw)
        response = self.client.get(reverse("accounts:account"))
        self.assertContains(response, "すべての端末からログアウト")
        self.assertContains(response, "二要素認証を設定する")
        self.assertEqual(self.client.post(reverse("accounts:account")).status_code, 405)


@override_settings(OTP_REQUIRED_FOR_ADMINS=True)
class TwoFactorTests(PersonaTestCase):
    setup_url = reverse("accounts:otp_setup")
    verify_url = reverse("accounts:otp_verify")

    def test_office_user_must_set_up_two_factor_first(self):
        self.login(self.office)
        response = self.client.get(DIRECTORY)
        self.assertRedirects(response, f"{self.setup_url}?next={DIRECTORY}", fetch_redirect_response=False)
        response = self.client.get(self.setup_url)
        self.assertContains(response, 'src="data:image/svg+xml')
        device = TOTPDevice.objects.get(user=self.office, confirmed=False)
        response = self.client.post(self.setup_url, {"token": "000000"})
        self.assertContains(response, "確認コードが正しくありません")
        device.refresh_from_db()
        device.throttle_reset()  # a failure makes the next try wait a second
        response = self.client.post(self.setup_url, {"token": code_for(device), "next": DIRECTORY})
        self.assertContains(response, "回復コード")
        self.assertEqual(StaticToken.objects.filter(device__user=self.office).count(), 10)
        for token in StaticToken.objects.filter(device__user=self.office):
            self.assertContains(response, token.token)
        self.assertEqual(self.client.get(DIRECTORY).status_code, 200)
        actions = set(AuditEvent.objects.filter(user=self.office).values_list("action", flat=True))
        self.assertLessEqual({"otp_setup", "otp_recovery_codes", "otp_failed"}, actions)

    def test_facility_admin_must_set_up_two_factor_but_staff_need_not(self):
        self.login(self.receiver_admin)
        self.assertEqual(self.client.get(DIRECTORY).status_code, 302)
        self.login(self.receiver_nurse)
        self.assertEqual(self.client.get(DIRECTORY).status_code, 200)

    def test_next_login_asks_for_the_code(self):
        device = give_totp(self.receiver_admin)
        self.login(self.receiver_admin)
        response = self.client.get(DIRECTORY)
        self.assertRedirects(response, f"{self.verify_url}?next={DIRECTORY}", fetch_redirect_response=False)
        # Nothing else is reachable before the code, not even the setup of a new device.
        self.assertEqual(self.client.get(self.setup_url).status_code, 302)
        response = self.client.post(self.verify_url, {"token": "123456"})
        self.assertContains(response, "確認コードが正しくありません")
        device.refresh_from_db()
        device.throttle_reset()  # a failure makes the next try wait a second
        response = self.client.post(self.verify_url, {"token": code_for(device), "next": DIRECTORY})
        self.assertRedirects(response, DIRECTORY, fetch_redirect_response=False)
        self.assertEqual(self.client.get(DIRECTORY).status_code, 200)

    def test_staff_who_may_open_the_admin_must_set_up_two_factor(self):
        staff = make_user(None, username="catalogue", is_staff=True)
        self.login(staff)
        response = self.client.get(reverse("admin:index"))
        self.assertRedirects(
            response, f"{self.setup_url}?next={reverse('admin:index')}", fetch_redirect_response=False
        )

    def test_the_admin_opens_only_after_the_second_factor(self):
        root = make_user(None, username="root", is_staff=True, is_superuser=True)
        device = give_totp(root)
        self.login(root)
        # A session whose login steps were skipped (the account became staff after logging in).
        session = self.client.session
        session["tsunagu_second_factor"] = ""
        session.save()
        response = self.client.get(reverse("admin:index"))
        self.assertRedirects(
            response,
            f"{reverse('admin:login')}?next={reverse('admin:index')}",
            fetch_redirect_response=False,
        )
        session = self.client.session
        session["tsunagu_second_factor"] = "verify"
        session.save()
        self.client.post(self.verify_url, {"token": code_for(device)})
        self.assertEqual(self.client.get(reverse("admin:index")).status_code, 200)

    def test_the_session_gets_a_new_id_after_the_second_factor(self):
        device = give_totp(self.receiver_admin)
        self.login(self.receiver_admin)
        before = self.client.session.session_key
        response = self.client.post(self.verify_url, {"token": code_for(device), "next": DIRECTORY})
        self.assertRedirects(response, DIRECTORY, fetch_redirect_response=False)
        after = self.client.session.session_key
        self.assertNotEqual(before, after)
        self.assertFalse(Session.objects.filter(session_key=before).exists())
        self.assertEqual(self.client.get(DIRECTORY).status_code, 200)

    def test_the_session_gets_a_new_id_when_two_factor_is_set_up(self):
        self.login(self.office)
        self.client.get(self.setup_url)
        before = self.client.session.session_key
        device = TOTPDevice.objects.get(user=self.office, confirmed=False)
        self.client.post(self.setup_url, {"token": code_for(device)})
        self.assertNotEqual(self.client.session.session_key, before)
        self.assertEqual(self.client.get(DIRECTORY).status_code, 200)

    def test_a_recovery_code_works_once(self):
        give_totp(self.receiver_admin)
        from tsunagu.accounts.security import new_recovery_codes

        code = new_recovery_codes(self.receiver_admin)[0]
        self.login(self.receiver_admin)
        response = self.client.post(self.verify_url, {"token": code})
        self.assertEqual(response.status_code, 302)
        self.assertEqual(self.client.get(DIRECTORY).status_code, 200)
        second = Client()
        second.force_login(self.receiver_admin)
        response = second.post(self.verify_url, {"token": code})
        self.assertContains(response, "確認コードが正しくありません")

    def test_htmx_and_api_requests_are_not_served_before_the_second_factor(self):
        give_totp(self.office)
        self.login(self.office)
        response = self.client.get(DIRECTORY, HTTP_HX_REQUEST="true")
        self.assertEqual(response["HX-Redirect"], self.verify_url)
        response = self.client.get("/api/v1/ping")
        self.assertEqual(response.status_code, 403)

    def test_staff_may_turn_on_two_factor_and_off_again(self):
        self.login(self.receiver_nurse)
        self.client.get(self.setup_url)
        device = TOTPDevice.objects.get(user=self.receiver_nurse)
        self.client.post(self.setup_url, {"token": code_for(device)})
        self.assertTrue(TOTPDevice.objects.filter(user=self.receiver_nurse, confirmed=True).exists())
        response = self.client.post(reverse("accounts:otp_disable"), {"password": "wrong"})
        self.assertContains(response, "パスワードが正しくありません")
        self.client.post(reverse("accounts:otp_disable"), {"password": PASSWORD})
        self.assertFalse(TOTPDevice.objects.filter(user=self.receiver_nurse).exists())

    def test_required_users_cannot_turn_two_factor_off(self):
        give_totp(self.office)
        self.login(self.office)
        session = self.client.session
        session["tsunagu_second_factor"] = ""
        session.save()
        self.client.post(reverse("accounts:otp_disable"), {"password": PASSWORD})
        self.assertTrue(TOTPDevice.objects.filter(user=self.office).exists())

    def test_new_recovery_codes_replace_the_old(self):
        from tsunagu.accounts.security import new_recovery_codes

        give_totp(self.receiver_nurse)
        old = new_recovery_codes(self.receiver_nurse)
        self.login(self.receiver_nurse)
        session = self.client.session
        session["tsunagu_second_factor"] = ""
        session.save()
        response = self.client.post(reverse("accounts:recovery_codes"))
        self.assertEqual(response.status_code, 200)
        self.assertFalse(StaticToken.objects.filter(token__in=old).exists())
        self.assertEqual(self.client.get(reverse("accounts:recovery_codes")).status_code, 405)


class DemoModeTests(PersonaTestCase):
    def test_banner_when_second_factor_is_optional(self):
        self.login(self.office)
        with override_settings(OTP_REQUIRED_FOR_ADMINS=False):
            response = self.client.get(reverse("accounts:account"))
        self.assertContains(response, "デモのため二要素認証は任意です")
        with override_settings(OTP_REQUIRED_FOR_ADMINS=True):
            self.assertEqual(self.client.get(reverse("accounts:account")).status_code, 302)


class AdminCreatedUserTests(PersonaTestCase):
    def test_user_added_in_admin_must_change_the_password(self):
        from django.contrib.admin.sites import site
        from django.test import RequestFactory

        from tsunagu.accounts.models import User

        admin = site._registry[User]
        user = User(username="newstaff")
        user.set_password("initial-Password-1")

        class Form:
            changed_data = ["password"]

        request = RequestFactory().post("/")
        admin.save_model(request, user, Form(), change=False)
        self.assertTrue(User.objects.get(username="newstaff").must_change_password)


class PollingTests(PersonaTestCase):
    def test_timed_htmx_polling_does_not_keep_an_idle_session_alive(self):
        self.login(self.receiver_nurse)
        session = self.client.session
        session["tsunagu_last_seen"] = 0
        session.save()
        soon = timezone.now() + timedelta(minutes=1)
        Session.objects.update(expire_date=soon)
        self.client.get(reverse("notifications:badge"), HTTP_HX_REQUEST="true")
        self.assertLess(Session.objects.get().expire_date, soon + timedelta(seconds=1))


@override_settings(OTP_REQUIRED_FOR_ADMINS=True)
class PendingStepHtmxTests(PersonaTestCase):
    def test_polling_on_the_step_page_itself_does_not_reload_it(self):
        self.login(self.office)
        setup = reverse("accounts:otp_setup")
        response = self.client.get(
            reverse("notifications:badge"),
            HTTP_HX_REQUEST="true",
            HTTP_HX_CURRENT_URL=f"http://testserver{setup}?next=/facilities/",
        )
        self.assertEqual(response.status_code, 204)
        self.assertNotIn("HX-Redirect", response)


class MemberAddedByAdminTests(PersonaTestCase):
    def test_a_member_added_by_the_facility_admin_must_change_the_initial_password(self):
        self.login(self.receiver_admin)
        url = reverse("facilities:members", args=[self.care_home.public_id])
        response = self.client.post(
            url,
            {
                "username": "newnurse",
                "display_name": "新人",
                "email": "",
                "role": "staff",
                "password": "short-1",
            },
        )
        self.assertContains(response, "13文字以上")
        self.client.post(
            url,
            {
                "username": "newnurse",
                "display_name": "新人",
                "email": "",
                "role": "staff",
                "password": "shoki-Password-2026",
            },
        )
        from tsunagu.accounts.models import User

        newcomer = User.objects.get(username="newnurse")
        self.assertTrue(newcomer.must_change_password)
        self.client.logout()
        response = self.client.post(
            LOGIN, {"username": "newnurse", "password": "shoki-Password-2026"}, follow=True
        )
        self.assertContains(response, "初期パスワードのままです")


class TwoFactorAdminTests(PersonaTestCase):
    """The admin's pages of two-factor devices: no secrets, no 500s, every look recorded."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.root = make_user(None, username="root", is_staff=True, is_superuser=True)
        cls.device = give_totp(cls.receiver_admin)

    def setUp(self):
        self.login(self.root)

    def test_ids_that_do_not_exist_answer_404(self):
        for name in ["admin:otp_totp_totpdevice_config", "admin:otp_totp_totpdevice_qrcode"]:
            with self.subTest(name):
                self.assertEqual(self.client.get(reverse(name, args=[987654])).status_code, 404)

    def test_the_key_and_qr_code_are_never_shown(self):
        from django_otp.conf import settings as otp_settings

        self.assertTrue(otp_settings.OTP_ADMIN_HIDE_SENSITIVE_DATA)
        response = self.client.get(reverse("admin:otp_totp_totpdevice_change", args=[self.device.pk]))
        self.assertEqual(response.status_code, 200)
        self.assertNotContains(response, self.device.key)
        for name in ["admin:otp_totp_totpdevice_config", "admin:otp_totp_totpdevice_qrcode"]:
            with self.subTest(name):
                self.assertEqual(self.client.get(reverse(name, args=[self.device.pk])).status_code, 403)

    def test_looking_at_devices_and_deleting_one_is_recorded(self):
        from tsunagu.accounts.security import new_recovery_codes

        new_recovery_codes(self.receiver_admin)
        static = self.receiver_admin.staticdevice_set.get()
        self.client.get(reverse("admin:otp_totp_totpdevice_changelist"))
        self.client.get(reverse("admin:otp_totp_totpdevice_change", args=[self.device.pk]))
        self.client.get(reverse("admin:otp_static_staticdevice_change", args=[static.pk]))
        self.client.post(reverse("admin:otp_totp_totpdevice_delete", args=[self.device.pk]), {"post": "yes"})
        self.assertFalse(TOTPDevice.objects.filter(pk=self.device.pk).exists())
        rows = list(
            AuditEvent.objects.filter(user=self.root, detail__via="admin")
            .order_by("id")
            .values_list("action", "object_type", "object_ref", "detail__of_user")
        )
        self.assertEqual(
            rows,
            [
                ("view", "totpdevice", "", None),
                ("view", "totpdevice", str(self.device.pk), "carehome_admin"),
                ("view", "staticdevice", str(static.pk), "carehome_admin"),
                ("delete", "totpdevice", str(self.device.pk), "carehome_admin"),
            ],
        )


def lock(username, ip_address, failures=5, user_agent="browser"):
    from axes.models import AccessAttempt

    return AccessAttempt.objects.create(
        username=username,
        ip_address=ip_address,
        user_agent=user_agent,
        get_data="",
        post_data="",
        http_accept="*/*",
        path_info=LOGIN,
        failures_since_start=failures,
    )


class LockoutPageTests(PersonaTestCase):
    """事務局 → ロック中のアカウント: the office sees who is locked out from where and unlocks."""

    url = reverse("accounts:lockouts")
    unlock_url = reverse("accounts:unlock")

    def test_the_office_sees_current_lockouts_only(self):
        lock("msw", "192.0.2.10", failures=3, user_agent="phone")
        lock("msw", "192.0.2.10", failures=2, user_agent="pc")  # 5 together: locked
        lock("carehome", "192.0.2.11", failures=4)  # not yet
        lock("nobody", "203.0.113.5")
        self.login(self.office)
        response = self.client.get(self.url)
        self.assertContains(response, "192.0.2.10")
        self.assertContains(response, str(self.sender_msw))
        self.assertContains(response, "5回失敗")
        self.assertContains(response, "登録のない利用者名")
        self.assertNotContains(response, "192.0.2.11")
        self.assertContains(response, 'name="ip_address" value="203.0.113.5"')

    def test_unlocking_lets_the_user_in_again_and_is_recorded(self):
        lock("msw", "192.0.2.10")
        lock("msw", "192.0.2.99")
        client = Client()
        response = client.post(LOGIN, {"username": "msw", "password": PASSWORD}, REMOTE_ADDR="192.0.2.10")
        self.assertEqual(response.status_code, 429)
        self.login(self.office)
        response = self.client.post(self.unlock_url, {"username": "msw", "ip_address": "192.0.2.10"})
        self.assertRedirects(response, self.url, fetch_redirect_response=False)
        self.assertContains(self.client.get(self.url), "192.0.2.99")  # the other address stays locked
        event = AuditEvent.objects.get(action=AuditEvent.Action.UNLOCK)
        self.assertEqual((event.user, event.object_ref), (self.office, "msw"))
        self.assertEqual(event.detail, {"username": "msw", "ip": "192.0.2.10"})
        response = client.post(LOGIN, {"username": "msw", "password": PASSWORD}, REMOTE_ADDR="192.0.2.10")
        self.assertEqual(response.status_code, 302)

    def test_a_lock_that_does_not_exist_is_404(self):
        self.login(self.office)
        for data in [{"username": "msw", "ip_address": "192.0.2.10"}, {"username": "", "ip_address": ""}]:
            with self.subTest(data=data):
                self.assertEqual(self.client.post(self.unlock_url, data).status_code, 404)

    def test_only_the_office_and_only_the_right_methods(self):
        lock("msw", "192.0.2.10")
        response = self.client.get(self.url)
        self.assertTrue(response["Location"].startswith(LOGIN))
        for user in [self.sender_msw, self.receiver_admin, self.outsider]:
            self.login(user)
            self.assertEqual(self.client.get(self.url).status_code, 403)
            data = {"username": "msw", "ip_address": "192.0.2.10"}
            self.assertEqual(self.client.post(self.unlock_url, data).status_code, 403)
        self.login(self.office)
        self.assertEqual(self.client.post(self.url).status_code, 405)
        self.assertEqual(self.client.get(self.unlock_url).status_code, 405)
        self.assertFalse(AuditEvent.objects.filter(action=AuditEvent.Action.UNLOCK).exists())

    def test_the_unlock_button_needs_the_csrf_token(self):
        lock("msw", "192.0.2.10")
        client = Client(enforce_csrf_checks=True)
        client.force_login(self.office)
        response = client.post(self.unlock_url, {"username": "msw", "ip_address": "192.0.2.10"})
        self.assertEqual(response.status_code, 403)
        self.assertContains(client.get(self.url), "192.0.2.10")

    def test_reachable_from_the_office_navigation(self):
        self.login(self.office)
        self.assertContains(self.client.get(reverse("accounts:account")), f'href="{self.url}"')
        self.login(self.receiver_admin)
        self.assertNotContains(self.client.get(reverse("accounts:account")), f'href="{self.url}"')

    def test_query_count_does_not_grow_with_the_lockouts(self):
        self.login(self.office)
        lock("msw", "192.0.2.10")
        self.client.get(self.url)
        with self.assertNumQueries(self.count_queries()):
            self.client.get(self.url)
        for number in range(20):
            lock(f"user{number}", f"192.0.2.{100 + number}")
        with self.assertNumQueries(self.count_queries()):
            response = self.client.get(self.url)
        self.assertContains(response, "192.0.2.119")

    def count_queries(self):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            self.client.get(self.url)
        return len(queries)
