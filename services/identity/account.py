"""The signed-in user's own account: contact details, notification preferences, password,
second factor and recovery codes (re-authentication first, docs/rules/security.md 6), sign-in
activity, and who has accessed their record.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, aliased

from services.core import access, audit, clock, crypto, db, language, notify, one_time
from services.core.access import Actor
from services.core.config import settings
from services.core.contact import contact_fields
from services.core.errors import AuthenticationFailed, NotFound, PermissionDenied, ValidationError
from services.core.language import N_, t, tn
from services.core.models import AuditEvent, NotificationPreference, OneTimeCode, User
from services.core.work import patient_work
from services.identity import auth, browsers, passwords, sessions, two_factor
from services.identity.tables import ContactChange, UserSession

# Kinds of events a user can choose channels for; security events always go by email.
KINDS = ("results", "messages", "bills", "appointments")
KIND_WORDS = {
    "results": N_("Results"),
    "messages": N_("Messages"),
    "bills": N_("Bills"),
    "appointments": N_("Appointments"),
}
OUTCOME_WORDS = {
    audit.SUCCESS: N_("Succeeded"),
    audit.DENIED: N_("Refused"),
    audit.NOT_FOUND: N_("Not found"),
    audit.FAILURE: N_("Failed"),
}
# The part of a record an audited action was about (its first word), in words.
AREA_WORDS = {
    "home": N_("Home"),
    "results": N_("Test results"),
    "records": N_("Medical record"),
    "metrics": N_("Health metrics"),
    "appointments": N_("Visits"),
    "messages": N_("Messages"),
    "refills": N_("Refills"),
    "billing": N_("Billing"),
    "records_request": N_("Records requests"),
    "amendment": N_("Amendment requests"),
    "proxy": N_("Proxy access"),
    "alerts": N_("Metric alerts"),
    "disclosure": N_("Disclosures"),
}
SECURITY = notify.SECURITY
# A new email address or mobile number takes effect only with the code sent to it, and the
# account's email is told, with a link that undoes a change for a while (docs/rules/security.md 6).
EMAIL, PHONE = "email", "phone"
PENDING = {EMAIL: "pending_email", PHONE: "pending_phone"}
CHANGE_PURPOSE = {EMAIL: "email_change", PHONE: "phone_change"}
KIND_NAMES = {EMAIL: N_("email address"), PHONE: N_("mobile number")}
CHANGE_LIFETIME = timedelta(minutes=30)
CHANGE_ATTEMPTS = 5
UNDO_LIFETIME = timedelta(days=14)
UNDO_PAGE = "undo-change"  # the public page the undo link opens
BAD_CHANGE_CODE = N_("That code is not right or has expired. Ask for a new one.")
UNKNOWN_KIND = N_("Choose the email address or the mobile number.")
WRONG_PASSWORD = N_("Your current password is not right.")
ACTIVITY_LIMIT = 20


@dataclass(frozen=True)
class Channels:
    email: bool
    sms: bool


@dataclass(frozen=True)
class AccountView:
    username: str
    display_name: str
    email: str | None
    pending_email: str | None  # waiting for the code sent to it
    phone: str | None
    pending_phone: str | None  # likewise
    second_factor_on: bool
    recovery_codes_left: int
    preferences: dict[str, Channels]
    must_keep_second_factor: bool


def _user(session: Session, actor: Actor) -> User:
    if not isinstance(actor, Actor):
        raise PermissionDenied(t("Please sign in."))
    user = session.get(User, actor.user_id)
    if user is None or user.status != "active":
        raise AuthenticationFailed(t(sessions.SESSION_ENDED))
    return user


def _reauthenticate(session: Session, user: User, password: str, action: str) -> None:
    if not auth.password_matches(user, password or ""):
        audit.record(
            session,
            access.actor_for(session, user),
            action,
            outcome=audit.DENIED,
            detail="re-authentication failed",
        )
        raise AuthenticationFailed(t(WRONG_PASSWORD))


def _preferences(session: Session, user: User) -> dict[str, Channels]:
    saved = {
        row.kind: Channels(row.email, row.sms)
        for row in session.scalars(
            select(NotificationPreference).where(NotificationPreference.user_id == user.id)
        )
    }
    return {kind: saved.get(kind, Channels(True, False)) for kind in KINDS}


def account_overview(*, actor: Actor) -> AccountView:
    with db.transaction() as session:
        user = _user(session, actor)
        staff = bool(access.actor_for(session, user).roles & set(access.STAFF_ROLES))
        return AccountView(
            username=user.username,
            display_name=user.display_name,
            email=user.email,
            pending_email=user.pending_email,
            phone=user.phone,
            pending_phone=user.pending_phone,
            second_factor_on=user.totp_enabled_at is not None,
            recovery_codes_left=two_factor.recovery_codes_left(session, user),
            preferences=_preferences(session, user),
            must_keep_second_factor=staff,
        )


def _masked(email: str) -> str:
    name, _, domain = email.partition("@")
    return f"{name[:1]}***@{domain}"


def _shown(kind: str, value: str) -> str:
    """An address as a notice names it: an email masked, a phone number's last four digits."""
    return _masked(value) if kind == EMAIL else f"•••• {value[-4:]}"


