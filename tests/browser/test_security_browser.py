"""In a real browser: the Content-Security-Policy blocks nothing the product needs, and a
facility admin sets up two-factor authentication on a phone."""

import re
from base64 import b32decode

import pytest
from django_otp.oath import totp
from playwright.sync_api import expect

from tests.base import make_facility, make_municipality, make_unit, make_user
from tsunagu.accounts.models import Membership

pytestmark = pytest.mark.browser


def watch_csp(page):
    """Every CSP violation or script error the page reports."""
    problems = []
    page.on(
        "console",
        lambda message: problems.append(message.text) if "Content Security Policy" in message.text else None,
    )
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on(
        "response",
        lambda response: (
            problems.append(f"{response.status} {response.url}")
            if response.status >= 400 and not response.url.endswith("/favicon.ico")
            else None
        ),
    )
    return problems


def test_admin_sets_up_two_factor_on_a_phone_and_htmx_works_under_the_csp(
    phone_page, login, screenshots, settings
):
    settings.OTP_REQUIRED_FOR_ADMINS = True
    hadano = make_municipality(code="142115", name="秦野市", lat=35.3747, lng=139.2203)
    care_home = make_facility("特養あおば", kind_code="tokuyo", municipality=hadano)
    make_unit(care_home, name="従来型", beds=80, capabilities=["peg"], free_now=2)
    make_user(care_home, role=Membership.Role.FACILITY_ADMIN, username="carehome_admin")

    page = phone_page()
    problems = watch_csp(page)
    login(page, "carehome_admin")
    page.wait_for_url(re.compile(r"/accounts/2fa/setup/"))
    page.wait_for_load_state("load")
    expect(page.get_by_role("heading", name="二要素認証の設定")).to_be_visible()
    qr = page.get_by_role("img", name="QRコード")
    expect(qr).to_be_visible()
    assert qr.evaluate("img => img.complete && img.naturalWidth > 0")
    screenshots(page, "setup")

    secret = page.locator("code").first.inner_text().replace(" ", "")
    key = b32decode(secret + "=" * (-len(secret) % 8))
    page.get_by_label("確認コード").fill(f"{totp(key):06d}")
    page.get_by_role("button", name="確認して設定する").click()
    expect(page.get_by_role("heading", name="回復コード")).to_be_visible()
    codes = page.locator(".recovery-codes code").all_inner_texts()
    assert len(codes) == 10 and all(re.fullmatch(r"[a-z0-9]+", code) for code in codes)
    screenshots(page, "recovery-codes")
    page.get_by_role("link", name="保管しました").click()

    # An htmx form on the vacancy page still works under the policy.
    page.goto("/facilities/vacancy/")
    card = page.get_by_test_id("vacancy-card").first
    card.get_by_role("button", name="変更なし").click()
    expect(card.get_by_role("status")).to_have_text("変更なしで確認しました。")
    page.goto("/accounts/")
    expect(page.get_by_text("設定済みです")).to_be_visible()
    screenshots(page, "account")
    assert problems == []
