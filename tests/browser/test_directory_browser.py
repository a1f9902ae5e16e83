"""A hospital MSW narrows the network directory without reloading the page (htmx)."""

from playwright.sync_api import expect

from tests.base import make_facility, make_municipality, make_unit, make_user


def test_msw_filters_the_directory_and_sorts_by_distance(desktop_page, login, screenshots):
    hiratsuka = make_municipality()
    hadano = make_municipality(code="142115", name="秦野市", lat=35.3747, lng=139.2203)
    hospital = make_facility(
        "平塚中央病院", kind_code="acute", municipality=hiratsuka, kana="ヒラツカチュウオウ"
    )
    aoba = make_facility("特養あおば", municipality=hadano, kana="アオバ")
    midori = make_facility("老健みどり", kind_code="roken", municipality=hiratsuka, kana="ミドリ")
    make_unit(aoba, name="従来型", beds=80, capabilities=["peg", "end_of_life"], free_now=2)
    make_unit(midori, name="一般棟", beds=100, capabilities=["peg"], free_now=0, expected_7d=2)
    make_user(hospital, username="msw")

    page = desktop_page()
    login(page, "msw")
    page.goto("/facilities/")
    rows = page.locator("ul.directory > li")
    expect(rows).to_have_count(3)
    screenshots(page, "directory")

    page.get_by_label("今日空きがある").check()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("特養あおば")
    assert "free_now=on" in page.url  # the filtered view can be bookmarked and shared
    screenshots(page, "free-now")

    page.get_by_label("今日空きがある").uncheck()
    page.get_by_label("距離の基準(市区町村)").select_option(label="秦野市")
    expect(page.get_by_text("秦野市から近い順")).to_be_visible()
    expect(rows.first).to_contain_text("特養あおば")
    expect(rows.nth(1)).to_contain_text("km")
    screenshots(page, "by-distance")

    page.get_by_text("受入れ可能な医療処置・状態").click()
    page.get_by_label("看取り").check()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("特養あおば")
    screenshots(page, "needs")