def contact_update(*, actor: Actor, password: str, email: str, phone: str | None) -> bool:
    """Ask for a new email address or mobile number (the current password first): each takes
    effect only when the code sent to the new address is entered (`contact_change_confirm`),
    and the account's email is told at once. A number taken off changes at once (told, with a
    link that puts it back). Returns whether a code went out."""
    fields: dict[str, str] = {}
    email, checked_phone = contact_fields(fields, email, phone)
    if fields:
        raise ValidationError(fields)
    with db.transaction() as session:
        user = _user(session, actor)
        _reauthenticate(session, user, password, "account.contact_update")
        asked = []
        if email.lower() != (user.email or "").lower():
            asked.append(EMAIL)
            _ask_for_change(session, user, EMAIL, email)
        if checked_phone is None and user.phone is not None:
            _changed(session, user, PHONE, None)
        elif checked_phone is not None and checked_phone != user.phone:
            asked.append(PHONE)
            _ask_for_change(session, user, PHONE, checked_phone)
        detail = " and ".join(f"{kind} change asked" for kind in asked) or None
        audit.record(session, actor, "account.contact_update", detail=detail)
    notify.flush()
    return bool(asked)


def _ask_for_change(session: Session, user: User, kind: str, new: str) -> None:
    """Keep the new address waiting, send it a code, and tell the account's email now."""
    setattr(user, PENDING[kind], new)
    code = crypto.digits(6)
    one_time.issue(session, user.id, CHANGE_PURPOSE[kind], CHANGE_LIFETIME, code)
    with language.using(user.language):  # in the recipient's language
        notify.enqueue(
            session,
            user.id,
            notify.EMAIL if kind == EMAIL else notify.SMS,
            "email_verify" if kind == EMAIL else "phone_verify",
            t("Confirm your new email address") if kind == EMAIL else t("Your code"),
            t(
                "Your code to confirm this address for your patient portal account is "
                "{code}. It expires in 30 minutes.\nIf you did not ask for this, ignore "
                "this message.",
                code=code,
            ),
            to_address=new,
        )
        if user.email:
            notify.security_notice(
                session,
                user,
                t("a change of your contact details was asked for"),
                t(
                    "Someone signed in to your patient portal account asked to use {new} as "
                    "its {kind}. Nothing changes until the code sent there is entered. If "
                    'this was not you, sign in, choose "Keep my current details" on Your '
                    "account, and change your password.",
                    new=_shown(kind, new),
                    kind=t(KIND_NAMES[kind]),
                ),
            )


