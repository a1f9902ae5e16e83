"""The referral loop in a real browser, in Japanese, across logged-in users.

The hospital MSW registers a case, searches, sends one request to three care homes; one declines
with a reason, another accepts on a 360-px phone; the MSW confirms; the third sees it released.
The MSW's clicks and keystrokes from login to the sent request are counted and written to
test-output/referral_journey_counts.json.
"""

import json
from pathlib import Path

from playwright.sync_api import expect

from tests.base import PASSWORD, make_facility, make_municipality, make_unit, make_user
from tsunagu.cases.models import Case
from tsunagu.referrals.models import Referral

OUTPUT = Path(__file__).resolve().parents[2] / "test-output" / "referral_journey_counts.json"


class Counted:
    """Drives a page and counts what a person does: clicks (taps, choices) and keystrokes."""

    def __init__(self, page):
        self.page = page
        self.clicks = 0
        self.keystrokes = 0

    def click(self, locator):
        locator.click()
        self.clicks += 1

    def check(self, locator):
        locator.check()
        self.clicks += 1

    def type(self, locator, text):
        self.click(locator)  # focusing the field is a click
        locator.press_sequentially(text)
        self.keystrokes += len(text)

    def select(self, locator, label):
        # Opening the list and choosing from it: two clicks.
        locator.select_option(label=label)
        self.clicks += 2

    def login(self, username):
        self.page.goto("/accounts/login/")
        self.type(self.page.get_by_label("ユーザー名"), username)
        self.type(self.page.get_by_label("パスワード"), PASSWORD)
        self.click(self.page.get_by_role("button", name="ログイン"))
        self.page.wait_for_url(lambda url: "/accounts/login/" not in url)


def build_network():
    hiratsuka = make_municipality()
    hospital = make_facility("平塚中央病院", kind_code="hospital", municipality=hiratsuka)
    make_unit(hospital, kind_code="acute", name="急性期病棟", capabilities=["peg"], free_now=0)
    msw = make_user(hospital, username="msw", display_name="湘南 花子")
    homes = []
    for name, username, km in (
        ("特養あおば", "aoba", 0.01),
        ("特養さくら", "sakura", 0.02),
        ("特養みなと", "minato", 0.03),
    ):
        home = make_facility(name, kind_code="tokuyo", municipality=hiratsuka, lat=hiratsuka.lat + km)
        make_unit(home, name="従来型", capabilities=["peg", "end_of_life"], free_now=2)
        homes.append((home, make_user(home, username=username)))
    return msw, homes


def test_msw_sends_one_request_two_answer_she_confirms_and_the_third_is_released(
    desktop_page, phone_page, login, screenshots
):
    msw, ((aoba, aoba_user), (sakura, sakura_user), (minato, minato_user)) = build_network()

    # --- the MSW: login → case → search → tick three → send -------------------------------------
    page = desktop_page()
    me = Counted(page)
    me.login("msw")
    screenshots(page, "msw-logged-in")
    me.click(page.get_by_role("link", name="患者登録", exact=True))
    expect(page.get_by_role("heading", name="患者登録(匿名)")).to_be_visible()
    me.select(page.get_by_label("年代"), "80〜84歳")
    me.check(page.get_by_label("女性"))
    me.select(page.get_by_label("主な疾患"), "脳血管疾患")
    me.select(page.get_by_label("要介護度"), "要介護4")
    me.check(page.get_by_label("胃ろう・腸ろう"))
    me.check(page.get_by_label("特養", exact=True))
    screenshots(page, "msw-case-form")
    me.click(page.get_by_role("button", name="登録する"))
    case = Case.objects.get(owner=msw.facility)
    expect(page.locator("#case-ref")).to_have_text(case.ref)
    screenshots(page, "msw-case-registered")

    me.click(page.get_by_role("link", name="受入先をさがす"))
    for name in ("特養あおば", "特養さくら", "特養みなと"):
        me.check(page.locator("li.candidate", has_text=name).get_by_role("checkbox"))
    expect(page.get_by_role("button", name="選んだ施設に一斉依頼する")).to_contain_text("(3)")
    screenshots(page, "msw-candidates-ticked")
    me.click(page.get_by_role("button", name="選んだ施設に一斉依頼する"))
    expect(page.get_by_role("heading", name="依頼を送る")).to_be_visible()
    screenshots(page, "msw-send-page")
    me.click(page.get_by_role("button", name="依頼を送信"))
    expect(page.get_by_text("3件の依頼先に送信しました。")).to_be_visible()
    screenshots(page, "msw-board-sent")
    counts = {
        "clicks": me.clicks,
        "keystrokes": me.keystrokes,
        "keystrokes_without_login": me.keystrokes - len("msw") - len(PASSWORD),
        "receivers": 3,
    }
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(json.dumps(counts, ensure_ascii=False, indent=2) + "\n")
    print(f"MSW from login to sent request: {counts}")
    assert Referral.objects.filter(case=case, status="sent").count() == 3

    # --- 特養あおば declines with a reason ----------------------------------------------------------
    aoba_page = desktop_page()
    login(aoba_page, "aoba")
    expect(aoba_page.locator("#notification-badge .badge")).to_have_text("1")
    # The request waits on the care home's home page, right after login.
    aoba_page.get_by_role("link", name=case.ref).click()
    aoba_page.get_by_test_id("decline").click()
    aoba_page.get_by_label("満床").check()
    screenshots(aoba_page, "aoba-decline-reason")
    aoba_page.get_by_role("button", name="送信").filter(visible=True).click()
    expect(aoba_page.get_by_text("回答を送りました: 受入不可")).to_be_visible()

    # --- 特養さくら accepts on a phone in three taps ------------------------------------------------
    phone = phone_page()
    login(phone, "sakura")
    screenshots(phone, "sakura-home-phone")
    phone.get_by_role("link", name=case.ref).click()
    screenshots(phone, "sakura-request-phone")
    taps = 0
    phone.get_by_test_id("accept").tap()
    taps += 1
    screenshots(phone, "sakura-accept-date")
    phone.get_by_role("button", name="送信").filter(visible=True).tap()
    taps += 1
    expect(phone.get_by_text("回答を送りました: 受入可")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshots(phone, "sakura-accepted-phone")
    assert taps <= 3

    # --- the MSW sees the answers live and confirms さくら ----------------------------------------
    board = page.locator("#board")
    expect(board.get_by_test_id("board-counts")).to_contain_text("受入可 1", timeout=20_000)
    expect(board).to_contain_text("満床")
    screenshots(page, "msw-board-answers")
    page.locator("tr", has_text="特養さくら").get_by_role("button", name="決定").click()
    expect(page.get_by_text("受入先を決定しました。")).to_be_visible()
    screenshots(page, "msw-confirmed")
    statuses = dict(Referral.objects.filter(case=case).values_list("receiver__name", "status"))
    assert statuses == {"特養あおば": "declined", "特養さくら": "confirmed", "特養みなと": "released"}

    # --- 特養みなと sees it released ----------------------------------------------------------------
    minato_page = desktop_page()
    login(minato_page, "minato")
    minato_page.goto("/notifications/")
    expect(minato_page.get_by_text("他施設に決定しました")).to_be_visible()
    minato_page.get_by_role("link", name="他施設に決定しました").first.click()
    expect(minato_page.locator("h1")).to_contain_text("他施設に決定")
    screenshots(minato_page, "minato-released")
