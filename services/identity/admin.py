"""Administration: accounts overview, locked accounts and the audit log's health."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.core import access, audit, audit_checks, clock, crypto, language, notify, one_time
from services.core.access import Actor
from services.core.contact import contact_fields
from services.core.errors import NotFound, ValidationError
from services.core.language import N_, t, tn
from services.core.models import AuditEvent, User, UserRole
from services.core.work import staff_work
from services.identity import auth, recovery, sessions, two_factor
from services.identity.registration import USERNAME_RE
from services.records import sharing


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
    audit: audit.AuditCheck  # what was appended since the last verification
    last_full: audit_checks.Verification | None  # the daily job's last walk of everything
    audit_events_24h: int
    refused_24h: int
    failed_sign_ins_24h: int


def admin_home(*, actor: Actor) -> AdminHome:
    """Accounts, locks, the audit chain verified since its last verification, and the last
    full verification."""
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
            audit=audit_checks.incremental(s),
            last_full=audit_checks.last_full(s),
            audit_events_24h=int(day[0]),
            refused_24h=int(day[1]),
            failed_sign_ins_24h=int(day[2]),
        )


def audit_verify(*, actor: Actor) -> audit.AuditCheck:
    """Admins: walk the whole audit chain and report the first broken link."""
    with staff_work(actor, "audit.verify", access.ADMIN) as s:
        return audit.verify_chain(s)


def named_account(session: Session, username: str) -> User:
    """The account with this username, or NotFound."""
    user = session.scalars(
        select(User).where(User.username == (username or "").strip().lower())
    ).one_or_none()
    if user is None:
        raise NotFound(t("No account has that username."))
    return user


def _end_sessions(session: Session, user: User, reason: str) -> None:
    sessions.end_sessions(session, [user.id], reason)


def account_unlock(*, actor: Actor, username: str) -> None:
    """Admins: lift a sign-in pause before it ends by itself."""
    with staff_work(actor, "account.unlock", access.ADMIN) as s:
        user = named_account(s, username)
        user.failed_attempts = 0
        user.second_factor_failures = 0
        user.locked_until = None


@dataclass(frozen=True)
class AccountRow:
    username: str
    display_name: str
    roles: str
    status: str
    second_factor: bool
    locked_until: datetime | None
    last_sign_in_at: datetime | None


def accounts_list(*, actor: Actor, search: str = "", limit: int = 50) -> list[AccountRow]:
    """Admins: accounts whose username or name contains the search text."""
    with staff_work(actor, "account.list", access.ADMIN) as s:
        text = f"%{(search or '').strip().lower()[:64]}%"
        users = s.scalars(
            select(User)
            .where(
                (func.lower(User.username).like(text)) | (func.lower(User.display_name).like(text))
            )
            .order_by(User.username)
            .limit(limit)
        ).all()
        roles: dict[object, list[str]] = {}
        for user_id, role in s.execute(
            select(UserRole.user_id, UserRole.role).where(
                UserRole.user_id.in_([u.id for u in users])
            )
        ):
            roles.setdefault(user_id, []).append(role)
        return [
            AccountRow(
                u.username,
                u.display_name,
                ", ".join(sorted(roles.get(u.id, []))),
                u.status,
                u.totp_enabled_at is not None,
                u.locked_until,
                u.last_sign_in_at,
            )
            for u in users
        ]


SET_PASSWORD_LIFETIME = timedelta(hours=72)


def staff_create(*, actor: Actor, username: str, display_name: str, email: str, role: str) -> None:
    """Admins: a staff account; the person sets a password from an emailed code (72 hours),
    then enrols a second factor at first sign-in."""
    fields: dict[str, str] = {}
    username = (username or "").strip().lower()
    if not USERNAME_RE.match(username):
        fields["username"] = t(
            "Use 3 to 64 lowercase letters, digits, dots, dashes or underscores."
        )
    display_name = (display_name or "").strip()
    if not display_name or len(display_name) > 160:
        fields["display_name"] = t("Enter the person's name (at most 160 characters).")
    email, _ = contact_fields(fields, email, None)
    if role not in access.STAFF_ROLES:
        fields["role"] = t("Choose one of: {roles}.", roles=language.listing(access.STAFF_ROLES))
    if fields:
        raise ValidationError(fields)
    with staff_work(actor, "account.staff_create", access.ADMIN) as s:
        if s.scalar(select(func.count()).select_from(User).where(User.username == username)):
            raise ValidationError({"username": t("That username is taken; choose another.")})
        now = clock.now()
        user = User(
            username=username,
            display_name=display_name,
            email=email,
            password_hash=auth.NO_PASSWORD,
            status="active",
            failed_attempts=0,
            created_at=now,
        )
        s.add(user)
        s.flush()
        s.add(UserRole(user_id=user.id, role=role))
        _send_set_password(s, user, N_("Welcome: set your password"), SET_PASSWORD_LIFETIME)
    notify.flush()


def _send_set_password(session: Session, user: User, subject: str, lifetime: timedelta) -> None:
    code = crypto.recovery_code()
    one_time.issue(session, user.id, recovery.RESET_PURPOSE, lifetime, code)
    hours = int(lifetime.total_seconds() // 3600)
    with language.using(user.language):  # in the recipient's language
        notify.security_notice(
            session,
            user,
            t(subject),
            tn(
                "Your username is {username}. Set your password on the portal's 'Forgot "
                "username or password' page with this code: {code}\nIt works once and "
                "expires in {count} hour.",
                "Your username is {username}. Set your password on the portal's 'Forgot "
                "username or password' page with this code: {code}\nIt works once and "
                "expires in {count} hours.",
                hours,
                username=user.username,
                code=code,
            ),
        )


def account_deactivate(*, actor: Actor, username: str) -> None:
    """Admins: disable an account; its sessions end on their next rerun."""
    with staff_work(actor, "account.deactivate", access.ADMIN) as s:
        user = named_account(s, username)
        if user.id == actor.user_id:
            raise ValidationError({"username": t("You cannot deactivate your own account.")})
        user.status = "disabled"
        _end_sessions(s, user, "account_disabled")
        sharing.links_end_with_account(s, user.id)


def account_reactivate(*, actor: Actor, username: str) -> None:
    with staff_work(actor, "account.reactivate", access.ADMIN) as s:
        user = named_account(s, username)
        if user.status != "disabled":
            raise ValidationError({"username": t("That account is not deactivated.")})
        user.status = "active"
        user.second_factor_failures = 0  # reviewed: a lock for wrong codes ends here


def password_reset_force(*, actor: Actor, username: str) -> None:
    """Admins: the current password stops working; the person sets a new one from an email."""
    with staff_work(actor, "account.password_reset_forced", access.ADMIN) as s:
        user = named_account(s, username)
        user.password_hash = auth.NO_PASSWORD
        _end_sessions(s, user, "password_reset_forced")
        _send_set_password(
            s, user, N_("your password was reset by an administrator"), recovery.RESET_LIFETIME
        )
    notify.flush()


def second_factor_reset(*, actor: Actor, username: str) -> None:
    """Admins: clear a lost second factor (recorded, and the person is told by email)."""
    with staff_work(actor, "account.second_factor_reset", access.ADMIN) as s:
        user = named_account(s, username)
        user.totp_enabled_at = None
        user.totp_secret_encrypted = None
        user.totp_last_step = None
        two_factor.new_recovery_codes(
            s, user
        )  # retires the old codes; the new ones are never shown
        _end_sessions(s, user, "second_factor_reset")
        with language.using(user.language):  # in the recipient's language
            notify.security_notice(
                s,
                user,
                t("your two-step verification was reset"),
                t(
                    "An administrator reset the two-step verification on your account. "
                    "Staff set up a new authenticator at their next sign-in."
                ),
            )
    notify.flush()