def _changed(session: Session, user: User, kind: str, new: str | None) -> None:
    """Make the change, and tell the account's email (the old one, for an email change) with a
    link that puts the old value back."""
    old = getattr(user, kind)
    setattr(user, kind, new)
    setattr(user, PENDING[kind], None)
    secret = crypto.token()
    now = clock.now()
    session.add(
        ContactChange(
            user_id=user.id,
            kind=kind,
            old_value=old,
            new_value=new,
            undo_hash=crypto.code_hash(secret),
            changed_at=now,
            undo_until=now + UNDO_LIFETIME,
        )
    )
    told = old if kind == EMAIL else user.email
    if told:
        with language.using(user.language):  # in the recipient's language
            now_reads = _shown(kind, new) if new else t("none")
            notify.security_notice(
                session,
                user,
                t("your contact details were changed"),
                t(
                    "The {kind} on your patient portal account is now {new}. If this was not "
                    "you, open this link within {days} days to put it back and sign out "
                    "everywhere, then change your password:\n{link}",
                    kind=t(KIND_NAMES[kind]),
                    new=now_reads,
                    days=UNDO_LIFETIME.days,
                    link=f"{settings().public_url}/{UNDO_PAGE}?token={secret}",
                ),
                to_address=told,
            )
    audit.record(session, access.actor_for(session, user), f"account.{kind}_changed")


def contact_change_confirm(*, actor: Actor, kind: str, code: str) -> str:
    """Make the waiting email address or mobile number the account's with the code sent to
    it; the old address is told. Returns the new value."""
    if kind not in PENDING:
        raise ValidationError({"kind": t(UNKNOWN_KIND)})
    with db.transaction() as session:
        user = _user(session, actor)
        new = getattr(user, PENDING[kind])
        row = None
        if new:
            row = one_time.latest_live(session, user.id, CHANGE_PURPOSE[kind], CHANGE_ATTEMPTS)
        if row is not None and new and crypto.codes_match(code or "", row.code_hash):
            row.used_at = clock.now()
            _changed(session, user, kind, new)
            confirmed = True
        else:
            if row is not None:
                row.attempts += 1
            audit.record(session, actor, f"account.{kind}_changed", outcome=audit.FAILURE)
            confirmed = False
    if not confirmed:
        raise ValidationError({"code": t(BAD_CHANGE_CODE)})
    notify.flush()
    return str(new)


def contact_change_cancel(*, actor: Actor, kind: str) -> None:
    """Forget an email address or mobile number still waiting for its code."""
    if kind not in PENDING:
        raise ValidationError({"kind": t(UNKNOWN_KIND)})
    with db.transaction() as session:
        user = _user(session, actor)
        setattr(user, PENDING[kind], None)
        session.execute(
            update(OneTimeCode)
            .where(
                OneTimeCode.user_id == user.id,
                OneTimeCode.purpose == CHANGE_PURPOSE[kind],
                OneTimeCode.used_at.is_(None),
            )
            .values(used_at=clock.now())
        )
        audit.record(session, actor, f"account.{kind}_change_cancelled")


def contact_change_undo(*, token: str) -> str:
    """The link sent to the old address: put the old email address or number back (while the
    account still has the one it was changed to), end every session, and tell that address.
    Returns what the page says; the same refusal for every link that does not work."""
    with db.transaction() as session:
        change = session.scalars(
            select(ContactChange).where(ContactChange.undo_hash == crypto.code_hash(token or ""))
        ).one_or_none()
        user = session.get(User, change.user_id) if change is not None else None
        if (
            change is None
            or user is None
            or change.undone_at is not None
            or change.undo_until < clock.now()
            or getattr(user, change.kind) != change.new_value
        ):
            audit.record(session, None, "account.contact_change_undone", outcome=audit.FAILURE)
            refused = True
        else:
            refused = False
            change.undone_at = clock.now()
            setattr(user, change.kind, change.old_value)
            setattr(user, PENDING[change.kind], None)
            sessions.end_sessions(session, [user.id], "contact_undo")
            audit.record(session, access.actor_for(session, user), "account.contact_change_undone")
            with language.using(user.language):
                notify.security_notice(
                    session,
                    user,
                    t("your contact details were put back"),
                    t(
                        "The change of your {kind} was undone and every session signed out. "
                        "Change your password now: whoever made the change knew it.",
                        kind=t(KIND_NAMES[change.kind]),
                    ),
                )
    if refused:
        raise NotFound(t("This link does not work any more. Call the clinic's help desk."))
    notify.flush()
    return t("Your contact details are back as they were and every session is signed out.")


