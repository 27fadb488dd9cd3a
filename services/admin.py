"""Administration: accounts overview, locked accounts and the audit log's health."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from services import access, audit, clock
from services.access import Actor
from services.errors import NotFound
from services.models import AuditEvent, User, UserRole
from services.work import staff_work


@dataclass(frozen=True)
class LockedAccount:
    username: str
    display_name: str
    locked_until: datetime | None
    failed_attempts: int


@dataclass(frozen=True)
class AdminHome:
    accounts_by_role: dict[str, int]
    accounts_by_status: dict[str, int]
    locked: list[LockedAccount]
    audit: audit.AuditCheck
    audit_events_24h: int
    refused_24h: int
    failed_sign_ins_24h: int


def admin_home(*, actor: Actor) -> AdminHome:
    """Accounts, locks, and a full verification of the audit chain."""
    with staff_work(actor, "home.admin.view", access.ADMIN) as s:
        now = clock.now()
        since = now - timedelta(hours=24)
        by_role = dict(s.execute(select(UserRole.role, func.count()).group_by(UserRole.role)).all())
        by_status = dict(s.execute(select(User.status, func.count()).group_by(User.status)).all())
        locked = s.execute(
            select(User.username, User.display_name, User.locked_until, User.failed_attempts)
            .where(User.locked_until > now)
            .order_by(User.locked_until.desc())
        ).all()
        recent = AuditEvent.occurred_at >= since
        day = s.execute(
            select(
                func.count(),
                func.count().filter(AuditEvent.outcome.in_((audit.DENIED, audit.NOT_FOUND))),
                func.count().filter(
                    AuditEvent.action == "auth.sign_in", AuditEvent.outcome == audit.FAILURE
                ),
            ).where(recent)
        ).one()
        return AdminHome(
            accounts_by_role={str(k): int(v) for k, v in by_role.items()},
            accounts_by_status={str(k): int(v) for k, v in by_status.items()},
            locked=[LockedAccount(*r) for r in locked],
            audit=audit.verify_chain(s),
            audit_events_24h=int(day[0]),
            refused_24h=int(day[1]),
            failed_sign_ins_24h=int(day[2]),
        )


def audit_verify(*, actor: Actor) -> audit.AuditCheck:
    """Admins: walk the whole audit chain and report the first broken link."""
    with staff_work(actor, "audit.verify", access.ADMIN) as s:
        return audit.verify_chain(s)


def account_unlock(*, actor: Actor, username: str) -> None:
    """Admins: lift a sign-in pause before it ends by itself."""
    with staff_work(actor, "account.unlock", access.ADMIN) as s:
        user = s.scalars(
            select(User).where(User.username == username.strip().lower())
        ).one_or_none()
        if user is None:
            raise NotFound("No account has that username.")
        user.failed_attempts = 0
        user.locked_until = None
