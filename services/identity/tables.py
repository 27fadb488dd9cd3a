"""The identity tables (one metadata for the whole schema: services.core.models.Base)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, LargeBinary, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from services.core.models import Base, id_column


class UserSession(Base):
    """Server-side session records: the browser only holds a pointer to one."""

    __tablename__ = "user_sessions"
    id: Mapped[uuid.UUID] = id_column()
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)
    end_reason: Mapped[str | None] = mapped_column(String(32))


class RecoveryCode(Base):
    """Second-factor recovery codes, stored hashed, each usable once (schema v2)."""

    __tablename__ = "recovery_codes"
    id: Mapped[uuid.UUID] = id_column()
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    used_at: Mapped[datetime | None] = mapped_column(DateTime)


class ActivationCode(Base):
    """A single-use, expiring code staff give a patient to register (schema v3); stored hashed."""

    __tablename__ = "activation_codes"
    id: Mapped[uuid.UUID] = id_column()
    patient_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("patients.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), index=True)
    issued_by: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    used_at: Mapped[datetime | None] = mapped_column(DateTime)


class ContactChange(Base):
    """A change of an account's email address or mobile number (schema v22): the old address
    is told, with a link that puts it back for a while (`undo_hash`, the link's keyed hash)."""

    __tablename__ = "contact_changes"
    id: Mapped[uuid.UUID] = id_column()
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))  # email, phone
    old_value: Mapped[str | None] = mapped_column(String(254))
    new_value: Mapped[str | None] = mapped_column(String(254))
    undo_hash: Mapped[str] = mapped_column(String(64), unique=True)
    changed_at: Mapped[datetime] = mapped_column(DateTime)
    undo_until: Mapped[datetime] = mapped_column(DateTime)
    undone_at: Mapped[datetime | None] = mapped_column(DateTime)


class WebAuthnCredential(Base):
    """A passkey or a security key (schema v23): the public key an authenticator made for this
    portal, never a secret. `kind` is what it proved when added: a passkey verified the person
    (a PIN, a fingerprint) and is a whole sign-in; a security key is a second step."""

    __tablename__ = "webauthn_credentials"
    id: Mapped[uuid.UUID] = id_column()
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id"), index=True)
    credential_id: Mapped[str] = mapped_column(String(1400), unique=True)  # base64url
    public_key: Mapped[bytes] = mapped_column(LargeBinary)  # COSE
    sign_count: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))  # passkey, security_key
    name: Mapped[str] = mapped_column(String(60))
    transports: Mapped[str] = mapped_column(String(120))  # comma-separated
    created_at: Mapped[datetime] = mapped_column(DateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime)


class WebAuthnChallenge(Base):
    """A challenge given to a browser for one ceremony (schema v23), stored hashed and spent on
    the first answer: adding a credential, a passkey sign-in, or a security key's second step."""

    __tablename__ = "webauthn_challenges"
    id: Mapped[uuid.UUID] = id_column()
    user_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(16))  # add, sign_in, second_step
    kind: Mapped[str | None] = mapped_column(String(16))  # for add: passkey or security_key
    challenge_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    used_at: Mapped[datetime | None] = mapped_column(DateTime)


class KnownBrowser(Base):
    """A browser an account signed in from (schema v24): a keyed hash of its binding cookie,
    what its user agent says it is, and until when it may skip the second step."""

    __tablename__ = "known_browsers"
    __table_args__ = (UniqueConstraint("user_id", "browser_hash"),)
    id: Mapped[uuid.UUID] = id_column()
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id"), index=True)
    browser_hash: Mapped[str] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(String(80))
    first_used_at: Mapped[datetime] = mapped_column(DateTime)
    last_used_at: Mapped[datetime] = mapped_column(DateTime)
    trusted_until: Mapped[datetime | None] = mapped_column(DateTime)


class SsoLink(Base):
    """A staff account's link to an identity provider's subject (schema v25), made by an admin."""

    __tablename__ = "sso_links"
    __table_args__ = (UniqueConstraint("user_id"), UniqueConstraint("issuer", "subject"))
    id: Mapped[uuid.UUID] = id_column()
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id"))
    issuer: Mapped[str] = mapped_column(String(300))
    subject: Mapped[str] = mapped_column(String(255))
    linked_by: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id"))
    linked_at: Mapped[datetime] = mapped_column(DateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime)


class SsoLogin(Base):
    """A single sign-on under way (schema v25): its state stored hashed, bound to the browser;
    the nonce and PKCE verifier sealed; used once, within ten minutes."""

    __tablename__ = "sso_logins"
    id: Mapped[uuid.UUID] = id_column()
    state_hash: Mapped[str] = mapped_column(String(64), unique=True)
    browser_hash: Mapped[str] = mapped_column(String(64))
    sealed: Mapped[str] = mapped_column(String(400))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    used_at: Mapped[datetime | None] = mapped_column(DateTime)
