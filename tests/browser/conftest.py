"""Real-browser fixtures: Debian's Chromium driven by Playwright against pytest-django's live server.

Reuse them in any test under tests/browser/:

    def test_something(phone_page, make_user_with_facility, login, screenshots):
        page = phone_page()                  # a fresh 360×740 touch page, Japanese locale, Tokyo time
        login(page, "carehome")              # through the real login form
        page.goto("/facilities/vacancy/")    # paths are relative to the live server
        screenshots(page, "vacancy-page")    # test-output/screenshots/<test>/01-vacancy-page.png

`desktop_page()` gives a 1280×900 page; each call opens its own browser context (its own cookies),
so one test can drive several users side by side (a sender on a desktop, a receiver on a phone).

Every test here is marked `browser` and runs on a transactional database (the live server
thread must see committed rows) with serialized rollback; see `live_site`. Each test starts and
stops its own Playwright and Chromium, so nothing of the browser's event loop outlives it. Run only these with `pytest -m browser`, skip them
with `-m "not browser"`.

The browser is /usr/bin/chromium (override with CHROMIUM_PATH); Playwright's bundled driver is
used, no browser download is needed.
"""

import importlib
import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from tests.base import PASSWORD

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 900}
SCREENSHOT_ROOT = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
TIMEOUT_MS = 15_000


def pytest_collection_modifyitems(items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture
def playwright_driver():
    """Playwright for one test, started and stopped around it.

    While Playwright's sync API is running, this thread runs inside its event loop: Django's ORM
    refuses to run there unless DJANGO_ALLOW_ASYNC_UNSAFE is set, and the test code sees its own
    set of database connection objects. Both are undone when the test ends, so the tests that
    follow (and subprocesses they start) see a normal environment again.
    """
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as driver:
            yield driver
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def browser(playwright_driver):
    """A headless Chromium for one test (each test starts from a clean browser)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}; install the chromium package or set CHROMIUM_PATH.")
    chromium = playwright_driver.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()


@pytest.fixture
def live_site(live_server, transactional_db, django_db_serialized_rollback):
    """The live server's base URL, on a committed database with the reference catalogue in place.

    A transactional test ends by emptying every table. Serialized rollback puts the migrated
    rows back for the next test (and keeps the flush from re-creating content types, which
    would break the next serialized test); the catalogue (facility kinds, care needs) is also
    loaded again by its migration code, idempotently, so it is there whatever ran before.
    """
    from django.apps import apps

    loader = importlib.import_module("tsunagu.network.migrations.0002_reference_data")
    loader.load(apps, None)
    return live_server.url


def _page_factory(browser, base_url, viewport, mobile):
    contexts = []

    def open_page():
        context = browser.new_context(
            base_url=base_url,
            viewport=viewport,
            locale="ja-JP",
            timezone_id="Asia/Tokyo",
            is_mobile=mobile,
            has_touch=mobile,
            device_scale_factor=2 if mobile else 1,
        )
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    return open_page, contexts


@pytest.fixture
def phone_page(browser, live_site):
    """Factory: phone_page() → a new 360×740 touch page in its own context."""
    open_page, contexts = _page_factory(browser, live_site, PHONE, mobile=True)
    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def desktop_page(browser, live_site):
    """Factory: desktop_page() → a new 1280×900 page in its own context."""
    open_page, contexts = _page_factory(browser, live_site, DESKTOP, mobile=False)
    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def login():
    """login(page, username, password=PASSWORD): sign in through the real login form."""

    def sign_in(page, username, password=PASSWORD):
        page.goto("/accounts/login/")
        page.get_by_label("ユーザー名").fill(username)
        page.get_by_label("パスワード").fill(password)
        page.get_by_role("button", name="ログイン").click()
        page.wait_for_url(lambda url: "/accounts/login/" not in url)
        return page

    return sign_in


@pytest.fixture
def screenshots(request):
    """screenshots(page, "step") → test-output/screenshots/<test>/NN-step.png (full page)."""
    folder = SCREENSHOT_ROOT / re.sub(r"[^\w.-]+", "_", request.node.name)
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.png"):
        old.unlink()
    counter = iter(range(1, 1000))

    def shoot(page, step):
        slug = re.sub(r"[^\w.-]+", "-", step)
        path = folder / f"{next(counter):02d}-{slug}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return shoot
