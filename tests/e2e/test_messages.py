"""Messaging and refills in Chromium: patient.demo writes to the care team with an attachment,
clinician.demo answers from the team's pool, the patient reads the answer and it is marked
read; patient.demo asks for a refill, clinician.demo approves it and the patient sees it sent
to the pharmacy."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import choose, new_tab, open_tab, serve, sign_in

pytestmark = pytest.mark.e2e
SUBJECT = "Swollen ankle"
QUESTION = "My left ankle has been swollen since Sunday."
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


def _go(page: Page, link: str) -> None:
    page.get_by_role("link", name=link, exact=True).click()
    expect(page.get_by_role("heading", name=link)).to_be_visible()


def test_a_message_with_an_attachment_is_answered_and_read(
    browser: Browser, e2e_template: Path, tmp_path: Path
) -> None:
    photo = tmp_path / "ankle.pdf"
    photo.write_bytes(PDF)
    with serve(e2e_template, tmp_path) as base:
        patient = new_tab(browser)
        sign_in(patient, base, "patient.demo")
        _go(patient, "Messages")
        open_tab(patient, "Write a message")
        expect(patient.get_by_text(re.compile("Messages are not for emergencies"))).to_be_visible()
        form = patient.get_by_test_id("stForm")
        form.get_by_label("Subject").fill(SUBJECT)
        form.get_by_label("Message").fill(QUESTION)
        form.locator("input[type=file]").set_input_files(str(photo))
        expect(form.get_by_text("ankle.pdf")).to_be_visible()
        form.get_by_role("button", name="Send message").click()
        expect(patient.get_by_text("Your message was sent.", exact=False)).to_be_visible()

        clinician = new_tab(browser)
        sign_in(clinician, base, "clinician.demo")
        _go(clinician, "Inbox")
        choose(clinician, "Open a conversation", re.compile(SUBJECT))
        expect(
            clinician.get_by_text("My left ankle has been swollen since Sunday.")
        ).to_be_visible()
        expect(clinician.get_by_role("button", name="Download ankle.pdf")).to_be_visible()
        clinician.get_by_label("Reply to the patient").fill("Keep it raised; we will call you.")
        clinician.get_by_role("button", name="Send reply").click()
        expect(clinician.get_by_text(re.compile("Your reply was sent"))).to_be_visible()

        patient.reload()
        open_tab(patient, "Conversations")
        choose(patient, "Open a conversation", re.compile(f"^● {SUBJECT}"))  # unread
        expect(patient.get_by_text("Keep it raised; we will call you.")).to_be_visible()
        expect(patient.get_by_text(re.compile("Jordan Patel, MD, Care team"))).to_be_visible()
        patient.reload()
        open_tab(patient, "Conversations")
        patient.get_by_label("Open a conversation").click()
        expect(patient.get_by_role("option", name=re.compile(f"^{SUBJECT}"))).to_be_visible()
        expect(patient.get_by_role("option", name=re.compile(f"● {SUBJECT}"))).to_have_count(0)


def test_a_refill_is_approved_and_the_patient_sees_it_sent(
    browser: Browser, e2e_template: Path, tmp_path: Path
) -> None:
    with serve(e2e_template, tmp_path) as base:
        patient = new_tab(browser)
        sign_in(patient, base, "patient.demo")
        _go(patient, "Refills")
        expect(
            patient.get_by_text(re.compile("Zolpidem is a controlled substance"))
        ).to_be_visible()
        choose(patient, "Medicine", re.compile("^Cetirizine"))
        patient.get_by_label("Note for your care team (optional)").fill("Allergy season")
        patient.get_by_role("button", name="Request the refill").click()
        expect(
            patient.get_by_text("Your refill request was sent to your care team.")
        ).to_be_visible()

        clinician = new_tab(browser)
        sign_in(clinician, base, "clinician.demo")
        _go(clinician, "Refill requests")
        card = clinician.locator("[class*='st-key-refill_card_']").filter(has_text="Cetirizine")
        expect(card).to_contain_text("Patient's note: Allergy season")
        card.get_by_role("button", name="Record the decision").click()
        expect(clinician.get_by_text(re.compile("Cetirizine .* sent"))).to_be_visible()

        patient.reload()
        row = patient.get_by_role("row").filter(has_text="Cetirizine")
        expect(row.first).to_contain_text("Sent to the pharmacy")
