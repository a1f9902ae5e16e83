"""Candidate search: hard filters, ranking, reasons, near misses, and the distance search."""

import math
import random

from django.test import TestCase

from tests.base import PersonaTestCase, kind, make_area, make_facility, make_municipality, make_unit, need
from tests.search_factories import days_ago, make_case, make_placed_unit
from tsunagu.cases.search import Order, search_candidates, search_units
from tsunagu.facilities.models import UnitCapability, Vacancy
from tsunagu.network.models import care_level_mask, mask_of

COND = UnitCapability.Level.CONDITIONAL


def mask(*codes):
    return mask_of(need(code) for code in codes)


def names(candidates):
    return [f"{c.unit.facility.name} {c.unit.name}" for c in candidates]


class CaseSearchTests(PersonaTestCase):
    """An MSW of 平塚中央病院 searches for a patient from 平塚市 in 湘南西部."""

    def test_only_units_that_cover_every_required_need_are_candidates(self):
        case = make_case(self.hospital, self.hiratsuka, needs=["peg", "end_of_life"], areas=[self.area])
        result = search_candidates(case)
        self.assertEqual(names(result.candidates), ["特養あおば 従来型"])
        self.assertEqual(result.near_misses, [])

    def test_near_misses_name_the_one_missing_need(self):
        case = make_case(self.hospital, self.hiratsuka, needs=["peg", "end_of_life"], areas=[self.area])
        result = search_candidates(case, near_misses=True)
        self.assertEqual(names(result.near_misses), ["老健みどり 一般棟"])
        self.assertEqual(result.near_misses[0].missing.code, "end_of_life")
        self.assertIn("看取り に未対応", result.near_misses[0].reasons)

    def test_units_missing_two_needs_are_not_near_misses(self):
        case = make_case(
            self.hospital, self.hiratsuka, needs=["peg", "end_of_life", "tpn"], areas=[self.area]
        )
        result = search_candidates(case, near_misses=True)
        self.assertEqual(names(result.candidates), [])
        self.assertEqual(names(result.near_misses), ["特養あおば 従来型"])

    def test_wished_kinds_filter(self):
        case = make_case(self.hospital, self.hiratsuka, needs=["peg"], kinds=["roken"], areas=[self.area])
        self.assertEqual(names(search_candidates(case).candidates), ["老健みどり 一般棟"])

    def test_wished_areas_filter(self):
        other_area = make_area(code="1407", name="湘南東部")
        fujisawa = make_municipality(code="142051", name="藤沢市", area=other_area, lat=35.3389, lng=139.4900)
        make_unit(make_facility("藤沢の特養", municipality=fujisawa), capabilities=["peg"], free_now=3)
        case = make_case(self.hospital, self.hiratsuka, needs=["peg"], areas=[other_area])
        self.assertEqual(names(search_candidates(case).candidates), ["藤沢の特養 本体"])

    def test_full_units_are_left_out_but_expected_beds_count(self):
        soon = make_unit(self.other, name="2階", capabilities=["peg"], free_now=0, expected_7d=2)
        make_unit(self.other, name="3階", capabilities=["peg"], free_now=0, expected_7d=0)
        case = make_case(self.hospital, self.hiratsuka, needs=["peg"], areas=[self.area])
        found = search_candidates(case).candidates
        self.assertIn("老健みどり 2階", names(found))
        self.assertNotIn("老健みどり 3階", names(found))
        expected = next(c for c in found if c.unit.pk == soon.pk)
        self.assertTrue(any("7日以内に 2 床空く見込み" in reason for reason in expected.reasons))

    def test_care_level_must_be_accepted(self):
        make_unit(
            self.other,
            name="重度",
            capabilities=["peg"],
            free_now=1,
            care_level_mask=care_level_mask(["c3", "c4", "c5"]),
        )
        light = make_case(self.hospital, self.hiratsuka, needs=["peg"], areas=[self.area], care_level="c1")
        heavy = make_case(self.hospital, self.hiratsuka, needs=["peg"], areas=[self.area], care_level="c4")
        self.assertNotIn("老健みどり 重度", names(search_candidates(light).candidates))
        self.assertIn("老健みどり 重度", names(search_candidates(heavy).candidates))

    def test_inactive_units_and_facilities_are_left_out(self):
        self.care_unit.active = False
        self.care_unit.save()
        self.care_unit.sync_search_fields()
        case = make_case(self.hospital, self.hiratsuka, needs=["peg"], areas=[self.area])
        self.assertEqual(names(search_candidates(case).candidates), ["老健みどり 一般棟"])
        self.other.active = False
        self.other.save()
        self.other_unit.refresh_from_db()
        self.other_unit.sync_search_fields()
        self.assertEqual(names(search_candidates(case).candidates), [])

    def test_a_vacancy_update_reaches_the_search_through_sync(self):
        case = make_case(self.hospital, self.hiratsuka, needs=["peg"], areas=[self.area])
        Vacancy.objects.filter(unit=self.other_unit).update(free_now=0, expected_7d=0)
        self.other_unit.sync_search_fields()
        self.assertNotIn("老健みどり 一般棟", names(search_candidates(case).candidates))

    def test_conditional_capabilities_show_their_note_and_rank_after_plain_ones(self):
        conditional = make_unit(
            self.other,
            name="夜間",
            free_now=1,
            capabilities=["peg", ("suction_night", COND, "夜勤看護師がいる日のみ")],
        )
        plain = make_unit(self.other, name="通常", free_now=1, capabilities=["peg", "suction_night"])
        case = make_case(self.hospital, self.hiratsuka, needs=["peg", "suction_night"], areas=[self.area])
        found = search_candidates(case).candidates
        self.assertEqual([c.unit.pk for c in found], [plain.pk, conditional.pk])
        self.assertIn("喀痰吸引(夜間も): 条件付き — 夜勤看護師がいる日のみ", found[1].reasons)
        self.assertIn("胃ろう・腸ろう 対応", found[1].reasons)
        self.assertIn("胃ろう・腸ろう・喀痰吸引(夜間も) 対応", found[0].reasons)

    def test_stale_vacancies_are_marked_and_ranked_after_fresh_ones(self):
        make_unit(self.other, name="古い", capabilities=["peg"], free_now=5, updated_at=days_ago(5))
        case = make_case(self.hospital, self.hiratsuka, needs=["peg"], areas=[self.area])
        found = search_candidates(case).candidates
        self.assertEqual(names(found)[-1], "老健みどり 古い")
        self.assertTrue(found[-1].is_stale)
        self.assertIn("空き状況が古い可能性があります", found[-1].reasons)
        self.assertFalse(found[0].is_stale)

    def test_nearer_units_rank_first_and_show_the_distance(self):
        case = make_case(self.hospital, self.hiratsuka, needs=["peg"], areas=[self.area])
        found = search_candidates(case).candidates
        # 老健みどり is in 平塚市, 特養あおば in 秦野市 (about 13 km away).
        self.assertEqual(names(found), ["老健みどり 一般棟", "特養あおば 従来型"])
        self.assertEqual(found[0].distance_km, 0)
        self.assertAlmostEqual(found[1].distance_km, 12.9, delta=0.1)
        self.assertIn("約 0.0 km", found[0].reasons)

    def test_vacancy_and_cost_reasons(self):
        make_unit(
            self.other, name="予算内", capabilities=["peg"], free_now=2, cost_min=120000, cost_max=150000
        )
        make_unit(
            self.other, name="予算超過", capabilities=["peg"], free_now=2, cost_min=200000, cost_max=250000
        )
        case = make_case(self.hospital, self.hiratsuka, needs=["peg"], areas=[self.area], budget=150000)
        found = {c.unit.name: c for c in search_candidates(case).candidates}
        self.assertIn("空床 2 (本日更新)", found["予算内"].reasons)
        self.assertIn("月額 12〜15万円 (予算内)", found["予算内"].reasons)
        self.assertIn("月額 20〜25万円 (予算超過)", found["予算超過"].reasons)
        self.assertTrue(found["予算内"].within_budget)
        self.assertFalse(found["予算超過"].within_budget)

    def test_without_wished_areas_the_whole_country_is_searched_nearest_first(self):
        sapporo = make_municipality(
            code="011002",
            name="札幌市",
            area=make_area("0104", "札幌", "01", "北海道"),
            lat=43.0621,
            lng=141.3544,
            pref_code="01",
        )
        make_unit(
            make_facility("札幌の老健", kind_code="roken", municipality=sapporo),
            capabilities=["peg"],
            free_now=1,
        )
        case = make_case(self.hospital, self.hiratsuka, needs=["peg"])
        self.assertEqual(names(search_candidates(case).candidates)[-1], "札幌の老健 本体")


