"""A care-home worker updates today's vacancies on a 360-px phone."""

from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from tests.base import make_facility, make_municipality, make_unit, make_user
from tsunagu.facilities.models import Vacancy, VacancyEvent


def build_care_home():
    hadano = make_municipality(code="142115", name="秦野市", lat=35.3747, lng=139.2203)
    care_home = make_facility("特養あおば", kind_code="tokuyo", municipality=hadano, kana="トクヨウアオバ")
    main = make_unit(
        care_home, name="従来型", beds=80, capabilities=["peg", "end_of_life"], free_now=2, expected_7d=0
    )
    short = make_unit(
        care_home,
        name="ショートステイ",
        kind_code="short_stay",
        beds=10,
        sex_matters=True,
        free_now=0,
        updated_at=timezone.now() - timedelta(days=4),
    )
    worker = make_user(care_home, username="carehome", display_name="青葉 介護主任")
    return care_home, main, short, worker


def no_horizontal_scroll(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_care_home_worker_updates_vacancies_on_a_phone(phone_page, login, screenshots):
    care_home, main, short, worker = build_care_home()
    page = phone_page()
    login(page, "carehome")
    screenshots(page, "after-login")

    page.get_by_role("link", name="空床を更新").click()
    expect(page.get_by_role("heading", name="空床を更新")).to_be_visible()
    cards = page.get_by_test_id("vacancy-card")
    expect(cards).to_have_count(2)
    main_card = cards.filter(has_text="従来型")
    short_card = cards.filter(has_text="ショートステイ")
    expect(short_card).to_contain_text("3日以上未更新")
    expect(main_card).to_contain_text("本日更新")
    assert no_horizontal_scroll(page)
    screenshots(page, "vacancy-page")

    # Two beds more today, one expected within the week: steppers, then 保存.
    main_card.get_by_role("button", name="今日の空床を1増やす").click()
    main_card.get_by_role("button", name="今日の空床を1増やす").click()
    expect(main_card.get_by_label("今日の空床", exact=True)).to_have_value("4")
    main_card.get_by_role("button", name="7日以内に空く見込みを1増やす").click()
    screenshots(page, "steppers-used")
    main_card.get_by_role("button", name="保存").click()
    expect(main_card.get_by_role("status")).to_have_text("保存しました。")
    screenshots(page, "main-saved")

    vacancy = Vacancy.objects.get(unit=main)
    assert (vacancy.free_now, vacancy.expected_7d, vacancy.updated_by_id) == (4, 1, worker.pk)

    # Stale short stay: nothing changed, one tap on 変更なし.
    short_card.get_by_role("button", name="変更なし").click()
    expect(short_card.get_by_role("status")).to_have_text("変更なしで確認しました。")
    expect(short_card).to_contain_text("本日更新")
    expect(short_card).not_to_contain_text("3日以上未更新")
    screenshots(page, "short-stay-confirmed")
    event = VacancyEvent.objects.get(unit=short)
    assert event.unchanged and event.by_id == worker.pk

    # By sex: the total follows male + female.
    short_card.get_by_role("button", name="男性を1増やす").click()
    short_card.get_by_role("button", name="女性を1増やす").click()
    short_card.get_by_role("button", name="女性を1増やす").click()
    short_card.get_by_role("button", name="保存").click()
    expect(short_card.get_by_role("status")).to_have_text("保存しました。")
    short_vacancy = Vacancy.objects.get(unit=short)
    assert (short_vacancy.free_now, short_vacancy.free_male, short_vacancy.free_female) == (3, 1, 2)

    # The directory shows the new figures and today's freshness.
    page.get_by_role("link", name="施設をさがす").click()
    row = page.locator("ul.directory > li", has_text="特養あおば")
    expect(row).to_contain_text("本日更新")
    expect(row).to_contain_text("空床 7")
    assert no_horizontal_scroll(page)
    screenshots(page, "directory")

    # And the facility page keeps the history.
    row.get_by_role("link", name="特養あおば").click()
    expect(page.get_by_role("heading", name="空き状況の履歴")).to_be_visible()
    expect(page.locator("table")).to_contain_text("変更なし")
    assert no_horizontal_scroll(page)
    screenshots(page, "facility-page")


def test_confirm_everything_unchanged_in_one_tap(phone_page, login, screenshots):
    care_home, main, short, worker = build_care_home()
    page = phone_page()
    login(page, "carehome")
    page.goto("/facilities/vacancy/")
    page.get_by_role("button", name="すべて変更なし").click()
    expect(page.get_by_text("2件を変更なしで確認しました。")).to_be_visible()
    expect(page.get_by_text("3日以上未更新")).to_have_count(0)
    screenshots(page, "all-confirmed")
    assert VacancyEvent.objects.filter(unchanged=True, by=worker).count() == 2


def test_two_staff_saving_at_once_lose_nothing(phone_page, login, screenshots):
    care_home, main, short, worker = build_care_home()
    make_user(care_home, username="colleague", display_name="緑川 看護師")
    mine, theirs = phone_page(), phone_page()
    login(mine, "carehome")
    login(theirs, "colleague")
    for page in (mine, theirs):
        page.goto("/facilities/vacancy/")

    # The colleague saves first: 5 free beds in 従来型.
    their_card = theirs.get_by_test_id("vacancy-card").filter(has_text="従来型")
    their_card.get_by_label("今日の空床", exact=True).fill("5")
    their_card.get_by_role("button", name="保存").click()
    expect(their_card.get_by_role("status")).to_have_text("保存しました。")

    # The worker, still looking at 2, saves 3: refused, with the colleague's figures in the card.
    my_card = mine.get_by_test_id("vacancy-card").filter(has_text="従来型")
    my_card.get_by_label("今日の空床", exact=True).fill("3")
    my_card.get_by_role("button", name="保存").click()
    warning = my_card.get_by_test_id("vacancy-stale")
    expect(warning).to_contain_text("保存していません。緑川 看護師 さんが")
    expect(warning).to_contain_text("今日の空床 5・7日以内 0")
    expect(my_card.get_by_label("今日の空床", exact=True)).to_have_value("5")
    screenshots(mine, "refused-with-colleagues-figures")
    assert Vacancy.objects.get(unit=main).free_now == 5

    # Having seen them, 「すべて変更なし」 confirms both units (the refreshed card sent its new version).
    mine.get_by_role("button", name="すべて変更なし").click()
    expect(mine.get_by_text("2件を変更なしで確認しました。")).to_be_visible()
    assert VacancyEvent.objects.filter(unchanged=True, by=worker).count() == 2
    assert Vacancy.objects.get(unit=main).free_now == 5


def test_a_save_that_fails_on_the_server_says_the_outcome_is_unknown(phone_page, login, screenshots):
    from unittest import mock

    from django.db import DatabaseError

    care_home, main, short, worker = build_care_home()
    page = phone_page()
    login(page, "carehome")
    page.goto("/facilities/vacancy/")
    card = page.get_by_test_id("vacancy-card").filter(has_text="従来型")
    card.get_by_label("今日の空床", exact=True).fill("6")
    with mock.patch("tsunagu.audit.services.AuditEvent.objects.create", side_effect=DatabaseError("cut")):
        card.get_by_role("button", name="保存").click()
        expect(card.get_by_role("alert")).to_have_text(
            "完了したか確認できませんでした。画面を再読み込みして確認してください"
        )
    screenshots(page, "outcome-unknown")
    assert Vacancy.objects.get(unit=main).free_now == 2
