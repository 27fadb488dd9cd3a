"""Sign-in against the database (docs/rules/security.md 1-3): argon2 hashes, one answer for every
failure, throttling that locks an account for a while and then lets it go by itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import wraps
from typing import ParamSpec, TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.core import audit, clock, crypto, db, language, notify, one_time, usage
from services.core.access import STAFF_ROLES, Actor, actor_for
from services.core.config import settings
from services.core.errors import AuthenticationFailed, RateLimited, ValidationError
from services.core.language import N_, t
from services.core.models import OneTimeCode, User
from services.identity import browsers, passwords, sessions, two_factor
from services.identity.tables import SsoLink, WebAuthnCredential

P = ParamSpec("P")
R = TypeVar("R")

_hasher = PasswordHasher()
# Verified against when the username is unknown, so both failures take the same time.
_DUMMY_HASH = _hasher.hash("not-a-real-password-only-for-timing")
# The same words for an unknown user, a wrong password, a locked or a disabled account.
SIGN_IN_FAILED = N_("Incorrect username or password.")
MAX_USERNAME = 64
NO_PASSWORD = "!"  # stored instead of a hash: the account cannot sign in with a password yet
MAX_PASSWORD = passwords.MAX_LENGTH
# Throttling: from the 5th failure in a row the account pauses 1, 2, 4 ... minutes (at most 60);
# the pause ends by itself, so a lock cannot keep the real user out for good.
LOCK_AFTER = 5
MAX_LOCK = timedelta(minutes=60)


def hash_password(password: str) -> str:
    return _hasher.hash(passwords.normalise(password))


def password_matches(user: User | None, password: str) -> bool:
    """Whether the password is right; as slow for unknown or password-less accounts."""
    return hash_matches(user.password_hash if user is not None else None, password)


def hash_matches(stored: str | None, password: str) -> bool:
    """Whether the password gives the stored hash (Argon2: deliberately slow, so callers run it
    outside any transaction); as slow when there is no hash."""
    stored = stored if stored is not None and stored.startswith("$argon2") else None
    try:
        right = _hasher.verify(stored or _DUMMY_HASH, passwords.normalise(password))
    except (VerificationError, InvalidHashError):
        return False
    return bool(right) and stored is not None


def lock_for(failures: int) -> timedelta | None:
    """How long the account pauses after this many failures in a row."""
    if failures < LOCK_AFTER:
        return None
    doublings = min(failures - LOCK_AFTER, 16)  # 2**16 minutes is far past the cap already
    return min(timedelta(minutes=2**doublings), MAX_LOCK)


# The step between a correct password and the second factor.
PENDING_PURPOSE = "second_factor"
PENDING_LIFETIME = timedelta(minutes=5)
PENDING_ATTEMPTS = 5
NOT_VERIFIED = N_("Please verify your email address first: enter the code we emailed you.")
# The alternative to the authenticator: a code sent by email or text message.
CODE_PURPOSE = "sent_signin"
CODE_LIFETIME = timedelta(minutes=10)
CODE_SENDS = 3
WRONG_CODE = N_("That code is not right. Enter the current code from your app, or a recovery code.")
START_AGAIN = N_("Please sign in again.")
# Wrong second-step codes count per account across pending steps (NIST SP 800-63B 5.2.2): from
# the 10th the account pauses (15 minutes, doubling, at most 60) and the owner is emailed; the
# 100th disables it until an admin has reviewed it. A full sign-in starts the count again.
FACTOR_PAUSE_AFTER = 10
FACTOR_REVIEW_AFTER = 100
FACTOR_FIRST_PAUSE = timedelta(minutes=15)
USE_SSO = N_("This account signs in with {name}. Use that button on this page.")
PAUSED = N_("Too many wrong codes. Sign-in is paused for this account; please try again later.")


@dataclass(frozen=True)
class SignedIn:
    actor: Actor
    token: str  # the server-side session's token, for the browser
    recovery_codes: tuple[str, ...] = field(default=(), repr=False)  # shown once, at enrolment
    told: bool = False  # a new-sign-in notice was queued: deliver it once committed


@dataclass(frozen=True)
class CodeNeeded:
    """The password was right; the second step comes next: the authenticator code (or a
    recovery code, or a code sent by email or text) and/or a passkey or security key."""

    pending: str = field(repr=False)
    authenticator: bool = True  # an authenticator app is on: codes work
    security_key: bool = False  # a passkey or a security key works
    trust_days: int = 0  # "Trust this browser" may be offered for this many days (0: not)


@dataclass(frozen=True)
class EnrolmentNeeded:
    """Staff must switch on the second factor before their first session."""

    pending: str = field(repr=False)
    enrolment: two_factor.Enrolment = field(repr=False)


SignInStep = SignedIn | CodeNeeded | EnrolmentNeeded


def _fail(session: Session, user: User | None, username: str, reason: str) -> None:
    if user is not None and reason == "bad password":
        user.failed_attempts += 1
        pause = lock_for(user.failed_attempts)
        if pause is not None:
            user.locked_until = clock.now() + pause
            minutes = pause.total_seconds() / 60
            audit.record(
                session,
                actor_for(session, user),
                "auth.lockout",
                outcome=audit.DENIED,
                detail=f"{user.failed_attempts} failures; paused {minutes:.0f} min",
            )
    audit.record(
        session, None, "auth.sign_in", outcome=audit.FAILURE, username=username, detail=reason
    )


def _pending(session: Session, user: User) -> str:
    token = crypto.token()
    one_time.issue(session, user.id, PENDING_PURPOSE, PENDING_LIFETIME, token)
    return token


def open_session(
    session: Session,
    user: User,
    codes: tuple[str, ...] = (),
    browser: browsers.Browser | None = None,
    trust: bool = False,
) -> SignedIn:
    """A signed-in session for a user whose every factor was checked (the caller's job), from
    `browser` (told to the account when new; trusted when `trust` and allowed)."""
    told = browsers.seen(session, user, browser, trust)
    user.failed_attempts = 0
    user.second_factor_failures = 0
    user.locked_until = None
    user.last_sign_in_at = clock.now()
    actor = actor_for(session, user)
    token = sessions.start(session, user)
    audit.record(session, actor, "auth.sign_in")
    if not actor.is_staff:  # a patient's or a proxy's sign-in is portal use
        user.first_sign_in_at = user.first_sign_in_at or user.last_sign_in_at
        usage.record_use(session, user.id, usage.SIGN_IN, user.patient_id)
    return SignedIn(actor, token, codes, told)


def delivering(step: Callable[P, R]) -> Callable[P, R]:
    """A sign-in step that delivers its new-sign-in notice once its transaction committed."""

    @wraps(step)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        result = step(*args, **kwargs)
        if isinstance(result, SignedIn) and result.told:
            notify.flush()
        return result

    return run


def has_keys(session: Session, user: User) -> bool:
    """Whether the account has a passkey or a security key (a second step after the password)."""
    found = session.scalar(
        select(func.count())
        .select_from(WebAuthnCredential)
        .where(WebAuthnCredential.user_id == user.id)
    )
    return bool(found)


def sign_in(*, username: str, password: str, browser: browsers.Browser | None = None) -> SignInStep:
    """The next step for a username and password: a session, or the second factor first (not
    from a browser the account trusts)."""
    username = (username or "").strip().lower()
    fields = {}
    if not username:
        fields["username"] = t("Enter your username.")
    if not password:
        fields["password"] = t("Enter your password.")
    if fields:
        raise ValidationError(fields)
    if len(username) > MAX_USERNAME or len(password) > MAX_PASSWORD:
        raise AuthenticationFailed(t(SIGN_IN_FAILED))
    unverified = single_sign_on = False
    # The slow check first, outside the transaction: on DuckDB a transaction holds the process's
    # one write lock, and every other person's page would wait for this hash.
    with db.read_only() as session:
        stored = session.scalar(select(User.password_hash).where(User.username == username))
    matches = hash_matches(stored, password)
    with db.transaction() as session:
        user = session.scalars(select(User).where(User.username == username)).one_or_none()
        ok = matches and user is not None and user.password_hash == stored  # unchanged since
        now = clock.now()
        if user is None:
            _fail(session, None, username, "unknown user")
        elif user.locked_until is not None and user.locked_until > now:
            _fail(session, user, username, "locked")
        elif not ok:
            _fail(session, user, username, "bad password")
        elif user.status == "pending":
            # Only someone who knows the password learns that the email is not verified yet.
            _fail(session, user, username, "pending")
            unverified = True
        elif user.status != "active":
            _fail(session, user, username, f"status {user.status}")
        elif _signs_in_elsewhere(session, user):
            # Only someone who knows the password learns that the account uses single sign-on.
            _fail(session, user, username, "single sign-on account")
            single_sign_on = True
        else:
            user.failed_attempts = 0
            user.locked_until = None
            keys = has_keys(session, user)
            if user.totp_enabled_at is not None or keys:
                if browsers.trusted(session, user, browser):
                    audit.record(session, actor_for(session, user), "auth.trusted_browser")
                    return open_session(session, user, browser=browser)
                return CodeNeeded(
                    _pending(session, user),
                    user.totp_enabled_at is not None,
                    keys,
                    browsers.trust_days(actor_for(session, user)),
                )
            if actor_for(session, user).roles & set(STAFF_ROLES):
                return EnrolmentNeeded(_pending(session, user), two_factor.begin(session, user))
            return open_session(session, user, browser=browser)
    sso = settings().sso
    if single_sign_on and sso is not None:
        raise AuthenticationFailed(t(USE_SSO, name=sso.name))
    raise AuthenticationFailed(t(NOT_VERIFIED if unverified else SIGN_IN_FAILED))


def _signs_in_elsewhere(session: Session, user: User) -> bool:
    """Whether an admin linked the account to the clinic's identity provider (single sign-on,
    services.identity.sso): its password no longer signs it in."""
    sso = settings().sso
    if sso is None:
        return False
    found = session.scalar(
        select(SsoLink.id).where(SsoLink.user_id == user.id, SsoLink.issuer == sso.issuer)
    )
    return found is not None


def factor_pause(failures: int) -> timedelta | None:
    """How long the account pauses after this many wrong second-step codes."""
    if failures < FACTOR_PAUSE_AFTER:
        return None
    doublings = min(failures - FACTOR_PAUSE_AFTER, 4)
    pause: timedelta = FACTOR_FIRST_PAUSE * 2**doublings
    return min(pause, MAX_LOCK)


def _wrong_factor(session: Session, user: User) -> None:
    """Count a wrong code against the account; pause it, or disable it for review."""
    user.second_factor_failures = (user.second_factor_failures or 0) + 1
    failures = user.second_factor_failures
    actor = actor_for(session, user)
    audit.record(session, actor, "auth.second_factor", outcome=audit.FAILURE)
    if failures >= FACTOR_REVIEW_AFTER:
        user.status = "disabled"
        audit.record(
            session,
            actor,
            "auth.lockout",
            outcome=audit.DENIED,
            detail=f"{failures} wrong second-step codes; disabled for review",
        )
        with language.using(user.language):  # in the recipient's language
            notify.security_notice(
                session,
                user,
                t("your account was locked"),
                t(
                    "Someone who knows your password entered {failures} wrong two-step "
                    "codes. We locked your account until the help desk has checked it; call "
                    "them to unlock it and change your password.",
                    failures=failures,
                ),
            )
        return
    pause = factor_pause(failures)
    if pause is None:
        return
    user.locked_until = clock.now() + pause
    audit.record(
        session,
        actor,
        "auth.lockout",
        outcome=audit.DENIED,
        detail=f"{failures} wrong second-step codes; paused {pause.total_seconds() / 60:.0f} min",
    )
    if failures == FACTOR_PAUSE_AFTER:
        with language.using(user.language):  # in the recipient's language
            notify.security_notice(
                session,
                user,
                t("wrong sign-in codes on your account"),
                t(
                    "Someone who knows your password entered {failures} wrong two-step "
                    "codes for your account, so sign-in is paused for a while. If this was "
                    "not you, change your password now.",
                    failures=failures,
                ),
            )


def live_pending(session: Session, pending: str) -> tuple[OneTimeCode, User] | None:
    """The password step still open for this token (its row and user), or None."""
    row = session.scalars(
        select(OneTimeCode).where(
            OneTimeCode.code_hash == crypto.code_hash(pending or "-"),
            OneTimeCode.purpose == PENDING_PURPOSE,
        )
    ).one_or_none()
    user = session.get(User, row.user_id) if row is not None else None
    now = clock.now()
    if (
        row is None
        or user is None
        or row.used_at is not None
        or row.expires_at <= now
        or row.attempts >= PENDING_ATTEMPTS
        or user.status != "active"
        or (user.locked_until is not None and user.locked_until > now)  # steps begun before
    ):
        return None
    return row, user


def _mask(address: str, channel: str) -> str:
    if channel == notify.EMAIL:
        name, _, domain = address.partition("@")
        return f"{name[:1]}***@{domain}"
    return f"•••• {address[-4:]}"


def sign_in_send_code(*, pending: str, channel: str) -> str:
    """The alternative to the authenticator: a 6-digit code by email or text (10 minutes, once).

    Only for accounts whose second factor is on; returns where it went, masked."""
    if channel not in (notify.EMAIL, notify.SMS):
        raise ValidationError({"channel": t("Choose email or text message.")})
    with db.transaction() as session:
        live = live_pending(session, pending)
        if live is None or live[1].totp_enabled_at is None:
            raise AuthenticationFailed(t(START_AGAIN))
        user = live[1]
        address = user.email if channel == notify.EMAIL else user.phone
        if not address:
            kind = t("email address") if channel == notify.EMAIL else t("mobile number")
            raise ValidationError({"channel": t("There is no {kind} on this account.", kind=kind)})
        recent = session.scalars(
            select(OneTimeCode.id).where(
                OneTimeCode.user_id == user.id,
                OneTimeCode.purpose == CODE_PURPOSE,
                OneTimeCode.created_at > clock.now() - CODE_LIFETIME,
            )
        ).all()
        if len(recent) >= CODE_SENDS:
            raise RateLimited(
                t("We have sent several codes already. Use one of them, or wait 10 minutes.")
            )
        code = crypto.digits(6)
        one_time.issue(session, user.id, CODE_PURPOSE, CODE_LIFETIME, code)
        notify.enqueue(
            session,
            user.id,
            channel,
            "sign_in_code",
            t("Your sign-in code"),
            t(
                "Your sign-in code is {code}. It expires in 10 minutes. If you are not "
                "signing in, change your password.",
                code=code,
            ),
        )
        audit.record(session, actor_for(session, user), "auth.sign_in_code_sent", detail=channel)
        where = _mask(address, channel)
    notify.flush()
    return where


def _use_sent_code(session: Session, user: User, code: str) -> bool:
    row = session.scalars(
        select(OneTimeCode).where(
            OneTimeCode.user_id == user.id,
            OneTimeCode.purpose == CODE_PURPOSE,
            OneTimeCode.code_hash == crypto.code_hash(code),
            OneTimeCode.used_at.is_(None),
            OneTimeCode.expires_at > clock.now(),
        )
    ).first()
    if row is None:
        return False
    row.used_at = clock.now()
    return True


def _verify_second_step(session: Session, user: User, code: str) -> tuple[str, ...] | None:
    """Recovery codes to show (empty) when the code is right, None when it is not."""
    if user.totp_enabled_at is None:  # staff enrolling: the first right code switches it on
        codes = two_factor.finish(session, user, code)
        return None if codes is None else tuple(codes)
    if _use_sent_code(session, user, code.strip()):
        return ()
    if two_factor.looks_like_recovery_code(code):
        return () if two_factor.use_recovery_code(session, user, code) else None
    return () if two_factor.check_totp(session, user, code) == two_factor.ACCEPTED else None


@delivering
def sign_in_code(
    *, pending: str, code: str, browser: browsers.Browser | None = None, trust: bool = False
) -> SignedIn:
    """The second step: an authenticator code (replays refused) or a recovery code; `trust`
    asks to trust the browser (only where the account may).

    For staff enrolling at sign-in, the first correct code switches the factor on and the
    result carries the recovery codes to show once.
    """
    if not (code or "").strip():
        raise ValidationError({"code": t("Enter the code.")})
    with db.transaction() as session:
        live = live_pending(session, pending)
        if live is None:
            problem = START_AGAIN
        else:
            row, user = live
            codes = _verify_second_step(session, user, code)
            if codes is not None:
                row.used_at = clock.now()
                return open_session(session, user, codes, browser, trust)
            row.attempts += 1
            _wrong_factor(session, user)
            stopped = user.status != "active" or (
                user.locked_until is not None and user.locked_until > clock.now()
            )
            problem = PAUSED if stopped else WRONG_CODE
    if problem == PAUSED:
        notify.flush()
    raise AuthenticationFailed(t(problem))
