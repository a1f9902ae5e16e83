"""Registering, viewing, editing, listing and closing anonymous cases."""

import re
from datetime import timedelta

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.base import (
    PersonaTestCase,
    kind,
    make_area,
    make_case,
    make_facility,
    make_municipality,
    make_user,
    need,
)
from tsunagu.cases.models import Case, CaseNeed, CaseStateError

REF_RE = re.compile(r"^C-\d{4}-\d{5}$")


def case_post(**overrides):
    """A filled-in registration form as a coordinator sends it."""
    data = {
        "age_band": "80",
        "sex": "female",
        "municipality": str(overrides.pop("municipality")),
        "condition_category": "stroke",
        "care_level": "c4",
        "dementia_level": "IIb",
        "mobility_level": "B2",
        "medical_class": "",
        "adl_class": "",
        "needs": [],
        "night": [],
        "wished_kinds": [str(kind("tokuyo").pk), str(kind("roken").pk)],
        "wished_areas": [str(overrides.pop("area"))],
        "wished_date": (timezone.localdate() + timedelta(days=7)).isoformat(),
        "budget_monthly": "150000",
        "summary": "脳梗塞後、胃ろう造設済み。リハビリ継続希望。",
    }
    data.update(overrides)
    return data


class RegistrationTests(PersonaTestCase):
    def post_case(self, user=None, **overrides):
        self.login(user or self.sender_msw)
        overrides.setdefault("municipality", self.hiratsuka.pk)
        overrides.setdefault("area", self.area.pk)
        return self.client.post(reverse("cases:new"), case_post(**overrides))

    def test_the_form_is_one_page_with_the_catalogue_and_sensible_defaults(self):
        self.login(self.sender_msw)
        response = self.client.get(reverse("cases:new"))
        self.assertEqual(response.status_code, 200)
        for name in [
            "age_band",
            "sex",
            "municipality",
            "condition_category",
            "care_level",
            "dementia_level",
            "mobility_level",
            "medical_class",
            "adl_class",
            "needs",
            "night",
            "wished_kinds",
            "wished_areas",
            "wished_date",
            "budget_monthly",
            "no_guarantor",
            "welfare",
            "published_for_offers",
            "summary",
        ]:
            self.assertContains(response, f'name="{name}"')
        self.assertContains(response, "胃ろう・腸ろう")
        self.assertContains(response, "申請中")
        self.assertContains(response, "夜間も")
        # The night item is reached through the day item's 「夜間も」 tick, not listed twice.
        self.assertNotContains(response, "喀痰吸引(夜間も)")
        form = response.context["form"]
        self.assertEqual(form.initial["municipality"], self.hiratsuka.pk)
        self.assertEqual(form.initial["wished_areas"], [self.area.pk])
        # Only kinds that take patients in are offered as wishes.
        kinds = set(form.fields["wished_kinds"].queryset.values_list("code", flat=True))
        self.assertIn("tokuyo", kinds)
        self.assertNotIn("care_manager", kinds)
        self.assertNotIn("visiting_nurse", kinds)

    def test_msw_registers_a_case_and_gets_its_reference_code(self):
        response = self.post_case(needs=[str(need("peg").pk), str(need("end_of_life").pk)])
        case = Case.objects.get()
        self.assertRedirects(response, reverse("cases:detail", args=[case.ref]))
        self.assertRegex(case.ref, REF_RE)
        self.assertTrue(case.ref.startswith(f"C-{timezone.localdate().year}-"))
        self.assertEqual(case.owner, self.hospital)
        self.assertEqual(case.created_by, self.sender_msw)
        self.assertEqual(case.status, Case.Status.OPEN)
        self.assertEqual(set(case.needs.values_list("need__code", flat=True)), {"peg", "end_of_life"})
        self.assertEqual(case.required_mask, need("peg").mask | need("end_of_life").mask)
        self.assertEqual(set(case.wished_kinds.values_list("code", flat=True)), {"tokuyo", "roken"})

        page = self.client.get(response["Location"])
        self.assertContains(page, case.ref)
        self.assertContains(page, "この番号をカルテに控えてください")
        self.assertContains(page, "80〜84歳")
        self.assertContains(page, "胃ろう・腸ろう")

    def test_care_managers_and_care_homes_register_too(self):
        care_manager = make_user(
            make_facility("居宅介護支援ひまわり", kind_code="care_manager", municipality=self.hadano)
        )
        for user in (care_manager, self.receiver_nurse, self.clinic_nurse):
            response = self.post_case(user=user)
            self.assertEqual(response.status_code, 302)
        self.assertEqual(Case.objects.count(), 3)

    def test_suction_at_night_requires_the_night_item_instead_of_the_day_item(self):
        day, night = need("suction_day"), need("suction_night")
        self.post_case(needs=[str(day.pk)], night=[str(day.pk)])
        case = Case.objects.get()
        rows = list(case.needs.values_list("need__code", "at_night"))
        self.assertEqual(rows, [("suction_night", True)])
        self.assertEqual(case.required_mask, night.mask)

    def test_suction_by_day_only_requires_the_day_item(self):
        self.post_case(needs=[str(need("suction_day").pk)])
        self.assertEqual(Case.objects.get().required_mask, need("suction_day").mask)

    def test_night_tick_on_a_need_without_night_item_is_kept_with_the_need(self):
        bpsd = need("dementia_bpsd")
        # Ticking 「夜間も」 alone is enough: the need itself is implied.
        self.post_case(night=[str(bpsd.pk)])
        case = Case.objects.get()
        self.assertEqual(list(case.needs.values_list("need__code", "at_night")), [("dementia_bpsd", True)])
        self.assertEqual(case.required_mask, bpsd.mask)

    def test_published_for_offers_and_other_wishes_are_kept(self):
        west = make_area(code="1407", name="湘南東部")
        self.post_case(
            published_for_offers="on",
            area=west.pk,
            budget_monthly="180000",
            medical_class="2",
            adl_class="3",
            care_level="pending",
        )
        case = Case.objects.get()
        self.assertTrue(case.published_for_offers)
        self.assertEqual(list(case.wished_areas.all()), [west])
        self.assertEqual(
            (case.budget_monthly, case.medical_class, case.adl_class, case.care_level),
            (180000, "2", "3", "pending"),
        )

    def test_social_flags_become_required_needs(self):
        self.post_case(no_guarantor="on", welfare="on")
        case = Case.objects.get()
        self.assertTrue(case.no_guarantor and case.welfare)
        self.assertEqual(case.required_mask, need("no_guarantor").mask | need("welfare").mask)

    def test_wishes_are_required_and_past_dates_refused(self):
        response = self.post_case(
            wished_kinds=[],
            wished_areas=[],
            wished_date=(timezone.localdate() - timedelta(days=1)).isoformat(),
        )
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "希望する施設種別を1つ以上選んでください。")
        self.assertContains(response, "希望する地域を1つ以上選んでください。")
        self.assertContains(response, "受入れ希望日が過ぎています。")
        self.assertFalse(Case.objects.exists())

    def test_ticked_needs_survive_a_refused_form(self):
        peg = need("peg")
        response = self.post_case(needs=[str(peg.pk)], wished_kinds=[])
        self.assertContains(response, f'value="{peg.pk}" checked')

    def test_personal_data_in_the_summary_is_refused_with_what_and_why(self):
        examples = {
            "家族TEL 0463-12-3456": "電話番号のような数字『0463-12-3456』",
            "キーパーソン携帯０９０－１２３４－５６７８": "電話番号のような数字『０９０－１２３４－５６７８』",
            "S16.3.5生まれ": "生年月日のような日付『S16.3.5生まれ』",
            "生年月日 1941/03/05": "生年月日のような日付『1941/03/05』",
            "連絡は taro@example.jp へ": "メールアドレス『taro@example.jp』",
            "被保険者番号 12345678": "保険証番号や患者IDのような番号",
            "自宅は浅間町1丁目2番3号": "番地までの住所『1丁目2番3号』",
            "山田様は独居": "氏名のような呼び方『山田様』",
        }
        for summary, shown in examples.items():
            with self.subTest(summary=summary):
                response = self.post_case(summary=summary)
                self.assertEqual(response.status_code, 200)
                self.assertContains(response, shown)
                self.assertContains(response, "個人を特定できる情報は登録できません。")
                self.assertFalse(Case.objects.exists())

    def test_ordinary_clinical_summary_is_accepted(self):
        summary = (
            "2026年10月3日 大腿骨頸部骨折で手術。Hb 9.8、Alb 2.8、CRP 0.3。BP 130/80、SpO2 95%(O2 1L/min)。"
            "長女様がキーパーソン、ケアマネさんと調整済み。令和8年1月 入院。"
        )
        response = self.post_case(summary=summary)
        self.assertEqual(response.status_code, 302)
        self.assertEqual(Case.objects.get().summary, summary)

    def test_who_may_not_register(self):
        nobody = make_user(None, username="nobody")
        for user in (self.office, nobody):
            self.login(user)
            self.assertEqual(self.client.get(reverse("cases:new")).status_code, 403)
            self.assertEqual(self.post_case(user=user).status_code, 403)
        self.assertFalse(Case.objects.exists())

    def test_anonymous_is_sent_to_login(self):
        response = self.client.get(reverse("cases:new"))
        self.assertEqual(response.status_code, 302)
        self.assertIn("/accounts/login/", response["Location"])

    def test_wrong_method(self):
        self.login(self.sender_msw)
        self.assertEqual(self.client.put(reverse("cases:new")).status_code, 405)
        self.assertEqual(self.client.delete(reverse("cases:new")).status_code, 405)


