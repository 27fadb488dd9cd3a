"""Passkeys and security keys (WebAuthn, docs/rules/security.md 26): adding, naming and removing
them on the account, a passkey as the whole sign-in, a security key as the second step after
the password. The ceremonies' checks are py_webauthn's; the portal keeps the challenges (hashed,
spent on the first answer, five minutes), the credentials and the rules around them.

A browser's answer is refused, with an audit event and nothing else changed, when it answers a
challenge the portal did not give (or gave for something else, or already spent), comes from
another origin or site, names a credential the portal does not know or one of another account,
or carries a signature counter that did not move forward (a copied key)."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar
from urllib.parse import urlsplit

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import (
    base64url_to_bytes,
    bytes_to_base64url,
    parse_authentication_credential_json,
    parse_client_data_json,
    parse_registration_credential_json,
)
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticationCredential,
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    RegistrationCredential,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)
from webauthn.registration.verify_registration_response import VerifiedRegistration

from services.core import audit, clock, db, language, notify, throttle
from services.core.access import Actor, actor_for
from services.core.config import settings
from services.core.errors import AuthenticationFailed, NotFound, RateLimited, ValidationError
from services.core.language import N_, t
from services.core.models import User
from services.identity import account, auth
from services.identity.browsers import Browser
from services.identity.tables import WebAuthnChallenge, WebAuthnCredential

PASSKEY, SECURITY_KEY = "passkey", "security_key"
KINDS = {PASSKEY: N_("Passkey"), SECURITY_KEY: N_("Security key")}
ADD, SIGN_IN, SECOND_STEP = "add", "sign_in", "second_step"
CHALLENGE_LIFETIME = timedelta(minutes=5)
SIGN_IN_STARTS = 20  # passkey sign-ins one browser may start in 15 minutes
MAX_LIVE_SIGN_INS = 1000  # unanswered passkey sign-in challenges at once, in all
MAX_NAME = 60
RP_NAME = "Lakeside Health patient portal"
Answer = TypeVar("Answer", RegistrationCredential, AuthenticationCredential)

START_AGAIN = N_("This request has ended or was already used. Please start again.")
WRONG_ORIGIN = N_("This answer did not come from the portal's own page. Nothing was changed.")
UNKNOWN_KEY = N_("This passkey or security key is not known for any account here.")
OTHER_ACCOUNT = N_("This passkey or security key belongs to another account.")
COPIED_KEY = N_(
    "This key's counter went backwards, which happens when a key has been copied. It was not "
    "accepted; sign in another way and remove it from your account."
)
NOT_VERIFIED_USER = N_(
    "Your device did not check that it is you (a PIN, a fingerprint or a face). Sign in with "
    "your password instead."
)
NOT_ACCEPTED = N_("The passkey or security key's answer could not be checked. Please try again.")
CANNOT_SIGN_IN = N_("This account cannot sign in now. Please contact the help desk.")
LAST_FACTOR = N_(
    "This is your account's last second step. Staff accounts always need one: add another "
    "passkey or security key, or an authenticator app, first."
)


@dataclass(frozen=True)
class Credential:
    credential_id: uuid.UUID
    name: str
    kind: str
    created_at: datetime
    last_used_at: datetime | None


def relying_party() -> tuple[str, str]:
    """The relying party id (the portal's host name) and origin, from PORTAL_PUBLIC_URL."""
    url = urlsplit(settings().public_url)
    return url.hostname or "localhost", f"{url.scheme}://{url.netloc}"


def _hash(challenge: bytes) -> str:
    return hashlib.sha256(challenge).hexdigest()


def _challenge(
    session: Session, purpose: str, user_id: uuid.UUID | None, kind: str | None
) -> bytes:
    challenge = secrets.token_bytes(32)
    now = clock.now()
    # Challenges nobody answered are kept a day for the record, then dropped.
    session.execute(
        delete(WebAuthnChallenge).where(WebAuthnChallenge.expires_at < now - timedelta(days=1))
    )
    session.add(
        WebAuthnChallenge(
            id=uuid.uuid4(),
            user_id=user_id,
            purpose=purpose,
            kind=kind,
            challenge_hash=_hash(challenge),
            created_at=now,
            expires_at=now + CHALLENGE_LIFETIME,
        )
    )
    return challenge


def _spend(session: Session, claimed: bytes, purpose: str) -> WebAuthnChallenge | None:
    """The live challenge the browser answered, spent now (one answer each); None if there is
    no such challenge, it is for something else, it has ended or it was spent already."""
    row = session.scalars(
        select(WebAuthnChallenge).where(WebAuthnChallenge.challenge_hash == _hash(claimed))
    ).one_or_none()
    if row is None or row.purpose != purpose:
        return None
    spent = session.execute(
        update(WebAuthnChallenge)
        .where(WebAuthnChallenge.id == row.id, WebAuthnChallenge.used_at.is_(None))
        .values(used_at=clock.now())
    )
    if getattr(spent, "rowcount", 0) != 1 or row.expires_at <= clock.now():
        return None
    return row


def _problem(exc: WebAuthnException) -> str:
    """Which of the refusals a failed check of py_webauthn's is, in the person's words."""
    said = str(exc)
    if "origin" in said or "RP ID" in said:
        return WRONG_ORIGIN
    if "sign count" in said:
        return COPIED_KEY
    if "verification" in said or "verified" in said:
        return NOT_VERIFIED_USER
    return NOT_ACCEPTED


def _refuse(
    actor: Actor | None, action: str, problem: str, detail: str, username: str | None = None
) -> AuthenticationFailed:
    """Record a refused ceremony in a transaction of its own (nothing else is kept)."""
    with db.transaction() as session:
        audit.record(
            session, actor, action, outcome=audit.DENIED, detail=detail[:200], username=username
        )
    return AuthenticationFailed(t(problem))


def _user(session: Session, actor: Actor) -> User:
    user = session.get(User, actor.user_id)
    if user is None:
        raise NotFound(t("We could not find that account."))
    return user


def _descriptors(rows: list[WebAuthnCredential]) -> list[PublicKeyCredentialDescriptor]:
    def transports(row: WebAuthnCredential) -> list[AuthenticatorTransport]:
        known = {kind.value for kind in AuthenticatorTransport}
        return [AuthenticatorTransport(x) for x in row.transports.split(",") if x in known]

    return [
        PublicKeyCredentialDescriptor(
            id=base64url_to_bytes(row.credential_id), transports=transports(row) or None
        )
        for row in rows
    ]


def _owned(session: Session, user_id: uuid.UUID) -> list[WebAuthnCredential]:
    return list(
        session.scalars(
            select(WebAuthnCredential)
            .where(WebAuthnCredential.user_id == user_id)
            .order_by(WebAuthnCredential.created_at)
        )
    )


def credentials(*, actor: Actor) -> list[Credential]:
    """The account's passkeys and security keys, oldest first."""
    with db.transaction() as session:
        rows = _owned(session, _user(session, actor).id)
        audit.record(session, actor, "auth.passkey.list")
        return [Credential(r.id, r.name, r.kind, r.created_at, r.last_used_at) for r in rows]


def _name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError({"name": t("Give it a name you will recognise, such as 'My phone'.")})
    if len(name) > MAX_NAME:
        raise ValidationError({"name": t("Use at most {count} characters.", count=MAX_NAME)})
    return name


def _password_ok(actor: Actor, password: str) -> bool:
    """The password entered again, checked outside any write transaction: the hash is slow, and
    on DuckDB a transaction holds the process's one write lock."""
    with db.read_only() as session:
        stored = session.scalar(select(User.password_hash).where(User.id == actor.user_id))
    return auth.hash_matches(stored, password or "")


def add_begin(*, actor: Actor, password: str, kind: str) -> str:
    """The options for the browser to make a passkey or a security key (JSON), after the
    password is entered again; a challenge of five minutes."""
    if kind not in KINDS:
        raise ValidationError({"kind": t("Choose a passkey or a security key.")})
    if not _password_ok(actor, password):
        raise _refuse(
            actor, "auth.passkey.add_started", account.WRONG_PASSWORD, "re-authentication failed"
        )
    rp_id, _ = relying_party()
    passkey = kind == PASSKEY
    with db.transaction() as session:
        user = _user(session, actor)
        options = generate_registration_options(
            rp_id=rp_id,
            rp_name=RP_NAME,
            user_name=user.username,
            user_id=user.id.bytes,
            user_display_name=user.display_name,
            challenge=_challenge(session, ADD, user.id, kind),
            exclude_credentials=_descriptors(_owned(session, user.id)),
            authenticator_selection=AuthenticatorSelectionCriteria(
                resident_key=(
                    ResidentKeyRequirement.REQUIRED
                    if passkey
                    else ResidentKeyRequirement.DISCOURAGED
                ),
                user_verification=(
                    UserVerificationRequirement.REQUIRED
                    if passkey
                    else UserVerificationRequirement.DISCOURAGED
                ),
            ),
        )
        audit.record(session, actor, "auth.passkey.add_started", detail=kind)
    return options_to_json(options)


def _parsed(parse: Callable[[str], Answer], response: str) -> tuple[Answer, bytes]:
    """The browser's answer and the challenge it claims to answer; a malformed one is refused."""
    try:
        answer = parse(response)
        return answer, parse_client_data_json(answer.response.client_data_json).challenge
    except (WebAuthnException, ValueError, TypeError, AttributeError) as exc:
        raise ValidationError({"response": t(NOT_ACCEPTED)}) from exc


def _check_registration(
    session: Session, user: User, credential: RegistrationCredential, claimed: bytes
) -> tuple[VerifiedRegistration, str] | tuple[None, str]:
    """The checked new credential and its kind, or (None, the problem)."""
    rp_id, origin = relying_party()
    row = _spend(session, claimed, ADD)
    if row is None or row.user_id != user.id:
        return None, START_AGAIN
    kind = row.kind or SECURITY_KEY
    try:
        made = verify_registration_response(
            credential=credential,
            expected_challenge=claimed,
            expected_rp_id=rp_id,
            expected_origin=origin,
            require_user_verification=kind == PASSKEY,
        )
    except WebAuthnException as exc:
        return None, _problem(exc)
    encoded = bytes_to_base64url(made.credential_id)
    taken = session.scalar(
        select(WebAuthnCredential.id).where(WebAuthnCredential.credential_id == encoded)
    )
    return (None, OTHER_ACCOUNT) if taken is not None else (made, kind)


def add_finish(*, actor: Actor, response: str, name: str) -> Credential:
    """Keep the credential the browser made, once its answer checks out; the account's
    verified address is told."""
    name = _name(name)
    credential, claimed = _parsed(parse_registration_credential_json, response)
    with db.transaction() as session:
        user = _user(session, actor)
        made, kind_or_problem = _check_registration(session, user, credential, claimed)
        if made is not None:
            now = clock.now()
            kept = WebAuthnCredential(
                id=uuid.uuid4(),
                user_id=user.id,
                credential_id=bytes_to_base64url(made.credential_id),
                public_key=made.credential_public_key,
                sign_count=made.sign_count,
                kind=kind_or_problem,
                name=name,
                transports=",".join(
                    str(getattr(x, "value", x)) for x in (credential.response.transports or [])
                ),
                created_at=now,
            )
            session.add(kept)
            audit.record(session, actor, "auth.passkey.added", detail=kept.kind)
            _tell(session, user, added=True, kind=kept.kind, name=name)
    if made is None:
        raise _refuse(actor, "auth.passkey.added", kind_or_problem, kind_or_problem[:60])
    notify.flush()
    return Credential(kept.id, name, kept.kind, now, None)


def _tell(session: Session, user: User, *, added: bool, kind: str, name: str) -> None:
    with language.using(user.language):  # in the recipient's language
        what = t(KINDS[kind]).lower()
        notify.security_notice(
            session,
            user,
            t("a {what} was added", what=what) if added else t("a {what} was removed", what=what),
            (
                t(
                    "A {what} named \u201c{name}\u201d was added to your patient portal account. "
                    "If this wasn't you, change your password and remove it on Your account.",
                    what=what,
                    name=name,
                )
                if added
                else t(
                    "The {what} named \u201c{name}\u201d was removed from your patient portal "
                    "account. If this wasn't you, change your password now.",
                    what=what,
                    name=name,
                )
            ),
        )


def _mine(session: Session, actor: Actor, credential_id: uuid.UUID) -> WebAuthnCredential:
    row = session.get(WebAuthnCredential, credential_id)
    if row is None or row.user_id != actor.user_id:
        raise NotFound(t("We could not find that passkey or security key."))
    return row


def rename(*, actor: Actor, credential_id: uuid.UUID, name: str) -> None:
    name = _name(name)
    with db.transaction() as session:
        _mine(session, actor, credential_id).name = name
        audit.record(session, actor, "auth.passkey.renamed")


def remove(*, actor: Actor, credential_id: uuid.UUID, password: str) -> None:
    """Remove one, after the password is entered again. A staff account's last second step
    (no authenticator app and no other key) stays; the verified address is told."""
    if not _password_ok(actor, password):
        raise _refuse(
            actor, "auth.passkey.removed", account.WRONG_PASSWORD, "re-authentication failed"
        )
    with db.transaction() as session:
        user = _user(session, actor)
        row = _mine(session, actor, credential_id)
        last = (
            actor_for(session, user).is_staff
            and user.totp_enabled_at is None
            and len(_owned(session, user.id)) == 1
        )
        if not last:
            session.delete(row)
            audit.record(session, actor, "auth.passkey.removed", detail=row.kind)
            _tell(session, user, added=False, kind=row.kind, name=row.name)
    if last:
        raise _refuse(actor, "auth.passkey.removed", LAST_FACTOR, "a staff account's last key")
    notify.flush()


def sign_in_begin(*, browser: str | None = None) -> str:
    """The options for "Sign in with a passkey" (JSON): any passkey of this portal, and the
    device must check that it is the person (a PIN, a fingerprint, a face).

    Anyone may ask, so asking is bounded: SIGN_IN_STARTS a quarter-hour for one browser (its
    binding cookie's value, `browser`), and at most MAX_LIVE_SIGN_INS unanswered challenges in
    all, so that a flood of requests cannot grow the table."""
    rp_id, _ = relying_party()
    with db.transaction() as session:
        live = session.scalar(
            select(func.count())
            .select_from(WebAuthnChallenge)
            .where(
                WebAuthnChallenge.purpose == SIGN_IN,
                WebAuthnChallenge.used_at.is_(None),
                WebAuthnChallenge.expires_at > clock.now(),
            )
        )
        mine = None if browser is None else throttle.key("passkey-sign-in", browser)
        if (live or 0) >= MAX_LIVE_SIGN_INS or (
            mine is not None and not throttle.allow(session, mine, SIGN_IN_STARTS)
        ):
            raise RateLimited(t(throttle.TOO_MANY))
        options = generate_authentication_options(
            rp_id=rp_id,
            challenge=_challenge(session, SIGN_IN, None, None),
            user_verification=UserVerificationRequirement.REQUIRED,
        )
    return options_to_json(options)


def _check_assertion(
    session: Session,
    credential: AuthenticationCredential,
    claimed: bytes,
    purpose: str,
    expected_user: uuid.UUID | None,
) -> tuple[WebAuthnCredential | None, str | None, str]:
    """The credential that answered, or the problem (and a detail for the audit log)."""
    rp_id, origin = relying_party()
    challenge = _spend(session, claimed, purpose)
    if challenge is None or challenge.user_id != expected_user:
        return None, START_AGAIN, "challenge not live"
    row = session.scalars(
        select(WebAuthnCredential).where(WebAuthnCredential.credential_id == credential.id)
    ).one_or_none()
    if row is None:
        return None, UNKNOWN_KEY, "unknown credential"
    handle = credential.response.user_handle
    if (expected_user is not None and row.user_id != expected_user) or (
        handle and handle != row.user_id.bytes
    ):
        return None, OTHER_ACCOUNT, "credential of another account"
    try:
        checked = verify_authentication_response(
            credential=credential,
            expected_challenge=claimed,
            expected_rp_id=rp_id,
            expected_origin=origin,
            credential_public_key=row.public_key,
            credential_current_sign_count=row.sign_count,
            require_user_verification=purpose == SIGN_IN,
        )
    except WebAuthnException as exc:
        return None, _problem(exc), str(exc)
    row.sign_count = checked.new_sign_count
    row.last_used_at = clock.now()
    return row, None, ""


def _can_sign_in(user: User) -> bool:
    now = clock.now()
    return user.status == "active" and not (user.locked_until and user.locked_until > now)


@auth.delivering
def sign_in_finish(*, response: str, browser: Browser | None = None) -> auth.SignedIn:
    """A passkey's answer to "Sign in with a passkey": the whole sign-in (both factors)."""
    credential, claimed = _parsed(parse_authentication_credential_json, response)
    with db.transaction() as session:
        row, problem, detail = _check_assertion(session, credential, claimed, SIGN_IN, None)
        if row is not None:
            user = session.get(User, row.user_id)
            if user is not None and _can_sign_in(user):
                audit.record(session, actor_for(session, user), "auth.passkey.used")
                return auth.open_session(session, user, browser=browser)
            problem, detail = CANNOT_SIGN_IN, "account not active"
    raise _refuse(None, "auth.passkey.sign_in", problem or NOT_ACCEPTED, detail)


def second_step_begin(*, pending: str) -> str:
    """The options for a security key as the second step after the password (JSON)."""
    rp_id, _ = relying_party()
    with db.transaction() as session:
        live = auth.live_pending(session, pending)
        if live is not None:
            user = live[1]
            rows = _owned(session, user.id)
            if rows:
                options = generate_authentication_options(
                    rp_id=rp_id,
                    challenge=_challenge(session, SECOND_STEP, user.id, None),
                    allow_credentials=_descriptors(rows),
                    user_verification=UserVerificationRequirement.DISCOURAGED,
                )
                return options_to_json(options)
    raise AuthenticationFailed(t(auth.START_AGAIN))


@auth.delivering
def second_step_finish(
    *, pending: str, response: str, browser: Browser | None = None, trust: bool = False
) -> auth.SignedIn:
    """A passkey's or a security key's answer as the second step: the session opens (`trust`:
    the browser is trusted, where the account may)."""
    credential, claimed = _parsed(parse_authentication_credential_json, response)
    with db.transaction() as session:
        live = auth.live_pending(session, pending)
        problem: str | None = auth.START_AGAIN
        detail, actor = "no live password step", None
        if live is not None:
            pending_row, user = live
            actor = actor_for(session, user)
            row, problem, detail = _check_assertion(
                session, credential, claimed, SECOND_STEP, user.id
            )
            if row is not None:
                pending_row.used_at = clock.now()
                audit.record(session, actor, "auth.passkey.used")
                return auth.open_session(session, user, browser=browser, trust=trust)
    raise _refuse(actor, "auth.passkey.second_step", problem or NOT_ACCEPTED, detail)


def staff_without_phishing_resistant_factor(*, actor: Actor) -> bool:
    """Whether the clinic requires a passkey or security key of staff
    (PORTAL_STAFF_REQUIRE_PASSKEY) and this staff account has none yet."""
    if not (settings().staff_require_passkey and actor.is_staff):
        return False
    with db.read_only() as session:
        user = session.get(User, actor.user_id)
        return user is None or not auth.has_keys(session, user)
