"""The proxy tables (one metadata for the whole schema: services.core.models.Base).

Grants live in core (services.core.models.ProxyGrant): the access policy reads them."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from services.core.models import Base, StoredFile, id_column, patient_fk


class ProxyRequest(Base):
    """A caregiver's request for access to someone's record, reviewed by HIM (or, for an adult
    who can consent, decided by that adult in the portal)."""

    __tablename__ = "proxy_requests"
    id: Mapped[uuid.UUID] = id_column()
    requester_user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id"))
    # The record HIM (or the requester's details) matched; None until a match is confirmed.
    patient_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("patients.id"))
    relationship: Mapped[str] = mapped_column(String(40))
    # Unused since schema v11 (documents are in proxy_request_documents); kept for old rows.
    document_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("documents.id"))
    # received, needs_info, approved, denied, withdrawn ("pending" before schema v11)
    status: Mapped[str] = mapped_column(String(16))
    received_at: Mapped[datetime] = mapped_column(DateTime)
    decided_by: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    decision_note: Mapped[str | None] = mapped_column(Text)
    # Schema v11: what the requester told us, and what the reviewer decided.
    kind: Mapped[str | None] = mapped_column(String(16))  # minor, adult_consent, adult_legal
    patient_first_name: Mapped[str | None] = mapped_column(String(80))
    patient_last_name: Mapped[str | None] = mapped_column(String(80))
    patient_birth_date: Mapped[date | None] = mapped_column(Date)
    patient_mrn: Mapped[str | None] = mapped_column(String(16))
    requester_note: Mapped[str | None] = mapped_column(Text)
    info_requested: Mapped[str | None] = mapped_column(Text)
    deny_reason: Mapped[str | None] = mapped_column(String(32))
    scopes: Mapped[str | None] = mapped_column(String(200))
    grant_ends_at: Mapped[datetime | None] = mapped_column(DateTime)
    match_confirmed_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)  # a user id
    updated_at: Mapped[datetime | None] = mapped_column(DateTime)


class ProxyRequestDocument(StoredFile, Base):
    """A legal document sent with a proxy request (checked by content; stored privately)."""

    __tablename__ = "proxy_request_documents"
    id: Mapped[uuid.UUID] = id_column()
    # No foreign key: DuckDB could then not update the request's own foreign keys (the match).
    request_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    doc_type: Mapped[str] = mapped_column(String(40))


class ProxyInvitation(Base):
    """A patient's invitation to a delegate: a single-use link (token hashed) that expires."""

    __tablename__ = "proxy_invitations"
    id: Mapped[uuid.UUID] = id_column()
    patient_id: Mapped[uuid.UUID] = patient_fk()
    invited_by: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id"))
    invitee_name: Mapped[str] = mapped_column(String(120))
    invitee_email: Mapped[str] = mapped_column(String(254))
    relationship: Mapped[str] = mapped_column(String(40))
    scopes: Mapped[str] = mapped_column(String(200))
    grant_ends_at: Mapped[datetime] = mapped_column(DateTime)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    link_expires_at: Mapped[datetime] = mapped_column(DateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime)
    accepted_by: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id"))
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime)


class ProxyNotice(Base):
    """One notice the age and end-date rules sent about a grant (each kind once per grant)."""

    __tablename__ = "proxy_notices"
    grant_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    kind: Mapped[str] = mapped_column(String(24), primary_key=True)
    change_on: Mapped[date] = mapped_column(Date)
    sent_at: Mapped[datetime] = mapped_column(DateTime)
