"""Proxy access in Chromium: (1) a caregiver asks for a child's access with a document, him.demo
approves, the caregiver sees the child's record; (2) patient.demo invites a delegate, the
delegate accepts after signing in, the patient revokes, and the delegate's next click no longer
shows the record."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, expect
from sqlalchemy import select

from services.core import clock
from services.core.models import Patient, ProxyGrant
from services.identity import registration
from tests.e2e.conftest import click_until, idle, new_tab, prepared, serve, sign_in
from tests.services.proxy import support
from tests.support.served import streamlit_server
from tests.support.world import DEMO_PASSWORD

pytestmark = pytest.mark.e2e


def _a_child_without_a_proxy() -> Patient:
    from services.core import db

    with db.read_only() as s:
        today = clock.today()
        found = s.scalars(
            select(Patient)
            .where(
                Patient.birth_date > today.replace(year=today.year - 11),
                Patient.middle_name.is_(None),
                ~select(ProxyGrant.id).where(ProxyGrant.patient_id == Patient.id).exists(),
            )
            .order_by(Patient.mrn)
        ).first()
        assert found is not None
        s.expunge(found)
        return found


def _type_date(page: Page, label: str, day: date) -> None:
    """Type a date into the date field's parts; typed again if a rerun still under way put
    the field back (seen on a loaded machine)."""
    parts = (("year", day.year), ("month", day.month), ("day", day.day))
    fields = {part: page.get_by_role("spinbutton", name=f"{part}, {label}") for part, _ in parts}
    for _ in range(3):
        for part, value in parts:
            fields[part].click()
            page.keyboard.type(f"{value:04d}" if part == "year" else f"{value:02d}")
        page.wait_for_timeout(1000)
        if all(fields[p].get_attribute("aria-valuenow") == str(v) for p, v in parts):
            return
    for part, value in parts:
        expect(fields[part]).to_have_attribute("aria-valuenow", str(value))


def _fill_request(page: Page, child: Patient, document: Path) -> Locator:
    """Fill the request form, again from the start if a rerun still under way drew the form
    anew and emptied it (seen on a loaded machine: the date and the file gone)."""
    for _ in range(3):
        page.wait_for_timeout(500)  # the form settles before typing
        idle(page)
        form = page.get_by_test_id("stForm").last
        form.get_by_label("Patient's first name").fill(child.first_name)
        form.get_by_label("Patient's last name").fill(child.last_name)
        _type_date(page, "Patient's date of birth", child.birth_date)
        form.locator("input[type=file]").set_input_files(str(document))
        page.wait_for_timeout(1000)
        idle(page)
        year = page.get_by_role("spinbutton", name="year, Patient's date of birth")
        if (
            form.get_by_text(document.name).is_visible()
            and year.get_attribute("aria-valuenow") == str(child.birth_date.year)
            and form.get_by_label("Patient's first name").input_value() == child.first_name
        ):
            return form
    expect(form.get_by_text(document.name)).to_be_visible()
    return form


def test_a_caregiver_asks_for_a_child_and_him_approves(
    browser: Browser, e2e_template: Path, tmp_path: Path
) -> None:
    with prepared(e2e_template, tmp_path) as path:
        child = _a_child_without_a_proxy()
        registration.caregiver_registration_create(
            support.details("pat.guardian", "pat.guardian@example.org")
        )
        support.verify("pat.guardian", "pat.guardian@example.org")
    document = tmp_path / "guardianship.pdf"
    document.write_bytes(support.pdf("Order of guardianship"))
    name = f"{child.first_name} {child.last_name}"
    with streamlit_server(f"duckdb:///{path}", tmp_path) as base:
        caregiver = new_tab(browser)
        sign_in(caregiver, base, "pat.guardian", support.PASSWORD)
        expect(caregiver.get_by_text("No patient records are linked")).to_be_visible()
        caregiver.get_by_role("link", name="Request access").click()
        expect(caregiver.get_by_role("heading", name="Ask for access")).to_be_visible()
        form = _fill_request(caregiver, child, document)
        form.get_by_role("button", name="Send request").click()
        outcome = caregiver.get_by_text("Your request was received").or_(
            caregiver.get_by_test_id("stAlertContentError")
        )
        expect(outcome.first).to_be_visible()
        assert "received" in outcome.first.inner_text(), caregiver.locator("body").inner_text()

        him = new_tab(browser)
        sign_in(him, base, "him.demo")
        him.get_by_role("link", name="Proxy review").click()
        him.get_by_label("Open a request").click()
        him.get_by_role("option").filter(has_text=f"for {name}").first.click()
        expect(him.get_by_role("heading", name="Request from Jamie Okoro")).to_be_visible()
        him.get_by_text(re.compile("^Birth certificate: guardianship")).click()
        expect(him.get_by_text("Page 1 of guardianship.pdf")).to_be_visible()  # the PDF drawn
        expect(him.get_by_test_id("stExpander").locator("img").first).to_be_visible()
        him.get_by_role("button", name="Confirm the match").click()
        expect(him.get_by_text(f"Confirmed: {name}")).to_be_visible()
        him.get_by_role("button", name="Approve", exact=True).click()
        expect(him.get_by_text(re.compile("Approved until"))).to_be_visible()

        caregiver.reload()
        expect(caregiver.get_by_role("heading", name=f"{name}'s home")).to_be_visible()
        expect(caregiver.get_by_text(f"You are viewing {name}'s record.")).to_be_visible()
        caregiver.get_by_role("link", name="Test results").click()
        expect(caregiver.get_by_role("heading", name="Test results")).to_be_visible()


def test_a_delegate_accepts_an_invitation_and_a_revocation_applies_at_the_next_click(
    browser: Browser, e2e_template: Path, tmp_path: Path
) -> None:
    with serve(e2e_template, tmp_path) as base:
        patient = new_tab(browser)
        sign_in(patient, base, "patient.demo")
        patient.get_by_role("link", name="Proxy access").click()
        form = patient.get_by_test_id("stForm")
        form.get_by_label("Their name").fill("Dana Larson")
        form.get_by_label("Their email address").fill("dana.larson@example.org")
        form.get_by_role("combobox", name="What they may see").click()
        patient.get_by_role("option", name="Test results").click()
        patient.keyboard.press("Escape")
        form.get_by_role("button", name="Send invitation").click()
        expect(patient.get_by_text(re.compile("Invitation sent to"))).to_be_visible()

        admin = new_tab(browser)
        sign_in(admin, base, "admin.demo")
        admin.get_by_role("link", name="Demo inbox").click()
        body = admin.get_by_text(re.compile(r"/invitation\?token=")).first.inner_text()
        token = re.search(r"/invitation\?token=(\S+)", body).group(1)  # type: ignore[union-attr]
        admin.close()

        delegate = new_tab(browser)
        delegate.goto(f"{base}/invitation?token={token}")
        expect(
            delegate.get_by_text(re.compile("Alex Rivera invites you to help with their care"))
        ).to_be_visible()
        delegate.get_by_role("link", name="Sign in to accept").click()
        expect(delegate.get_by_role("heading", name="Sign in", exact=True)).to_be_visible()
        delegate.wait_for_timeout(500)  # the form settles before typing
        delegate.get_by_label("Username").fill("proxy.demo")
        delegate.get_by_role("textbox", name="Password", exact=True).fill(DEMO_PASSWORD)
        delegate.get_by_role("button", name="Sign in", exact=True).click()
        accept = delegate.get_by_role("button", name="Accept the invitation")
        accept.click()
        expect(delegate.get_by_text("You can now act for Alex Rivera")).to_be_visible()
        delegate.get_by_label("Acting for").click()
        delegate.get_by_role("option", name="Alex Rivera (spouse)").click()
        delegate.get_by_role("link", name="Home").click()
        expect(delegate.get_by_role("heading", name="Alex Rivera's home")).to_be_visible()
        expect(delegate.get_by_role("link", name="Health metrics")).to_have_count(0)
        delegate.get_by_role("link", name="Test results").click()
        expect(delegate.get_by_text("You are viewing Alex Rivera's record.")).to_be_visible()

        patient.reload()
        patient.get_by_text("Change access for Dana Larson").click()
        sure = patient.get_by_role("checkbox", name="Yes, end Dana Larson's access now")
        click_until(patient.get_by_text("Yes, end Dana Larson's access now"), sure.is_checked, 1000)
        revoke = patient.get_by_role("button", name="Revoke access")
        expect(revoke).to_be_enabled()  # the checkbox's rerun has finished
        revoke.click()
        expect(patient.get_by_text("Dana Larson's access has ended.")).to_be_visible()

        delegate.get_by_role("link", name="Home").click()  # the next click
        expect(
            delegate.get_by_text("Your access to Alex Rivera's record has ended.")
        ).to_be_visible()
        expect(delegate.get_by_text("You are viewing Alex Rivera's record.")).to_have_count(0)
        expect(delegate.get_by_role("heading", name="Alex Rivera's home")).to_have_count(0)
