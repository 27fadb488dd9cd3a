"""Where a patient's message goes: the categories and recipients a patient chooses, the routing
rules that put a new thread into a staff pool, who works each pool, and the response-time goal.

Pools: each care team's nurse pool (`care:<team id>`, worked by clinicians), the billing office
(`billing`, billing staff) and the records office (`records`, HIM staff). The rules: a clinical
question (medical, refill) always reaches the patient's care team, whoever it was written to; a
billing or records question goes to that office; an appointment or other question goes to the
office the patient wrote to."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from services.core import access
from services.core.config import number_setting
from services.core.language import N_, t

CARE, BILLING_OFFICE, RECORDS_OFFICE = "care", "billing", "records"
# Shown with `t()`: the catalogs hold the words.
RECIPIENTS = {
    CARE: N_("My care team"),
    BILLING_OFFICE: N_("The billing office"),
    RECORDS_OFFICE: N_("The records office"),
}
CATEGORIES = {
    "medical": N_("A non-urgent medical question"),
    "appointment": N_("An appointment"),
    "refill": N_("A prescription refill"),
    "billing": N_("A bill or payment"),
    "records": N_("Medical records"),
    "other": N_("Something else"),
}
OFFICE_NAMES = {BILLING_OFFICE: N_("Billing office"), RECORDS_OFFICE: N_("Records office")}
CLINICAL = frozenset({"medical", "refill"})  # always to the care team
OFFICE_OF = {"billing": BILLING_OFFICE, "records": RECORDS_OFFICE}
# Who works each kind of pool.
WORKERS = {CARE: access.CLINICIAN, BILLING_OFFICE: access.BILLING, RECORDS_OFFICE: access.HIM}
INBOX_ROLES = tuple(WORKERS.values())  # the staff who work the pools


@dataclass(frozen=True)
class Pool:
    code: str
    name: str


def office_for(recipient: str, category: str) -> str:
    """The office a new thread goes to, by the routing rules."""
    if category in CLINICAL:
        return CARE
    return OFFICE_OF.get(category, recipient)


def pool_code(office: str, care_team_id: uuid.UUID) -> str:
    return f"{CARE}:{care_team_id}" if office == CARE else office


def office_of_pool(code: str) -> str:
    return code.split(":", 1)[0]


def care_team_of_pool(code: str) -> uuid.UUID | None:
    office, _, team = code.partition(":")
    return uuid.UUID(team) if office == CARE and team else None


def pool_name(code: str, team_names: dict[uuid.UUID, str]) -> str:
    """A pool's name for staff ("North team nurses", "Billing office")."""
    team = care_team_of_pool(code)
    if team is not None:
        return t("{team} nurses", team=team_names.get(team) or t("Care team"))
    office = office_of_pool(code)
    return t(OFFICE_NAMES[office]) if office in OFFICE_NAMES else code


def patient_label(code: str | None) -> str:
    """Whom the patient is writing with, as they see it (never a staff pool's inner name)."""
    office = office_of_pool(code or CARE)
    return t(OFFICE_NAMES.get(office, "")) or t("Your care team")


def goal_business_days() -> int:
    """The response-time goal: an answer within this many business days (a setting)."""
    return int(number_setting("message_goal_business_days", 3))
