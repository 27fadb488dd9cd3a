"""axe-core in Chromium on every page, signed out and for every role (issue 18): no serious or
critical violation. axe comes bundled with axe-playwright-python (nothing is downloaded)."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect

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


@pytest.mark.parametrize("username", demo.DEMO_USERNAMES)
def test_every_page_of_each_role_has_no_serious_violation(
    browser: Browser, app_url: str, username: str
) -> None:
    tab = new_tab(browser)
    try:
        sign_in(tab, app_url, username)
        idle(tab)
        links = tab.get_by_test_id("stSidebarNavLink")
        expect(links.first).to_be_visible()
        addresses = [links.nth(i).get_attribute("href") for i in range(links.count())]
        problems = {}
        for address in addresses:
            assert address is not None
            tab.goto(address)  # the page opens with the session the cookie carries
            problems[address.rsplit("/", 1)[-1]] = serious_violations(tab)
        assert {path: found for path, found in problems.items() if found} == {}
    finally:
        tab.context.close()
