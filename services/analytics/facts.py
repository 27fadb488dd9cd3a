"""The facts the dashboard's service levels are counted from: one row per piece of work (a
released result, a patient's message thread, a refill request, a records or caregiver-access
request, a visit, a payment, a statement) with when it began, when it was done, when it was due,
and the one flag each kind is asked about.

The rollup job rebuilds the facts of the work changed since its last run (every timestamp the
work carries, and its `updated_at` where it has one, is looked at), in the same transaction and
with the same watermark as the usage rollups (services.analytics.rollups); the facts then equal
a rebuild from scratch (tested). What is still open is decided when the dashboard reads it
(overdue now: not done and past due)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import (
    ColumnElement,
    Connection,
    Date,
    DateTime,
    Select,
    and_,
    cast,
    delete,
    func,
    literal,
    null,
    or_,
    select,
)

from services.analytics.groups import NO_SITE, age_band
from services.analytics.tables import ServiceFact
from services.billing.tables import Payment, PaymentPlan, PlanStatement, Statement
from services.care import pools
from services.care.tables import Appointment, Message, MessageThread, RefillRequest
from services.core import access, clock, db
from services.core.models import Patient, Site, UserRole
from services.him.tables import RecordsRequest
from services.proxy import proxy_rules
from services.proxy.tables import ProxyRequest
from services.records.tables import LabResult

RESULT, MESSAGE, REFILL, REQUEST, VISIT, PAYMENT, STATEMENT = (
    "result",
    "message",
    "refill",
    "request",
    "visit",
    "payment",
    "statement",
)
ACCESS, AMENDMENT, PROXY_REVIEW = "access", "amendment", "proxy"  # the requests' queues
VIEW_GOAL = timedelta(days=7)  # a released result viewed within a week
OPTIONAL = ("queue", "done_at", "due_at", "flag", "flag_since", "amount_cents")


@dataclass(frozen=True)
class Kind:
    """How one kind of work becomes facts. `rows` selects item_id, patient_id, day, queue,
    started_at, done_at, due_at, flag, flag_since and amount_cents; `changed(since)` is true of
    the source rows changed since then; `due` computes due_at where it is not stored."""

    name: str
    ids: Any  # the source's id column
    rows: Callable[[], Select[*tuple[Any, ...]]]
    changed: Callable[[datetime], ColumnElement[bool]]
    due: Callable[[pd.DataFrame], pd.Series] | None = None


def _day(moment: Any) -> ColumnElement[date]:
    return cast(clock.local_sql(moment), Date)


def _any_since(since: datetime, *moments: Any) -> ColumnElement[bool]:
    return or_(*(m >= since for m in moments))


def _after_business_days(days: Callable[[], int]) -> Callable[[pd.DataFrame], pd.Series]:
    """Due by the end of the `days`-th business day after the day the work began (the rule
    the staff queues flag as overdue: more than `days` whole business days waited)."""

    def due(frame: pd.DataFrame) -> pd.Series:
        start = pd.to_datetime(frame["day"]).to_numpy(dtype="datetime64[D]")
        last = np.busday_offset(start, days(), roll="forward") + np.timedelta64(1, "D")
        moments = {d: clock.day_start(d) for d in set(pd.to_datetime(last).date)}
        return pd.Series([moments[d] for d in pd.to_datetime(last).date], index=frame.index)

    return due


def _fact(
    item_id: Any, patient_id: Any, day: Any, started_at: Any, **more: Any
) -> Select[*tuple[Any, ...]]:
    """A select of one kind's fact columns (those not given: null)."""
    values = {"item_id": item_id, "patient_id": patient_id, "day": day, "started_at": started_at}
    values |= {name: more.get(name) for name in OPTIONAL}
    return select(*((null() if v is None else v).label(k) for k, v in values.items()))


def _results() -> Select[*tuple[Any, ...]]:
    r = LabResult
    return _fact(
        r.id,
        r.patient_id,
        _day(r.released_at),
        r.released_at,
        done_at=r.first_viewed_at,
        flag=r.held_at.is_not(None),
        flag_since=r.held_at,
    ).where(r.released_at.is_not(None))


