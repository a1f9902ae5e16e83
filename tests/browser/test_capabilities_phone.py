"""A care-home worker records what the unit can accept, on a phone."""

from playwright.sync_api import expect

from tests.base import make_facility, make_unit, make_user
from tsunagu.facilities.models import Unit, UnitCapability


def test_conditional_capability_needs_its_condition(phone_page, login, screenshots):
    care_home = make_facility("特養あおば")
    unit = make_unit(care_home, name="従来型", beds=80, capabilities=["peg"])
    make_user(care_home, username="carehome")
    page = phone_page()
    login(page, "carehome")
    page.goto(f"/facilities/{care_home.public_id}/")
    page.get_by_role("link", name="医療処置を編集").click()

    row = page.locator(".capability-row", has_text="喀痰吸引(夜間も)")
    note = row.get_by_label("条件", exact=True)
    expect(note).to_be_hidden()
    row.get_by_label("条件付き").check()
    expect(note).to_be_visible()
    screenshots(page, "conditional-chosen")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_text("「条件付き」の場合は条件を書いてください。")).to_be_visible()
    screenshots(page, "condition-missing")

    page.locator(".capability-row", has_text="喀痰吸引(夜間も)").get_by_label("条件", exact=True).fill(
        "夜勤2名の日のみ"
    )
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_text("△ 喀痰吸引(夜間も)(夜勤2名の日のみ)")).to_be_visible()
    expect(page.get_by_text("○ 胃ろう・腸ろう")).to_be_visible()
    screenshots(page, "facility-page")

    unit = Unit.objects.get(pk=unit.pk)
    assert unit.conditional_mask and unit.capability_mask & unit.conditional_mask == unit.conditional_mask
    assert UnitCapability.objects.get(unit=unit, need__code="suction_night").note == "夜勤2名の日のみ"
