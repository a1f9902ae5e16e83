"""The JSON API: /api/v1/ping and /api/v1/search, authenticated by the session."""

from django.urls import reverse

from tests.base import PersonaTestCase, make_unit
from tests.search_factories import make_case
from tsunagu.facilities.models import UnitCapability

SEARCH = "/api/v1/search"
PING = "/api/v1/ping"


class ApiAuthTests(PersonaTestCase):
    def test_anonymous_gets_401_json_not_a_login_page(self):
        for url in (PING, f"{SEARCH}?needs=peg&area=1408"):
            response = self.client.get(url)
            self.assertEqual(response.status_code, 401, url)
            self.assertEqual(response["Content-Type"], "application/json; charset=utf-8")

    def test_ping(self):
        self.login(self.receiver_nurse)
        self.assertEqual(self.client.get(PING).json(), {"ok": True})

    def test_wrong_method_is_405(self):
        self.login(self.sender_msw)
        self.assertEqual(self.client.post(f"{SEARCH}?needs=peg&area=1408").status_code, 405)

    def test_urls_are_named(self):
        self.assertEqual(reverse("api-v1:search"), SEARCH)
        self.assertEqual(reverse("api-v1:ping"), PING)


class ApiSearchTests(PersonaTestCase):
    def setUp(self):
        self.login(self.sender_msw)

    def test_search_by_needs_in_an_area_with_reasons(self):
        make_unit(
            self.care_home,
            name="夜間棟",
            free_now=1,
            capabilities=[
                "peg",
                ("suction_night", UnitCapability.Level.CONDITIONAL, "夜勤看護師がいる日のみ"),
            ],
        )
        response = self.client.get(
            SEARCH, {"needs": "peg,suction_night", "area": "1408", "origin": "142034", "near_misses": "true"}
        )
        self.assertEqual(response.status_code, 200)
        data = response.json()
        self.assertEqual(data["scope"], "area")
        self.assertEqual(data["count"], 1)
        found = data["candidates"][0]
        self.assertEqual(found["facility_name"], "特養あおば")
        self.assertEqual(found["area"], "1408")
        self.assertEqual(
            found["conditional"],
            [{"code": "suction_night", "label": "喀痰吸引(夜間も)", "note": "夜勤看護師がいる日のみ"}],
        )
        self.assertIn("喀痰吸引(夜間も): 条件付き — 夜勤看護師がいる日のみ", found["reasons"])
        self.assertEqual(found["distance_km"], 12.9)
        self.assertNotIn("id", found)  # public ids only
        missing = {row["facility_name"]: row["missing"]["code"] for row in data["near_misses"]}
        self.assertEqual(missing, {"特養あおば": "suction_night", "老健みどり": "suction_night"})

    def test_prefecture_and_nationwide_scopes(self):
        scopes = (({"pref": "14"}, "prefecture"), ({"nationwide": "true", "origin": "142115"}, "nationwide"))
        for params, scope in scopes:
            data = self.client.get(SEARCH, {"needs": "peg", **params}).json()
            self.assertEqual(data["scope"], scope)
            self.assertEqual(data["count"], 2)
        data = self.client.get(SEARCH, {"needs": "peg", "nationwide": "true", "origin": "142115"}).json()
        self.assertEqual(data["candidates"][0]["facility_name"], "特養あおば")  # in 秦野市 itself

    def test_limit(self):
        data = self.client.get(SEARCH, {"needs": "peg", "pref": "14", "limit": 1}).json()
        self.assertEqual(data["count"], 1)

    def test_bad_input_is_explained(self):
        cases = [
            ({"needs": "peg,unicorn", "area": "1408"}, "不明な医療処置のコードです: unicorn"),
            ({"needs": "peg"}, "検索範囲"),
            ({"needs": "peg", "area": "1408", "pref": "14"}, "検索範囲"),
            ({"needs": "peg", "area": "9999"}, "不明な二次医療圏"),
            ({"needs": "peg", "pref": "14", "origin": "000000"}, "不明な市区町村コード"),
            ({"needs": "peg", "pref": "14", "care_level": "c9"}, "不明な要介護度"),
            ({"needs": "peg", "pref": "14", "kinds": "castle"}, "不明な施設種別"),
        ]
        for params, message in cases:
            response = self.client.get(SEARCH, params)
            self.assertEqual(response.status_code, 400, params)
            self.assertIn(message, response.json()["detail"])
        self.assertEqual(self.client.get(SEARCH, {"needs": "peg", "pref": "14", "limit": 0}).status_code, 422)

    def test_search_by_own_case(self):
        case = make_case(self.hospital, self.hiratsuka, needs=["peg", "end_of_life"], areas=[self.area])
        data = self.client.get(SEARCH, {"case": case.ref, "near_misses": "true"}).json()
        self.assertEqual(data["scope"], "case")
        self.assertEqual([c["facility_name"] for c in data["candidates"]], ["特養あおば"])
        self.assertEqual([c["missing"]["label"] for c in data["near_misses"]], ["看取り"])

    def test_cases_of_other_facilities_are_404(self):
        case = make_case(self.hospital, self.hiratsuka, needs=["peg"], areas=[self.area])
        for user in (self.outsider, self.receiver_nurse, self.office):
            self.login(user)
            self.assertEqual(self.client.get(SEARCH, {"case": case.ref}).status_code, 404, user)
        self.assertEqual(self.client.get(SEARCH, {"case": "C-2026-99999"}).status_code, 404)

    def test_case_and_needs_together_are_refused(self):
        case = make_case(self.hospital, self.hiratsuka, needs=["peg"], areas=[self.area])
        self.assertEqual(self.client.get(SEARCH, {"case": case.ref, "needs": "peg"}).status_code, 400)

    def test_query_count_stays_constant_as_results_grow(self):
        params = {"needs": "peg", "area": "1408", "origin": "142034"}
        # Session, user, the codes of needs, area and origin, ranked units, notes.
        with self.assertNumQueries(5):
            self.assertEqual(self.client.get(SEARCH, params).json()["count"], 2)
        for n in range(60):
            make_unit(self.other, name=f"棟{n}", free_now=1, capabilities=["peg"])
        with self.assertNumQueries(5):
            self.assertEqual(self.client.get(SEARCH, params).json()["count"], 50)