def preferences_update(*, actor: Actor, preferences: Mapping[str, Channels]) -> None:
    unknown = set(preferences) - set(KINDS)
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), t("Not a kind of notification.")))
    with db.transaction() as session:
        user = _user(session, actor)
        if any(c.sms for c in preferences.values()) and not user.phone:
            raise ValidationError(
                {"sms": t("Add a mobile phone number before choosing text messages.")}
            )
        for kind, channels in preferences.items():
            row = session.get(NotificationPreference, (user.id, kind))
            if row is None:
                session.add(
                    NotificationPreference(
                        user_id=user.id, kind=kind, email=channels.email, sms=channels.sms
                    )
                )
            else:
                row.email, row.sms = channels.email, channels.sms
        audit.record(session, actor, "account.preferences_update")


def language_update(*, actor: Actor, code: str) -> Actor:
    """Keep the language this person reads the portal and its emails in; the actor with it."""
    if code not in language.LANGUAGES:
        raise ValidationError({"language": language.t("Choose one of the languages offered.")})
    with db.transaction() as session:
        user = _user(session, actor)
        if user.language != code:
            user.language = code
            audit.record(session, actor, "account.language_update", detail=code)
    return replace(actor, language=code)


def password_change(*, actor: Actor, token: str, current: str, new: str) -> int:
    """Change the password (current one first); every other session ends. Returns how many."""
    with db.transaction() as session:
        user = _user(session, actor)
        _reauthenticate(session, user, current, "account.password_change")
        problem = passwords.password_problem(
            new or "", (user.display_name, user.username, (user.email or "").split("@")[0])
        )
        if problem:
            raise ValidationError({"new_password": problem})
        user.password_hash = auth.hash_password(new)
        browsers.end_trust(session, user.id)
        others = session.scalars(
            select(UserSession.id).where(
                UserSession.user_id == user.id,
                UserSession.ended_at.is_(None),
                UserSession.token_hash != crypto.code_hash(token or "-"),
            )
        ).all()
        if others:
            session.execute(
                update(UserSession)
                .where(UserSession.id.in_(others))
                .values(ended_at=clock.now(), end_reason="password_change")
            )
        with language.using(user.language):  # in the recipient's language
            notify.security_notice(
                session,
                user,
                t("your password was changed"),
                tn(
                    "The password of your patient portal account was changed; {count} other "
                    "session was signed out.",
                    "The password of your patient portal account was changed; {count} other "
                    "sessions were signed out.",
                    len(others),
                )
                if others
                else t("The password of your patient portal account was changed."),
            )
        audit.record(
            session, actor, "account.password_change", detail=f"{len(others)} other sessions ended"
        )
    notify.flush()
    return len(others)


def second_factor_start(*, actor: Actor, password: str) -> two_factor.Enrolment:
    """Begin (or redo) authenticator setup; the current password is asked first."""
    with db.transaction() as session:
        user = _user(session, actor)
        _reauthenticate(session, user, password, "mfa.totp_enrolment_started")
        return two_factor.begin(session, user)


def second_factor_finish(*, actor: Actor, code: str) -> list[str]:
    """Switch the authenticator on with a correct code; returns new recovery codes (shown once)."""
    with db.transaction() as session:
        user = _user(session, actor)
        codes = two_factor.finish(session, user, code or "")
        if codes is None:
            raise ValidationError(
                {"code": t("That code is not right. Enter the code your app shows now.")}
            )
        with language.using(user.language):  # in the recipient's language
            notify.security_notice(
                session,
                user,
                t("two-step verification was switched on"),
                t("Two-step verification was switched on for your patient portal account."),
            )
    notify.flush()
    return codes


def recovery_codes_renew(*, actor: Actor, password: str) -> list[str]:
    with db.transaction() as session:
        user = _user(session, actor)
        _reauthenticate(session, user, password, "mfa.recovery_codes_renewed")
        if user.totp_enabled_at is None:
            raise ValidationError({"code": t("Switch on two-step verification first.")})
        codes = two_factor.new_recovery_codes(session, user)
        with language.using(user.language):  # in the recipient's language
            notify.security_notice(
                session,
                user,
                t("new recovery codes"),
                t("New recovery codes were made for your account; the old ones no longer work."),
            )
        audit.record(session, actor, "mfa.recovery_codes_renewed")
    notify.flush()
    return codes


