"""Session journeys in a real browser: idle warning and expiry, lockout after failures."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import sign_in
from tests.support.served import streamlit_server

pytestmark = pytest.mark.e2e


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
        expect(page.get_by_role("button", name="Sign in")).to_be_visible()
        expect(page.get_by_role("heading", name="Welcome, Alex")).to_have_count(0)
        page.close()


def test_repeated_failures_pause_sign_in_with_the_same_message(page: Page, app_url: str) -> None:
    for _ in range(5):
        sign_in(page, app_url, "billing.demo", "a-wrong-password-again")
        expect(page.get_by_text("Incorrect username or password.")).to_be_visible()
    sign_in(page, app_url, "billing.demo", code=False)  # the right password, while paused
    expect(page.get_by_text("Incorrect username or password.")).to_be_visible()
    expect(page.get_by_role("heading", name="Billing")).to_have_count(0)
