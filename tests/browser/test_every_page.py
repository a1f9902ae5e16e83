"""Every page of the product on a 360-px phone: no sideways scrolling, tap targets of 44 px, an <h1>,
and no critical or serious accessibility violation found by axe-core.

The walk follows the URL resolver like the tenancy test, so a new page is checked the day it is added.
Each page is opened as a user who may see it (the object's own side, or the office for its pages).
axe-core is fetched from the npm registry by `make axe` (.ci/run does it); the page runs it with the
Content-Security-Policy bypassed for that one script.
"""

import glob
import json
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import Error as PlaywrightError

from tests.base import PASSWORD
from tests.test_tenancy_all_urls import (
    INSIDER_OVERRIDES,
    REGISTRY,
    TenancyWorld,
    iter_patterns,
    path_arguments,
)

ROOT = Path(__file__).resolve().parents[2]
OUTPUT = ROOT / "test-output" / "every_page.json"
SKIPPED_NAMESPACES = {"admin", "api-v1"}
SKIPPED = {"set_language", "accounts:logout"}
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
MIN_TARGET = 44

TAP_TARGETS_JS = """(min) => {
  const problems = [];
  const visible = (el) => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0
      && getComputedStyle(el).visibility !== 'hidden'; };
  const describe = (el) => el.tagName.toLowerCase() + (el.name ? '[name=' + el.name + ']' : '')
      + ' "' + (el.innerText || el.value || el.getAttribute('aria-label') || '').trim().slice(0, 30) + '"';
  const controls = document.querySelectorAll(
    'button, select, textarea, input:not([type=hidden]), .site-nav a, a.button');
  for (const el of controls) {
    if (!visible(el)) continue;
    let box = el.getBoundingClientRect();
    if (el.type === 'checkbox' || el.type === 'radio') {
      const label = el.closest('label') || (el.id && document.querySelector('label[for="' + el.id + '"]'));
      if (label) box = label.getBoundingClientRect();
    }
    if (box.height < min - 0.5) problems.push(describe(el) + ' ' + Math.round(box.width) + 'x' + Math.round(box.height));
  }
  return problems;
}"""


def axe_source():
    found = sorted(glob.glob(str(ROOT / "var" / "vendor" / "axe-core-*" / "axe.min.js")))
    if not found:
        pytest.fail("axe-core is missing: run `make axe` (it fetches axe-core from the npm registry)")
    return Path(found[-1]).read_text(encoding="utf-8")


class World:
    """The tenancy test's world of personas and objects, built in the live database."""

    def __init__(self):
        holder = type("Holder", (TenancyWorld,), {})
        holder.setUpTestData()
        self.__dict__.update({k: v for k, v in vars(holder).items() if not k.startswith("__")})


def pages(world):
    """(view name, url, user) for every HTML page a user can open with GET."""
    for name, pattern in iter_patterns():
        if name.split(":")[0] in SKIPPED_NAMESPACES or name in SKIPPED or not name:
            continue
        arguments = path_arguments(pattern)
        if not arguments:
            yield name, reverse(name), None
            continue
        if name in INSIDER_OVERRIDES:
            continue  # POST-only actions on other facilities' cases
        kwargs = {arg: REGISTRY[arg].foreign(world) for arg in arguments}
        yield name, reverse(name, kwargs=kwargs), REGISTRY[arguments[0]].insider(world)


def test_every_page_on_a_phone(browser, live_site, login):
    world = World()
    axe = axe_source()
    context = browser.new_context(
        base_url=live_site,
        viewport={"width": 360, "height": 740},
        is_mobile=True,
        has_touch=True,
        locale="ja-JP",
        timezone_id="Asia/Tokyo",
        bypass_csp=True,
    )
    context.set_default_timeout(15_000)
    state = {"as": "-", "page": context.new_page()}

    def page_for(user):
        key = user.username if user else None
        if state["as"] != key:
            state["page"].close()
            context.clear_cookies()
            state["page"] = context.new_page()
            if user is not None:
                login(state["page"], user.username, PASSWORD)
            state["as"] = key
        return state["page"]

    def open_html(url):
        try:
            response = state["page"].goto(url)
        except PlaywrightError:  # e.g. a 405 with an empty body: start again from a clean page
            state["page"].close()
            state["page"] = context.new_page()
            return False
        return bool(
            response and response.status == 200 and "text/html" in response.headers.get("content-type", "")
        )

    report, problems = [], []
    candidates = [world.sender_msw, world.receiver_admin, world.office]
    for name, url, user in pages(world):
        tried = [user] if user else candidates
        for person in tried:
            page_for(person)
            if open_html(url) and state["page"].evaluate("!!document.querySelector('body main')"):
                break
        else:
            continue
        page = state["page"]
        checks = {
            "view": name,
            "url": url,
            "user": person.username,
            "h1": page.locator("h1").count(),
            "sideways": page.evaluate("document.documentElement.scrollWidth - window.innerWidth"),
            "small_targets": page.evaluate(TAP_TARGETS_JS, MIN_TARGET),
        }
        page.add_script_tag(content=axe)
        result = page.evaluate(
            "async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags}})).violations"
            ".filter(v => v.impact === 'critical' || v.impact === 'serious')"
            ".map(v => v.id + ': ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '))",
            AXE_TAGS,
        )
        checks["axe"] = result
        report.append(checks)
        if checks["h1"] < 1 or checks["sideways"] > 0 or checks["small_targets"] or result:
            problems.append(checks)
    context.close()
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    assert len(report) >= 20, [r["view"] for r in report]
    assert problems == [], json.dumps(problems, ensure_ascii=False, indent=1)
