"""Appointments in Chromium: patient.demo books an annual visit with the demo clinician, moves
it to another time, checks in with the PHQ-9 and GAD-7, and clinician.demo sees the scores on
the schedule; a second patient cancels and the waitlisted patient takes the time offered."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from services.care import booking
from services.core import clock
from tests.e2e.conftest import (
    choose,
    click_until,
    idle,
    new_tab,
    open_tab,
    prepared,
    serve,
    sign_in,
)
from tests.support import world
from tests.support.served import streamlit_server

pytestmark = pytest.mark.e2e
ANNUAL = "Annual wellness visit"
REASON = "Yearly check"
LATER = 30  # the 31st open time: a few working days ahead, still this week


def _card(page: Page, text: str) -> Locator:
    """The visit card (its container is keyed by the visit) that shows `text`."""
    return page.locator("[class*='st-key-visit_']").filter(has_text=text)


def _pick_time(page: Page, index: int) -> None:
    """Pick the index-th open time, and again if a rerun under way drew the list anew."""
    times = page.get_by_role("radiogroup", name="Open times (clinic time)")
    radio = times.get_by_role("radio").nth(index)
    for _ in range(3):
        click_until(times.locator("label").nth(index), radio.is_checked)  # the label, not input
        page.wait_for_timeout(1000)
        idle(page)
        if radio.is_checked():
            return
    expect(radio).to_be_checked()


def _to_visits(page: Page, tab: str) -> None:
    page.get_by_role("link", name="Visits", exact=True).click()
    open_tab(page, tab)


def test_book_move_check_in_and_the_clinician_sees_the_scores(
    browser: Browser, e2e_template: Path, tmp_path: Path
) -> None:
    with serve(e2e_template, tmp_path) as base:
        patient = new_tab(browser)
        sign_in(patient, base, "patient.demo")
        _to_visits(patient, "Schedule a visit")
        choose(patient, "Type of visit", ANNUAL)
        choose(patient, "Provider", re.compile("Jordan Patel"))
        _pick_time(patient, LATER)  # more than a day ahead: it can still be moved online
        patient.get_by_label("Reason for the visit").fill(REASON)
        idle(patient)
        expect(patient.get_by_role("radio").nth(LATER)).to_be_checked()  # still the one picked
        patient.get_by_role("button", name="Book this time").click()
        expect(patient.get_by_text(re.compile("^Booked: "))).to_be_visible()

        open_tab(patient, "Upcoming")
        _card(patient, REASON).get_by_role("button", name="Move to another time").click()
        open_tab(patient, "Schedule a visit")
        choose(patient, "Provider", re.compile("Jordan Patel"))
        _pick_time(patient, LATER + 1)
        idle(patient)
        patient.get_by_role("button", name="Move my visit here").click()
        expect(patient.get_by_text(re.compile("^Moved to: "))).to_be_visible()

        open_tab(patient, "Upcoming")
        card = _card(patient, REASON)
        expect(card).to_have_count(1)  # moved, not doubled
        card.get_by_text("Check in for this visit").click()
        card.get_by_text("These are right").click()
        card.get_by_text("This is my current insurance").click()
        groups = card.get_by_role("radiogroup")
        expect(groups).to_have_count(16)  # PHQ-9 and GAD-7
        answers = ["Several days" if n in (0, 1, 2) else "Not at all" for n in range(16)]
        for _ in range(3):  # a click that lands while the page is drawn again can be lost
            idle(patient)
            for n, answer in enumerate(answers):
                if not groups.nth(n).get_by_role("radio", name=answer, exact=True).is_checked():
                    groups.nth(n).get_by_text(answer, exact=True).click()
        for n, answer in enumerate(answers):
            expect(groups.nth(n).get_by_role("radio", name=answer, exact=True)).to_be_checked()
        card.get_by_role("button", name="Check in").click()
        expect(patient.get_by_text("You are checked in. Thank you.")).to_be_visible()

        clinician = new_tab(browser)
        sign_in(clinician, base, "clinician.demo")
        clinician.get_by_role("link", name="Schedule").click()
        clinician.get_by_text("This week").click()
        visit = _card(clinician, REASON)
        expect(visit).to_contain_text("PHQ9: 3 (none-minimal)")
        expect(visit).to_contain_text("GAD7: 0 (minimal)")
        expect(visit).to_contain_text("Checked in")


def _book_both() -> tuple[uuid.UUID, uuid.UUID]:
    """The teen holds an early office visit with the demo clinician; Alex holds a later one and
    asked to be offered an earlier time. Returns both visits."""
    teen, alex = world.actor_of("teen.demo"), world.actor_of("patient.demo")
    assert teen.patient_id and alex.patient_id
    today = clock.today()
    slots = [
        s
        for s in booking.open_slots(
            actor=alex,
            patient_id=alex.patient_id,
            visit_type="office",
            date_from=today + timedelta(days=2),  # past the late-cancel window
            date_to=today + timedelta(days=20),
        )
        if s.provider_name.startswith("Jordan Patel")
    ]
    early = booking.book(
        actor=teen, patient_id=teen.patient_id, slot_id=slots[0].slot_id, visit_type="office"
    )
    later = booking.book(
        actor=alex,
        patient_id=alex.patient_id,
        slot_id=slots[-1].slot_id,
        visit_type="office",
        reason="Knee pain",
        waitlist=True,
    )
    return early, later


def test_a_cancelled_time_is_offered_to_the_waitlisted_patient_who_takes_it(
    browser: Browser, e2e_template: Path, tmp_path: Path
) -> None:
    with prepared(e2e_template, tmp_path) as path:
        early, later = _book_both()
    env = {"PORTAL_JOBS_TICK_SECONDS": "1"}  # the waitlist job runs each minute
    with streamlit_server(f"duckdb:///{path}", tmp_path, extra_env=env) as base:
        patient = new_tab(browser)
        sign_in(patient, base, "patient.demo")
        _to_visits(patient, "Upcoming")
        expect(_card(patient, "Knee pain")).to_contain_text("offered an earlier time")

        teen = new_tab(browser)
        sign_in(teen, base, "teen.demo")
        _to_visits(teen, "Upcoming")
        teen.locator(f".st-key-visit_{early}").get_by_role("button", name="Cancel visit").click()
        expect(teen.get_by_text("Your visit was cancelled.")).to_be_visible()

        offer = patient.locator("[class*='st-key-offer_']")
        for _ in range(30):  # the job's next minute, then the page shows the offer
            patient.reload()
            open_tab(patient, "Upcoming")
            if offer.count():
                break
            patient.wait_for_timeout(5_000)
        expect(offer).to_contain_text("An earlier time is open")
        offer.get_by_role("button", name="Take the earlier time").click()
        expect(patient.get_by_text("Your visit was moved to the earlier time.")).to_be_visible()
        expect(_card(patient, "Knee pain")).to_have_count(1)
        expect(patient.locator(f".st-key-visit_{later}")).to_have_count(0)  # the old time gone
