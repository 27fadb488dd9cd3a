"""Portal-usage analytics for managers: de-identified aggregates with small cells suppressed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import distinct, func, select

from services.core import access, clock
from services.core.access import Actor
from services.core.models import Patient, User, UserRole
from services.core.usage import PortalUsageEvent
from services.core.work import staff_work

# CMS cell-size rule (COMPLIANCE.md): never show a count of 1 to 10 people.
SUPPRESS_AT_OR_BELOW = 10
ACTIVE_WINDOW_DAYS = 30


def suppress(count: int) -> int | None:
    """The count, or None when it counts 1 to 10 people."""
    return None if 0 < count <= SUPPRESS_AT_OR_BELOW else count


@dataclass(frozen=True)
class FeatureUse:
    feature: str
    events: int
    users: int | None  # None: suppressed


@dataclass(frozen=True)
class ManagerHome:
    patients: int
    activated_accounts: int | None
    activation_rate: float | None
    active_users_30d: int | None
    events_30d: int
    by_feature: list[FeatureUse]
    by_weekday: dict[str, int]


WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def manager_home(*, actor: Actor) -> ManagerHome:
    """Headline usage figures over the last 30 days."""
    with staff_work(actor, "home.manager.view", access.MANAGER) as s:
        since = clock.now() - timedelta(days=ACTIVE_WINDOW_DAYS)
        patients = int(s.scalar(select(func.count()).select_from(Patient)) or 0)
        activated = int(
            s.scalar(
                select(func.count(distinct(User.patient_id)))
                .join(UserRole, UserRole.user_id == User.id)
                .where(UserRole.role == access.PATIENT, User.status == "active")
            )
            or 0
        )
        window = PortalUsageEvent.occurred_at >= since
        totals = s.execute(
            select(func.count(), func.count(distinct(PortalUsageEvent.user_id))).where(window)
        ).one()
        features = s.execute(
            select(
                PortalUsageEvent.feature,
                func.count(),
                func.count(distinct(PortalUsageEvent.user_id)),
            )
            .where(window)
            .group_by(PortalUsageEvent.feature)
            .order_by(func.count().desc())
        ).all()
        # ISO day of week (1 = Monday) is spelled differently in the two databases.
        dow = (
            func.isodow(PortalUsageEvent.occurred_at)
            if s.get_bind().dialect.name == "duckdb"
            else func.extract("isodow", PortalUsageEvent.occurred_at)
        )
        weekday: dict[Any, Any] = dict(
            s.execute(select(dow, func.count()).where(window).group_by(dow)).all()
        )
        rate = activated / patients if patients and suppress(activated) is not None else None
        return ManagerHome(
            patients=patients,
            activated_accounts=suppress(activated),
            activation_rate=rate,
            active_users_30d=suppress(int(totals[1])),
            events_30d=int(totals[0]),
            by_feature=[FeatureUse(f, int(e), suppress(int(u))) for f, e, u in features],
            by_weekday={WEEKDAYS[int(d) - 1]: int(c) for d, c in sorted(weekday.items())},
        )
