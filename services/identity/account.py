"""The signed-in user's own account: contact details, notification preferences, password,
second factor and recovery codes (re-authentication first, SECURITY.md 6), sign-in activity,
and who has accessed their record.
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
from services.core.contact import contact_fields
from services.core.errors import AuthenticationFailed, PermissionDenied, ValidationError
from services.core.language import N_, t, tn
from services.core.models import AuditEvent, NotificationPreference, OneTimeCode, User
from services.core.work import patient_work
from services.identity import auth, passwords, sessions, two_factor
from services.identity.tables import UserSession

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
# A new email address takes effect only with the code sent to it (SECURITY.md 6).
EMAIL_CHANGE_PURPOSE = "email_change"
EMAIL_CHANGE_LIFETIME = timedelta(minutes=30)
EMAIL_CHANGE_ATTEMPTS = 5
BAD_EMAIL_CODE = N_("That code is not right or has expired. Ask for a new one.")
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
            second_factor_on=user.totp_enabled_at is not None,
            recovery_codes_left=two_factor.recovery_codes_left(session, user),
            preferences=_preferences(session, user),
            must_keep_second_factor=staff,
        )


def _masked(email: str) -> str:
    name, _, domain = email.partition("@")
    return f"{name[:1]}***@{domain}"


def contact_update(*, actor: Actor, password: str, email: str, phone: str | None) -> bool:
    """Change the mobile phone at once and ask for a new email address to be verified (the
    current password first). Returns whether a code went to a new address: the address changes
    only when that code is entered (`email_change_confirm`)."""
    fields: dict[str, str] = {}
    email, checked_phone = contact_fields(fields, email, phone)
    if fields:
        raise ValidationError(fields)
    with db.transaction() as session:
        user = _user(session, actor)
        _reauthenticate(session, user, password, "account.contact_update")
        if checked_phone != user.phone:
            user.phone = checked_phone
            with language.using(user.language):  # in the recipient's language
                notify.security_notice(
                    session,
                    user,
                    t("your mobile number was changed"),
                    t("The mobile number on your patient portal account was changed."),
                )
        changing = email.lower() != (user.email or "").lower()
        if changing:
            user.pending_email = email
            code = crypto.digits(6)
            one_time.issue(session, user.id, EMAIL_CHANGE_PURPOSE, EMAIL_CHANGE_LIFETIME, code)
            notify.enqueue(
                session,
                user.id,
                notify.EMAIL,
                "email_verify",
                t("Confirm your new email address"),
                t(
                    "Your code to confirm this address for your patient portal account is "
                    "{code}. It expires in 30 minutes.\nIf you did not ask for this, ignore "
                    "this message.",
                    code=code,
                ),
                to_address=email,
            )
        detail = "email change asked" if changing else None
        audit.record(session, actor, "account.contact_update", detail=detail)
    notify.flush()
    return changing


def email_change_confirm(*, actor: Actor, code: str) -> str:
    """Make the waiting address the account's email with the code sent to it; the old
    address is told. Returns the new address."""
    with db.transaction() as session:
        user = _user(session, actor)
        row = None
        if user.pending_email:
            row = one_time.latest_live(
                session, user.id, EMAIL_CHANGE_PURPOSE, EMAIL_CHANGE_ATTEMPTS
            )
        if row is not None and user.pending_email and crypto.codes_match(code or "", row.code_hash):
            old, new = user.email, user.pending_email
            row.used_at = clock.now()
            user.email, user.pending_email = new, None
            if old:
                with language.using(user.language):  # in the recipient's language
                    notify.security_notice(
                        session,
                        user,
                        t("your email address was changed"),
                        t(
                            "The email address on your patient portal account was changed to "
                            "{new}. Messages now go there, not to this address.",
                            new=_masked(new),
                        ),
                        to_address=old,
                    )
            audit.record(session, actor, "account.email_changed")
            confirmed = True
        else:
            if row is not None:
                row.attempts += 1
            audit.record(session, actor, "account.email_changed", outcome=audit.FAILURE)
            confirmed = False
    if not confirmed:
        raise ValidationError({"code": t(BAD_EMAIL_CODE)})
    notify.flush()
    return new


def email_change_cancel(*, actor: Actor) -> None:
    """Forget an address still waiting for its code."""
    with db.transaction() as session:
        user = _user(session, actor)
        user.pending_email = None
        session.execute(
            update(OneTimeCode)
            .where(
                OneTimeCode.user_id == user.id,
                OneTimeCode.purpose == EMAIL_CHANGE_PURPOSE,
                OneTimeCode.used_at.is_(None),
            )
            .values(used_at=clock.now())
        )
        audit.record(session, actor, "account.email_change_cancelled")


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
    """Patients may switch two-step verification off; staff cannot (SECURITY.md 5)."""
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
