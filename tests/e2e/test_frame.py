"""What a person meets in a real browser: sign-in, the home page, and closed staff URLs."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import serve, sign_in

pytestmark = pytest.mark.e2e

STAFF_PATHS = ("clinician", "him", "billing", "manager", "admin")
STAFF_TITLES = (
    "Clinician home",
    "Health information management",
    "Billing",
    "Portal usage",
    "Administration",
)


def _expect_no_staff_page(page: Page) -> None:
    for title in STAFF_TITLES:
        expect(page.get_by_role("heading", name=title, exact=True)).to_have_count(0)


def test_patient_signs_in_and_sees_the_home_page(page: Page, app_url: str) -> None:
    sign_in(page, app_url, "patient.demo")
    expect(page.get_by_role("heading", name="Welcome, Alex")).to_be_visible()
    expect(page.get_by_role("heading", name="New results")).to_be_visible()
    expect(page.get_by_role("heading", name="Upcoming appointments")).to_be_visible()
    expect(page.get_by_text("Balance due", exact=True)).to_be_visible()
    expect(page.get_by_text("Alex Rivera").first).to_be_visible()


def test_wrong_password_shows_a_message(page: Page, app_url: str) -> None:
    sign_in(page, app_url, "patient.demo", "not-the-right-password")
    expect(page.get_by_text("Incorrect username or password.")).to_be_visible()


def test_signed_in_patient_typing_a_staff_url_does_not_get_the_page(
    page: Page, app_url: str
) -> None:
    sign_in(page, app_url, "patient.demo")
    expect(page.get_by_role("heading", name="Welcome, Alex")).to_be_visible()
    for path in STAFF_PATHS:
        page.goto(f"{app_url}/{path}")
        expect(
            page.get_by_role("button", name="Sign in", exact=True).or_(
                page.get_by_role("heading", name="Welcome, Alex")
            )
        ).to_be_visible()
        _expect_no_staff_page(page)


def test_proxy_switches_to_the_other_person_they_care_for(page: Page, app_url: str) -> None:
    sign_in(page, app_url, "proxy.demo")
    expect(page.get_by_role("heading", name="Emma Larson's home")).to_be_visible()
    page.get_by_label("Acting for").click()
    page.get_by_role("option", name="Ruth Larson (child)").click()
    expect(page.get_by_role("heading", name="Ruth Larson's home")).to_be_visible()


def test_clinician_signs_in_and_sees_the_queues(page: Page, app_url: str) -> None:
    sign_in(page, app_url, "clinician.demo")
    expect(page.get_by_role("heading", name="Clinician home")).to_be_visible()
    expect(page.get_by_text("Held results", exact=True)).to_be_visible()


@pytest.mark.parametrize("path", STAFF_PATHS)
def test_anonymous_first_request_to_a_fresh_server_gets_no_staff_page(
    browser: Browser, e2e_template: Path, tmp_path: Path, path: str
) -> None:
    """The very first request a new server answers is the staff URL (STYLE.md, last pitfall)."""
    with serve(e2e_template, tmp_path) as base:
        context = browser.new_context()
        page = context.new_page()
        page.set_default_timeout(30_000)
        page.goto(f"{base}/{path}")
        expect(page.get_by_role("button", name="Sign in", exact=True)).to_be_visible()
        _expect_no_staff_page(page)
        # The script's own path: the app does not even load there (its assets are relative).
        page.goto(f"{base}/pages/{path}/home")
        page.wait_for_timeout(1500)
        _expect_no_staff_page(page)
        context.close()
