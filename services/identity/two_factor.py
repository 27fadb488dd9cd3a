"""The second factor (docs/rules/security.md 4-6): TOTP with replay refusal, and recovery codes.

TOTP follows RFC 6238 (30-second steps, 6 digits, a secret from a cryptographic source) and
accepts one step of clock skew. pyotp's `verify()` would accept the same code twice, so the
last accepted step is stored and any code at or below it is refused, in the same transaction
that starts the session. Secrets are stored encrypted; recovery codes only as keyed hashes.
"""

from __future__ import annotations

import calendar
import hmac
from dataclasses import dataclass

import pyotp
import qrcode
import qrcode.image.svg
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from services.core import audit, clock, crypto
from services.core.access import actor_for
from services.core.config import settings
from services.core.models import User
from services.identity.tables import RecoveryCode

RECOVERY_CODES = 10
SKEW_STEPS = 1
ACCEPTED, REPLAYED, WRONG = "accepted", "replayed", "wrong"


@dataclass(frozen=True)
class Enrolment:
    """What the enrolment screen shows: a QR code and the same key as text for manual entry."""

    secret: str
    uri: str
    # SVG text: pages show it as an inline data URL, never as a /media/ URL (those need a
    # session, and staff enrol before their first one).
    qr_svg: str


def _now_seconds() -> int:
    return calendar.timegm(clock.now().timetuple())


def begin(session: Session, user: User) -> Enrolment:
    """A new secret, stored encrypted but not yet switched on (that takes a correct code)."""
    secret = pyotp.random_base32()  # from `secrets`
    user.totp_secret_encrypted = crypto.encrypt(secret.encode())
    user.totp_enabled_at = None
    user.totp_last_step = None
    uri = pyotp.TOTP(secret).provisioning_uri(
        name=user.username, issuer_name=settings().clinic_name
    )
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage)
    audit.record(session, actor_for(session, user), "mfa.totp_enrolment_started")
    return Enrolment(secret, uri, image.to_string(encoding="unicode"))


def check_totp(session: Session, user: User, code: str) -> str:
    """ACCEPTED (and the step remembered), REPLAYED (logged) or WRONG."""
    if user.totp_secret_encrypted is None:
        return WRONG
    totp = pyotp.TOTP(crypto.decrypt(user.totp_secret_encrypted).decode())
    code = "".join(ch for ch in code if ch.isdigit())
    now_step = totp.timecode(_now_seconds())
    for step in range(now_step - SKEW_STEPS, now_step + SKEW_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            if user.totp_last_step is not None and step <= user.totp_last_step:
                audit.record(
                    session, actor_for(session, user), "mfa.totp_replay", outcome=audit.DENIED
                )
                return REPLAYED
            user.totp_last_step = step
            return ACCEPTED
    return WRONG


def finish(session: Session, user: User, code: str) -> list[str] | None:
    """Switch TOTP on after a correct code; returns the new recovery codes (shown once)."""
    if user.totp_enabled_at is not None or check_totp(session, user, code) != ACCEPTED:
        return None
    user.totp_enabled_at = clock.now()
    codes = new_recovery_codes(session, user)
    audit.record(session, actor_for(session, user), "mfa.totp_enabled")
    return codes


def new_recovery_codes(session: Session, user: User) -> list[str]:
    """Replace the user's recovery codes with ten new ones."""
    now = clock.now()
    session.execute(
        update(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
        .values(used_at=now)
    )
    codes = [crypto.recovery_code() for _ in range(RECOVERY_CODES)]
    session.add_all(
        RecoveryCode(user_id=user.id, code_hash=crypto.code_hash(c), created_at=now) for c in codes
    )
    return codes


def use_recovery_code(session: Session, user: User, code: str) -> bool:
    """Spend one unused recovery code; False when none matches."""
    row = session.scalars(
        select(RecoveryCode).where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == crypto.code_hash(code),
            RecoveryCode.used_at.is_(None),
        )
    ).first()
    if row is None:
        return False
    row.used_at = clock.now()
    audit.record(session, actor_for(session, user), "mfa.recovery_code_used")
    return True


def recovery_codes_left(session: Session, user: User) -> int:
    return len(
        session.scalars(
            select(RecoveryCode.id).where(
                RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
            )
        ).all()
    )


def looks_like_recovery_code(code: str) -> bool:
    return len(code.strip().replace("-", "").replace(" ", "")) == 10