def _result_due(frame: pd.DataFrame) -> pd.Series:
    return pd.to_datetime(frame["started_at"]) + VIEW_GOAL


def _first_patient_messages() -> Any:
    m = Message
    return (
        select(m.thread_id, func.min(m.sent_at).label("at"))
        .where(m.from_patient_side.is_(True))
        .group_by(m.thread_id)
        .subquery()
    )


def _messages() -> Select[*tuple[Any, ...]]:
    """A patient's thread: from their first message to the first staff answer after it."""
    first = _first_patient_messages()
    answer = (
        select(func.min(Message.sent_at))
        .where(
            Message.thread_id == MessageThread.id,
            Message.from_patient_side.is_(False),
            Message.sent_at > first.c.at,
        )
        .correlate(MessageThread, first)
        .scalar_subquery()
    )
    t = MessageThread
    return _fact(
        t.id, t.patient_id, _day(first.c.at), first.c.at, queue=t.pool, done_at=answer
    ).join(first, first.c.thread_id == t.id)


def _messages_changed(since: datetime) -> ColumnElement[bool]:
    t = MessageThread
    sent = select(Message.thread_id).where(Message.sent_at >= since)
    return or_(_any_since(since, t.created_at, t.updated_at, t.closed_at), t.id.in_(sent))


def _refills() -> Select[*tuple[Any, ...]]:
    r = RefillRequest
    return _fact(r.id, r.patient_id, _day(r.requested_at), r.requested_at, done_at=r.decided_at)


def _requests() -> Select[*tuple[Any, ...]]:
    """Requests for access to (or release of) the record, and amendment requests."""
    r = RecordsRequest
    return _fact(
        r.id,
        r.patient_id,
        _day(r.received_at),
        r.received_at,
        queue=func.coalesce(func.nullif(r.kind, "roi"), ACCESS),
        done_at=r.completed_at,
        due_at=func.coalesce(r.extended_due_at, r.due_at),
    ).where(r.kind.in_(("access", "roi", AMENDMENT)), r.status != "withdrawn")


def _proxy_reviews() -> Select[*tuple[Any, ...]]:
    r = ProxyRequest
    return _fact(
        r.id,
        r.patient_id,
        _day(r.received_at),
        r.received_at,
        queue=literal(PROXY_REVIEW),
        done_at=r.decided_at,
    ).where(r.status != "withdrawn")


def _visits() -> Select[*tuple[Any, ...]]:
    """Visits not cancelled; flagged when the patient (or a caregiver) booked it."""
    a = Appointment
    by_staff = (
        select(UserRole.user_id)
        .where(UserRole.user_id == a.booked_by, UserRole.role.in_(access.STAFF_ROLES))
        .exists()
    )
    return _fact(
        a.id,
        a.patient_id,
        _day(a.start_at),
        a.start_at,
        queue=a.visit_type,
        done_at=a.checked_in_at,
        flag=and_(a.booked_by.is_not(None), ~by_staff),
    ).where(a.status != "cancelled")


def _payments() -> Select[*tuple[Any, ...]]:
    p = Payment
    return _fact(
        p.id,
        p.patient_id,
        _day(p.paid_at),
        p.paid_at,
        queue=p.method,
        flag=p.online,
        amount_cents=p.amount_cents,
    ).where(p.status != "failed", p.amount_cents > 0)


def _statements() -> Select[*tuple[Any, ...]]:
    """Statements with something to pay; flagged when a payment plan pays them."""
    s = Statement
    on_plan = select(PlanStatement.statement_id).where(PlanStatement.statement_id == s.id)
    return _fact(
        s.id,
        s.patient_id,
        s.statement_date,
        cast(s.statement_date, DateTime),
        flag=on_plan.exists(),
        amount_cents=s.amount_cents,
    ).where(s.amount_cents > 0)


