"""Financial assistance: a patient (or a proxy with the billing scope) applies with household
size, yearly income and proof; the income as a share of the federal poverty level (a setting:
HHS's guideline for one person and for each added person) meets the policy table (a setting:
"up to this % of the poverty level: this % off") to suggest a discount; billing staff approve it
(or another percentage) or deny it with a reason. An approval takes the discount off what the
patient owes now, as charity-care adjustments; a plan's instalments shrink to match."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.billing import ledger, plans
from services.billing.account import PATIENT_SIDE
from services.billing.tables import Adjustment, AssistanceApplication, AssistanceDocument
from services.core import access, audit, clock, forms, money, notify, uploads
from services.core.access import Actor
from services.core.config import cents_setting, settings, text_setting
from services.core.errors import ConfigurationError, Conflict, NotFound, ValidationError
from services.core.language import N_, t
from services.core.models import Patient
from services.core.work import patient_work, staff_work

FOLDER = "assistance"
SUBMITTED, APPROVED, DENIED = "submitted", "approved", "denied"
MAX_FILES = 5
MAX_HOUSEHOLD = 20
LIST_LIMIT = 200


@dataclass(frozen=True)
class Policy:
    poverty_base_cents: int  # the poverty guideline for a household of one
    poverty_per_person_cents: int  # added for each further person
    brackets: list[tuple[int, int]]  # (up to this % of the poverty level, this % off), rising

    def poverty_line(self, household: int) -> int:
        return self.poverty_base_cents + self.poverty_per_person_cents * (household - 1)

    def percent_of_poverty(self, household: int, income_cents: int) -> int:
        return income_cents * 100 // self.poverty_line(household)

    def discount(self, percent_of_poverty: int) -> int:
        for upto, off in self.brackets:
            if percent_of_poverty <= upto:
                return off
        return 0


def policy() -> Policy:
    """The assistance policy from settings (HHS 2025 guidelines, 48 states, by default)."""
    raw = text_setting("assistance_brackets", "200:100,300:75,400:50")
    try:
        brackets = sorted(
            (int(upto), int(off))
            for upto, off in (part.split(":") for part in raw.split(",") if part.strip())
        )
    except ValueError:
        raise ConfigurationError(
            f"PORTAL_ASSISTANCE_BRACKETS must look like 200:100,300:75 (not {raw!r})"
        ) from None
    if not brackets or any(not 0 <= off <= 100 or upto <= 0 for upto, off in brackets):
        raise ConfigurationError("PORTAL_ASSISTANCE_BRACKETS: discounts are 0-100 percent")
    return Policy(
        cents_setting("poverty_guideline_one", "15650.00"),
        cents_setting("poverty_guideline_each_more", "5500.00"),
        brackets,
    )


@dataclass(frozen=True)
class Application:
    application_id: uuid.UUID
    submitted_at: datetime
    household_size: int
    annual_income_cents: int
    percent_of_poverty: int
    suggested_percent: int
    status: str
    approved_percent: int | None
    decision_note: str | None
    discount_cents: int | None
    documents: list[tuple[uuid.UUID, str]]  # (id, title)


@dataclass(frozen=True)
class QueueItem:
    application: Application
    patient_id: uuid.UUID
    patient_name: str
    mrn: str
    owed_cents: int


def _documents(session: Session, application_id: uuid.UUID) -> list[tuple[uuid.UUID, str]]:
    return [
        (d.id, d.title)
        for d in session.scalars(
            select(AssistanceDocument)
            .where(AssistanceDocument.application_id == application_id)
            .order_by(AssistanceDocument.uploaded_at)
        )
    ]


def _application(session: Session, row: AssistanceApplication) -> Application:
    return Application(
        row.id,
        row.submitted_at,
        row.household_size,
        row.annual_income_cents,
        row.percent_of_poverty,
        row.suggested_percent,
        row.status,
        row.approved_percent,
        row.decision_note,
        row.discount_cents,
        _documents(session, row.id),
    )


def assistance_apply(
    *,
    actor: Actor,
    patient_id: uuid.UUID,
    household_size: int,
    annual_income: str,
    proofs: Sequence[uploads.Upload],
) -> uuid.UUID:
    """Apply for assistance with proof of income (PDF, PNG or JPEG; checked by content)."""
    fields: dict[str, str] = {}
    if not 1 <= household_size <= MAX_HOUSEHOLD:
        fields["household_size"] = t(
            "Count the people in your household: 1 to {most}.", most=MAX_HOUSEHOLD
        )
    income = money.cents_of(annual_income)
    if income is None or income < 0:
        fields["annual_income"] = t("Enter your household's yearly income in dollars, e.g. 32000.")
    if not proofs:
        fields["proofs"] = t("Add proof of income, e.g. a tax return or recent pay stubs.")
    elif problem := uploads.files_problem(proofs, MAX_FILES):
        fields["proofs"] = problem
    forms.raise_if(fields)
    assert income is not None
    rules = policy()
    percent = rules.percent_of_poverty(household_size, income)
    with (
        uploads.storing_all(uploads.folder(FOLDER), proofs) as stored,
        patient_work(actor, patient_id, "billing.assistance.apply", access.BILLING_SCOPE) as (
            session,
            found,
        ),
    ):
        access.require_patient_side(found, PATIENT_SIDE)
        pending = session.scalar(
            select(AssistanceApplication.id).where(
                AssistanceApplication.patient_id == patient_id,
                AssistanceApplication.status == SUBMITTED,
            )
        )
        if pending is not None:
            raise Conflict(t("Your application is already with the billing office."))
        now = clock.now()
        row = AssistanceApplication(
            id=uuid.uuid4(),
            patient_id=patient_id,
            submitted_by=actor.user_id,
            submitted_at=now,
            household_size=household_size,
            annual_income_cents=income,
            percent_of_poverty=percent,
            suggested_percent=rules.discount(percent),
            status=SUBMITTED,
        )
        session.add(row)
        session.flush()
        for proof, kept in stored:
            document = AssistanceDocument(application_id=row.id)
            document.keep(kept, proof.filename or "proof of income", now)
            session.add(document)
        return row.id


def my_assistance(*, actor: Actor, patient_id: uuid.UUID) -> Application | None:
    """The patient's latest application and its decision."""
    with patient_work(actor, patient_id, "billing.assistance.view", access.BILLING_SCOPE) as (
        session,
        found,
    ):
        access.require_patient_side(found, PATIENT_SIDE)
        row = session.scalar(
            select(AssistanceApplication)
            .where(AssistanceApplication.patient_id == patient_id)
            .order_by(AssistanceApplication.submitted_at.desc())
            .limit(1)
        )
        return _application(session, row) if row is not None else None


