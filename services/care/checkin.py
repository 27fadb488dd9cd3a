"""E-check-in, from 7 days before a visit (a setting) until it starts: the patient (or a proxy
with the appointments scope) confirms contact details and insurance, reports changes to
medicines and allergies (kept for the care team to review, never written into the record by the
patient), and fills the questionnaires the visit type asks for, scored by their published rules.
A PHQ-9 answer of thoughts of self-harm is flagged to the visit's clinician at once (an email
that says only that a check-in needs attention today), and the patient is shown crisis
resources."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.billing.tables import InsuranceCoverage
from services.care import booking, questionnaires, visit_types
from services.care.tables import Appointment, CheckIn, QuestionnaireResponse
from services.core import access, audit, clock, forms, language, notify
from services.core.access import Actor
from services.core.config import settings
from services.core.errors import Conflict, NotFound, ValidationError
from services.core.language import number, t
from services.core.models import Patient, Provider, User
from services.core.work import patient_work
from services.records.tables import Allergy, Medication


@dataclass(frozen=True)
class Form:
    """What the check-in asks the patient to confirm and fill."""

    appointment_id: uuid.UUID
    contact: list[str]  # email, phone, address as on file
    insurance: str | None  # the newest card on file
    medications: list[str]
    allergies: list[str]
    questionnaires: list[questionnaires.Instrument]


@dataclass(frozen=True)
class Done:
    scores: list[questionnaires.Scored]
    crisis: str | None  # shown at once when PHQ-9 item 9 was answered above 0


def _visit(session: Session, patient_id: uuid.UUID, appointment_id: uuid.UUID) -> Appointment:
    visit = session.get(Appointment, appointment_id)
    if visit is None or visit.patient_id != patient_id:
        raise NotFound(t("We could not find that visit."))
    now = clock.now()
    if visit.status != "booked" or visit.start_at <= now:
        raise Conflict(t("Check-in is for a visit still to come."))
    if visit.start_at - now > timedelta(days=visit_types.checkin_days()):
        raise Conflict(
            t(
                "Check-in opens {days} days before the visit.",
                days=number(visit_types.checkin_days()),
            )
        )
    if session.get(CheckIn, appointment_id) is not None:
        raise Conflict(t("You have already checked in for this visit."))
    return visit


def checkin_form(*, actor: Actor, patient_id: uuid.UUID, appointment_id: uuid.UUID) -> Form:
    with patient_work(actor, patient_id, "appointments.checkin.view", access.APPOINTMENTS) as (
        session,
        found,
    ):
        access.require_patient_side(found, booking.PATIENT_SIDE)
        visit = _visit(session, patient_id, appointment_id)
        patient = session.get(Patient, patient_id)
        assert patient is not None
        card = session.scalar(
            select(InsuranceCoverage)
            .where(InsuranceCoverage.patient_id == patient_id)
            .order_by(InsuranceCoverage.effective_on.desc())
            .limit(1)
        )
        kind = visit_types.VISIT_TYPES.get(visit.visit_type)
        return Form(
            appointment_id=appointment_id,
            contact=[x for x in (patient.email, patient.phone, patient.address) if x],
            insurance=t("{payer}, member ID {member}", payer=card.payer, member=card.member_id)
            if card
            else None,
            medications=list(
                session.scalars(
                    select(Medication.name)
                    .where(Medication.patient_id == patient_id, Medication.status == "active")
                    .order_by(Medication.name)
                )
            ),
            allergies=list(
                session.scalars(
                    select(Allergy.substance)
                    .where(Allergy.patient_id == patient_id)
                    .order_by(Allergy.substance)
                )
            ),
            questionnaires=[
                questionnaires.INSTRUMENTS[c] for c in (kind.questionnaires if kind else ())
            ],
        )


def checkin_submit(
    *,
    actor: Actor,
    patient_id: uuid.UUID,
    appointment_id: uuid.UUID,
    contact_confirmed: bool,
    insurance_confirmed: bool,
    medication_changes: str = "",
    allergy_changes: str = "",
    answers: dict[str, tuple[int, ...]] | None = None,
) -> Done:
    """Check in: confirmations, changes for the care team, and the questionnaires' answers."""
    fields: dict[str, str] = {}
    if not contact_confirmed:
        fields["contact"] = t(
            "Confirm your contact details, or change them under Your account first."
        )
    if not insurance_confirmed:
        fields["insurance"] = t("Confirm your insurance, or add your new card under Billing first.")
    meds = forms.checked_note(fields, "medication_changes", medication_changes)
    allergies = forms.checked_note(fields, "allergy_changes", allergy_changes)
    forms.raise_if(fields)
    with patient_work(actor, patient_id, "appointments.checkin", access.APPOINTMENTS) as (
        session,
        found,
    ):
        access.require_patient_side(found, booking.PATIENT_SIDE)
        visit = _visit(session, patient_id, appointment_id)
        kind = visit_types.VISIT_TYPES.get(visit.visit_type)
        asked = kind.questionnaires if kind else ()
        given = answers or {}
        scores = []
        for code in asked:
            try:
                scores.append(questionnaires.score(code, tuple(given.get(code, ()))))
            except ValueError:
                name = questionnaires.INSTRUMENTS[code].name
                raise ValidationError(
                    {code: t("Answer every question of the {name}.", name=name)}
                ) from None
        now = clock.now()
        session.add(
            CheckIn(
                appointment_id=appointment_id,
                patient_id=patient_id,
                contact_confirmed=True,
                insurance_confirmed=True,
                medication_changes=meds or None,
                allergy_changes=allergies or None,
                completed_by=actor.user_id,
                completed_at=now,
            )
        )
        for s in scores:
            session.add(
                QuestionnaireResponse(
                    id=uuid.uuid4(),
                    appointment_id=appointment_id,
                    patient_id=patient_id,
                    instrument=s.instrument,
                    answers=",".join(str(a) for a in s.answers),
                    score=s.score,
                    severity=s.severity,
                    self_harm=s.self_harm,
                    submitted_by=actor.user_id,
                    submitted_at=now,
                )
            )
        visit.checked_in_at = now
        flagged = any(s.self_harm for s in scores)
        if flagged:
            _flag(session, visit)
        return Done(scores, questionnaires.CRISIS if flagged else None)


def _flag(session: Session, visit: Appointment) -> None:
    """Tell the visit's clinician at once (by email, without any detail) and audit it."""
    user = session.scalar(
        select(User)
        .join(Provider, Provider.user_id == User.id)
        .where(Provider.id == visit.provider_id)
    )
    if user is not None:
        with language.using(user.language):  # in the clinician's language
            notify.enqueue(
                session,
                user.id,
                notify.EMAIL,
                "care",
                t(
                    "{clinic}: a check-in needs your attention today",
                    clinic=settings().clinic_name,
                ),
                t(
                    "A patient's pre-visit questionnaire needs your attention today. Open "
                    "your schedule in the portal."
                ),
            )
    audit.record(
        session, None, "appointments.checkin.flag", patient_id=visit.patient_id, username="check-in"
    )
