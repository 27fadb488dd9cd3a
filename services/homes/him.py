"""Health information management's home: proxy reviews and records requests by deadline."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, case, func, select

from services.core import access, clock
from services.core.access import Actor
from services.core.models import Patient
from services.core.work import staff_work
from services.him.request_terms import OPEN
from services.him.tables import RecordsRequest
from services.homes.common import HOME_LIST_LIMIT
from services.proxy.review import QUEUE_STATUSES
from services.proxy.tables import ProxyRequest


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
        open_ = RecordsRequest.status.in_(OPEN)
        pending = s.execute(
            select(func.count(), func.min(ProxyRequest.received_at)).where(
                ProxyRequest.status.in_(list(QUEUE_STATUSES))
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