# --- billing staff -------------------------------------------------------------------------


def assistance_queue(*, actor: Actor) -> list[QueueItem]:
    """Applications to decide, oldest first, with what each patient owes now."""
    with staff_work(actor, "billing.assistance.queue", access.BILLING) as session:
        rows = session.execute(
            select(AssistanceApplication, Patient)
            .join(Patient, Patient.id == AssistanceApplication.patient_id)
            .where(AssistanceApplication.status == SUBMITTED)
            .order_by(AssistanceApplication.submitted_at)
            .limit(LIST_LIMIT)
        ).all()
        return [
            QueueItem(
                _application(session, row),
                patient.id,
                f"{patient.first_name} {patient.last_name}",
                patient.mrn,
                ledger.balance(session, patient.id, limited=False)[0],
            )
            for row, patient in rows
        ]


def assistance_document(*, actor: Actor, document_id: uuid.UUID) -> tuple[str, str, bytes]:
    """(file name, content type, bytes) of a proof, for billing staff deciding."""
    with staff_work(actor, "billing.assistance.document", access.BILLING) as session:
        doc = session.get(AssistanceDocument, document_id)
        if doc is None:
            raise NotFound(t("We could not find that document."))
        application = session.get(AssistanceApplication, doc.application_id)
        assert application is not None
        audit.record(
            session, actor, "billing.assistance.document.view", patient_id=application.patient_id
        )
        data = uploads.read_checked(uploads.folder(FOLDER), doc.storage_name, doc.sha256)
        if data is None:
            raise NotFound(t("That document could not be read; ask the patient to send it again."))
        return doc.title, doc.content_type, data


def assistance_decide(
    *,
    actor: Actor,
    application_id: uuid.UUID,
    approve: bool,
    percent: int | None = None,
    note: str = "",
) -> int:
    """Approve (the suggested discount, or `percent`) or deny (with a reason). An approval
    takes the discount off each statement owing now, as charity care; returns the cents."""
    fields: dict[str, str] = {}
    text = forms.checked_note(fields, "note", note, "" if approve else t("Say why it is denied."))
    if approve and percent is not None and not 1 <= percent <= 100:
        fields["percent"] = t("A discount is 1 to 100 percent.")
    forms.raise_if(fields)
    with staff_work(actor, "billing.assistance.decide", access.BILLING) as session:
        row = session.get(AssistanceApplication, application_id)
        if row is None:
            raise NotFound(t("We could not find that application."))
        if row.status != SUBMITTED:
            raise Conflict(t("This application was already decided."))
        off = (percent if percent is not None else row.suggested_percent) if approve else 0
        if approve and off <= 0:
            raise ValidationError({"percent": t("The policy gives no discount; set one or deny.")})
        discount = _discount(session, actor, row.patient_id, off) if approve else 0
        row.status = APPROVED if approve else DENIED
        row.approved_percent = off if approve else None
        row.decided_by, row.decided_at = actor.user_id, clock.now()
        row.decision_note, row.discount_cents = text or None, discount
        audit.record(
            session,
            actor,
            "billing.assistance.decided",
            patient_id=row.patient_id,
            detail=f"{row.status} {off}% ({money.dollars(discount)})",
        )
        notify.to_patient(
            session,
            row.patient_id,
            "bills",
            N_("{clinic}: your financial assistance application"),
            N_(
                "The billing office has decided your application for financial assistance. "
                "Sign in to the portal to see the decision."
            ),
            clinic=settings().clinic_name,
        )
        return discount


def _discount(session: Session, actor: Actor, patient_id: uuid.UUID, percent: int) -> int:
    """Charity-care adjustments of `percent` (whole cents, rounded down) on what is owed."""
    total = 0
    now = clock.now()
    for statement_id, owes in ledger.owed_statements(session, patient_id, True):
        cents = owes * percent // 100
        if cents <= 0:
            continue
        session.add(
            Adjustment(
                id=uuid.uuid4(),
                patient_id=patient_id,
                statement_id=statement_id,
                amount_cents=cents,
                reason="charity_care",
                note=f"Financial assistance: {percent}% off",
                posted_by=actor.user_id,
                posted_at=now,
            )
        )
        if cents == owes:
            ledger.close(session, statement_id)
        total += cents
    session.flush()
    plans.reschedule_open(session, patient_id)
    return total
