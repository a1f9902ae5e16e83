"""The search page of a case: who may see it, what it shows, and that it stays cheap."""

from django.urls import reverse

from tests.base import PersonaTestCase, make_facility, make_unit
from tests.search_factories import days_ago, make_case
from tsunagu.facilities.models import UnitCapability

# Session, user, membership, case (+ wished kinds, areas, needs), ranked units, notes,
# the referrals already sent for the case, and the own facility shown in the page footer.
SEARCH_PAGE_QUERIES = 11


class CaseSearchPageTests(PersonaTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.case = make_case(
            cls.hospital, cls.hiratsuka, needs=["peg", "end_of_life"], areas=[cls.area], budget=150000
        )
        cls.url = reverse("cases:search", args=[cls.case.ref])

    def test_anonymous_is_sent_to_login(self):
        response = self.client.get(self.url)
        self.assertEqual(response.status_code, 302)
        self.assertIn(reverse("accounts:login"), response["Location"])

    def test_outsider_office_and_receiver_get_404(self):
        for user in (self.outsider, self.office, self.receiver_nurse):
            self.login(user)
            self.assertEqual(self.client.get(self.url).status_code, 404, user)

    def test_unknown_case_gets_404(self):
        self.login(self.sender_msw)
        self.assertEqual(self.client.get(reverse("cases:search", args=["C-2026-99999"])).status_code, 404)

    def test_post_is_not_allowed(self):
        self.login(self.sender_msw)
        self.assertEqual(self.client.post(self.url).status_code, 405)

    def test_owner_sees_candidates_with_reasons_and_ticks(self):
        make_unit(
            self.care_home,
            name="ユニット型",
            free_now=1,
            cost_min=120000,
            cost_max=150000,
            capabilities=[
                "peg",
                ("end_of_life", UnitCapability.Level.CONDITIONAL, "主治医の往診が可能な場合"),
            ],
        )
        self.login(self.sender_msw)
        response = self.client.get(self.url)
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "特養あおば")
        self.assertContains(response, "胃ろう・腸ろう・看取り 対応")
        self.assertContains(response, "看取り: 条件付き — 主治医の往診が可能な場合")
        self.assertContains(response, "空床 2 (本日更新)")
        self.assertContains(response, "月額 12〜15万円 (予算内)")
        self.assertContains(response, f'name="units" value="{self.care_unit.public_id}"')
        self.assertContains(response, f'action="{reverse("referrals:send", args=[self.case.ref])}"')
        self.assertNotContains(response, "老健みどり")  # misses 看取り: only with near misses

    def test_stale_candidates_are_marked(self):
        make_unit(
            self.care_home,
            name="古い棟",
            capabilities=["peg", "end_of_life"],
            free_now=1,
            updated_at=days_ago(4),
        )
        self.login(self.sender_msw)
        response = self.client.get(self.url)
        self.assertContains(response, "更新が古い", count=1)

    def test_near_misses_on_request_name_what_is_missing(self):
        self.login(self.sender_msw)
        response = self.client.get(self.url, {"near": "1"}, headers={"HX-Request": "true"})
        self.assertTemplateUsed(response, "cases/_candidates.html")
        self.assertTemplateNotUsed(response, "cases/search.html")
        self.assertContains(response, "老健みどり")
        self.assertContains(response, "看取り に未対応")

    def test_a_closed_case_cannot_be_sent(self):
        case = make_case(self.hospital, self.hiratsuka, needs=["peg"], areas=[self.area])
        case.close("home", by=self.sender_msw)
        self.login(self.sender_msw)
        response = self.client.get(reverse("cases:search", args=[case.ref]))
        self.assertContains(response, "調整中の患者登録だけが依頼できます。")
        self.assertContains(response, "disabled")

    def test_query_count_stays_constant_as_results_grow(self):
        self.login(self.sender_msw)
        with self.assertNumQueries(SEARCH_PAGE_QUERIES):
            response = self.client.get(self.url)
        self.assertEqual(len(response.context["result"].candidates), 1)
        facility = make_facility("大きな特養", municipality=self.hadano)
        for n in range(59):
            make_unit(
                facility,
                name=f"棟{n}",
                free_now=1,
                capabilities=["peg", ("end_of_life", UnitCapability.Level.CONDITIONAL, "要相談")],
            )
        with self.assertNumQueries(SEARCH_PAGE_QUERIES):
            response = self.client.get(self.url)
        self.assertEqual(len(response.context["result"].candidates), 50)
        with self.assertNumQueries(SEARCH_PAGE_QUERIES + 1):  # near misses: one more ranked query
            self.client.get(self.url, {"near": "1"})


class AlreadyAskedTests(PersonaTestCase):
    """Search results mark the places this case was already sent to, with their answer."""

    def test_places_already_asked_are_marked_and_cannot_be_ticked_twice(self):
        from tests.referral_factories import make_case as make_referral_case
        from tests.referral_factories import send

        case = make_referral_case(self.hospital, by=self.sender_msw, needs=["peg"])
        send(case, [self.care_unit], self.sender_msw)
        self.login(self.sender_msw)
        html = self.client.get(reverse("cases:search", args=[case.ref])).content.decode()
        item = html[
            html.index(str(self.care_unit.public_id)) - 400 : html.index(str(self.care_unit.public_id)) + 900
        ]
        self.assertIn('data-testid="already-asked"', item)
        self.assertIn("依頼済み", item)
        self.assertIn("disabled", item)
        self.assertEqual(html.count('data-testid="already-asked"'), 1)  # the other places are not marked

    def test_send_button_carries_the_selected_count(self):
        self.login(self.sender_msw)
        case = make_case(self.hospital, self.hiratsuka, needs=["peg"])
        self.assertContains(self.client.get(reverse("cases:search", args=[case.ref])), "data-selected-count")
