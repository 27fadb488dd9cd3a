"""Register with an activation code, read the code in the demo inbox, verify, sign in."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pyotp
import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import select

from services.core import db
from services.core.models import Patient, User
from services.identity import registration
from tests.e2e.conftest import sign_in
from tests.support import world
from tests.support.served import streamlit_server

pytestmark = pytest.mark.e2e
PASSWORD = "violet tractor umbrella sunrise"


def _prepare(path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Patient, str]:
    """Before the server opens the file: pick an unregistered adult and issue a code as HIM."""
    monkeypatch.setenv("PORTAL_DATABASE_URL", f"duckdb:///{path}")
    db.reset()
    try:
        with db.read_only() as s:
            patient = s.scalars(
                select(Patient)
                .where(
                    ~select(User.id).where(User.patient_id == Patient.id).exists(),
                    Patient.middle_name.is_(None),
                )
                .order_by(Patient.mrn)
            ).first()
        assert patient is not None
        code = registration.activation_code_issue(
            actor=world.actor_of("him.demo"), patient_id=patient.id
        )
    finally:
        db.reset()
    return patient, code


def test_register_verify_from_the_demo_inbox_and_sign_in(
    browser: Browser, e2e_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "portal.duckdb"
    path.write_bytes(e2e_template.read_bytes())
    patient, code = _prepare(path, monkeypatch)
    os.environ.pop("PORTAL_DATABASE_URL", None)
    with streamlit_server(f"duckdb:///{path}", tmp_path) as base:
        page = browser.new_page()
        page.set_default_timeout(30_000)
        page.goto(base)
        page.get_by_role("link", name="New here? Create your patient account").click()
        expect(page.get_by_role("heading", name="Create your patient account")).to_be_visible()
        page.get_by_label("First name").fill(patient.first_name)
        page.get_by_label("Last name").fill(patient.last_name)
        born = patient.birth_date
        for part, value in (
            ("year", f"{born.year:04d}"),
            ("month", f"{born.month:02d}"),
            ("day", f"{born.day:02d}"),
        ):
            page.get_by_role("spinbutton", name=f"{part}, Date of birth").click()
            page.keyboard.type(value)
        page.get_by_role("textbox", name="Activation code", exact=True).fill(code)
        page.get_by_role("button", name="Continue").click()
        expect(page.get_by_text("We found your record")).to_be_visible()
        page.get_by_label("Email").fill("journey@example.org")
        page.get_by_label("Username").fill("journey.patient")
        password = page.get_by_role("textbox", name="Password", exact=True)
        password.fill(PASSWORD)
        password.press("Enter")  # commits the field: the strength hint appears
        expect(page.get_by_text(re.compile("Strength: "))).to_be_visible(timeout=15_000)
        page.get_by_text("I accept the portal's terms of use").click()
        page.get_by_role("button", name="Create account").click()
        expect(page.get_by_role("heading", name="Verify your email")).to_be_visible()

        admin = browser.new_page()
        admin.set_default_timeout(30_000)
        sign_in(admin, base, "admin.demo")
        admin.get_by_role("link", name="Demo inbox").click()
        expect(admin.get_by_text("your verification code").first).to_be_visible()
        body = admin.get_by_text("Your verification code is").first.inner_text()
        verification = re.search(r"\b(\d{6})\b", body).group(1)  # type: ignore[union-attr]
        admin.close()

        page.get_by_label("Verification code").fill(verification)
        page.get_by_role("button", name="Verify").click()
        expect(page.get_by_text("account is active")).to_be_visible()
        sign_in(page, base, "journey.patient", PASSWORD)
        expect(page.get_by_role("heading", name=f"Welcome, {patient.first_name}")).to_be_visible()

        # Switch on an authenticator app from the account page (password first).
        page.get_by_role("link", name="Your account").click()
        setup = page.get_by_test_id("stForm").filter(
            has=page.get_by_role("button", name="Set up an authenticator app")
        )
        setup.get_by_label("Current password (to confirm)").fill(PASSWORD)  # waits for the form
        setup.get_by_role("button", name="Set up an authenticator app").click()
        key_field = page.get_by_label("Key for manual entry")
        expect(key_field).to_have_value(re.compile(r"^[A-Z2-7]{32}$"))
        key = key_field.input_value()
        totp = pyotp.TOTP(key)
        page.get_by_label("Code from your authenticator app").fill(totp.at(time.time()))
        page.get_by_role("button", name="Switch on").click()
        expect(page.get_by_text("Save these recovery codes")).to_be_visible()
        page.get_by_role("button", name="I have saved my recovery codes").click()
        page.get_by_role("button", name="Sign out", exact=True).click()

        # Signing in now takes the password and then a fresh code (the used one is refused).
        page.get_by_label("Username").fill("journey.patient")
        page.get_by_role("textbox", name="Password", exact=True).fill(PASSWORD)
        page.get_by_role("button", name="Sign in", exact=True).click()
        code_field = page.get_by_role(
            "textbox", name="Code from your authenticator app, or a recovery code"
        )
        code_field.fill(totp.at(time.time() + 30))
        page.get_by_role("button", name="Verify").click()
        expect(page.get_by_role("heading", name=f"Welcome, {patient.first_name}")).to_be_visible()
        page.close()
