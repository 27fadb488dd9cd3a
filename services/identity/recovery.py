"""Account recovery: forgot username, forgot password (docs/rules/security.md 3, 5).

Both requests answer the same whether or not an account exists, and are throttled. A password
reset code is single-use, expires in 15 minutes and allows 5 tries; using it ends every open
session. It never signs anyone in: the next sign-in still asks for the second factor.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from services.core import access, audit, clock, crypto, db, language, notify, one_time, throttle
from services.core.config import settings
from services.core.errors import AuthenticationFailed, ValidationError
from services.core.language import N_, t
from services.core.models import OneTimeCode, User
from services.identity import auth, browsers, passwords
from services.identity.tables import UserSession

RESET_LIFETIME = timedelta(minutes=15)
RESET_ATTEMPTS = 5
RESET_PURPOSE = "password_reset"
SENT = N_("If an account matches, we have emailed it. Check your inbox (and spam folder).")
BAD_RESET = N_("That code is not right or has expired. Request a new one.")
RESET_NOTICE = (
    N_("your password was reset"),
    N_(
        "The password of your patient portal account was reset with an emailed code, and every "
        "open session was signed out."
    ),
)
SECURED_NOTICE = (
    N_("your account was secured"),
    N_(
        "Every session of your patient portal account was signed out and its password was "
        "changed from the link in a new-sign-in notice."
    ),
)
BAD_SECURE_LINK = N_(
    "This link has expired or was already used. Sign in and change your password on Your "
    "account, or reset it with Forgot username or password."
)


def _requested(kind: str, value: str) -> str:
    """Throttle by what was asked for; a block answers like any other request (no leak)."""
    return throttle.key(kind, value)


def username_reminder(*, email: str) -> str:
    """Email the usernames registered to this address; the same answer either way."""
    email = (email or "").strip().lower()
    if not email or len(email) > 254:
        raise ValidationError({"email": t("Enter the email address on your account.")})
    key = _requested("username", email)
    with db.transaction() as session:
        if not throttle.allow(session, key):  # every request counts: five per 15 minutes
            return t(SENT)
        # Exact match of the normalised address: a pattern match would let % and _ select others.
        users = session.scalars(
            select(User).where(func.lower(User.email) == email, User.status == "active")
        ).all()
        for user in users:
            notify.enqueue(
                session,
                user.id,
                notify.EMAIL,
                "username_reminder",
                t("{clinic_name}: your username", clinic_name=settings().clinic_name),
                t(
                    "The username on your patient portal account is: {username}\nIf you did "
                    "not ask for this, you can ignore this message.",
                    username=user.username,
                ),
            )
            audit.record(session, access.actor_for(session, user), "auth.username_reminder")
    notify.flush()
    return t(SENT)


def password_reset_request(*, username: str) -> str:
    """Email a reset code to the account's address; the same answer either way."""
    username = (username or "").strip().lower()
    if not username or len(username) > auth.MAX_USERNAME:
        raise ValidationError({"username": t("Enter your username.")})
    key = _requested("reset", username)
    with db.transaction() as session:
        if not throttle.allow(session, key):
            return t(SENT)
        user = session.scalars(select(User).where(User.username == username)).one_or_none()
        if user is not None and user.status == "active" and user.email:
            code = crypto.recovery_code()
            one_time.issue(session, user.id, RESET_PURPOSE, RESET_LIFETIME, code)
            notify.enqueue(
                session,
                user.id,
                notify.EMAIL,
                "password_reset",
                t("{clinic_name}: reset your password", clinic_name=settings().clinic_name),
                t(
                    "Your password reset code is {code}. It works once and expires in 15 "
                    "minutes.\nIf you did not ask for this, ignore this message; your "
                    "password stays the same.",
                    code=code,
                ),
            )
            audit.record(session, access.actor_for(session, user), "auth.password_reset_requested")
    notify.flush()
    return t(SENT)


def _set_password(
    session: Session,
    user: User,
    code: OneTimeCode,
    new_password: str,
    reason: str,
    told: tuple[str, str],
) -> None:
    """A new password (refused with the policy's reason) set with a one-time code, which is
    spent, in the caller's transaction: every open session ended, no browser trusted any more,
    the owner told (`told`: the notice's subject and body, catalog messages) and `auth.<reason>`
    audited."""
    problem = passwords.password_problem(
        new_password or "", (user.display_name, user.username, (user.email or "").split("@")[0])
    )
    if problem:
        raise ValidationError({"new_password": problem})
    now = clock.now()
    code.used_at = now
    user.password_hash = auth.hash_password(new_password)
    user.failed_attempts = 0
    user.locked_until = None
    session.execute(
        update(UserSession)
        .where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
        .values(ended_at=now, end_reason=reason)
    )
    browsers.end_trust(session, user.id)
    with language.using(user.language):  # in the recipient's language
        notify.security_notice(session, user, t(told[0]), t(told[1]))
    audit.record(session, access.actor_for(session, user), f"auth.{reason}")


def password_reset_complete(*, username: str, code: str, new_password: str) -> None:
    """Set a new password with a reset code; every open session ends."""
    username = (username or "").strip().lower()
    reset = False
    with db.transaction() as session:
        user = session.scalars(select(User).where(User.username == username)).one_or_none()
        row = None
        if user is not None and user.status == "active":
            row = one_time.latest_live(session, user.id, RESET_PURPOSE, RESET_ATTEMPTS)
        if user is not None and row is not None and crypto.codes_match(code or "", row.code_hash):
            _set_password(session, user, row, new_password, "password_reset", RESET_NOTICE)
            reset = True
        else:
            if row is not None:
                row.attempts += 1
            audit.record(
                session, None, "auth.password_reset", outcome=audit.FAILURE, username=username[:64]
            )
    if not reset:
        raise AuthenticationFailed(t(BAD_RESET))
    notify.flush()


def secure_account(*, token: str, new_password: str) -> None:
    """What the link of a new-sign-in notice does for someone who did not sign in: every
    session of the account ends, the new password replaces the old, and no browser is trusted
    any more. The link works once, for seven days."""
    with db.transaction() as session:
        row = session.scalars(
            select(OneTimeCode).where(
                OneTimeCode.code_hash == crypto.code_hash(token or "-"),
                OneTimeCode.purpose == browsers.SECURE_PURPOSE,
                OneTimeCode.used_at.is_(None),
                OneTimeCode.expires_at > clock.now(),
            )
        ).one_or_none()
        user = session.get(User, row.user_id) if row is not None else None
        if row is None or user is None or user.status != "active":
            audit.record(session, None, "auth.account_secured", outcome=audit.FAILURE)
            secured = False
        else:
            _set_password(session, user, row, new_password, "account_secured", SECURED_NOTICE)
            secured = True
    if not secured:
        raise AuthenticationFailed(t(BAD_SECURE_LINK))
    notify.flush()
