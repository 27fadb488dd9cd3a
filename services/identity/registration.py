"""Patient self-registration: prove who you are, choose credentials, verify your email.

1. `registration_match`: first and last name, date of birth, and the medical record number
   and/or the activation code the clinic gave must all match one patient record that has no
   account yet. A mismatch says nothing about which field was wrong or whether the record
   exists, and repeated tries are throttled. A match returns a short-lived signed ticket.
2. `registration_create`: email, optional mobile phone, username, password
   (docs/rules/security.md 1) and the terms (version and time recorded). The account is created
   pending, and a code is emailed.
3. `registration_verify`: the emailed code activates the account.
A caregiver without a patient record of their own registers a proxy account
(`caregiver_registration_create`: name, date of birth, then the same credentials, terms and
email code); `proxy_account` does the same inside another service's transaction (an invitation).
Every refusal names the fields to fix and writes nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import uuid
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.core import access, audit, clock, crypto, db, notify, one_time, throttle
from services.core.access import Actor
from services.core.config import settings
from services.core.contact import contact_fields
from services.core.errors import AuthenticationFailed, Conflict, NotFound, ValidationError
from services.core.language import N_, t
from services.core.models import Patient, User, UserRole
from services.core.work import staff_work
from services.identity import auth, passwords
from services.identity.tables import ActivationCode

TERMS_VERSION = "2026-01"
TICKET_LIFETIME = timedelta(minutes=30)
VERIFY_LIFETIME = timedelta(minutes=30)
VERIFY_ATTEMPTS = 5
ACTIVATION_LIFETIME = timedelta(days=30)
NO_MATCH = N_(
    "We could not match these details to a patient record without an account. Check them "
    "against your visit paperwork, or ask the clinic for an activation code."
)
BAD_CODE = N_("That code is not right or has expired.")
USERNAME_JUST_TAKEN = N_("That username was taken a moment ago. Choose another.")
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
MAX_NAME = 80


def text_field(
    fields: dict[str, str], name: str, value: str | None, missing: str, limit: int = MAX_NAME
) -> str:
    """The value trimmed; `missing` (a whole sentence) or another message in `fields` if bad."""
    value = (value or "").strip()
    if not value:
        fields[name] = missing
    elif len(value) > limit:
        fields[name] = t("Use at most {limit} characters.", limit=limit)
    elif any(ord(ch) < 32 for ch in value):
        fields[name] = t("Use letters, spaces and punctuation only.")
    return value


def birth_date_field(
    fields: dict[str, str], value: date | str | None, missing: str | None = None
) -> date | None:
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value.strip())
        except ValueError:
            fields["birth_date"] = t("Enter a date like 1970-01-31.")
            return None
    if value is None:
        fields["birth_date"] = missing or t("Enter your date of birth.")
        return None
    today = clock.today()
    if value > today:
        fields["birth_date"] = t("The date of birth cannot be in the future.")
    elif value < today - timedelta(days=365 * 130):
        fields["birth_date"] = t("Check the year of birth.")
    return value


def _ticket(patient_id: uuid.UUID, expires: datetime) -> str:
    body = f"{patient_id}.{int(expires.timestamp())}"
    mac = hmac.new(settings().secret_key, body.encode(), hashlib.sha256).hexdigest()
    return f"{body}.{mac}"


def _ticket_patient(ticket: str) -> uuid.UUID:
    try:
        patient, expires, mac = (ticket or "").split(".")
        body = f"{patient}.{expires}"
        good = hmac.new(settings().secret_key, body.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(good, mac) or datetime.fromtimestamp(int(expires)) < clock.now():
            raise ValueError
        return uuid.UUID(patient)
    except ValueError:
        raise AuthenticationFailed(
            t("This registration has expired. Please start again.")
        ) from None


def registration_match(
    *,
    first_name: str,
    last_name: str,
    birth_date: date | str | None,
    mrn: str | None = None,
    activation_code: str | None = None,
) -> str:
    """A ticket for the one patient record these details match; NotFound (throttled) otherwise."""
    fields: dict[str, str] = {}
    first = text_field(fields, "first_name", first_name, t("Enter your first name."))
    last = text_field(fields, "last_name", last_name, t("Enter your last name."))
    born = birth_date_field(fields, birth_date)
    mrn = (mrn or "").strip()
    code = (activation_code or "").strip()
    if not mrn and not code:
        fields["mrn"] = t("Enter your medical record number, the activation code, or both.")
    if mrn and not (mrn.isdigit() and len(mrn) <= 16):
        fields["mrn"] = t("A medical record number has only digits.")
    if code and len(code.replace("-", "").replace(" ", "")) != 10:
        fields["activation_code"] = t(
            "An activation code has 10 letters and digits, like ABCDE-23456."
        )
    if fields:
        raise ValidationError(fields)
    key = throttle.key("register", first, last, str(born))
    with db.transaction() as session:
        throttle.check(session, key)
        query = (
            select(Patient.id)
            .where(
                func.lower(Patient.first_name) == first.lower(),
                func.lower(Patient.last_name) == last.lower(),
                Patient.birth_date == born,
                ~select(User.id).where(User.patient_id == Patient.id).exists(),
            )
            .limit(2)
        )
        if mrn:
            query = query.where(Patient.mrn == mrn.zfill(8))
        if code:
            query = query.where(
                select(ActivationCode.id)
                .where(
                    ActivationCode.patient_id == Patient.id,
                    ActivationCode.code_hash == crypto.code_hash(code),
                    ActivationCode.used_at.is_(None),
                    ActivationCode.expires_at > clock.now(),
                )
                .exists()
            )
        found = session.scalars(query).all()
        if len(found) == 1:
            audit.record(session, None, "registration.match", patient_id=found[0])
            return _ticket(found[0], clock.now() + TICKET_LIFETIME)
        throttle.fail(session, key)
        audit.record(session, None, "registration.match", outcome=audit.FAILURE)
    raise NotFound(t(NO_MATCH))


def _username_check(keys: list[str], username: str, names: tuple[str, str]) -> str | None:
    """None when the username is free, else a free one to suggest. Asked only once every other
    field holds, and every check counts against each key (the registration's ticket, its
    record, the email address): five in 15 minutes, so the form cannot list the usernames in
    use. Its own transaction: a check counts even though the registration is then refused."""
    with db.transaction() as session:
        for key in keys:
            throttle.check(session, key)
        for key in keys:
            throttle.fail(session, key)
        if not _taken(session, [username]):
            return None
        return _free_username(session, names)


def _taken(session: Session, usernames: list[str]) -> set[str]:
    return set(session.scalars(select(User.username).where(User.username.in_(usernames))))


def _free_username(session: Session, names: tuple[str, str]) -> str:
    """A free username made of the person's names and a few random digits."""
    words = ["".join(ch for ch in n.lower() if ch.isascii() and ch.isalnum()) for n in names]
    base = ".".join(w for w in words if w)[:56] or "patient"
    if len(base) < 3:
        base = f"{base}.user"
    for digits in (3, 3, 4, 5, 6):  # a longer number while the short ones are in use
        low = 10 ** (digits - 1)
        candidates = [f"{base}{secrets.randbelow(9 * low) + low}" for _ in range(5)]
        free = [c for c in candidates if c not in _taken(session, candidates)]
        if free:
            return free[0]
    return f"{base}.{secrets.token_hex(6)}"  # 48 random bits: never asked for in practice


