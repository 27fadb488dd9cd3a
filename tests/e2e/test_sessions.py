"""Session journeys in a real browser: the session cookie across reloads and tabs, idle warning
and expiry, lockout after failures."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import session_cookie, sign_in
from tests.support.served import streamlit_server

pytestmark = pytest.mark.e2e


def test_a_reload_or_a_new_tab_keeps_the_session_until_sign_out(page: Page, app_url: str) -> None:
    sign_in(page, app_url, "patient.demo")
    welcome = page.get_by_role("heading", name="Welcome, Alex")
    expect(welcome).to_be_visible()
    cookie = session_cookie(page)
    assert cookie is not None
    # The cookie holds an opaque token: no username, no claims, strict same-site; and page
    # scripts cannot read it.
    assert "patient" not in str(cookie["value"]) and str(cookie["value"]).count(".") == 0
    assert cookie["sameSite"] == "Strict" and cookie["httpOnly"] is True
    assert "lakeside_session" not in page.evaluate("document.cookie")
    page.reload()
    expect(welcome).to_be_visible()
    second = page.context.new_page()
    second.goto(app_url)
    expect(second.get_by_role("heading", name="Welcome, Alex")).to_be_visible()
    page.get_by_role("button", name="Sign out", exact=True).click()
    expect(page.get_by_role("button", name="Sign in", exact=True)).to_be_visible()
    session_cookie(page, present=False)
    page.reload()
    expect(page.get_by_role("button", name="Sign in", exact=True)).to_be_visible()
    expect(welcome).to_have_count(0)
    # The other tab's session was the same one: its next run finds it ended.
    second.reload()
    expect(second.get_by_role("button", name="Sign in", exact=True)).to_be_visible()


def test_a_cookie_for_an_ended_session_signs_nobody_in(
    browser: Browser, page: Page, app_url: str
) -> None:
    """Sign out everywhere from another device: this browser's cookie no longer opens anything."""
    sign_in(page, app_url, "patient.demo")
    expect(page.get_by_role("heading", name="Welcome, Alex")).to_be_visible()
    session_cookie(page)
    elsewhere = browser.new_context().new_page()
    sign_in(elsewhere, app_url, "patient.demo")
    expect(elsewhere.get_by_role("heading", name="Welcome, Alex")).to_be_visible()
    elsewhere.get_by_role("button", name="Sign out everywhere").click()
    expect(elsewhere.get_by_role("button", name="Sign in", exact=True)).to_be_visible()
    page.reload()
    expect(page.get_by_text("Your session has ended. Please sign in again.")).to_be_visible()
    expect(page.get_by_role("heading", name="Welcome, Alex")).to_have_count(0)
    elsewhere.context.close()


def test_an_idle_session_warns_then_ends(
    browser: Browser, e2e_template: Path, tmp_path: Path
) -> None:
    path = tmp_path / "portal.duckdb"
    path.write_bytes(e2e_template.read_bytes())
    short = {"PORTAL_IDLE_TIMEOUT_MINUTES": "0.5", "PORTAL_IDLE_WARNING_MINUTES": "0.4"}
    with streamlit_server(f"duckdb:///{path}", tmp_path, short) as base:
        page = browser.new_page()
        sign_in(page, base, "patient.demo")
        expect(page.get_by_role("heading", name="Welcome, Alex")).to_be_visible(timeout=30_000)
        expect(page.get_by_text("for inactivity")).to_be_visible(timeout=30_000)
        expect(page.get_by_text("Your session has ended. Please sign in again.")).to_be_visible(
            timeout=45_000
        )
        expect(page.get_by_role("button", name="Sign in", exact=True)).to_be_visible()
        expect(page.get_by_role("heading", name="Welcome, Alex")).to_have_count(0)
        page.close()


def test_repeated_failures_pause_sign_in_with_the_same_message(page: Page, app_url: str) -> None:
    for _ in range(5):
        sign_in(page, app_url, "billing.demo", "a-wrong-password-again")
        expect(page.get_by_text("Incorrect username or password.")).to_be_visible()
    sign_in(page, app_url, "billing.demo", code=False)  # the right password, while paused
    expect(page.get_by_text("Incorrect username or password.")).to_be_visible()
    expect(page.get_by_role("heading", name="Billing")).to_have_count(0)
