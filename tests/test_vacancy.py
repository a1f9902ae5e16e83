"""The daily vacancy update: a care-home worker's ten seconds a day."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client, TransactionTestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.base import PersonaTestCase, make_unit
from tsunagu.facilities.models import Unit, Vacancy, VacancyEvent

PAGE = reverse("facilities:vacancy")
CONFIRM_ALL = reverse("facilities:vacancy_confirm_all")


def save_url(unit):
    return reverse("facilities:vacancy_save", args=[unit.public_id])


def shown_versions(page):
    """What 「すべて変更なし」 sends: the version of every card the page shows."""
    return dict(
        re.findall(r'form="confirm-all" name="(version-[\w-]+)" value="(\d*)"', page.content.decode())
    )


class VacancyPageTests(PersonaTestCase):
    def test_anonymous_goes_to_login(self):
        for url in (PAGE, CONFIRM_ALL, save_url(self.care_unit)):
            response = self.client.get(url) if url == PAGE else self.client.post(url)
            self.assertEqual(response.status_code, 302)
            self.assertIn(reverse("accounts:login"), response["Location"])

    def test_wrong_methods(self):
        self.login(self.receiver_nurse)
        self.assertEqual(self.client.post(PAGE).status_code, 405)
        self.assertEqual(self.client.get(CONFIRM_ALL).status_code, 405)
        self.assertEqual(self.client.get(save_url(self.care_unit)).status_code, 405)

    def test_users_without_a_facility_are_refused(self):
        self.login(self.office)
        self.assertEqual(self.client.get(PAGE).status_code, 403)
        self.assertEqual(self.client.post(CONFIRM_ALL).status_code, 403)

    def test_staff_see_only_their_own_units(self):
        self.login(self.receiver_nurse)
        response = self.client.get(PAGE)
        self.assertContains(response, "従来型")
        self.assertNotContains(response, "一般棟")
        self.assertContains(response, "すべて変更なし")
        self.assertContains(response, "本日更新")

    def test_outsider_cannot_update_another_facilitys_unit(self):
        self.login(self.outsider)
        response = self.client.post(
            save_url(self.care_unit), {"action": "save", "free_now": 5, "expected_7d": 0}
        )
        self.assertEqual(response.status_code, 404)
        response = self.client.post(save_url(self.care_unit), {"action": "unchanged"})
        self.assertEqual(response.status_code, 404)
        self.assertEqual(Vacancy.objects.get(unit=self.care_unit).free_now, 2)
        self.assertFalse(VacancyEvent.objects.filter(unit=self.care_unit).exists())

    def test_save_records_figures_who_when_and_history(self):
        self.login(self.receiver_nurse)
        response = self.client.post(
            save_url(self.care_unit),
            {
                "action": "save",
                "free_now": 4,
                "expected_7d": 2,
                "note": "月末に退所予定あり",
                "version": 0,
            },
        )
        self.assertRedirects(response, PAGE)
        vacancy = Vacancy.objects.get(unit=self.care_unit)
        self.assertEqual(
            (vacancy.free_now, vacancy.expected_7d, vacancy.updated_by), (4, 2, self.receiver_nurse)
        )
        event = VacancyEvent.objects.get(unit=self.care_unit)
        self.assertEqual(
            (event.free_now, event.expected_7d, event.unchanged, event.by), (4, 2, False, self.receiver_nurse)
        )
        unit = Unit.objects.get(pk=self.care_unit.pk)
        self.assertEqual((unit.search_free_now, unit.search_expected_7d), (4, 2))

    def test_unchanged_keeps_figures_and_moves_the_date(self):
        vacancy = self.care_unit.vacancy
        vacancy.updated_at = timezone.now() - timedelta(days=5)
        vacancy.save()
        self.login(self.receiver_nurse)
        response = self.client.get(PAGE)
        self.assertContains(response, "3日以上未更新")
        self.assertContains(response, "is-stale")
        self.client.post(save_url(self.care_unit), {"action": "unchanged", "free_now": 99, "version": 0})
        vacancy.refresh_from_db()
        self.assertEqual(vacancy.free_now, 2)
        self.assertFalse(vacancy.is_stale)
        self.assertEqual(vacancy.updated_by, self.receiver_nurse)
        event = VacancyEvent.objects.get(unit=self.care_unit)
        self.assertTrue(event.unchanged)
        self.assertEqual(event.free_now, 2)

    def test_more_free_beds_than_beds_is_refused_in_japanese(self):
        self.login(self.receiver_nurse)
        response = self.client.post(
            save_url(self.care_unit), {"action": "save", "free_now": 81, "expected_7d": 0, "version": 0}
        )
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "空床数(81)が病床数・定員(80)を超えています。")
        response = self.client.post(
            save_url(self.care_unit), {"action": "save", "free_now": -1, "expected_7d": 0, "version": 0}
        )
        self.assertContains(response, "0以上の数を入力してください。")
        self.assertEqual(Vacancy.objects.get(unit=self.care_unit).free_now, 2)
        self.assertFalse(VacancyEvent.objects.exists())

    def test_htmx_save_rerenders_only_the_card(self):
        self.login(self.receiver_nurse)
        response = self.client.post(
            save_url(self.care_unit),
            {"action": "save", "free_now": 1, "expected_7d": 0, "version": 0},
            headers={"HX-Request": "true"},
        )
        self.assertEqual(response.status_code, 200)
        self.assertTemplateUsed(response, "facilities/_vacancy_card.html")
        self.assertTemplateNotUsed(response, "facilities/vacancy.html")
        self.assertContains(response, "保存しました。")
        self.assertContains(response, f'id="vacancy-{self.care_unit.public_id}"')
        response = self.client.post(
            save_url(self.care_unit),
            {"action": "save", "free_now": 100, "expected_7d": 0, "version": 1},
            headers={"HX-Request": "true"},
        )
        self.assertContains(response, "を超えています")

    def test_by_sex_the_total_is_the_sum(self):
        unit = make_unit(
            self.care_home, name="ショートステイ", kind_code="short_stay", beds=10, sex_matters=True
        )
        self.login(self.receiver_nurse)
        self.client.post(
            save_url(unit),
            {"action": "save", "free_male": 1, "free_female": 2, "expected_7d": 0, "version": 0},
        )
        vacancy = Vacancy.objects.get(unit=unit)
        self.assertEqual((vacancy.free_now, vacancy.free_male, vacancy.free_female), (3, 1, 2))
        response = self.client.post(
            save_url(unit),
            {"action": "save", "free_male": 6, "free_female": 6, "expected_7d": 0, "version": 1},
        )
        self.assertContains(response, "空床数(12)が病床数・定員(10)を超えています。")
        response = self.client.post(
            save_url(unit), {"action": "save", "free_male": 1, "expected_7d": 0, "version": 1}
        )
        self.assertContains(response, "男女別の空床数を入力してください。")

    def test_confirm_all_touches_every_active_unit(self):
        second = make_unit(
            self.care_home,
            name="ユニット型",
            beds=20,
            free_now=0,
            updated_at=timezone.now() - timedelta(days=7),
        )
        make_unit(self.care_home, name="休止中", beds=10, active=False)
        self.login(self.receiver_nurse)
        response = self.client.post(CONFIRM_ALL, shown_versions(self.client.get(PAGE)), follow=True)
        self.assertContains(response, "2件を変更なしで確認しました。")
        self.assertEqual(VacancyEvent.objects.filter(unchanged=True, by=self.receiver_nurse).count(), 2)
        self.assertFalse(Vacancy.objects.get(unit=second).is_stale)
        self.assertFalse(VacancyEvent.objects.filter(unit=self.other_unit).exists())

    def test_office_may_correct_any_unit(self):
        self.login(self.office)
        self.client.post(
            save_url(self.other_unit), {"action": "save", "free_now": 0, "expected_7d": 1, "version": 0}
        )
        self.assertEqual(Vacancy.objects.get(unit=self.other_unit).updated_by, self.office)

    def test_query_count_does_not_grow_with_units(self):
        self.login(self.receiver_nurse)
        self.client.get(PAGE)
        with CaptureQueriesContext(connection) as small:
            self.client.get(PAGE)
        for index in range(12):
            make_unit(self.care_home, name=f"フロア{index}", beds=20, sex_matters=bool(index % 2))
        with self.assertNumQueries(len(small.captured_queries)):
            response = self.client.get(PAGE)
        self.assertEqual(len(response.context["cards"]), 13)


class TwoPeopleSavingTests(PersonaTestCase):
    """Two staff of a care home on the vacancy page at once: no figure is silently lost, and
    「変更なし」 never confirms figures the person did not see."""

    def setUp(self):
        self.colleague = Client()
        self.colleague.force_login(self.receiver_admin)
        self.login(self.receiver_nurse)
        # Both open the page and see the same figures (2 free, version 0).
        self.mine = self.client.get(PAGE)
        self.theirs = self.colleague.get(PAGE)

    def colleague_saves(self, free_now=5, expected_7d=1):
        response = self.colleague.post(
            save_url(self.care_unit),
            {"action": "save", "free_now": free_now, "expected_7d": expected_7d, "version": 0},
        )
        self.assertRedirects(response, PAGE)

    def test_the_second_save_from_the_same_figures_is_refused_with_the_colleagues_figures(self):
        self.colleague_saves()
        response = self.client.post(
            save_url(self.care_unit), {"action": "save", "free_now": 3, "expected_7d": 0, "version": 0}
        )
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "保存していません。carehome_admin さんが")
        self.assertContains(
            response, "「今日の空床 5・7日以内 1」に更新していました(あなたの入力: 今日の空床 3・7日以内 0)"
        )
        self.assertNotContains(response, "保存しました。")
        vacancy = Vacancy.objects.get(unit=self.care_unit)
        self.assertEqual((vacancy.free_now, vacancy.expected_7d, vacancy.version), (5, 1, 1))
        self.assertEqual(VacancyEvent.objects.filter(unit=self.care_unit).count(), 1)
        # The card now shows the colleague's figures and their version; saving from them works.
        card = response.context["cards"][0]["form"]
        self.assertEqual((card["free_now"].value(), card["version"].value()), (5, 1))
        response = self.client.post(
            save_url(self.care_unit), {"action": "save", "free_now": 4, "expected_7d": 1, "version": 1}
        )
        self.assertRedirects(response, PAGE)
        self.assertEqual(Vacancy.objects.get(unit=self.care_unit).free_now, 4)

    def test_on_a_phone_the_card_comes_back_with_the_colleagues_figures(self):
        self.colleague_saves()
        response = self.client.post(
            save_url(self.care_unit),
            {"action": "save", "free_now": 3, "expected_7d": 0, "version": 0},
            headers={"HX-Request": "true"},
        )
        self.assertEqual(response.status_code, 200)
        self.assertTemplateUsed(response, "facilities/_vacancy_card.html")
        self.assertContains(response, 'data-testid="vacancy-stale"')
        self.assertContains(response, 'name="version" value="1"')
        self.assertContains(response, 'name="free_now" id="id_')
        self.assertContains(response, 'value="5"')

    def test_unchanged_refuses_figures_the_person_did_not_see(self):
        self.colleague_saves(free_now=0, expected_7d=0)
        response = self.client.post(save_url(self.care_unit), {"action": "unchanged", "version": 0})
        self.assertContains(response, "変更なしの確認はしていません。carehome_admin さんが")
        self.assertContains(response, "「今日の空床 0・7日以内 0」に更新していました")
        self.assertFalse(VacancyEvent.objects.filter(unchanged=True).exists())
        self.assertEqual(Vacancy.objects.get(unit=self.care_unit).updated_by, self.receiver_admin)

    def test_a_page_that_sent_no_version_cannot_overwrite(self):
        response = self.client.post(
            save_url(self.care_unit), {"action": "save", "free_now": 3, "expected_7d": 0}
        )
        self.assertContains(response, "保存していません。")
        self.assertEqual(Vacancy.objects.get(unit=self.care_unit).free_now, 2)

    def test_confirm_all_leaves_out_the_unit_a_colleague_changed_and_says_so(self):
        second = make_unit(self.care_home, name="ユニット型", beds=20, free_now=1)
        page = self.client.get(PAGE)
        self.colleague_saves(free_now=6, expected_7d=0)
        response = self.client.post(CONFIRM_ALL, shown_versions(page), follow=True)
        self.assertContains(
            response, "1件を変更なしで確認しました。1件は表示の後に数字が変わっていたため確認していません"
        )
        self.assertContains(response, "従来型(carehome_admin さんが")
        self.assertContains(response, "「今日の空床 6・7日以内 0」に更新)")
        confirmed = VacancyEvent.objects.filter(unchanged=True, by=self.receiver_nurse)
        self.assertEqual(list(confirmed.values_list("unit", flat=True)), [second.pk])

    def test_confirm_all_after_saving_a_card_counts_the_new_figures_as_seen(self):
        card = self.client.post(
            save_url(self.care_unit),
            {"action": "save", "free_now": 3, "expected_7d": 0, "version": 0},
            headers={"HX-Request": "true"},
        )
        # htmx swaps the card, and with it the version that 「すべて変更なし」 sends for this unit.
        versions = shown_versions(self.mine) | shown_versions(card)
        self.assertEqual(versions[f"version-{self.care_unit.public_id}"], "1")
        response = self.client.post(CONFIRM_ALL, versions, follow=True)
        self.assertContains(response, "1件を変更なしで確認しました。")
        self.assertNotContains(response, "確認していません")

    def test_the_service_refuses_a_stale_version_and_writes_nothing(self):
        from tsunagu.facilities import services

        services.record_vacancy(
            self.care_unit, by=self.receiver_admin, free_now=5, expected_7d=0, shown_version=0
        )
        with self.assertRaises(services.StaleVacancy) as refused:
            services.record_vacancy(
                self.care_unit, by=self.receiver_nurse, free_now=3, expected_7d=0, shown_version=0
            )
        self.assertEqual(
            (refused.exception.current.free_now, refused.exception.current.updated_by),
            (5, self.receiver_admin),
        )
        with self.assertRaises(services.StaleVacancy):
            services.confirm_vacancy_unchanged(self.care_unit, by=self.receiver_nurse, shown_version=0)
        self.assertEqual(VacancyEvent.objects.count(), 1)


@pytest.mark.postgres
class SimultaneousSavesTests(TransactionTestCase):
    serialized_rollback = True  # keeps the catalogue loaded by the data migrations

    def test_two_saves_at_the_same_moment_from_the_same_figures_keep_one_and_refuse_the_other(self):
        if connection.vendor != "postgresql":
            self.skipTest("needs PostgreSQL (row locks and concurrent transactions)")
        from tests.base import make_facility, make_user
        from tests.test_referral_race import post_at_once

        home = make_facility("特養あおば", kind_code="tokuyo")
        staff = [make_user(home), make_user(home)]
        for round_ in range(5):
            unit = make_unit(home, name=f"フロア{round_}", beds=20, free_now=2)
            responses = post_at_once(
                [
                    (user, save_url(unit), {"action": "save", "free_now": n, "expected_7d": 0, "version": 0})
                    for user, n in zip(staff, (3, 4))
                ]
            )
            pages = [response.content.decode() for response in responses]
            saved = [page for page in pages if "保存しました。" in page]
            refused = [page for page in pages if "保存していません。" in page]
            self.assertEqual((len(saved), len(refused)), (1, 1))
            vacancy = Vacancy.objects.get(unit=unit)
            self.assertEqual(vacancy.version, 1)
            self.assertIn(f"「今日の空床 {vacancy.free_now}・7日以内 0」", refused[0])
            self.assertEqual(VacancyEvent.objects.filter(unit=unit).count(), 1)
