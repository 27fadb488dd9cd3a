"""Outside records in a real browser: a patient brings in another provider's FHIR file (preview,
confirm it is theirs, add), sees it by kind, and finds those values in a result's trend marked
as outside; a second upload of the file adds nothing. Health-information staff bring a file in
for a patient found by record number."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import choose, idle, open_tab, sign_in

pytestmark = pytest.mark.e2e
FHIR = Path(__file__).parents[1] / "data" / "fhir"
CHRISTEEN = next(FHIR.glob("Christeen*.json"))  # has HbA1c results
TEMIKA = next(FHIR.glob("Temika*.json"))
SOURCE = "DANA FARBER CANCER INSTITUTE"  # the bundle's provenance names it


def _open_page(page: Page, link: str, heading: str) -> None:
    page.get_by_role("link", name=link).click()
    expect(page.get_by_role("heading", name=heading)).to_be_visible()


def _upload(page: Page, path: Path) -> None:
    page.locator("input[type=file]").set_input_files(str(path))
    expect(page.get_by_text("This file is about")).to_be_visible()


def test_a_patient_brings_in_outside_records_and_sees_them_in_a_trend(
    page: Page, app_url: str
) -> None:
    sign_in(page, app_url, "patient.demo")
    _open_page(page, "Records from other providers", "Records from other providers")
    expect(page.get_by_text("No records from other providers yet.")).to_be_visible()
    _upload(page, CHRISTEEN)
    expect(page.get_by_text("This file is about Christeen33 Beier427")).to_be_visible()
    expect(page.get_by_text("does not match your record")).to_be_visible()
    add = page.get_by_role("button", name="Add these records")
    expect(add).to_be_disabled()
    page.get_by_text("These records belong to this patient").click()
    expect(page.get_by_role("textbox", name="Where these records come from")).to_have_value(SOURCE)
    idle(page)
    add.click()
    expect(page.get_by_text(f"items from {SOURCE}.")).to_be_visible()
    for kind in ("Conditions", "Results", "Medications", "Immunizations", "Visits"):
        expect(page.get_by_role("tab", name=kind)).to_be_visible()
    open_tab(page, "Results")
    expect(page.get_by_role("heading", name="Files brought in")).to_be_visible()

    _upload(page, CHRISTEEN)  # the same file again
    expect(
        page.get_by_text("Everything in this file is already here: nothing to add.")
    ).to_be_visible()
    expect(page.get_by_role("button", name="Add these records")).to_have_count(0)

    _open_page(page, "Test results", "Test results")
    choose(page, "Open a result", "Hemoglobin A1c, collected")
    page.wait_for_function(
        "name => Array.from(document.querySelectorAll('.js-plotly-plot'))"
        ".some(d => (d._fullData || []).some(t => t.name === name && (t.y || []).length > 0))",
        arg=f"{SOURCE} (outside record)",
    )


def test_health_information_staff_bring_in_records_for_a_patient_and_take_them_out(
    page: Page, app_url: str
) -> None:
    mrn = "07000000"  # the seed numbers its people from 7,000,000; the demo patient is first
    visits = sum(
        1
        for e in json.loads(TEMIKA.read_bytes())["entry"]
        if e["resource"]["resourceType"] == "Encounter"
    )
    sign_in(page, app_url, "him.demo")
    _open_page(page, "Outside records", "Records from other providers")
    page.get_by_role("textbox", name="Patient MRN").fill(str(mrn))
    page.get_by_role("button", name="Find the patient").click()
    expect(page.get_by_text(f"MRN {mrn}")).to_be_visible()
    _upload(page, TEMIKA)
    expect(page.get_by_text("does not match this patient's record")).to_be_visible()
    page.get_by_text("These records belong to this patient").click()
    idle(page)
    page.get_by_role("button", name="Add these records").click()
    expect(page.get_by_text("items from ")).to_be_visible()
    open_tab(page, "Visits")
    expect(page.get_by_role("tabpanel").get_by_test_id("stDataFrame")).to_be_visible()
    assert visits > 0

    # the wrong patient's file: take it out
    remove = page.get_by_role("button", name="Remove", exact=True)
    remove.click()
    expect(page.get_by_text("Tick the box to confirm first.")).to_be_visible()
    page.get_by_text("Remove everything this file added").click()
    remove.click()
    expect(page.get_by_text(re.compile(r"^Removed \d+ items\.$"))).to_be_visible()
