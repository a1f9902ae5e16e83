"""A facility's own people keep its profile, units, capabilities, desks and users current."""

from django.urls import reverse

from tests.base import PASSWORD, PersonaTestCase
from tsunagu.accounts.models import Membership, User
from tsunagu.facilities.models import CoordinationDesk, Unit, UnitCapability, Vacancy
from tsunagu.network.models import CareLevel, CareNeed, care_level_mask


class AccessMatrixMixin:
    """anonymous → login, outsider → 404, staff → 403 (admin-only pages), wrong method → 405."""

    def assert_login_required(self, url, method="get"):
        self.client.logout()
        response = getattr(self.client, method)(url)
        self.assertEqual(response.status_code, 302)
        self.assertIn(reverse("accounts:login"), response["Location"])

    def assert_status(self, user, url, status, method="get", data=None):
        self.login(user)
        response = getattr(self.client, method)(url, data or {})
        self.assertEqual(response.status_code, status, f"{user} {method} {url}")
        return response


class ProfileEditTests(AccessMatrixMixin, PersonaTestCase):
    def url(self):
        return reverse("facilities:profile_edit", args=[self.care_home.public_id])

    def test_access(self):
        self.assert_login_required(self.url())
        self.assert_status(self.outsider, self.url(), 404)
        self.assert_status(self.sender_msw, self.url(), 404, "post", {"phone": "1"})
        self.assert_status(self.receiver_nurse, self.url(), 405, "put")
        self.assert_status(self.receiver_nurse, self.url(), 200)
        self.assert_status(self.office, self.url(), 200)

    def test_staff_update_contact_details_but_not_membership_of_the_network(self):
        self.login(self.receiver_nurse)
        response = self.client.post(
            self.url(),
            {
                "phone": "0463-12-3456",
                "fax": "0463-12-3457",
                "url": "https://aoba.example.jp/",
                "note": "面会は予約制です",
                "active": "",
            },
        )
        self.assertRedirects(response, reverse("facilities:detail", args=[self.care_home.public_id]))
        self.care_home.refresh_from_db()
        self.assertEqual((self.care_home.phone, self.care_home.note), ("0463-12-3456", "面会は予約制です"))
        self.assertTrue(self.care_home.active)

    def test_office_takes_a_facility_out_of_the_network_and_search(self):
        self.login(self.office)
        self.client.post(self.url(), {"phone": "", "fax": "", "url": "", "note": ""})
        self.care_home.refresh_from_db()
        self.assertFalse(self.care_home.active)
        self.assertFalse(Unit.objects.get(pk=self.care_unit.pk).search_open)

    def test_invalid_url_is_refused(self):
        self.login(self.receiver_nurse)
        response = self.client.post(self.url(), {"url": "not a url"})
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "URLを正しく入力してください。")


class UnitEditTests(AccessMatrixMixin, PersonaTestCase):
    def add_url(self, facility=None):
        return reverse("facilities:unit_add", args=[(facility or self.care_home).public_id])

    def edit_url(self, unit=None):
        return reverse("facilities:unit_edit", args=[(unit or self.care_unit).public_id])

    def form(self, **overrides):
        data = {
            "kind": str(self.care_unit.kind_id),
            "name": "ユニット型",
            "beds": "29",
            "sex_matters": "",
            "cost_min": "120000",
            "cost_max": "150000",
            "active": "on",
            "sort_order": "1",
            "care_levels": ["c3", "c4", "c5"],
        }
        data.update(overrides)
        return data

    def test_access(self):
        for url in (self.add_url(), self.edit_url()):
            self.assert_login_required(url)
            self.assert_status(self.outsider, url, 404)
            self.assert_status(self.outsider, url, 404, "post", self.form())
            self.assert_status(self.receiver_nurse, url, 405, "delete")
            self.assert_status(self.receiver_nurse, url, 200)
            self.assert_status(self.office, url, 200)

    def test_staff_add_a_unit_with_care_levels_and_costs(self):
        self.login(self.receiver_nurse)
        response = self.client.post(self.add_url(), self.form())
        unit = Unit.objects.get(facility=self.care_home, name="ユニット型")
        self.assertRedirects(response, reverse("facilities:unit_capabilities", args=[unit.public_id]))
        self.assertEqual(
            unit.care_level_mask, care_level_mask([CareLevel.CARE3, CareLevel.CARE4, CareLevel.CARE5])
        )
        self.assertEqual((unit.cost_min, unit.cost_max, unit.beds), (120000, 150000, 29))
        self.assertIsNone(Vacancy.objects.get(unit=unit).updated_at)

    def test_cost_range_must_be_ordered_and_kind_must_be_a_unit_kind(self):
        self.login(self.receiver_nurse)
        response = self.client.post(self.add_url(), self.form(cost_min="200000", cost_max="100000"))
        self.assertContains(response, "月額費用の上限は下限以上にしてください。")
        from tests.base import kind

        response = self.client.post(self.add_url(), self.form(kind=str(kind("clinic").pk)))
        self.assertContains(response, "正しく選択してください")
        self.assertFalse(Unit.objects.filter(name="ユニット型").exists())

    def test_edit_keeps_capabilities_and_updates_search_copy(self):
        self.login(self.receiver_admin)
        self.client.post(self.edit_url(), self.form(name="従来型(2階)", active=""))
        unit = Unit.objects.get(pk=self.care_unit.pk)
        self.assertEqual(unit.name, "従来型(2階)")
        self.assertFalse(unit.active)
        self.assertFalse(unit.search_open)
        self.assertEqual(unit.capability_mask, self.care_unit.capability_mask)


