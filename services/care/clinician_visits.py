"""The clinician's schedule: today's and the week's visits of the provider the clinician is,
in the clinic's time, with check-in status, questionnaire scores (a positive PHQ-9 item 9 on
top, whatever the time), what the patient reported changed for the care team to review, and
the video link of a video visit. Audited as one view."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select

from services.care import visit_types
from services.care.tables import Appointment, CheckIn, QuestionnaireResponse
from services.care.visits import video_link
from services.core import access, clock
from services.core.access import Actor
from services.core.errors import NotFound
from services.core.language import t
from services.core.models import Patient, Provider, Site
from services.core.work import staff_work


@dataclass(frozen=True)
class Score:
    instrument: str
    score: int
    severity: str
    self_harm: bool


@dataclass(frozen=True)
class ScheduledVisit:
    appointment_id: uuid.UUID
    patient_id: uuid.UUID
    patient_name: str
    mrn: str
    start_at: datetime
    minutes: int
    type_name: str
    place: str  # the site, or "Video"
    reason: str
    checked_in: bool
    scores: list[Score]
    changes: list[str]  # medicine and allergy changes the patient reported
    video_url: str | None
    flagged: bool  # a positive PHQ-9 item 9


def clinician_schedule(
    *, actor: Actor, first: date | None = None, days: int = 7
) -> list[ScheduledVisit]:
    """The visits of the clinician's own provider from `first` (today) for `days` days,
    flagged ones first, then by time."""
    first = first or clock.today()
    with staff_work(actor, "appointments.schedule.view", access.CLINICIAN) as session:
        provider = session.scalar(select(Provider.id).where(Provider.user_id == actor.user_id))
        if provider is None:
            raise NotFound(t("Your account is not linked to a provider's schedule."))
        rows = session.execute(
            select(Appointment, Patient, Site.name, CheckIn)
            .join(Patient, Patient.id == Appointment.patient_id)
            .join(Site, Site.id == Appointment.site_id)
            .outerjoin(CheckIn, CheckIn.appointment_id == Appointment.id)
            .where(
                Appointment.provider_id == provider,
                Appointment.status == "booked",
                Appointment.start_at >= clock.day_start(first),
                Appointment.start_at < clock.day_start(first + timedelta(days=days)),
            )
            .order_by(Appointment.start_at)
        ).all()
        ids = [a.id for a, _, _, _ in rows]
        scores: dict[uuid.UUID, list[Score]] = {}
        for r in session.scalars(
            select(QuestionnaireResponse)
            .where(QuestionnaireResponse.appointment_id.in_(ids))
            .order_by(QuestionnaireResponse.instrument)
        ):
            scores.setdefault(r.appointment_id, []).append(
                Score(r.instrument, r.score, r.severity, r.self_harm)
            )
    visits = []
    for a, patient, site, check in rows:
        found = scores.get(a.id, [])
        visits.append(
            ScheduledVisit(
                appointment_id=a.id,
                patient_id=patient.id,
                patient_name=f"{patient.first_name} {patient.last_name}",
                mrn=patient.mrn,
                start_at=a.start_at,
                minutes=a.minutes,
                type_name=visit_types.type_name(a.visit_type),
                place=t("Video") if a.video_room else site,
                reason=a.reason,
                checked_in=check is not None,
                scores=found,
                changes=[
                    f"{label}: {text}"
                    for label, text in (
                        (t("Medicines"), check.medication_changes if check else None),
                        (t("Allergies"), check.allergy_changes if check else None),
                    )
                    if text
                ],
                video_url=video_link(a.video_room) if a.video_room else None,
                flagged=any(s.self_harm for s in found),
            )
        )
    return sorted(visits, key=lambda v: (not v.flagged, v.start_at))
