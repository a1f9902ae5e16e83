"""The network directory and the facility page, as a coordinator uses them."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone, translation

from tests.base import PersonaTestCase, make_facility, make_municipality, make_unit
from tsunagu.facilities.models import CoordinationDesk, UnitCapability
from tsunagu.facilities.services import record_vacancy
from tsunagu.lib.japanese_dates import japanese_date, japanese_datetime, relative_day

DIRECTORY = reverse("facilities:directory")


def grow_network(count, municipality):
    """Add `count` care homes with two units each, capabilities and vacancies."""
    for index in range(count):
        facility = make_facility(
            f"追加施設{index:03d}", kind_code="roken", municipality=municipality, kana=f"ツイカ{index:03d}"
        )
        make_unit(
            facility,
            name="一般棟",
            beds=40,
            capabilities=["peg", ("suction_night", "conditional", "要相談")],
            free_now=index % 3,
        )
        make_unit(facility, name="認知症棟", beds=20, capabilities=["dementia_bpsd"], free_now=0)
        CoordinationDesk.objects.create(facility=facility, name="相談室", phone="0463-00-0000")


class JapaneseDatesTests(PersonaTestCase):
    @translation.override("ja")
    def test_formats(self):
        moment = timezone.make_aware(timezone.datetime(2026, 11, 21, 14, 5))
        self.assertEqual(japanese_date(moment), "2026年11月21日(土)")
        self.assertEqual(japanese_datetime(moment), "2026年11月21日(土) 14:05")
        today = moment.date()
        self.assertEqual(relative_day(moment, today), "本日")
        self.assertEqual(relative_day(moment - timedelta(days=1), today), "昨日")
        self.assertEqual(relative_day(moment - timedelta(days=3), today), "3日前")


class DirectoryTests(PersonaTestCase):
    def test_anonymous_goes_to_login(self):
        response = self.client.get(DIRECTORY)
        self.assertRedirects(
            response, f"{reverse('accounts:login')}?next={DIRECTORY}", fetch_redirect_response=False
        )

    def test_post_is_not_allowed(self):
        self.login(self.sender_msw)
        self.assertEqual(self.client.post(DIRECTORY).status_code, 405)

    def test_every_member_sees_the_whole_network_in_kana_order(self):
        self.login(self.outsider)
        response = self.client.get(DIRECTORY)
        self.assertEqual(response.status_code, 200)
        for facility in (self.hospital, self.care_home, self.clinic, self.other):
            self.assertContains(response, facility.name)
        self.assertContains(response, "本日更新")

    def test_filter_by_municipality_and_kind(self):
        self.login(self.sender_msw)
        response = self.client.get(DIRECTORY, {"municipality": self.hadano.code})
        self.assertContains(response, "特養あおば")
        self.assertNotContains(response, "老健みどり")
        response = self.client.get(DIRECTORY, {"kind": "roken"})
        self.assertContains(response, "老健みどり")
        self.assertNotContains(response, "特養あおば")

    def test_filter_by_area(self):
        other_area_town = make_municipality(code="141305", name="川崎市中原区", lat=35.57, lng=139.66)
        other_area_town.area = None
        other_area_town.save()
        make_facility("川崎の特養", municipality=other_area_town)
        self.login(self.sender_msw)
        response = self.client.get(DIRECTORY, {"area": self.area.code})
        self.assertContains(response, "特養あおば")
        self.assertNotContains(response, "川崎の特養")

    def test_filter_by_capability_counts_conditional_and_not_no(self):
        UnitCapability.objects.create(
            unit=self.other_unit,
            need_id=self._need("suction_night"),
            level="conditional",
            note="夜勤2名の日のみ",
        )
        self.other_unit.refresh_capability_masks()
        self.login(self.sender_msw)
        response = self.client.get(DIRECTORY, {"needs": ["peg", "end_of_life"]})
        self.assertContains(response, "特養あおば")
        self.assertNotContains(response, "老健みどり")
        response = self.client.get(DIRECTORY, {"needs": ["suction_night"]})
        self.assertContains(response, "老健みどり")
        self.assertNotContains(response, "特養あおば")

    def _need(self, code):
        from tsunagu.network.models import CareNeed

        return CareNeed.objects.get(code=code).pk

    def test_has_free_beds_filter(self):
        record_vacancy(self.other_unit, by=self.outsider, free_now=0, expected_7d=3)
        self.login(self.sender_msw)
        response = self.client.get(DIRECTORY, {"free_now": "on"})
        self.assertContains(response, "特養あおば")
        self.assertNotContains(response, "老健みどり")

    def test_sorted_by_distance_from_a_municipality(self):
        self.login(self.sender_msw)
        response = self.client.get(DIRECTORY, {"near": self.hadano.code})
        names = [row.facility.name for row in response.context["rows"]]
        self.assertEqual(names[0], "特養あおば")
        self.assertContains(response, "秦野市から近い順")
        self.assertContains(response, "km")

    def test_stale_and_missing_vacancies_are_marked(self):
        vacancy = self.care_unit.vacancy
        vacancy.updated_at = timezone.now() - timedelta(days=4)
        vacancy.save()
        self.login(self.sender_msw)
        response = self.client.get(DIRECTORY, {"q": "あおば"})
        self.assertContains(response, "3日以上未更新")
        self.assertContains(response, "is-stale")

    def test_htmx_refresh_answers_with_the_results_partial(self):
        self.login(self.sender_msw)
        response = self.client.get(
            DIRECTORY,
            {"kind": "tokuyo"},
            headers={
                "HX-Request": "true",
                "HX-Target": "directory-results",
            },
        )
        self.assertTemplateUsed(response, "facilities/_directory_results.html")
        self.assertTemplateNotUsed(response, "facilities/directory.html")
        self.assertContains(response, "特養あおば")

    def test_invalid_filter_shows_everything_rather_than_failing(self):
        self.login(self.sender_msw)
        response = self.client.get(DIRECTORY, {"kind": "no-such-kind"})
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "特養あおば")

    def test_query_count_does_not_grow_with_the_network(self):
        self.login(self.sender_msw)
        params = {"needs": ["peg"], "near": self.hiratsuka.code}
        self.client.get(DIRECTORY, params)  # warm the session and content-type caches
        with self.assertNumQueries(self._count(params)) as small:
            self.client.get(DIRECTORY, params)
        grow_network(30, self.hiratsuka)
        with self.assertNumQueries(len(small.captured_queries)):
            response = self.client.get(DIRECTORY, params)
        self.assertEqual(len(response.context["rows"]), 32)

    def _count(self, params):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as context:
            self.client.get(DIRECTORY, params)
        return len(context.captured_queries)

    def test_paginates_large_networks(self):
        grow_network(55, self.hiratsuka)
        self.login(self.sender_msw)
        response = self.client.get(DIRECTORY, {"kind": "roken"})
        self.assertEqual(len(response.context["rows"]), 50)
        self.assertContains(response, "page=2")
        response = self.client.get(DIRECTORY, {"kind": "roken", "page": 2})
        self.assertEqual(len(response.context["rows"]), 6)


class FacilityPageTests(PersonaTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        CoordinationDesk.objects.create(
            facility=cls.care_home,
            name="生活相談室",
            role="生活相談員",
            phone="0463-11-2222",
            fax="0463-11-3333",
            hours="平日 9:00〜17:00",
        )
        UnitCapability.objects.create(
            unit=cls.care_unit,
            need_id=cls._need_pk("suction_night"),
            level="conditional",
            note="夜間は2名まで",
        )
        UnitCapability.objects.create(unit=cls.care_unit, need_id=cls._need_pk("ventilator_tppv"), level="no")
        cls.care_unit.refresh_capability_masks()

    @staticmethod
    def _need_pk(code):
        from tsunagu.network.models import CareNeed

        return CareNeed.objects.get(code=code).pk

    def url(self, facility=None):
        return reverse("facilities:detail", args=[(facility or self.care_home).public_id])

    def test_anonymous_goes_to_login(self):
        self.assertEqual(self.client.get(self.url()).status_code, 302)

    def test_wrong_method(self):
        self.login(self.sender_msw)
        self.assertEqual(self.client.post(self.url()).status_code, 405)

    def test_any_member_sees_units_capabilities_desks_and_history(self):
        record_vacancy(self.care_unit, by=self.receiver_nurse, free_now=3, expected_7d=1)
        self.login(self.sender_msw)
        response = self.client.get(self.url())
        self.assertContains(response, "生活相談室")
        self.assertContains(response, "0463-11-2222")
        self.assertContains(response, "胃ろう・腸ろう")
        self.assertContains(response, "喀痰吸引(夜間も)(夜間は2名まで)")
        self.assertContains(response, "× 人工呼吸器(気管切開下 TPPV)")
        self.assertContains(response, "本日更新")
        self.assertContains(response, "空き状況の履歴")
        self.assertContains(response, str(self.receiver_nurse))
        # Not a member: no edit links.
        self.assertNotContains(response, reverse("facilities:profile_edit", args=[self.care_home.public_id]))

    def test_members_see_edit_links_and_admins_also_desks(self):
        self.login(self.receiver_nurse)
        response = self.client.get(self.url())
        self.assertContains(response, reverse("facilities:profile_edit", args=[self.care_home.public_id]))
        self.assertNotContains(response, reverse("facilities:desks", args=[self.care_home.public_id]))
        self.login(self.receiver_admin)
        response = self.client.get(self.url())
        self.assertContains(response, reverse("facilities:desks", args=[self.care_home.public_id]))

    def test_unknown_and_inactive_facilities_are_not_found(self):
        self.login(self.sender_msw)
        self.assertEqual(
            self.client.get(
                reverse("facilities:detail", args=["00000000-0000-0000-0000-000000000000"])
            ).status_code,
            404,
        )
        self.other.active = False
        self.other.save()
        self.assertEqual(self.client.get(self.url(self.other)).status_code, 404)
        self.login(self.outsider)  # its own member still sees it
        self.assertEqual(self.client.get(self.url(self.other)).status_code, 200)

    def test_query_count_does_not_grow_with_units_and_history(self):
        self.login(self.sender_msw)
        self.client.get(self.url())
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as small:
            self.client.get(self.url())
        for index in range(8):
            unit = make_unit(self.care_home, name=f"ユニット{index}", capabilities=["peg", "insulin"])
            for day in range(5):
                record_vacancy(unit, by=self.receiver_nurse, free_now=day, expected_7d=0)
            CoordinationDesk.objects.create(facility=self.care_home, name=f"窓口{index}")
        with self.assertNumQueries(len(small.captured_queries)):
            response = self.client.get(self.url())
        self.assertContains(response, "ユニット7")