class CasePageTests(PersonaTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.case = make_case(
            cls.hospital,
            needs=["peg"],
            night=["suction_day"],
            created_by=cls.sender_msw,
            summary="嚥下評価中",
        )

    def url(self, name="detail"):
        return reverse(f"cases:{name}", args=[self.case.ref])

    def test_owner_sees_the_case(self):
        self.login(self.sender_msw)
        response = self.client.get(self.url())
        self.assertContains(response, self.case.ref)
        self.assertContains(response, "喀痰吸引(夜間も)")
        self.assertContains(response, "嚥下評価中")
        self.assertContains(response, self.url("edit"))
        self.assertContains(response, "この患者登録を終了する")

    def test_office_sees_but_cannot_change(self):
        self.login(self.office)
        response = self.client.get(self.url())
        self.assertContains(response, self.case.ref)
        self.assertNotContains(response, self.url("edit"))
        self.assertNotContains(response, "この患者登録を終了する")
        self.assertEqual(self.client.get(self.url("edit")).status_code, 403)
        self.assertEqual(self.client.post(self.url("close"), {"outcome": "home"}).status_code, 403)
        self.case.refresh_from_db()
        self.assertEqual(self.case.status, Case.Status.OPEN)

    def test_other_facilities_get_404_everywhere(self):
        for user in (self.outsider, self.receiver_nurse, self.clinic_nurse):
            self.login(user)
            with self.subTest(user=user.username):
                self.assertEqual(self.client.get(self.url()).status_code, 404)
                self.assertEqual(self.client.get(self.url("edit")).status_code, 404)
                self.assertEqual(self.client.post(self.url("edit"), {}).status_code, 404)
                self.assertEqual(self.client.post(self.url("close"), {"outcome": "home"}).status_code, 404)
        self.case.refresh_from_db()
        self.assertEqual(self.case.status, Case.Status.OPEN)

    def test_unknown_ref_is_404(self):
        self.login(self.sender_msw)
        self.assertEqual(self.client.get(reverse("cases:detail", args=["C-2026-99999"])).status_code, 404)

    def test_wrong_methods(self):
        self.login(self.sender_msw)
        self.assertEqual(self.client.post(self.url()).status_code, 405)
        self.assertEqual(self.client.delete(self.url("edit")).status_code, 405)
        self.assertEqual(self.client.get(self.url("close")).status_code, 405)

    def test_owner_edits_the_case_with_the_same_form(self):
        self.login(self.sender_msw)
        response = self.client.get(self.url("edit"))
        form = response.context["form"]
        day = need("suction_day")
        # The stored night item shows as the day item with 「夜間も」 ticked.
        self.assertIn(day.pk, form.initial["needs"])
        self.assertIn(day.pk, form.initial["night"])
        data = case_post(
            municipality=self.hiratsuka.pk,
            area=self.area.pk,
            needs=[str(need("tpn").pk)],
            summary="IVH管理あり",
            age_band="85",
            wished_date="",
        )
        response = self.client.post(self.url("edit"), data)
        self.assertRedirects(response, self.url())
        self.case.refresh_from_db()
        self.assertEqual(self.case.age_band, 85)
        self.assertEqual(self.case.summary, "IVH管理あり")
        self.assertEqual(list(self.case.needs.values_list("need__code", flat=True)), ["tpn"])
        self.assertEqual(self.case.required_mask, need("tpn").mask)
        self.assertEqual(self.case.owner, self.hospital)

    def test_edit_refuses_personal_data_and_keeps_the_case(self):
        self.login(self.sender_msw)
        data = case_post(municipality=self.hiratsuka.pk, area=self.area.pk, summary="長男 090-1111-2222")
        response = self.client.post(self.url("edit"), data)
        self.assertContains(response, "電話番号のような数字『090-1111-2222』")
        self.case.refresh_from_db()
        self.assertEqual(self.case.summary, "嚥下評価中")

    def test_a_closed_case_cannot_be_edited(self):
        self.case.close(Case.Outcome.HOME)
        self.login(self.sender_msw)
        response = self.client.get(self.url("edit"), follow=True)
        self.assertRedirects(response, self.url())
        self.assertContains(response, "調整中の患者登録だけが編集できます。")

    def test_search_button_links_to_the_search_when_it_exists(self):
        self.login(self.sender_msw)
        response = self.client.get(self.url())
        try:
            search_url = reverse("cases:search", args=[self.case.ref])
        except Exception:
            self.assertNotContains(response, "/search/")
        else:
            self.assertContains(response, search_url)
            self.assertContains(response, "受入先をさがす")


class ClosingTests(PersonaTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.case = make_case(cls.hospital, needs=["peg"])

    def close(self, **data):
        self.login(self.sender_msw)
        return self.client.post(reverse("cases:close", args=[self.case.ref]), data)

    def test_closing_records_the_outcome(self):
        response = self.close(outcome="transferred", note="特養へ入所")
        self.assertRedirects(response, reverse("cases:detail", args=[self.case.ref]))
        self.case.refresh_from_db()
        self.assertEqual(self.case.status, Case.Status.CLOSED)
        self.assertEqual(self.case.outcome, Case.Outcome.TRANSFERRED)
        self.assertEqual(self.case.outcome_note, "特養へ入所")
        self.assertIsNotNone(self.case.closed_at)
        self.assertEqual(self.case.closed_by, self.sender_msw)
        page = self.client.get(response["Location"])
        self.assertContains(page, "転院・入所した")
        self.assertNotContains(page, "この患者登録を終了する")

    def test_outcome_is_required(self):
        response = self.close(note="")
        self.assertEqual(response.status_code, 400)
        self.assertContains(response, "このフィールドは必須です", status_code=400)
        self.case.refresh_from_db()
        self.assertEqual(self.case.status, Case.Status.OPEN)

    def test_the_note_is_guarded(self):
        response = self.close(outcome="home", note="鈴木さん宅へ退院、TEL 0463-22-1111")
        self.assertContains(response, "氏名のような呼び方『鈴木さん』", status_code=400)
        self.assertContains(response, "電話番号のような数字『0463-22-1111』", status_code=400)
        self.case.refresh_from_db()
        self.assertEqual(self.case.status, Case.Status.OPEN)

    def test_closing_twice_says_so(self):
        self.close(outcome="home")
        response = self.client.post(
            reverse("cases:close", args=[self.case.ref]), {"outcome": "died"}, follow=True
        )
        self.assertRedirects(response, reverse("cases:detail", args=[self.case.ref]))
        self.assertContains(response, "この患者登録はすでに終了しています。")
        self.case.refresh_from_db()
        self.assertEqual(self.case.outcome, Case.Outcome.HOME)


class CaseListTests(PersonaTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        today = timezone.localdate()
        cls.soon = make_case(cls.hospital, needs=["peg", "tpn"], wished_date=today + timedelta(days=2))
        cls.later = make_case(cls.hospital, needs=["end_of_life"], wished_date=today + timedelta(days=20))
        cls.undated = make_case(cls.hospital)
        cls.done = make_case(cls.hospital)
        cls.done.close(Case.Outcome.HOME)
        cls.foreign = make_case(cls.other, needs=["peg"])

    def get(self, user=None, **params):
        self.login(user or self.sender_msw)
        return self.client.get(reverse("cases:list"), params)

    def test_open_tab_lists_own_cases_soonest_first(self):
        response = self.get()
        self.assertEqual(response.status_code, 200)
        self.assertEqual(
            [c.ref for c in response.context["rows"]], [self.soon.ref, self.later.ref, self.undated.ref]
        )
        self.assertNotContains(response, self.foreign.ref)
        self.assertEqual(
            [(value, count) for value, _label, count in response.context["tabs"]],
            [("open", 3), ("matched", 0), ("closed", 1)],
        )
        self.assertContains(response, "中心静脈栄養(IVH・CVポート)")

    def test_closed_tab(self):
        response = self.get(status="closed")
        self.assertEqual([c.ref for c in response.context["rows"]], [self.done.ref])
        self.assertContains(response, "自宅へ退院した")

    def test_unknown_tab_falls_back_to_open(self):
        self.assertEqual(self.get(status="bogus").context["status"], "open")

    def test_office_sees_every_facility(self):
        response = self.get(self.office)
        self.assertContains(response, self.foreign.ref)
        self.assertContains(response, self.soon.ref)

    def test_other_facility_sees_only_its_own(self):
        response = self.get(self.outsider)
        self.assertEqual([c.ref for c in response.context["rows"]], [self.foreign.ref])

    def test_users_without_facility_are_refused(self):
        self.assertEqual(self.get(make_user(None, username="lost")).status_code, 403)

    def test_wrong_method(self):
        self.login(self.sender_msw)
        self.assertEqual(self.client.post(reverse("cases:list")).status_code, 405)

    def test_query_count_does_not_grow_with_cases(self):
        self.login(self.sender_msw)
        url = reverse("cases:list")
        self.client.get(url)  # warm the session and caches
        with CaptureQueriesContext(connection) as few:
            self.client.get(url)
        for _index in range(6):
            make_case(self.hospital, needs=["peg", "insulin", "mrsa"], kinds=("tokuyo", "roken"))
        with self.assertNumQueries(len(few.captured_queries)):
            response = self.client.get(url)
        self.assertEqual(len(response.context["rows"]), 9)


class CaseModelTests(PersonaTestCase):
    def test_reference_codes_are_consecutive_within_a_year(self):
        first, second = make_case(self.hospital), make_case(self.other)
        year = timezone.localdate().year
        number = int(first.ref.rsplit("-", 1)[1])
        self.assertEqual(first.ref, f"C-{year}-{number:05d}")
        self.assertEqual(second.ref, f"C-{year}-{number + 1:05d}")

    def test_each_year_counts_from_one(self):
        old = make_case(self.hospital, created_at=timezone.now().replace(year=2025, month=6))
        self.assertEqual(old.ref, "C-2025-00001")

    def test_database_refuses_closed_without_outcome_and_outcome_while_open(self):
        case = make_case(self.hospital)
        with self.assertRaises(IntegrityError), transaction.atomic():
            Case.objects.filter(pk=case.pk).update(status="closed", closed_at=timezone.now())
        with self.assertRaises(IntegrityError), transaction.atomic():
            Case.objects.filter(pk=case.pk).update(outcome="home")

    def test_database_refuses_a_need_twice(self):
        case = make_case(self.hospital, needs=["peg"])
        with self.assertRaises(IntegrityError), transaction.atomic():
            CaseNeed.objects.create(case=case, need=need("peg"))

    def test_status_changes_follow_the_table(self):
        case = make_case(self.hospital)
        case.mark_matched()
        case.reopen()
        case.close(Case.Outcome.CANCELLED, by=self.sender_msw)
        with self.assertRaises(CaseStateError):
            case.reopen()
        with self.assertRaises(CaseStateError):
            case.close(Case.Outcome.HOME)

    def test_a_stale_copy_cannot_win(self):
        case = make_case(self.hospital)
        stale = Case.objects.get(pk=case.pk)
        case.close(Case.Outcome.HOME)
        with self.assertRaises(CaseStateError):
            stale.mark_matched()
        case.refresh_from_db()
        self.assertEqual(case.status, Case.Status.CLOSED)

    def test_visible_to(self):
        own, foreign = make_case(self.hospital), make_case(self.other)
        nobody = make_user(None, username="nobody2")
        self.assertEqual(list(Case.objects.visible_to(self.sender_msw)), [own])
        self.assertEqual(set(Case.objects.visible_to(self.office)), {own, foreign})
        self.assertEqual(list(Case.objects.visible_to(nobody)), [])
        self.assertEqual(list(Case.objects.visible_to(self.receiver_nurse)), [])

    def test_open_cases_in_another_area(self):
        west = make_area(code="1499", name="テスト圏")
        town = make_municipality(code="149999", name="テスト町", area=west)
        case = make_case(self.hospital, municipality=town)
        self.assertEqual(list(case.wished_areas.all()), [west])
        self.assertIn(case, Case.objects.open().filter(Q(municipality__area=west)))

    def test_no_field_can_hold_identity(self):
        names = {field.name for field in Case._meta.get_fields()}
        for forbidden in (
            "name",
            "patient_name",
            "birth_date",
            "birthday",
            "address",
            "phone",
            "patient_id",
            "insurance_number",
        ):
            self.assertNotIn(forbidden, names)


class CaseAdminTests(PersonaTestCase):
    def test_office_administrator_browses_cases_in_the_admin(self):
        case = make_case(self.hospital, needs=["peg"])
        admin_user = make_user(None, username="root", is_office=True, is_staff=True, is_superuser=True)
        self.login(admin_user)
        self.assertContains(self.client.get(reverse("admin:cases_case_changelist")), case.ref)
        self.assertContains(
            self.client.get(reverse("admin:cases_case_change", args=[case.pk])), "胃ろう・腸ろう"
        )
        self.assertEqual(self.client.get(reverse("admin:cases_case_add")).status_code, 403)
