"""Selectors behind each role's home page: small SQL aggregates, never Python loops over rows."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, case, func, select
from sqlalchemy.orm import Session

from services import access, clock
from services.access import Actor, clinician_patients
from services.alerts import AlertItem, open_alerts
from services.alerts import items as alert_items
from services.models import (
    Appointment,
    LabComponent,
    LabResult,
    Message,
    MessageThread,
    Patient,
    Payment,
    PaymentPlan,
    Provider,
    ProxyRequest,
    RecordsRequest,
    RefillRequest,
    Statement,
)
from services.results import released_to_patient
from services.work import patient_work, staff_work

NEW_RESULT_DAYS = 30
HOME_LIST_LIMIT = 10


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


def _upcoming(session: Session, patient_id: uuid.UUID, now: datetime) -> list[AppointmentItem]:
    rows = session.execute(
        select(Appointment.start_at, Provider.name, Appointment.visit_type, Appointment.reason)
        .join(Provider, Provider.id == Appointment.provider_id)
        .where(
            Appointment.patient_id == patient_id,
            Appointment.status == "booked",
            Appointment.start_at >= now,
        )
        .order_by(Appointment.start_at)
        .limit(5)
    ).all()
    return [AppointmentItem(*r) for r in rows]


def _unread(session: Session, patient_id: uuid.UUID) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(Message)
            .join(MessageThread, MessageThread.id == Message.thread_id)
            .where(
                MessageThread.patient_id == patient_id,
                Message.from_patient_side.is_(False),
                Message.read_at.is_(None),
            )
        )
        or 0
    )


def _new_results(session: Session, patient_id: uuid.UUID, now: datetime) -> list[ResultItem]:
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
            released_to_patient(now),
            LabResult.released_at >= now - timedelta(days=NEW_RESULT_DAYS),
            LabResult.first_viewed_at.is_(None),
        )
        .order_by(LabResult.released_at.desc())
        .limit(HOME_LIST_LIMIT)
    ).all()
    return [ResultItem(r[0], r[1], r[2], r[3], bool(r[4])) for r in rows]


def balance_cents(session: Session, patient_id: uuid.UUID) -> int:
    """Open statements' patient responsibility less what has been paid against them."""
    billed = session.scalar(
        select(func.coalesce(func.sum(Statement.amount_cents), 0)).where(
            Statement.patient_id == patient_id, Statement.status.in_(("open", "plan"))
        )
    )
    paid = session.scalar(
        select(func.coalesce(func.sum(Payment.amount_cents), 0))
        .join(Statement, Statement.id == Payment.statement_id)
        .where(
            Payment.patient_id == patient_id,
            Payment.status == "succeeded",
            Statement.status.in_(("open", "plan")),
        )
    )
    return max(int(billed or 0) - int(paid or 0), 0)


def patient_home(*, actor: Actor, patient_id: uuid.UUID) -> PatientHome:
    """The patient's (or their proxy's) home: what is new and what is next."""
    with patient_work(actor, patient_id, "home.patient.view", access.SUMMARY) as (s, granted):
        now = clock.now()
        scopes = granted.scopes
        return PatientHome(
            patient_name=_patient_name(s, patient_id),
            upcoming_appointments=_upcoming(s, patient_id, now)
            if access.APPOINTMENTS in scopes
            else None,
            unread_messages=_unread(s, patient_id) if access.MESSAGES in scopes else None,
            new_results=_new_results(s, patient_id, now) if access.RESULTS in scopes else None,
            balance_due_cents=balance_cents(s, patient_id)
            if access.BILLING_SCOPE in scopes
            else None,
        )


# --- clinician ------------------------------------------------------------------------------


@dataclass(frozen=True)
class HeldResultItem:
    result_id: uuid.UUID
    patient_name: str
    mrn: str
    panel_name: str
    held_at: datetime | None
    hold_until: datetime | None
    hold_reason: str | None


@dataclass(frozen=True)
class ClinicianHome:
    held_results: int
    held_list: list[HeldResultItem]
    open_alerts: int
    alert_list: list[AlertItem]
    messages_waiting: int
    refills_waiting: int


def _count(session: Session, query: Select[*tuple[Any, ...]]) -> int:
    return int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)


