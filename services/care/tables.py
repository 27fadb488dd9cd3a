"""The care tables (one metadata for the whole schema: services.core.models.Base)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from services.core.models import Base, StoredFile, id_column, patient_fk


class AppointmentSlot(Base):
    __tablename__ = "appointment_slots"
    id: Mapped[uuid.UUID] = id_column()
    provider_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("providers.id"), index=True)
    site_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("sites.id"))
    start_at: Mapped[datetime] = mapped_column(DateTime)
    minutes: Mapped[int] = mapped_column(Integer)
    visit_type: Mapped[str] = mapped_column(String(24))  # the slot's kind: office or video
    booked: Mapped[bool] = mapped_column(Boolean, default=False)
    # Schema v14: the template that made it (none for the seeded ones), and a slot closed by a
    # block (vacation) or held for a waitlist offer, which no one else may book meanwhile.
    template_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    blocked: Mapped[bool | None] = mapped_column(Boolean)
    held_until: Mapped[datetime | None] = mapped_column(DateTime)
    freed_at: Mapped[datetime | None] = mapped_column(DateTime)  # a cancellation opened it


class Appointment(Base):
    __tablename__ = "appointments"
    id: Mapped[uuid.UUID] = id_column()
    patient_id: Mapped[uuid.UUID] = patient_fk()
    provider_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("providers.id"))
    site_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("sites.id"))
    slot_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("appointment_slots.id"))
    start_at: Mapped[datetime] = mapped_column(DateTime)
    minutes: Mapped[int] = mapped_column(Integer)
    visit_type: Mapped[str] = mapped_column(String(24))
    reason: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16))  # booked, completed, cancelled, no_show
    created_at: Mapped[datetime] = mapped_column(DateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Confidential adolescent information: hidden from a parent of a 12-17 year old (schema v11).
    sensitive: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default="false", nullable=True
    )
    # Schema v14. A reschedule is a new appointment pointing at the one it replaced (DuckDB
    # cannot change an indexed column such as start_at of a row others refer to).
    booked_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    rescheduled_from: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    cancelled_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    cancel_reason: Mapped[str | None] = mapped_column(String(200))
    video_room: Mapped[str | None] = mapped_column(String(64))  # unguessable, for video visits
    checked_in_at: Mapped[datetime | None] = mapped_column(DateTime)


class ScheduleTemplate(Base):
    """A provider's weekly slots (schema v14): on a weekday, from-to (clinic time), at a site,
    slots of a length and kind (office or video)."""

    __tablename__ = "schedule_templates"
    id: Mapped[uuid.UUID] = id_column()
    provider_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("providers.id"), index=True)
    site_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("sites.id"))
    weekday: Mapped[int] = mapped_column(Integer)  # 0 Monday .. 6 Sunday
    start_minute: Mapped[int] = mapped_column(Integer)  # minutes after local midnight
    end_minute: Mapped[int] = mapped_column(Integer)
    slot_minutes: Mapped[int] = mapped_column(Integer)
    slot_kind: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean)
    created_by: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime)


class ScheduleBlock(Base):
    """Time a provider is away (schema v14): its visits are cancelled with notices and offers."""

    __tablename__ = "schedule_blocks"
    id: Mapped[uuid.UUID] = id_column()
    provider_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("providers.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(DateTime)
    ends_at: Mapped[datetime] = mapped_column(DateTime)
    reason: Mapped[str] = mapped_column(String(200))
    created_by: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime)


class AppointmentRequest(Base):
    """A "request only" visit (schema v14): staff schedule it."""

    __tablename__ = "appointment_requests"
    id: Mapped[uuid.UUID] = id_column()
    patient_id: Mapped[uuid.UUID] = patient_fk()
    visit_type: Mapped[str] = mapped_column(String(24))
    provider_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)  # a wish, or any
    preferred: Mapped[str] = mapped_column(Text)  # days and times that suit
    note: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))  # requested, scheduled, cancelled
    requested_by: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(DateTime)
    handled_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    handled_at: Mapped[datetime | None] = mapped_column(DateTime)
    appointment_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)


class WaitlistEntry(Base):
    """A patient who would take an earlier slot for a booked visit (schema v14)."""

    __tablename__ = "waitlist_entries"
    id: Mapped[uuid.UUID] = id_column()
    patient_id: Mapped[uuid.UUID] = patient_fk()
    appointment_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)  # the one to move up
    provider_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)  # None: any provider
    slot_kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))  # waiting, moved, ended
    created_at: Mapped[datetime] = mapped_column(DateTime)


class WaitlistOffer(Base):
    """An earlier slot offered to one waiting patient (schema v14); the first to accept gets it."""

    __tablename__ = "waitlist_offers"
    id: Mapped[uuid.UUID] = id_column()
    entry_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    slot_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    offered_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(16))  # open, accepted, expired, declined, gone


class ReminderSent(Base):
    """One reminder of one visit (schema v14): sent once, whatever the runner does."""

    __tablename__ = "reminders_sent"
    appointment_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    days_before: Mapped[int] = mapped_column(Integer, primary_key=True)
    sent_at: Mapped[datetime] = mapped_column(DateTime)


class CheckIn(Base):
    """E-check-in of a visit (schema v14): what the patient confirmed or changed."""

    __tablename__ = "checkins"
    appointment_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    patient_id: Mapped[uuid.UUID] = patient_fk()
    contact_confirmed: Mapped[bool] = mapped_column(Boolean)
    insurance_confirmed: Mapped[bool] = mapped_column(Boolean)
    medication_changes: Mapped[str | None] = mapped_column(Text)  # for the care team to review
    allergy_changes: Mapped[str | None] = mapped_column(Text)
    completed_by: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id"))
    completed_at: Mapped[datetime] = mapped_column(DateTime)


class QuestionnaireResponse(Base):
    """A scored questionnaire sent at check-in (schema v14)."""

    __tablename__ = "questionnaire_responses"
    id: Mapped[uuid.UUID] = id_column()
    appointment_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    patient_id: Mapped[uuid.UUID] = patient_fk()
    instrument: Mapped[str] = mapped_column(String(16))  # phq9, gad7
    answers: Mapped[str] = mapped_column(String(32))  # "0,1,2,..."
    score: Mapped[int] = mapped_column(Integer)
    severity: Mapped[str] = mapped_column(String(24))
    self_harm: Mapped[bool] = mapped_column(Boolean)  # PHQ-9 item 9 above 0
    submitted_by: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id"))
    submitted_at: Mapped[datetime] = mapped_column(DateTime)


class MessageThread(Base):
    __tablename__ = "message_threads"
    id: Mapped[uuid.UUID] = id_column()
    patient_id: Mapped[uuid.UUID] = patient_fk()
    care_team_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("care_teams.id"))
    subject: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16))  # open, closed
    created_at: Mapped[datetime] = mapped_column(DateTime)
    # Confidential adolescent information: hidden from a parent of a 12-17 year old (schema v11).
    sensitive: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default="false", nullable=True
    )
    # Schema v15: what it is about, to whom it was written, the staff pool it is in (by the
    # routing rules, or forwarded), who has claimed it, since when the patient has waited for an
    # answer (none while the last word is the staff's), and when anything last happened. None of
    # these is indexed: DuckDB could not then update them while messages refer to the thread.
    category: Mapped[str | None] = mapped_column(String(24))
    recipient: Mapped[str | None] = mapped_column(String(16))  # care, billing, records
    pool: Mapped[str | None] = mapped_column(String(64))
    assigned_to: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    waiting_since: Mapped[datetime | None] = mapped_column(DateTime)
    updated_at: Mapped[datetime | None] = mapped_column(DateTime)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    closed_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)


class Message(Base):
    __tablename__ = "messages"
    id: Mapped[uuid.UUID] = id_column()
    thread_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("message_threads.id"), index=True)
    sender_user_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id"))
    from_patient_side: Mapped[bool] = mapped_column(Boolean)
    body: Mapped[str] = mapped_column(Text)
    sent_at: Mapped[datetime] = mapped_column(DateTime)
    read_at: Mapped[datetime | None] = mapped_column(DateTime)  # by the other side
    # Schema v15: who wrote it, as shown: a clinician's name and role, or "Dana Larson for
    # Emma Larson" when a proxy writes.
    signature: Mapped[str | None] = mapped_column(String(200))


class MessageAttachment(StoredFile, Base):
    """A file sent with a message (checked by content, stored privately; schema v15)."""

    __tablename__ = "message_attachments"
    id: Mapped[uuid.UUID] = id_column()
    message_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)


class ThreadNote(Base):
    """Staff-only history of a thread (schema v15): internal notes, claims, assignments,
    forwards, closing. Kept apart from the messages so no patient-side query can reach it."""

    __tablename__ = "thread_notes"
    id: Mapped[uuid.UUID] = id_column()
    thread_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    author_user_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(16))  # note, claim, assign, forward, close, reopen
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class Pharmacy(Base):
    """The pharmacy directory (schema v15)."""

    __tablename__ = "pharmacies"
    id: Mapped[uuid.UUID] = id_column()
    name: Mapped[str] = mapped_column(String(160))
    address: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str] = mapped_column(String(32))
    ncpdp_id: Mapped[str] = mapped_column(String(7), unique=True)  # the pharmacy's NCPDP number


class RefillRequest(Base):
    __tablename__ = "refill_requests"
    id: Mapped[uuid.UUID] = id_column()
    patient_id: Mapped[uuid.UUID] = patient_fk()
    medication_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("medications.id"))
    requested_by: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id"))
    pharmacy: Mapped[str] = mapped_column(String(160))
    # requested, approved, sent (to the pharmacy), denied, visit_needed
    status: Mapped[str] = mapped_column(String(16))
    requested_at: Mapped[datetime] = mapped_column(DateTime)
    decided_by: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    decision_note: Mapped[str | None] = mapped_column(Text)
    # Schema v15: the chosen pharmacy from the directory, the patient's note, what was approved
    # (quantity and refills) and when the prescription went to the pharmacy.
    pharmacy_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    note: Mapped[str | None] = mapped_column(String(500))
    quantity: Mapped[int | None] = mapped_column(Integer)
    refills: Mapped[int | None] = mapped_column(Integer)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)


# --- billing --------------------------------------------------------------------------------


Index("ix_appointments_start", Appointment.patient_id, Appointment.start_at)


# PostgreSQL only: DuckDB turns an update of an indexed column into delete + insert, which its
# foreign keys refuse while messages refer to the thread (and the columnar scan is quick there).
# The staff queues read the open threads of a pool, and the requests waiting for a decision.
Index(
    "ix_message_threads_open_pool",
    MessageThread.pool,
    MessageThread.waiting_since,
    postgresql_where=MessageThread.status == "open",
).ddl_if(dialect="postgresql")
Index("ix_refill_requests_status", RefillRequest.status, RefillRequest.requested_at).ddl_if(
    dialect="postgresql"
)