class CapabilityEditTests(AccessMatrixMixin, PersonaTestCase):
    def url(self, unit=None):
        return reverse("facilities:unit_capabilities", args=[(unit or self.care_unit).public_id])

    def full_form(self, **levels):
        data = {}
        for need in CareNeed.objects.filter(active=True):
            level, note = levels.get(need.code, ("no", ""))
            data[f"level_{need.code}"] = level
            data[f"note_{need.code}"] = note
        return data

    def test_access(self):
        self.assert_login_required(self.url())
        self.assert_status(self.outsider, self.url(), 404)
        self.assert_status(self.outsider, self.url(), 404, "post", self.full_form())
        self.assert_status(self.receiver_nurse, self.url(), 405, "put")
        response = self.assert_status(self.receiver_nurse, self.url(), 200)
        self.assertContains(response, "呼吸")
        self.assertContains(response, "胃ろう・腸ろう")

    def test_save_all_levels_and_refresh_the_search_masks(self):
        self.login(self.receiver_nurse)
        response = self.client.post(
            self.url(),
            self.full_form(
                peg=("yes", ""),
                suction_night=("conditional", "夜勤2名の日のみ"),
                insulin=("yes", "ignored"),
            ),
        )
        self.assertRedirects(response, reverse("facilities:detail", args=[self.care_home.public_id]))
        unit = Unit.objects.get(pk=self.care_unit.pk)
        peg, night, insulin, eol = (
            CareNeed.objects.get(code=c) for c in ("peg", "suction_night", "insulin", "end_of_life")
        )
        self.assertEqual(unit.capability_mask, peg.mask | night.mask | insulin.mask)
        self.assertEqual(unit.conditional_mask, night.mask)
        self.assertEqual(UnitCapability.objects.get(unit=unit, need=night).note, "夜勤2名の日のみ")
        self.assertEqual(UnitCapability.objects.get(unit=unit, need=insulin).note, "")
        self.assertEqual(UnitCapability.objects.get(unit=unit, need=eol).level, "no")
        self.assertEqual(
            UnitCapability.objects.filter(unit=unit).count(), CareNeed.objects.filter(active=True).count()
        )

    def test_conditional_needs_a_note(self):
        self.login(self.receiver_nurse)
        before = Unit.objects.get(pk=self.care_unit.pk).capability_mask
        response = self.client.post(self.url(), self.full_form(peg=("conditional", " ")))
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "「条件付き」の場合は条件を書いてください。")
        self.assertEqual(Unit.objects.get(pk=self.care_unit.pk).capability_mask, before)


