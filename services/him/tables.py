"""The him tables (one metadata for the whole schema: services.core.models.Base)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, Date, DateTime, ForeignKey, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from services.core.models import Base, id_column, patient_fk


class RecordsRequest(Base):
    """HIM work: access/ROI, amendment, accounting of disclosures, record updates.

    Columns added in schema v12 carry no foreign keys: DuckDB cannot add one to a table that
    other tables reference.
    """

    __tablename__ = "records_requests"
    id: Mapped[uuid.UUID] = id_column()
    patient_id: Mapped[uuid.UUID] = patient_fk()
    kind: Mapped[str] = mapped_column(String(24))  # access, roi, amendment, accounting, update
    requested_by: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id"))
    recipient: Mapped[str | None] = mapped_column(String(200))
    details: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(DateTime)
    due_at: Mapped[datetime] = mapped_column(DateTime)
    extended_due_at: Mapped[datetime | None] = mapped_column(DateTime)
    extension_reason: Mapped[str | None] = mapped_column(Text)
    # received, in_review, in_progress, fulfilled, denied, withdrawn (schema v12)
    status: Mapped[str] = mapped_column(String(16))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Who closed it, in requests older than v12. DuckDB cannot update a foreign-key column of a
    # row other tables reference, so since v12 the one who decides becomes `assigned_to`.
    handled_by: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id"))
    # What was asked (schema v12): parts of the record and a date range; the form.
    parts: Mapped[str | None] = mapped_column(String(80))
    date_from: Mapped[date | None] = mapped_column(Date)
    date_to: Mapped[date | None] = mapped_column(Date)
    delivery: Mapped[str | None] = mapped_column(String(16))  # portal, cd_mail, paper, courier
    # Asked by a parent whose access to a 12-17 year old is limited: no confidential information.
    limited: Mapped[bool | None] = mapped_column(Boolean)
    fee_cents: Mapped[int | None] = mapped_column(Integer)
    assigned_to: Mapped[uuid.UUID | None] = mapped_column(Uuid)  # a user id
    updated_at: Mapped[datetime | None] = mapped_column(DateTime)
    denial_ground: Mapped[str | None] = mapped_column(String(32))
    denial_note: Mapped[str | None] = mapped_column(Text)
    # How it was fulfilled: portal (download), link (to the recipient), mailed.
    delivered_by: Mapped[str | None] = mapped_column(String(16))
    # The records package as built (encrypted file in the data directory).
    package_name: Mapped[str | None] = mapped_column(String(64))
    package_sha256: Mapped[str | None] = mapped_column(String(64))
    package_bytes: Mapped[int | None] = mapped_column(BigInteger)


class ReleaseAuthorization(Base):
    """The signed authorization behind a release to a third party (164.508; schema v12)."""

    __tablename__ = "release_authorizations"
    request_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("records_requests.id"), primary_key=True
    )
    recipient_name: Mapped[str] = mapped_column(String(200))
    recipient_address: Mapped[str] = mapped_column(String(200))
    purpose: Mapped[str] = mapped_column(String(200))
    parts: Mapped[str] = mapped_column(String(80))
    ends_on: Mapped[date | None] = mapped_column(Date)
    end_event: Mapped[str | None] = mapped_column(String(200))
    signature: Mapped[str] = mapped_column(String(200))
    signed_on: Mapped[date] = mapped_column(Date)
    # Who signed in the portal; None for a paper authorization staff entered.
    signed_by: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id"))
    signer_relationship: Mapped[str] = mapped_column(String(40))  # self, or the proxy's
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)
    revoked_by: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id"))


class RecordUpdate(Base):
    """A deceased notification or an adoption (seeds/004; schema v12): exactly the facts and
    the document docs/rules/compliance.md lists, as reported, and HIM's decision."""

    __tablename__ = "record_updates"
    request_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("records_requests.id"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(16))  # deceased, adoption
    first_name: Mapped[str] = mapped_column(String(80))
    middle_name: Mapped[str | None] = mapped_column(String(80))
    last_name: Mapped[str] = mapped_column(String(80))
    birth_date: Mapped[date] = mapped_column(Date)
    mrn: Mapped[str | None] = mapped_column(String(16))
    died_on: Mapped[date | None] = mapped_column(Date)
    reporter_name: Mapped[str | None] = mapped_column(String(160))
    reporter_relationship: Mapped[str | None] = mapped_column(String(40))
    reporter_phone: Mapped[str | None] = mapped_column(String(32))
    document_type: Mapped[str | None] = mapped_column(String(32))
    adopted_on: Mapped[date | None] = mapped_column(Date)
    new_first_name: Mapped[str | None] = mapped_column(String(80))
    new_last_name: Mapped[str | None] = mapped_column(String(80))
    adoptive_parents: Mapped[str | None] = mapped_column(String(200))
    storage_name: Mapped[str | None] = mapped_column(String(64))
    sha256: Mapped[str | None] = mapped_column(String(64))
    content_type: Mapped[str | None] = mapped_column(String(40))
    decided_note: Mapped[str | None] = mapped_column(Text)
