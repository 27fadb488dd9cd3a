"""Prescription refills, the patient's side (or a proxy's with the refills scope): which of the
medicines may be refilled online and why not the others (not active, a controlled substance,
no refills left, already asked), the pharmacy directory, the request, and each request's
status: requested, approved, sent to the pharmacy, denied (with the reason) or a visit needed."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.care import booking
from services.care.tables import Pharmacy, RefillRequest
from services.core import access, clock, forms
from services.core.access import Actor
from services.core.config import settings
from services.core.errors import Conflict, NotFound, ValidationError
from services.core.language import N_, t
from services.core.work import patient_work
from services.records.tables import Medication

REQUESTED, APPROVED, SENT, DENIED, VISIT_NEEDED = (
    "requested",
    "approved",
    "sent",
    "denied",
    "visit_needed",
)
OPEN = (REQUESTED, APPROVED)
STATUS_NAMES = {
    REQUESTED: N_("Requested"),
    APPROVED: N_("Approved"),
    SENT: N_("Sent to the pharmacy"),
    DENIED: N_("Denied"),
    VISIT_NEEDED: N_("Needs a visit"),
}
PATIENT_SIDE = N_("Refills are requested here by the patient or their proxy.")


@dataclass(frozen=True)
class RefillMedicine:
    medication_id: uuid.UUID
    name: str
    dose: str
    frequency: str
    refills_remaining: int
    refusal: str | None  # why it cannot be requested online, or None when it can


@dataclass(frozen=True)
class PharmacyEntry:
    pharmacy_id: uuid.UUID
    name: str
    address: str
    phone: str


@dataclass(frozen=True)
class RefillStatus:
    request_id: uuid.UUID
    medicine: str
    pharmacy: str
    status: str
    status_name: str
    requested_at: datetime
    decided_at: datetime | None
    note: str | None  # the clinician's reason or instructions
    quantity: int | None
    refills: int | None


def refusal(medication: Medication, open_request: bool, today: date) -> str | None:
    """Why this medicine cannot be refilled online now, or None."""
    name = medication.name
    if medication.status != "active" or (medication.end_date and medication.end_date <= today):
        return t(
            "{name} is no longer an active medicine. Send your care team a message if you need it.",
            name=name,
        )
    if medication.controlled:
        return t(
            "{name} is a controlled substance and cannot be refilled online. Please "
            "call {clinic_name} at {clinic_phone}.",
            name=name,
            clinic_name=settings().clinic_name,
            clinic_phone=booking.clinic_phone(),
        )
    if medication.refills_remaining <= 0:
        return t(
            "No refills are left on {name}. Send your care team a message or book a "
            "visit to renew it.",
            name=name,
        )
    if open_request:
        return t("A refill of {name} is already requested.", name=name)
    return None


def _open_requests(session: Session, patient_id: uuid.UUID) -> set[uuid.UUID]:
    return set(
        session.scalars(
            select(RefillRequest.medication_id).where(
                RefillRequest.patient_id == patient_id, RefillRequest.status.in_(OPEN)
            )
        )
    )


def refill_choices(
    *, actor: Actor, patient_id: uuid.UUID
) -> tuple[list[RefillMedicine], list[PharmacyEntry], uuid.UUID | None]:
    """The medicines (each with why it cannot be asked for, if so), the pharmacy directory and
    the pharmacy last used."""
    with patient_work(actor, patient_id, "refills.choices", access.REFILLS) as (session, found):
        access.require_patient_side(found, PATIENT_SIDE)
        meds = session.scalars(
            select(Medication)
            .where(Medication.patient_id == patient_id)
            .order_by(Medication.status, Medication.name)
        ).all()
        asked = _open_requests(session, patient_id)
        today = clock.today()
        pharmacies = [
            PharmacyEntry(p.id, p.name, p.address, p.phone)
            for p in session.scalars(select(Pharmacy).order_by(Pharmacy.name))
        ]
        last = session.scalar(
            select(RefillRequest.pharmacy_id)
            .where(RefillRequest.patient_id == patient_id, RefillRequest.pharmacy_id.is_not(None))
            .order_by(RefillRequest.requested_at.desc())
            .limit(1)
        )
        return (
            [
                RefillMedicine(
                    m.id,
                    m.name,
                    m.dose,
                    m.frequency,
                    m.refills_remaining,
                    refusal(m, m.id in asked, today),
                )
                for m in meds
            ],
            pharmacies,
            last,
        )


def refill_request(
    *,
    actor: Actor,
    patient_id: uuid.UUID,
    medication_id: uuid.UUID,
    pharmacy_id: uuid.UUID,
    note: str = "",
) -> uuid.UUID:
    """Ask for a refill of one medicine at a pharmacy of the directory."""
    fields: dict[str, str] = {}
    text = forms.checked_note(fields, "note", note, limit=500)
    forms.raise_if(fields)
    with patient_work(actor, patient_id, "refills.request", access.REFILLS) as (session, found):
        access.require_patient_side(found, PATIENT_SIDE)
        medication = session.get(Medication, medication_id)
        if medication is None or medication.patient_id != patient_id:
            raise NotFound(t("We could not find that medicine."))
        pharmacy = session.get(Pharmacy, pharmacy_id)
        if pharmacy is None:
            raise ValidationError({"pharmacy": t("Choose a pharmacy from the list.")})
        why = refusal(
            medication, medication.id in _open_requests(session, patient_id), clock.today()
        )
        if why:
            raise Conflict(why)
        request = RefillRequest(
            id=uuid.uuid4(),
            patient_id=patient_id,
            medication_id=medication.id,
            requested_by=actor.user_id,
            pharmacy=pharmacy.name,
            pharmacy_id=pharmacy.id,
            status=REQUESTED,
            requested_at=clock.now(),
            note=text or None,
        )
        session.add(request)
        return request.id


def my_refills(*, actor: Actor, patient_id: uuid.UUID) -> list[RefillStatus]:
    """The patient's refill requests, newest first."""
    with patient_work(actor, patient_id, "refills.list", access.REFILLS) as (session, found):
        access.require_patient_side(found, PATIENT_SIDE)
        rows = session.execute(
            select(RefillRequest, Medication.name, Medication.dose)
            .join(Medication, Medication.id == RefillRequest.medication_id)
            .where(RefillRequest.patient_id == patient_id)
            .order_by(RefillRequest.requested_at.desc(), RefillRequest.id)
        ).all()
        return [
            RefillStatus(
                r.id,
                f"{name} {dose}",
                r.pharmacy,
                r.status,
                t(STATUS_NAMES.get(r.status, r.status)),
                r.requested_at,
                r.decided_at,
                r.decision_note,
                r.quantity,
                r.refills,
            )
            for r, name, dose in rows
        ]