def _refuse_taken(suggestion: str | None) -> None:
    if suggestion is not None:
        raise ValidationError(
            {
                "username": t(
                    "That username is not available. {free} is free, or choose another.",
                    free=suggestion,
                )
            }
        )


def _add_account(session: Session, user: User) -> None:
    """Add the new account. A username taken since it was checked (two registrations at once)
    is refused like any taken one, and the unit of work is rolled back."""
    session.add(user)
    try:
        session.flush()
    except IntegrityError as exc:
        if "username" not in str(exc.orig).lower():
            raise
        raise ValidationError({"username": t(USERNAME_JUST_TAKEN)}) from None


def _account_fields(
    names: tuple[str, str],
    email: str,
    phone: str | None,
    username: str,
    password: str,
    accept_terms: bool,
) -> tuple[str, str | None, str]:
    fields: dict[str, str] = {}
    email, phone = contact_fields(fields, email, phone)
    username = (username or "").strip().lower()
    if not USERNAME_RE.match(username):
        fields["username"] = t(
            "Use 3 to 64 lowercase letters, digits, dots, dashes or underscores."
        )
    context = (*names, username, email.split("@")[0])
    problem = passwords.password_problem(password or "", context)
    if problem:
        fields["password"] = problem
    if not accept_terms:
        fields["accept_terms"] = t("Accept the terms of use to create your account.")
    if fields:
        raise ValidationError(fields)
    return email, phone, username


