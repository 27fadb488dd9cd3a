"""The accounting of disclosures (45 CFR 164.528): every disclosure in the six years before the
request, except those the rule leaves out (treatment, payment, health care operations, to the
patient, under the patient's own authorization). Each entry gives the date, the recipient, what
was disclosed and why. Releases the patient asked for or authorized are listed after it, apart
and marked as such, so the patient sees those too.

HIM records disclosures made outside the portal (a subpoena answered, a public-health report)
with their legal basis; releases the portal makes record themselves."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.core import access, audit, clock, forms, language
from services.core.access import Actor
from services.core.errors import NotFound, ValidationError
from services.core.language import N_, t
from services.core.models import Patient
from services.core.work import staff_work
from services.him.request_terms import ACCOUNTING, FULFILLED
from services.him.tables import RecordsRequest
from services.records.printouts import Printout, clinic
from services.records.tables import Disclosure

EXCLUDED = {
    "treatment": N_("Treatment"),
    "payment": N_("Payment"),
    "operations": N_("Health care operations"),
    "patient": N_("To the patient, or at the patient's request"),
    "authorization": N_("Under the patient's authorization"),
}
LISTED = {
    "public_health": N_("Public health reporting"),
    "health_oversight": N_("Health oversight (audit, inspection, licensure)"),
    "judicial": N_("Court order or subpoena"),
    "law_enforcement": N_("Law enforcement"),
    "abuse_report": N_("Report of abuse, neglect or domestic violence"),
    "research": N_("Research under a waiver of authorization"),
    "required_by_law": N_("Required by law"),
    "decedent": N_("Coroner, medical examiner or funeral director"),
    "workers_comp": N_("Workers' compensation"),
}
BASES = {**LISTED, **EXCLUDED}
YEARS = 6
MAX_TEXT = 200


@dataclass(frozen=True)
class Entry:
    disclosed_at: datetime
    recipient: str
    description: str
    purpose: str
    basis: str


@dataclass(frozen=True)
class Accounting:
    patient_name: str
    birth_date: date
    mrn: str
    since: date  # the first day covered
    until: datetime  # the request's receipt
    listed: list[Entry]  # what the rule requires
    authorized: list[Entry]  # the patient's own releases, for their information


def compile_accounting(session: Session, patient_id: uuid.UUID, asked_at: datetime) -> Accounting:
    """The accounting as of a request received at `asked_at`."""
    patient = session.get(Patient, patient_id)
    assert patient is not None
    since = clock.add_months(clock.local(asked_at).date(), -12 * YEARS)
    rows = session.scalars(
        select(Disclosure)
        .where(
            Disclosure.patient_id == patient_id,
            Disclosure.disclosed_at >= clock.day_start(since),
            Disclosure.disclosed_at <= asked_at,
        )
        .order_by(Disclosure.disclosed_at)
    ).all()
    entries = [
        Entry(d.disclosed_at, d.recipient, d.description, d.purpose, d.basis or "") for d in rows
    ]
    return Accounting(
        patient_name=f"{patient.first_name} {patient.last_name}",
        birth_date=patient.birth_date,
        mrn=patient.mrn,
        since=since,
        until=asked_at,
        # An unknown basis is listed: listing too much is the safe side of the rule.
        listed=[e for e in entries if e.basis not in EXCLUDED],
        authorized=[e for e in entries if e.basis in ("patient", "authorization")],
    )


def accounting_pdf(found: Accounting) -> bytes:
    pdf = Printout(t("Accounting of disclosures"), found.patient_name, found.birth_date, clinic())
    last = clock.local(found.until).date()
    pdf.para(t("Medical record number {mrn}", mrn=found.mrn))
    pdf.para(
        t(
            "Disclosures of your health information from {first} to {last} (45 CFR 164.528). "
            "The rule leaves out disclosures for treatment, payment and health care operations, "
            "to you, and under your own authorization.",
            first=language.day(found.since),
            last=language.day(last),
        )
    )
    pdf.heading(t("Disclosures"))
    pdf.rows(
        [
            t(
                "{day}: to {recipient}. {description}. Purpose: {purpose} ({basis}).",
                day=language.day(clock.local(e.disclosed_at).date()),
                recipient=e.recipient,
                description=e.description,
                purpose=e.purpose,
                basis=t(BASES[e.basis]) if e.basis in BASES else t("other"),
            )
            for e in found.listed
        ],
        t("There were no disclosures the rule requires us to list."),
    )
    pdf.heading(t("Releases you asked for or authorized (for your information)"))
    pdf.rows(
        [
            t(
                "{day}: to {recipient}. {description}. Purpose: {purpose}.",
                day=language.day(clock.local(e.disclosed_at).date()),
                recipient=e.recipient,
                description=e.description,
                purpose=e.purpose,
            )
            for e in found.authorized
        ],
        t("None."),
    )
    return bytes(pdf.output())


def accounting_for_request(session: Session, row: RecordsRequest) -> Accounting:
    if row.kind != ACCOUNTING or row.status != FULFILLED:
        raise NotFound(t("This accounting is not ready."))
    return compile_accounting(session, row.patient_id, row.received_at)


def disclosure_record(
    *,
    actor: Actor,
    mrn: str,
    disclosed_on: date | None,
    recipient: str,
    description: str,
    purpose: str,
    basis: str,
) -> uuid.UUID:
    """HIM records a disclosure made outside the portal, with its legal basis, for the patient
    with this medical record number."""
    fields: dict[str, str] = {}
    texts = [
        forms.checked_note(fields, name, value, message, MAX_TEXT)
        for name, value, message in (
            ("recipient", recipient, t("Name who received the information.")),
            ("description", description, t("Say what was disclosed.")),
            ("purpose", purpose, t("Say why it was disclosed.")),
        )
    ]
    if basis not in BASES:
        fields["basis"] = t("Choose the legal basis from the list.")
    today = clock.today()
    if disclosed_on is None or not today - timedelta(days=366 * YEARS) <= disclosed_on <= today:
        fields["disclosed_on"] = t("Give the day of the disclosure, within the last six years.")
    forms.raise_if(fields)
    assert disclosed_on is not None
    with staff_work(actor, "disclosure.record", access.HIM) as session:
        patient_id = session.scalar(select(Patient.id).where(Patient.mrn == mrn.strip()))
        if patient_id is None:
            raise ValidationError({"mrn": t("No patient has this medical record number.")})
        row = Disclosure(
            id=uuid.uuid4(),
            patient_id=patient_id,
            disclosed_at=clock.day_start(disclosed_on) + timedelta(hours=12),
            recipient=texts[0],
            description=texts[1],
            purpose=texts[2],
            basis=basis,
        )
        session.add(row)
        audit.record(session, actor, "disclosure.record", patient_id=patient_id)
        return row.id