def _statements_changed(since: datetime) -> ColumnElement[bool]:
    planned = (
        select(PlanStatement.statement_id)
        .join(PaymentPlan, PaymentPlan.id == PlanStatement.plan_id)
        .where(PaymentPlan.created_at >= since)
    )
    return or_(Statement.statement_date >= clock.local(since).date(), Statement.id.in_(planned))


KINDS = (
    Kind(
        RESULT,
        LabResult.id,
        _results,
        lambda s: _any_since(s, LabResult.released_at, LabResult.first_viewed_at),
        _result_due,
    ),
    Kind(
        MESSAGE,
        MessageThread.id,
        _messages,
        _messages_changed,
        _after_business_days(pools.goal_business_days),
    ),
    Kind(
        REFILL,
        RefillRequest.id,
        _refills,
        lambda s: _any_since(
            s, RefillRequest.requested_at, RefillRequest.decided_at, RefillRequest.sent_at
        ),
    ),
    Kind(
        REQUEST,
        RecordsRequest.id,
        _requests,
        lambda s: _any_since(
            s, RecordsRequest.received_at, RecordsRequest.completed_at, RecordsRequest.updated_at
        ),
    ),
    Kind(
        PROXY_REVIEW,
        ProxyRequest.id,
        _proxy_reviews,
        lambda s: _any_since(
            s, ProxyRequest.received_at, ProxyRequest.decided_at, ProxyRequest.updated_at
        ),
        _after_business_days(proxy_rules.review_business_days),
    ),
    Kind(
        VISIT,
        Appointment.id,
        _visits,
        lambda s: _any_since(
            s, Appointment.created_at, Appointment.cancelled_at, Appointment.checked_in_at
        ),
    ),
    Kind(PAYMENT, Payment.id, _payments, lambda s: Payment.paid_at >= s),
    Kind(STATEMENT, Statement.id, _statements, _statements_changed),
)


def _hours(end: pd.Series, start: pd.Series) -> pd.Series:
    return (pd.to_datetime(end) - pd.to_datetime(start)).dt.total_seconds() / 3600


def _facts(conn: Connection, kind: Kind, since: datetime | None) -> pd.DataFrame:
    """The kind's facts (of the work changed since then; None: all of it)."""
    rows = kind.rows()
    if since is not None:
        rows = rows.where(kind.changed(since))
    work = rows.subquery()
    query = (
        select(
            work,
            func.coalesce(Site.code, NO_SITE).label("site"),
            age_band(work.c.day, Patient.birth_date).label("age_band"),
        )
        .join(Patient, Patient.id == work.c.patient_id, isouter=True)
        .join(Site, Site.id == Patient.site_id, isouter=True)
    )
    frame = pd.DataFrame(conn.execute(query).mappings().all())
    if frame.empty:
        return frame
    if kind.due is not None:
        frame["due_at"] = kind.due(frame)
    return pd.DataFrame(
        {
            "kind": kind.name,
            "item_id": frame["item_id"].astype(str),
            "day": pd.to_datetime(frame["day"]).dt.date,
            "site": frame["site"],
            "age_band": frame["age_band"],
            "queue": frame["queue"],
            "started_at": pd.to_datetime(frame["started_at"]),
            "done_at": pd.to_datetime(frame["done_at"]),
            "due_at": pd.to_datetime(frame["due_at"]),
            "hours": _hours(frame["done_at"], frame["started_at"]),
            "flag": frame["flag"].astype("boolean"),
            "flag_hours": _hours(frame["started_at"], frame["flag_since"]),
            "amount_cents": frame["amount_cents"].astype("Int64"),
        }
    )


def update(conn: Connection, since: datetime | None) -> int:
    """Rebuild the facts of the work changed since then (None: every fact); how many rows."""
    written = 0
    for kind in KINDS:
        stale = delete(ServiceFact).where(ServiceFact.kind == kind.name)
        if since is not None:
            stale = stale.where(
                ServiceFact.item_id.in_(select(kind.ids).where(kind.changed(since)))
            )
        conn.execute(stale)
        frame = _facts(conn, kind, since)
        if not frame.empty:
            written += db.bulk_insert(conn, ServiceFact.__table__, frame)  # type: ignore[arg-type]
    return written