def clinician_home(*, actor: Actor) -> ClinicianHome:
    """Held results, open alerts, messages and refills waiting, for the care-team patients."""
    with staff_work(actor, "home.clinician.view", access.CLINICIAN) as s:
        mine = clinician_patients(actor.user_id)
        held = (
            select(
                LabResult.id,
                Patient.first_name + " " + Patient.last_name,
                Patient.mrn,
                LabResult.panel_name,
                LabResult.held_at,
                LabResult.hold_until,
                LabResult.hold_reason,
            )
            .join(Patient, Patient.id == LabResult.patient_id)
            .where(
                LabResult.patient_id.in_(mine),
                LabResult.released_at.is_(None),
                LabResult.held_at.is_not(None),
            )
        )
        alerts = open_alerts(actor.user_id)
        last_message = (
            select(Message.thread_id, func.max(Message.sent_at).label("last_at"))
            .group_by(Message.thread_id)
            .subquery()
        )
        waiting = (
            select(MessageThread.id)
            .join(last_message, last_message.c.thread_id == MessageThread.id)
            .join(
                Message,
                and_(
                    Message.thread_id == MessageThread.id, Message.sent_at == last_message.c.last_at
                ),
            )
            .where(
                MessageThread.patient_id.in_(mine),
                MessageThread.status == "open",
                Message.from_patient_side.is_(True),
            )
        )
        refills = select(RefillRequest.id).where(
            RefillRequest.patient_id.in_(mine), RefillRequest.status == "requested"
        )
        return ClinicianHome(
            held_results=_count(s, held),
            held_list=[
                HeldResultItem(*r)
                for r in s.execute(held.order_by(LabResult.held_at).limit(HOME_LIST_LIMIT))
            ],
            open_alerts=_count(s, alerts),
            alert_list=alert_items(s, alerts, HOME_LIST_LIMIT),
            messages_waiting=_count(s, waiting),
            refills_waiting=_count(s, refills),
        )


# --- health information management ---------------------------------------------------------


@dataclass(frozen=True)
class RequestItem:
    request_id: uuid.UUID
    kind: str
    patient_name: str
    mrn: str
    received_at: datetime
    due_at: datetime
    status: str


@dataclass(frozen=True)
class HimHome:
    proxy_requests_pending: int
    oldest_proxy_request: datetime | None
    open_requests_by_kind: dict[str, int]
    overdue: int
    due_within_7_days: int
    next_due: list[RequestItem]


def him_home(*, actor: Actor) -> HimHome:
    """Proxy reviews and records requests, ordered by their legal deadlines."""
    with staff_work(actor, "home.him.view", access.HIM) as s:
        now = clock.now()
        due = func.coalesce(RecordsRequest.extended_due_at, RecordsRequest.due_at)
        open_ = RecordsRequest.status.in_(("received", "in_progress"))
        pending = s.execute(
            select(func.count(), func.min(ProxyRequest.received_at)).where(
                ProxyRequest.status == "pending"
            )
        ).one()
        by_kind = dict(
            s.execute(
                select(RecordsRequest.kind, func.count()).where(open_).group_by(RecordsRequest.kind)
            ).all()
        )
        counts = s.execute(
            select(
                func.count(case((due < now, 1))),
                func.count(case((and_(due >= now, due < now + timedelta(days=7)), 1))),
            ).where(open_)
        ).one()
        rows = s.execute(
            select(
                RecordsRequest.id,
                RecordsRequest.kind,
                Patient.first_name + " " + Patient.last_name,
                Patient.mrn,
                RecordsRequest.received_at,
                due,
                RecordsRequest.status,
            )
            .join(Patient, Patient.id == RecordsRequest.patient_id)
            .where(open_)
            .order_by(due)
            .limit(HOME_LIST_LIMIT)
        ).all()
        return HimHome(
            proxy_requests_pending=int(pending[0]),
            oldest_proxy_request=pending[1],
            open_requests_by_kind={str(k): int(v) for k, v in by_kind.items()},
            overdue=int(counts[0]),
            due_within_7_days=int(counts[1]),
            next_due=[RequestItem(*r) for r in rows],
        )


# --- billing --------------------------------------------------------------------------------


@dataclass(frozen=True)
class BillingHome:
    open_statements: int
    outstanding_cents: int
    past_due_statements: int
    payments_30d: int
    payments_30d_cents: int
    online_share_30d: float | None
    active_plans: int


def billing_home(*, actor: Actor) -> BillingHome:
    """Receivables and recent payments; no clinical content (minimum necessary)."""
    with staff_work(actor, "home.billing.view", access.BILLING) as s:
        now = clock.now()
        today: date = now.date()
        paid_per_statement = (
            select(Payment.statement_id, func.sum(Payment.amount_cents).label("paid"))
            .where(Payment.status == "succeeded")
            .group_by(Payment.statement_id)
            .subquery()
        )
        open_ = Statement.status.in_(("open", "plan"))
        remaining = Statement.amount_cents - func.coalesce(paid_per_statement.c.paid, 0)
        statements = s.execute(
            select(
                func.count(),
                func.coalesce(func.sum(remaining), 0),
                func.count(case((Statement.due_date < today, 1))),
            )
            .select_from(Statement)
            .outerjoin(paid_per_statement, paid_per_statement.c.statement_id == Statement.id)
            .where(open_)
        ).one()
        payments = s.execute(
            select(
                func.count(),
                func.coalesce(func.sum(Payment.amount_cents), 0),
                func.count(case((Payment.online.is_(True), 1))),
            ).where(Payment.status == "succeeded", Payment.paid_at >= now - timedelta(days=30))
        ).one()
        plans = s.scalar(
            select(func.count()).select_from(PaymentPlan).where(PaymentPlan.status == "active")
        )
        return BillingHome(
            open_statements=int(statements[0]),
            outstanding_cents=int(statements[1]),
            past_due_statements=int(statements[2]),
            payments_30d=int(payments[0]),
            payments_30d_cents=int(payments[1]),
            online_share_30d=(payments[2] / payments[0]) if payments[0] else None,
            active_plans=int(plans or 0),
        )