def registration_create(
    *, ticket: str, email: str, phone: str | None, username: str, password: str, accept_terms: bool
) -> None:
    """Create the pending account and email a verification code."""
    patient_id = _ticket_patient(ticket)
    with db.read_only() as session:
        patient = session.get(Patient, patient_id)
        if patient is None:
            raise AuthenticationFailed(t("This registration has expired. Please start again."))
        names = (patient.first_name, patient.last_name)
    email, phone, username = _account_fields(names, email, phone, username, password, accept_terms)
    keys = [
        throttle.key("register-username", ticket),
        throttle.key("register-username", str(patient_id)),
        throttle.key("register-username", email),
    ]
    _refuse_taken(_username_check(keys, username, names))
    with db.transaction() as session:
        if session.scalar(
            select(func.count()).select_from(User).where(User.patient_id == patient_id)
        ):
            raise Conflict(t("This patient record already has an account. Try signing in."))
        now = clock.now()
        user = User(
            username=username,
            display_name=" ".join(names),
            email=email,
            phone=phone,
            password_hash=auth.hash_password(password),
            status="pending",
            failed_attempts=0,
            patient_id=patient_id,
            terms_version=TERMS_VERSION,
            terms_accepted_at=now,
            created_at=now,
        )
        _add_account(session, user)
        session.add(UserRole(user_id=user.id, role=access.PATIENT))
        for code in session.scalars(
            select(ActivationCode).where(
                ActivationCode.patient_id == patient_id, ActivationCode.used_at.is_(None)
            )
        ):
            code.used_at = now
        _send_verification(session, user)
        audit.record(
            session, access.actor_for(session, user), "registration.created", patient_id=patient_id
        )
    notify.flush()


@dataclass(frozen=True)
class CaregiverDetails:
    """Who a caregiver registering a proxy account says they are, and their credentials."""

    first_name: str
    last_name: str
    birth_date: date | str | None
    email: str
    phone: str | None
    username: str
    password: str
    accept_terms: bool


def caregiver_checked(details: CaregiverDetails) -> CaregiverDetails:
    """The caregiver's details checked and cleaned, the username last (throttled per email
    address and per the person named): call it before the registering transaction, since a
    check counts even when the registration is refused. ValidationError names every field to
    fix; a taken username comes with a free one to choose."""
    fields: dict[str, str] = {}
    first = text_field(fields, "first_name", details.first_name, t("Enter your first name."))
    last = text_field(fields, "last_name", details.last_name, t("Enter your last name."))
    born = birth_date_field(fields, details.birth_date)
    if born is not None and "birth_date" not in fields and access.age_on(born, clock.today()) < 18:
        fields["birth_date"] = t("A caregiver's account is for adults (18 or older).")
    try:
        email, phone, username = _account_fields(
            (first, last),
            details.email,
            details.phone,
            details.username,
            details.password,
            details.accept_terms,
        )
    except ValidationError as exc:
        raise ValidationError({**fields, **exc.fields}) from None
    if fields:
        raise ValidationError(fields)
    keys = [
        throttle.key("register-username", email),
        throttle.key("register-username", first, last, str(born)),
    ]
    _refuse_taken(_username_check(keys, username, (first, last)))
    return replace(
        details,
        first_name=first,
        last_name=last,
        birth_date=born,
        email=email,
        phone=phone,
        username=username,
    )