def second_factor_off(*, actor: Actor, password: str) -> None:
    """Patients may switch two-step verification off; staff cannot (docs/rules/security.md 5)."""
    with db.transaction() as session:
        user = _user(session, actor)
        _reauthenticate(session, user, password, "mfa.totp_disabled")
        if access.actor_for(session, user).roles & set(access.STAFF_ROLES):
            raise PermissionDenied(t("Staff accounts always use two-step verification."))
        user.totp_enabled_at = None
        user.totp_secret_encrypted = None
        two_factor.new_recovery_codes(session, user)  # retires the old ones
        with language.using(user.language):  # in the recipient's language
            notify.security_notice(
                session,
                user,
                t("two-step verification was switched off"),
                t(
                    "Two-step verification was switched off for your patient portal "
                    "account. Signing in now needs only your password."
                ),
            )
        audit.record(session, actor, "mfa.totp_disabled")
    notify.flush()


@dataclass(frozen=True)
class ActivityItem:
    at: datetime
    what: str
    outcome: str


ACTIVITY_WORDS = {
    "auth.sign_in": N_("Signed in"),
    "auth.sign_out": N_("Signed out"),
    "auth.sign_out_everywhere": N_("Signed out everywhere"),
    "auth.session_end": N_("Session ended"),
    "auth.lockout": N_("Sign-in paused after failed attempts"),
    "auth.second_factor": N_("Wrong two-step code"),
    "auth.password_reset": N_("Password reset"),
    "account.password_change": N_("Password changed"),
    "mfa.totp_enabled": N_("Two-step verification switched on"),
    "mfa.totp_disabled": N_("Two-step verification switched off"),
    "mfa.recovery_code_used": N_("Recovery code used"),
    "mfa.totp_replay": N_("A used code was tried again"),
}


def sign_in_activity(*, actor: Actor) -> list[ActivityItem]:
    """The account's recent sign-in and security events, newest first."""
    with db.transaction() as session:
        user = _user(session, actor)
        rows = session.execute(
            select(AuditEvent.occurred_at, AuditEvent.action, AuditEvent.outcome)
            .where(
                AuditEvent.action.in_(list(ACTIVITY_WORDS)),
                (AuditEvent.actor_user_id == user.id)
                | (
                    (AuditEvent.actor_user_id.is_(None))
                    & (AuditEvent.actor_username == user.username)
                ),
            )
            .order_by(AuditEvent.seq.desc())
            .limit(ACTIVITY_LIMIT)
        ).all()
        audit.record(session, actor, "account.activity_view")
        return [
            ActivityItem(at, t(ACTIVITY_WORDS[action]), t(OUTCOME_WORDS.get(outcome, outcome)))
            for at, action, outcome in rows
        ]


def _area(action: str) -> str:
    area = action.split(".")[0]
    return t(AREA_WORDS[area]) if area in AREA_WORDS else area


@dataclass(frozen=True)
class AccessItem:
    at: datetime
    who: str
    role: str
    what: str


def record_access_log(*, actor: Actor, patient_id: uuid.UUID) -> list[AccessItem]:
    """Who else opened this patient's record: names and roles, never internal ids."""
    with patient_work(actor, patient_id, "account.access_log_view", access.SUMMARY) as (session, _):
        viewer = aliased(User)
        rows = session.execute(
            select(
                AuditEvent.occurred_at,
                viewer.display_name,
                AuditEvent.actor_role,
                AuditEvent.action,
            )
            .join(viewer, viewer.id == AuditEvent.actor_user_id)
            .where(
                AuditEvent.patient_id == patient_id,
                AuditEvent.outcome == audit.SUCCESS,
                AuditEvent.actor_user_id != actor.user_id,
            )
            .order_by(AuditEvent.seq.desc())
            .limit(50)
        ).all()
        return [
            AccessItem(at, who, t(access.ROLE_WORDS.get(role or "", role or "")), _area(action))
            for at, who, role, action in rows
        ]