class DeskTests(AccessMatrixMixin, PersonaTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.desk = CoordinationDesk.objects.create(facility=cls.care_home, name="生活相談室", phone="0463-1")

    def list_url(self):
        return reverse("facilities:desks", args=[self.care_home.public_id])

    def test_access(self):
        edit = reverse("facilities:desk_edit", args=[self.desk.public_id])
        delete = reverse("facilities:desk_delete", args=[self.desk.public_id])
        for url in (self.list_url(), edit):
            self.assert_login_required(url)
            self.assert_status(self.outsider, url, 404)
            self.assert_status(self.receiver_nurse, url, 403)
            self.assert_status(self.receiver_admin, url, 405, "put")
            self.assert_status(self.receiver_admin, url, 200)
            self.assert_status(self.office, url, 200)
        self.assert_status(self.outsider, delete, 404, "post")
        self.assert_status(self.receiver_nurse, delete, 403, "post")
        self.assert_status(self.receiver_admin, delete, 405, "get")
        self.assertTrue(CoordinationDesk.objects.filter(pk=self.desk.pk).exists())

    def test_admin_adds_edits_and_deletes_desks(self):
        self.login(self.receiver_admin)
        self.client.post(
            self.list_url(),
            {
                "name": "入所相談",
                "role": "生活相談員",
                "phone": "0463-22-1111",
                "fax": "",
                "email": "",
                "hours": "平日 9:00〜17:00",
                "note": "",
                "sort_order": "0",
            },
        )
        desk = CoordinationDesk.objects.get(name="入所相談")
        self.client.post(
            reverse("facilities:desk_edit", args=[desk.public_id]),
            {
                "name": "入所相談窓口",
                "role": "生活相談員",
                "phone": "0463-22-1111",
                "fax": "0463-22-1112",
                "email": "",
                "hours": "平日 9:00〜17:00",
                "note": "",
                "sort_order": "0",
            },
        )
        desk.refresh_from_db()
        self.assertEqual((desk.name, desk.fax), ("入所相談窓口", "0463-22-1112"))
        self.client.post(reverse("facilities:desk_delete", args=[self.desk.public_id]))
        self.assertEqual(list(self.care_home.desks.values_list("name", flat=True)), ["入所相談窓口"])


class MemberTests(AccessMatrixMixin, PersonaTestCase):
    def url(self, facility=None):
        return reverse("facilities:members", args=[(facility or self.care_home).public_id])

    def role_url(self, user):
        return reverse("facilities:member_role", args=[self.care_home.public_id, user.public_id])

    def test_access(self):
        self.assert_login_required(self.url())
        self.assert_status(self.outsider, self.url(), 404)
        self.assert_status(self.receiver_nurse, self.url(), 403)
        self.assert_status(
            self.receiver_nurse, self.role_url(self.receiver_nurse), 403, "post", {"role": "facility_admin"}
        )
        self.assert_status(
            self.outsider, self.role_url(self.receiver_nurse), 404, "post", {"role": "facility_admin"}
        )
        self.assert_status(self.receiver_admin, self.role_url(self.receiver_nurse), 405, "get")
        self.assert_status(self.receiver_admin, self.url(), 405, "put")
        response = self.assert_status(self.receiver_admin, self.url(), 200)
        self.assertContains(response, "carehome_admin")
        self.assertNotContains(response, "outsider")
        self.assert_status(self.office, self.url(self.other), 200)
        self.assertEqual(self.receiver_nurse.membership.role, Membership.Role.STAFF)

    def test_admin_adds_a_user_who_can_log_in(self):
        self.login(self.receiver_admin)
        response = self.client.post(
            self.url(),
            {
                "username": "aoba_night",
                "display_name": "夜勤リーダー",
                "email": "",
                "role": "staff",
                "password": PASSWORD,
            },
        )
        self.assertRedirects(response, self.url())
        user = User.objects.get(username="aoba_night")
        self.assertEqual(user.membership.facility, self.care_home)
        self.assertTrue(user.must_change_password)
        self.client.logout()
        self.assertTrue(self.client.login(username="aoba_night", password=PASSWORD))

    def test_weak_password_and_taken_username_are_refused(self):
        self.login(self.receiver_admin)
        response = self.client.post(
            self.url(),
            {
                "username": "carehome",
                "display_name": "x",
                "role": "staff",
                "password": "12345678",
            },
        )
        self.assertContains(response, "このユーザー名はすでに使われています。")
        self.assertContains(response, "数字しか使われていません")
        self.assertEqual(User.objects.filter(username="carehome").count(), 1)

    def test_change_role_but_never_remove_the_last_admin(self):
        self.login(self.receiver_admin)
        self.client.post(self.role_url(self.receiver_nurse), {"role": "facility_admin"})
        self.assertEqual(Membership.objects.get(user=self.receiver_nurse).role, "facility_admin")
        self.client.post(self.role_url(self.receiver_nurse), {"role": "staff"})
        response = self.client.post(self.role_url(self.receiver_admin), {"role": "staff"}, follow=True)
        self.assertContains(response, "施設管理者が一人もいなくなるため")
        self.assertEqual(Membership.objects.get(user=self.receiver_admin).role, "facility_admin")

    def test_office_manages_users_of_any_facility(self):
        self.login(self.office)
        self.client.post(
            self.url(self.other),
            {
                "username": "midori_admin",
                "display_name": "施設長",
                "email": "",
                "role": "facility_admin",
                "password": PASSWORD,
            },
        )
        self.assertEqual(User.objects.get(username="midori_admin").membership.facility, self.other)