def proxy_account(session: Session, details: CaregiverDetails) -> User:
    """A pending proxy account with a verification code on its way (in the caller's unit of
    work), from details `caregiver_checked` returned."""
    now = clock.now()
    user = User(
        username=details.username,
        display_name=f"{details.first_name} {details.last_name}",
        email=details.email,
        phone=details.phone,
        password_hash=auth.hash_password(details.password),
        status="pending",
        failed_attempts=0,
        birth_date=details.birth_date,
        terms_version=TERMS_VERSION,
        terms_accepted_at=now,
        created_at=now,
    )
    _add_account(session, user)
    session.add(UserRole(user_id=user.id, role=access.PROXY))
    _send_verification(session, user)
    audit.record(session, access.actor_for(session, user), "registration.proxy_created")
    return user


def caregiver_registration_create(details: CaregiverDetails) -> None:
    """A caregiver's own proxy account (no patient record), pending its emailed code."""
    checked = caregiver_checked(details)
    with db.transaction() as session:
        proxy_account(session, checked)
    notify.flush()


def _send_verification(session: Session, user: User) -> None:
    code = crypto.digits(6)
    one_time.issue(session, user.id, "email_verify", VERIFY_LIFETIME, code)
    notify.enqueue(
        session,
        user.id,
        notify.EMAIL,
        "email_verify",
        t("{clinic_name}: your verification code", clinic_name=settings().clinic_name),
        t(
            "Your verification code is {code}. It expires in 30 minutes.\nIf you did "
            "not create a patient portal account, you can ignore this message.",
            code=code,
        ),
    )


def registration_verify(*, username: str, code: str) -> None:
    """Activate a pending account with the emailed code (the same answer for every failure)."""
    username = (username or "").strip().lower()
    with db.transaction() as session:
        user = session.scalars(select(User).where(User.username == username)).one_or_none()
        row = None
        if user is not None and user.status == "pending":
            row = one_time.latest_live(session, user.id, "email_verify", VERIFY_ATTEMPTS)
        if user is not None and row is not None and crypto.codes_match(code or "", row.code_hash):
            row.used_at = clock.now()
            user.status = "active"
            user.email_verified_at = row.used_at
            audit.record(
                session,
                access.actor_for(session, user),
                "registration.verified",
                patient_id=user.patient_id,
            )
            return
        if row is not None:
            row.attempts += 1
        audit.record(
            session, None, "registration.verify", outcome=audit.FAILURE, username=username[:64]
        )
    raise AuthenticationFailed(t(BAD_CODE))


def activation_code_issue(
    *, actor: Actor, patient_id: uuid.UUID | None = None, mrn: str | None = None
) -> str:
    """HIM or admin staff: a new activation code for a patient without an account (shown once),
    found by patient id or by medical record number."""
    with staff_work(
        actor, "registration.activation_code_issued", access.HIM, access.ADMIN
    ) as session:
        if mrn is not None:
            patient_id = session.scalars(
                select(Patient.id).where(Patient.mrn == mrn.strip().zfill(8))
            ).first()
        patient = session.get(Patient, patient_id) if patient_id is not None else None
        if patient is None:
            raise NotFound(t("We could not find that patient."))
        if session.scalar(
            select(func.count()).select_from(User).where(User.patient_id == patient_id)
        ):
            raise Conflict(t("This patient already has an account."))
        code = crypto.recovery_code()
        now = clock.now()
        session.add(
            ActivationCode(
                patient_id=patient_id,
                code_hash=crypto.code_hash(code),
                issued_by=actor.user_id,
                created_at=now,
                expires_at=now + ACTIVATION_LIFETIME,
            )
        )
        return code
