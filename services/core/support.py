"""Whom people call for help, and when: the help desk, the clinic, the billing and the records
offices. Each number and the help desk's hours are settings (PORTAL_<NAME> or secrets.toml)."""

from __future__ import annotations

from dataclasses import dataclass

from services.core.config import text_setting


@dataclass(frozen=True)
class Contacts:
    help_desk_phone: str
    help_desk_hours: str  # as the clinic writes them, e.g. "Mon–Fri 8:00–18:00"
    clinic_phone: str
    billing_phone: str
    records_phone: str


def contacts() -> Contacts:
    """The numbers shown on the Help page (no one's data: nothing to audit)."""
    return Contacts(
        help_desk_phone=text_setting("help_desk_phone", "(555) 010-0199"),
        help_desk_hours=text_setting("help_desk_hours", "Mon–Fri 8:00–18:00"),
        clinic_phone=text_setting("clinic_phone", "(555) 010-0100"),
        billing_phone=text_setting("billing_phone", "(555) 010-0150"),
        records_phone=text_setting("records_phone", "(555) 010-0160"),
    )
