"""The managers' dashboard in Chromium: manager.demo changes the period and a filter, the figures
are drawn again for them, and a figure's CSV downloads with small counts suppressed in it."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from services.analytics import dashboard, periods
from services.core import clock
from tests.e2e.conftest import choose, idle, new_tab, serve, sign_in

pytestmark = pytest.mark.e2e
WEEKLY = "Download “Weekly active people” (CSV)"


def _weekly_csv(page: Page) -> list[list[str]]:
    with page.expect_download() as info:
        page.get_by_role("button", name=WEEKLY).click()
    return list(csv.reader(io.StringIO(Path(info.value.path()).read_text())))


def test_a_manager_changes_the_period_and_a_filter_and_downloads_a_figure(
    browser: Browser, e2e_template: Path, tmp_path: Path
) -> None:
    yesterday = clock.today() - timedelta(days=1)
    with serve(e2e_template, tmp_path) as base:
        page = new_tab(browser)
        sign_in(page, base, "manager.demo")
        expect(page.get_by_role("heading", name="Portal usage")).to_be_visible()
        month = periods.ending(30, yesterday)
        expect(page.get_by_role("heading", name=f"{month.label()}, compared with")).to_be_visible()
        expect(page.get_by_role("heading", name="Weekly active people")).to_be_visible()
        expect(page.get_by_role("heading", name="Service levels")).to_be_visible()
        for title in ("Results: release to first view", "Requests against their legal deadlines"):
            expect(page.get_by_role("heading", name=title)).to_be_visible()
        idle(page)
        rows = _weekly_csv(page)
        assert rows[0] == ["Week of", "People"] and len(rows) - 1 == len(month.weeks())
        for _, people in rows[1:]:  # 60 patients: small counts everywhere, never shown
            assert people == dashboard.HIDDEN or people == "0" or int(people) > 10

        choose(page, "Period", "Last 90 days")
        quarter = periods.ending(90, yesterday)
        heading = page.get_by_role("heading", name=f"{quarter.label()}, compared with")
        expect(heading).to_be_visible()
        idle(page)
        rows = _weekly_csv(page)
        assert len(rows) - 1 == len(quarter.weeks())  # drawn again for the new period

        choose(page, "Age band", "75 and over")
        idle(page)
        expect(page.get_by_text(dashboard.HIDDEN).first).to_be_visible()
        for name in ("People active", "Activated accounts at the end"):
            label = page.get_by_test_id("stMetricLabel").get_by_text(name, exact=True)
            metric = page.get_by_test_id("stMetric").filter(has=label)
            expect(metric.get_by_test_id("stMetricValue")).to_have_text(dashboard.HIDDEN)
        rows = _weekly_csv(page)
        assert {people for _, people in rows[1:]} <= {dashboard.HIDDEN, "0"}
        expect(page.get_by_text("Traceback")).to_have_count(0)
