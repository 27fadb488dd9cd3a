"""The results journey in a real browser: the clinician releases a held result with a comment;
the patient then sees it, with the comment and its trend chart."""

from __future__ import annotations

from pathlib import Path

import pytest
from fhir.resources.R4B.bundle import Bundle
from playwright.sync_api import Page, expect

from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.e2e
COMMENT = "Released after our call; the trend is improving."


def test_a_held_result_released_with_a_comment_reaches_the_patient(
    page: Page, app_url: str
) -> None:
    sign_in(page, app_url, "clinician.demo")
    page.get_by_role("link", name="Result release").click()
    expect(page.get_by_role("heading", name="Result release")).to_be_visible()
    form = page.get_by_test_id("stForm").filter(has=page.get_by_role("button", name="Release"))
    form.get_by_role("combobox").click()
    option = page.get_by_role("option").filter(has_text="Alex Rivera").first
    panel = option.inner_text().split(" · ")[1]
    option.click()
    page.keyboard.press("Escape")
    form.get_by_label("Comment for the patient (optional, shown with each result)").fill(COMMENT)
    form.get_by_role("button", name="Release").click()
    expect(page.get_by_text("Released 1 result; the patient has been told.")).to_be_visible()
    page.get_by_role("button", name="Sign out", exact=True).click()
    expect(page.get_by_text("You have signed out.")).to_be_visible()

    sign_in(page, app_url, "patient.demo")
    page.get_by_role("link", name="Test results").click()
    expect(page.get_by_role("heading", name="Test results")).to_be_visible()
    page.get_by_label("Open a result").click()
    page.get_by_role("option").filter(has_text=f"{panel}, collected").first.click()
    expect(page.get_by_text(f"Comment from your care team: {COMMENT}")).to_be_visible()
    page.wait_for_function(
        "() => Array.from(document.querySelectorAll('.js-plotly-plot'))"
        ".some(d => (d._fullData || []).some(t => (t.y || []).length >= 2))"
    )
    with page.expect_download() as download:
        page.get_by_role("button", name="Download the record (FHIR R4 JSON)").click()
    bundle = Bundle.model_validate_json(Path(download.value.path()).read_bytes())
    panels = {
        e.resource.code.text
        for e in bundle.entry
        if e.resource.__resource_type__ == "DiagnosticReport"
    }
    assert panel in panels
