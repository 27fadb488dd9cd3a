"""The health-metrics journey in a real browser: charts, a typed-in reading on the chart, and a
device file imported after its preview."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import DEXCOM_EXPORT
from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.e2e
# Plotly keeps the decoded arrays it drew in `_fullData` (`data` holds base64 as sent).
CHART_VALUES = """() => Array.from(document.querySelectorAll('.js-plotly-plot')).map(
    d => (d._fullData || []).map(t => [t.name, Array.from(t.y || [])]))"""


def _trace(page: Page, name: str) -> list[float]:
    for chart in page.evaluate(CHART_VALUES):
        for trace_name, values in chart:
            if trace_name == name:
                return [v for v in values if v is not None]
    return []


def _wait_for_trace(page: Page, name: str, value: float | None = None) -> None:
    """Wait until a chart on the page draws this trace (holding this value)."""
    page.wait_for_function(
        """([name, value]) => Array.from(document.querySelectorAll('.js-plotly-plot')).some(
            d => (d._fullData || []).some(t => t.name === name
                && (value === null || Array.from(t.y || []).includes(value))))""",
        arg=[name, value],
    )


def add_blood_pressure(page: Page) -> int:
    """On the metrics page: type in a reading whose systolic value the chart does not show yet
    (the seeded history ends today, so the values shown vary by day); returns that value."""
    shown = _trace(page, "Systolic (top)")
    new = next(v for v in range(179, 100, -1) if v not in shown)
    page.get_by_role("tab", name="Add or correct readings").click()
    form = page.get_by_test_id("stForm").filter(
        has=page.get_by_role("button", name="Add blood pressure")
    )
    form.get_by_label("Systolic (top, mmHg)").fill(str(new))
    form.get_by_label("Diastolic (bottom, mmHg)").fill("86")
    form.get_by_role("button", name="Add blood pressure").click()
    expect(page.get_by_text("Blood pressure reading saved.")).to_be_visible()
    return new


def test_patient_sees_charts_adds_a_reading_and_sees_it_on_the_chart(
    page: Page, app_url: str
) -> None:
    sign_in(page, app_url, "patient.demo")
    page.get_by_role("link", name="Health metrics").click()
    expect(page.get_by_role("heading", name="Health metrics")).to_be_visible()
    expect(page.get_by_text("Category of the average")).to_be_visible()
    _wait_for_trace(page, "Systolic (top)")
    page.get_by_role("tab", name="Glucose").click()
    expect(
        page.get_by_role("heading", name="Ambulatory glucose profile (last 14 days)")
    ).to_be_visible()
    expect(page.get_by_text("Time in range").first).to_be_visible()
    _wait_for_trace(page, "Median")  # the AGP
    new = add_blood_pressure(page)
    page.get_by_role("tab", name="Blood pressure").click()
    _wait_for_trace(page, "Systolic (top)", new)


def test_patient_imports_a_dexcom_export_after_its_preview(page: Page, app_url: str) -> None:
    sign_in(page, app_url, "patient.demo")
    page.get_by_role("link", name="Health metrics").click()
    page.get_by_role("tab", name="Import from a device").click()
    page.locator("input[type=file]").set_input_files(str(DEXCOM_EXPORT))
    expect(page.get_by_text("Dexcom Clarity CGM export")).to_be_visible()
    expect(page.get_by_text("The file names Joe Schmoe")).to_be_visible()
    lines = DEXCOM_EXPORT.read_text(encoding="utf-8-sig").splitlines()
    egv = sum(1 for line in lines if ",EGV," in line)
    page.get_by_role("button", name=f"Import {egv:,} readings").click()
    expect(page.get_by_text(f"Imported {egv:,} readings.")).to_be_visible()
