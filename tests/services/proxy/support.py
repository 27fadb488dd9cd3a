"""Helpers of the proxy tests: a caregiver registered through the services, emails, PDFs."""

from __future__ import annotations

import io
import re

from fpdf import FPDF

from services.core import notify
from services.core.access import Actor
from services.identity import registration
from services.proxy.requests import UploadedFile
from tests.support import world

PASSWORD = "Harbor-violet-kettle-91"


def inbox(to: str) -> list[notify.InboxItem]:
    return [
        m for m in notify.demo_inbox(actor=world.actor_of("admin.demo"), limit=500) if m.to == to
    ]


def details(username: str, email: str, **changes: object) -> registration.CaregiverDetails:
    values: dict[str, object] = {
        "first_name": "Jamie",
        "last_name": "Okoro",
        "birth_date": "1980-05-17",
        "email": email,
        "phone": None,
        "username": username,
        "password": PASSWORD,
        "accept_terms": True,
    }
    values.update(changes)
    return registration.CaregiverDetails(**values)  # type: ignore[arg-type]


def verify(username: str, email: str) -> Actor:
    """Enter the emailed code and sign the new account in."""
    body = next(m.body for m in inbox(email) if "verification code" in m.subject)
    code = re.search(r"\b(\d{6})\b", body).group(1)  # type: ignore[union-attr]
    registration.registration_verify(username=username, code=code)
    return world.sign_in_with(username, PASSWORD)


def caregiver(username: str = "jamie.okoro") -> Actor:
    email = f"{username}@example.org"
    registration.caregiver_registration_create(details(username, email))
    return verify(username, email)


def pdf(text: str = "Letters of guardianship") -> bytes:
    doc = FPDF()
    doc.add_page()
    doc.set_font("helvetica", size=14)
    doc.cell(text=text)
    out = io.BytesIO()
    doc.output(out)
    return out.getvalue()


def legal_pdf(name: str = "guardianship.pdf") -> UploadedFile:
    return UploadedFile(name, pdf(), "Custody or guardianship order")