class SearchUnitsTests(TestCase):
    def test_prefecture_scope(self):
        kanagawa = make_municipality()
        tokyo = make_municipality(
            code="131016",
            name="千代田区",
            area=make_area("1301", "区中央部", "13", "東京都"),
            lat=35.6940,
            lng=139.7536,
            pref_code="13",
        )
        make_placed_unit("神奈川の特養", 35.33, 139.35, municipality=kanagawa)
        make_placed_unit("東京の特養", 35.69, 139.75, municipality=tokyo)
        found = search_units(mask("peg"), prefecture="13").candidates
        self.assertEqual(names(found), ["東京の特養 本体"])

    def test_nationwide_distance_order_equals_a_full_sort(self):
        """The widening box returns exactly the nearest units, in order, wherever they are.

        Nearest by the search's own (equirectangular) distance, which the box bound is exact for.
        """
        rng = random.Random(7)
        municipality = make_municipality()
        points = []
        for n in range(70):
            lat, lng = rng.uniform(31, 44), rng.uniform(130, 145)
            capabilities = ["peg", "end_of_life"] if n % 3 else ["peg"]
            unit = make_placed_unit(
                f"施設{n}", lat, lng, capabilities=capabilities, municipality=municipality
            )
            if n % 3:
                points.append((unit.pk, lat, lng))
        origin = (35.33, 139.35)
        for limit in (1, 5, 20, 100):
            found = search_units(mask("peg", "end_of_life"), origin=origin, limit=limit).candidates
            shrink = math.cos(math.radians(origin[0]))
            expected = sorted(
                points, key=lambda p: (p[1] - origin[0]) ** 2 + ((p[2] - origin[1]) * shrink) ** 2
            )[:limit]
            self.assertEqual([c.unit.pk for c in found], [pk for pk, _, _ in expected], limit)

    def test_rank_order_without_origin(self):
        make_placed_unit("A", 35.3, 139.3)
        found = search_units(mask("peg"), order=Order.DISTANCE).candidates
        self.assertEqual(names(found), ["A 本体"])
        self.assertIsNone(found[0].distance_km)

    def test_no_required_needs_lists_every_open_unit(self):
        make_placed_unit("A", 35.3, 139.3, capabilities=())
        self.assertEqual(names(search_units(0).candidates), ["A 本体"])

    def test_kind_filter_accepts_kinds(self):
        make_placed_unit("老健", 35.3, 139.3, kind_code="roken")
        make_placed_unit("特養", 35.3, 139.3, kind_code="tokuyo")
        self.assertEqual(names(search_units(mask("peg"), kinds=[kind("roken")]).candidates), ["老健 本体"])
