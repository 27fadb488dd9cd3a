"""The clinicians' refill queue: requests oldest first, each with the medicine, its last fill,
the patient's last visit and the results that bear on it (the last HbA1c for metformin, the
potassium and creatinine for lisinopril...); approve (quantity, refills; sent to the pharmacy
at once or marked sent later), deny with a reason, or ask for a visit. The decision is one
conditional update, so two clinicians deciding at once make one decision; the patient is told
that there is news, never what it is."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from services.care import refills
from services.care.tables import RefillRequest
from services.core import access, audit, clock, forms, notify
from services.core.access import Actor
from services.core.config import settings
from services.core.errors import Conflict, NotFound
from services.core.language import N_, t
from services.core.models import Patient
from services.core.work import staff_work
from services.records.tables import Encounter, LabComponent, LabResult, Medication

# Results that bear on a medicine, by its RxNorm code: LOINC codes of the components to show.
HBA1C, CREATININE, POTASSIUM, LDL, CHOLESTEROL = "4548-4", "2160-0", "2823-3", "13457-7", "2093-3"
RELEVANT_LABS = {
    "861007": (HBA1C, CREATININE),  # metformin
    "274783": (HBA1C,),  # insulin glargine
    "242120": (HBA1C,),  # insulin lispro
    "314076": (POTASSIUM, CREATININE),  # lisinopril
    "197417": (POTASSIUM, CREATININE),  # furosemide
    "617312": (LDL, CHOLESTEROL),  # atorvastatin
}
MAX_QUANTITY, MAX_REFILLS = 360, 11
DECISIONS = ("approve", "deny", "visit")


@dataclass(frozen=True)
class LabValue:
    name: str
    value: str
    flag: str | None
    collected_at: datetime


@dataclass(frozen=True)
class QueueItem:
    request_id: uuid.UUID
    patient_id: uuid.UUID
    patient_name: str
    mrn: str
    medicine: str  # name, dose, how taken
    refills_remaining: int
    pharmacy: str
    note: str | None
    requested_at: datetime
    last_fill: date | datetime | None  # the last sent refill, else the prescription's start
    last_visit: datetime | None
    labs: list[LabValue]


def _last_labs(session: Session, patient_id: uuid.UUID, codes: tuple[str, ...]) -> list[LabValue]:
    """The latest value of each component."""
    found: list[LabValue] = []
    for code in codes:
        row = session.execute(
            select(LabComponent, LabResult.collected_at)
            .join(LabResult, LabResult.id == LabComponent.result_id)
            .where(LabResult.patient_id == patient_id, LabComponent.loinc == code)
            .order_by(LabResult.collected_at.desc())
            .limit(1)
        ).first()
        if row is not None:
            c, at = row
            shown = f"{c.value:g} {c.unit or ''}".strip() if c.value is not None else c.value_text
            found.append(LabValue(c.name, shown or "", c.flag, at))
    return found


def _queue(session: Session, status: str, context: bool) -> list[QueueItem]:
    """Requests in one status, oldest first; with `context`, the last fill, the last visit and
    the results that bear on each medicine."""
    rows = session.execute(
        select(RefillRequest, Medication, Patient)
        .join(Medication, Medication.id == RefillRequest.medication_id)
        .join(Patient, Patient.id == RefillRequest.patient_id)
        .where(RefillRequest.status == status)
        .order_by(RefillRequest.requested_at, RefillRequest.id)
    ).all()
    items = []
    for r, m, p in rows:
        filled = visit = None
        labs: list[LabValue] = []
        if context:
            filled = session.scalar(
                select(func.max(RefillRequest.sent_at)).where(
                    RefillRequest.medication_id == m.id, RefillRequest.status == refills.SENT
                )
            )
            visit = session.scalar(
                select(func.max(Encounter.start_at)).where(
                    Encounter.patient_id == p.id,
                    Encounter.kind != "lab",
                    Encounter.start_at <= clock.now(),
                )
            )
            labs = _last_labs(session, p.id, RELEVANT_LABS.get(m.rxnorm or "", ()))
        items.append(
            QueueItem(
                r.id,
                p.id,
                f"{p.first_name} {p.last_name}",
                p.mrn,
                f"{m.name} {m.dose}, {m.frequency}",
                m.refills_remaining,
                r.pharmacy,
                r.note,
                r.requested_at,
                (filled or m.start_date) if context else None,
                visit,
                labs,
            )
        )
    return items


def refill_queue(*, actor: Actor) -> list[QueueItem]:
    """Requests waiting for a decision, oldest first, with what bears on each."""
    with staff_work(actor, "refills.queue", access.CLINICIAN) as session:
        return _queue(session, refills.REQUESTED, context=True)


def refill_decide(
    *,
    actor: Actor,
    request_id: uuid.UUID,
    decision: str,
    quantity: int | None = None,
    refills_allowed: int | None = None,
    sent_now: bool = True,
    reason: str = "",
) -> str:
    """Approve (quantity and refills; sent to the pharmacy now, or marked sent later), deny
    with a reason, or ask for a visit (with what to book). Returns the new status."""
    fields: dict[str, str] = {}
    if decision not in DECISIONS:
        fields["decision"] = t("Choose approve, deny or ask for a visit.")
    note = forms.checked_note(
        fields, "reason", reason, t("Say why it is denied.") if decision == "deny" else ""
    )
    if decision == "approve":
        if quantity is None or not 1 <= quantity <= MAX_QUANTITY:
            fields["quantity"] = t("The quantity is 1 to {limit}.", limit=MAX_QUANTITY)
        if refills_allowed is None or not 0 <= refills_allowed <= MAX_REFILLS:
            fields["refills"] = t("Refills are 0 to {limit}.", limit=MAX_REFILLS)
    forms.raise_if(fields)
    status = {
        "approve": refills.SENT if sent_now else refills.APPROVED,
        "deny": refills.DENIED,
        "visit": refills.VISIT_NEEDED,
    }[decision]
    now = clock.now()
    with staff_work(actor, "refills.decide", access.CLINICIAN) as session:
        row = session.get(RefillRequest, request_id)
        if row is None:
            raise NotFound(t("We could not find that refill request."))
        done = session.execute(
            update(RefillRequest)
            .where(RefillRequest.id == request_id, RefillRequest.status == refills.REQUESTED)
            .values(
                status=status,
                decided_by=actor.user_id,
                decided_at=now,
                decision_note=note or None,
                quantity=quantity if decision == "approve" else None,
                refills=refills_allowed if decision == "approve" else None,
                sent_at=now if status == refills.SENT else None,
            )
        )
        if done.rowcount != 1:  # type: ignore[attr-defined]
            raise Conflict(t("This request was already decided."))
        if decision == "approve":
            session.execute(
                update(Medication)
                .where(Medication.id == row.medication_id)
                .values(refills_remaining=refills_allowed)
            )
        audit.record(session, actor, f"refills.{decision}", patient_id=row.patient_id)
        _tell(session, row.patient_id)
        return status


def refill_mark_sent(*, actor: Actor, request_id: uuid.UUID) -> None:
    """An approved prescription has gone to the pharmacy (sent from the clinic's EHR)."""
    with staff_work(actor, "refills.sent", access.CLINICIAN) as session:
        row = session.get(RefillRequest, request_id)
        if row is None:
            raise NotFound(t("We could not find that refill request."))
        done = session.execute(
            update(RefillRequest)
            .where(RefillRequest.id == request_id, RefillRequest.status == refills.APPROVED)
            .values(status=refills.SENT, sent_at=clock.now())
        )
        if done.rowcount != 1:  # type: ignore[attr-defined]
            raise Conflict(t("Only an approved request can be marked sent."))
        audit.record(session, actor, "refills.sent", patient_id=row.patient_id)
        _tell(session, row.patient_id)


def approved_waiting(*, actor: Actor) -> list[QueueItem]:
    """Approved requests not yet marked sent to the pharmacy, oldest first."""
    with staff_work(actor, "refills.approved", access.CLINICIAN) as session:
        return _queue(session, refills.APPROVED, context=False)


def _tell(session: Session, patient_id: uuid.UUID) -> None:
    notify.to_patient(
        session,
        patient_id,
        "messages",  # by the channels the patient chose for messages from the clinic
        N_("{clinic}: news about your refill request"),
        N_(
            "There is news about your prescription refill request. Sign in to the "
            "patient portal to see it."
        ),
        clinic=settings().clinic_name,
    )
