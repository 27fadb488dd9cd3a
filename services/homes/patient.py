"""The patient's (or proxy's) home: visits ahead, new results, unread messages, balance."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.billing import ledger
from services.care import visit_types
from services.care.tables import Appointment, Message, MessageThread
from services.core import access, clock
from services.core.access import Access, Actor
from services.core.models import Patient, Provider
from services.core.work import patient_work
from services.homes.common import HOME_LIST_LIMIT
from services.records.results import visible_to
from services.records.tables import LabComponent, LabResult

NEW_RESULT_DAYS = 30


@dataclass(frozen=True)
class AppointmentItem:
    start_at: datetime
    provider: str
    visit_type: str
    reason: str


@dataclass(frozen=True)
class ResultItem:
    result_id: uuid.UUID
    panel_name: str
    collected_at: datetime
    released_at: datetime
    abnormal: bool


@dataclass(frozen=True)
class PatientHome:
    """None marks a section the actor's scopes do not cover (a limited proxy)."""

    patient_name: str
    upcoming_appointments: list[AppointmentItem] | None
    unread_messages: int | None
    new_results: list[ResultItem] | None
    balance_due_cents: int | None


def _patient_name(session: Session, patient_id: uuid.UUID) -> str:
    row = session.execute(
        select(Patient.first_name, Patient.last_name).where(Patient.id == patient_id)
    ).one()
    return f"{row.first_name} {row.last_name}"


def _upcoming(
    session: Session, patient_id: uuid.UUID, found: Access, now: datetime
) -> list[AppointmentItem]:
    confidential = [Appointment.sensitive.is_not(True)] if found.adolescent_limited else []
    rows = session.execute(
        select(Appointment.start_at, Provider.name, Appointment.visit_type, Appointment.reason)
        .join(Provider, Provider.id == Appointment.provider_id)
        .where(
            Appointment.patient_id == patient_id,
            Appointment.status == "booked",
            Appointment.start_at >= now,
            *confidential,
        )
        .order_by(Appointment.start_at)
        .limit(5)
    ).all()
    return [
        AppointmentItem(at, who, visit_types.type_name(kind), why) for at, who, kind, why in rows
    ]


def _unread(session: Session, patient_id: uuid.UUID, found: Access) -> int:
    confidential = [MessageThread.sensitive.is_not(True)] if found.adolescent_limited else []
    return int(
        session.scalar(
            select(func.count())
            .select_from(Message)
            .join(MessageThread, MessageThread.id == Message.thread_id)
            .where(
                MessageThread.patient_id == patient_id,
                Message.from_patient_side.is_(False),
                Message.read_at.is_(None),
                *confidential,
            )
        )
        or 0
    )


def _new_results(
    session: Session, patient_id: uuid.UUID, found: Access, now: datetime
) -> list[ResultItem]:
    abnormal = (
        select(func.count())
        .select_from(LabComponent)
        .where(LabComponent.result_id == LabResult.id, LabComponent.flag.is_not(None))
        .correlate(LabResult)
        .scalar_subquery()
    )
    rows = session.execute(
        select(
            LabResult.id,
            LabResult.panel_name,
            LabResult.collected_at,
            LabResult.released_at,
            abnormal,
        )
        .where(
            LabResult.patient_id == patient_id,
            visible_to(found, now),
            LabResult.released_at >= now - timedelta(days=NEW_RESULT_DAYS),
            LabResult.first_viewed_at.is_(None),
        )
        .order_by(LabResult.released_at.desc())
        .limit(HOME_LIST_LIMIT)
    ).all()
    return [ResultItem(r[0], r[1], r[2], r[3], bool(r[4])) for r in rows]


def patient_home(*, actor: Actor, patient_id: uuid.UUID) -> PatientHome:
    """The patient's (or their proxy's) home: what is new and what is next."""
    with patient_work(actor, patient_id, "home.patient.view", access.SUMMARY) as (s, granted):
        now = clock.now()
        scopes = granted.scopes
        return PatientHome(
            patient_name=_patient_name(s, patient_id),
            upcoming_appointments=_upcoming(s, patient_id, granted, now)
            if access.APPOINTMENTS in scopes
            else None,
            unread_messages=_unread(s, patient_id, granted) if access.MESSAGES in scopes else None,
            new_results=_new_results(s, patient_id, granted, now)
            if access.RESULTS in scopes
            else None,
            balance_due_cents=ledger.balance(s, patient_id, granted.adolescent_limited)[0]
            if access.BILLING_SCOPE in scopes
            else None,
        )
