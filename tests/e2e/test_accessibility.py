"""axe-core in Chromium on every page, signed out and for every role (issue 18): no serious or
critical violation. axe comes bundled with axe-playwright-python (nothing is downloaded)."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Locator, Page, expect

from pages.components import navigation
from seed import demo
from tests.e2e.conftest import idle, new_tab, sign_in

pytestmark = pytest.mark.e2e
SERIOUS = ("serious", "critical")


def serious_violations(page: Page) -> list[str]:
    """axe's serious and critical findings on the page as drawn now (one line each)."""
    idle(page)
    expect(page.get_by_role("heading").first).to_be_visible()
    found = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {v['nodes'][0]['target']}"
        for v in found.response["violations"]
        if v["impact"] in SERIOUS
    ]


def test_every_public_page_has_no_serious_violation(page: Page, app_url: str) -> None:
    problems = {}
    for spec in navigation.PUBLIC_PAGES:
        page.goto(f"{app_url}/{spec.url_path}")
        problems[spec.url_path] = serious_violations(page)
    assert {path: found for path, found in problems.items() if found} == {}


def _pages_listed(tab: Page, app_url: str, username: str) -> list[str]:
    """Sign in; the address of every page the sidebar lists for this user."""
    sign_in(tab, app_url, username)
    idle(tab)
    links = tab.get_by_test_id("stSidebarNavLink")
    expect(links.first).to_be_visible()
    found = [links.nth(i).get_attribute("href") for i in range(links.count())]
    return [a for a in found if a is not None]


@pytest.mark.parametrize("username", demo.DEMO_USERNAMES)
def test_every_page_of_each_role_has_no_serious_violation(
    browser: Browser, app_url: str, username: str
) -> None:
    tab = new_tab(browser)
    try:
        addresses = _pages_listed(tab, app_url, username)
        problems = {}
        for address in addresses:
            tab.goto(address)  # the page opens with the session the cookie carries
            problems[address.rsplit("/", 1)[-1]] = serious_violations(tab)
        assert {path: found for path, found in problems.items() if found} == {}
    finally:
        tab.context.close()


def focus(target: Locator, limit: int = 150) -> None:
    """Press Tab (only) until `target` holds the keyboard focus: it is reachable by keyboard."""
    page = target.page
    target.wait_for()
    for _ in range(limit):
        if target.evaluate(
            "e => e === document.activeElement || e.contains(document.activeElement)"
        ):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{target} never got the focus in {limit} presses of Tab")


def press_on(target: Locator, key: str = "Enter") -> None:
    focus(target)
    target.page.keyboard.press(key)


def test_a_keyboard_only_journey(page: Page, app_url: str) -> None:
    """Sign in, open a result, enter a blood pressure reading and sign out with the keyboard
    alone: Tab to reach each control, typing, Enter, Space and the arrow keys (no clicks)."""
    page.goto(app_url)
    focus(page.get_by_role("textbox", name="Username"))
    page.keyboard.type("patient.demo")
    focus(page.get_by_role("textbox", name="Password", exact=True))
    page.keyboard.type(demo.DEMO_PASSWORD)
    press_on(page.get_by_role("button", name="Sign in", exact=True))
    expect(page.get_by_role("heading", name="Welcome, Alex")).to_be_visible()
    idle(page)

    press_on(page.get_by_role("link", name="Test results"))
    expect(page.get_by_role("heading", name="Test results")).to_be_visible()
    idle(page)
    focus(page.get_by_role("combobox", name="Open a result"))
    page.keyboard.type("Hemoglobin A1c")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Hemoglobin A1c", exact=True)).to_be_visible()
    idle(page)

    press_on(page.get_by_role("link", name="Health metrics"))
    expect(page.get_by_role("heading", name="Health metrics")).to_be_visible()
    idle(page)
    focus(page.get_by_role("tab", selected=True))  # tabs: one stop, then the arrow keys
    wanted = page.get_by_role("tab", name="Add or correct readings")
    for _ in range(6):
        if wanted.get_attribute("aria-selected") == "true":
            break
        page.keyboard.press("ArrowRight")
    expect(wanted).to_have_attribute("aria-selected", "true")
    form = page.get_by_test_id("stForm").filter(
        has=page.get_by_role("button", name="Add blood pressure")
    )
    focus(form.get_by_label("Systolic (top, mmHg)"))
    page.keyboard.type("131")
    focus(form.get_by_label("Diastolic (bottom, mmHg)"))
    page.keyboard.type("84")
    press_on(form.get_by_role("button", name="Add blood pressure"))
    expect(page.get_by_text("Blood pressure reading saved.")).to_be_visible()
    idle(page)

    press_on(page.get_by_role("button", name="Sign out", exact=True))
    expect(page.get_by_text("You have signed out.")).to_be_visible()


SIDEWAYS = """() => {
  const main = document.querySelector('[data-testid="stMain"]');
  return {page: document.documentElement.scrollWidth - window.innerWidth,
          main: main.scrollWidth - main.clientWidth};
}"""


@pytest.mark.parametrize("username", demo.DEMO_USERNAMES)
def test_pages_reflow_at_200_percent_zoom(browser: Browser, app_url: str, username: str) -> None:
    """1,280 px at 200% is 640 CSS pixels: no page scrolls sideways (a wide table may scroll
    inside its own box)."""
    tab = new_tab(browser)
    try:
        addresses = _pages_listed(tab, app_url, username)
        tab.set_viewport_size({"width": 640, "height": 450})
        overflow = {}
        for address in addresses:
            tab.goto(address)
            idle(tab)
            expect(tab.get_by_role("heading").first).to_be_visible()
            found = tab.evaluate(SIDEWAYS)
            if found["page"] > 0 or found["main"] > 0:
                overflow[address.rsplit("/", 1)[-1]] = found
        assert overflow == {}
        # the measure itself: something too wide in the main area is seen
        tab.evaluate(
            "() => { const d = document.createElement('div'); d.style.width = '2000px';"
            " d.textContent = 'wide'; document.querySelector('[data-testid=\"stMain\"] "
            '[data-testid="stMainBlockContainer"]\').appendChild(d); }'
        )
        found = tab.evaluate(SIDEWAYS)
        assert found["page"] > 0 or found["main"] > 0
    finally:
        tab.context.close()
