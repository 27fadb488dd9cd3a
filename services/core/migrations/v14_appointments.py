"""Schema version 14."""

from __future__ import annotations

import uuid

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    Uuid,
)

from services.core.migrations.ddl import add_columns


def upgrade(conn: Connection) -> None:
    """Appointments end to end: the sites' addresses; slots from schedule templates, closed by
    blocks or held for a waitlist offer; who booked, cancelled or rescheduled a visit, its video
    room and check-in; visit requests, the waitlist and its offers, reminders sent, e-check-ins
    and scored questionnaires."""
    add_columns(
        conn,
        (
            ("sites", "address", "VARCHAR(200)"),
            ("appointment_slots", "template_id", "UUID"),
            ("appointment_slots", "blocked", "BOOLEAN"),
            ("appointment_slots", "held_until", "TIMESTAMP"),
            ("appointment_slots", "freed_at", "TIMESTAMP"),
            ("appointments", "booked_by", "UUID"),
            ("appointments", "rescheduled_from", "UUID"),
            ("appointments", "cancelled_by", "UUID"),
            ("appointments", "cancel_reason", "VARCHAR(200)"),
            ("appointments", "video_room", "VARCHAR(64)"),
            ("appointments", "checked_in_at", "TIMESTAMP"),
        ),
    )
    meta = MetaData()
    stand_ins = ("patients", "users", "providers", "sites")  # only for the foreign keys
    for name in stand_ins:
        Table(name, meta, Column("id", Uuid, primary_key=True))

    def patient() -> Column[uuid.UUID]:
        return Column("patient_id", Uuid, ForeignKey("patients.id"), nullable=False, index=True)

    Table(
        "schedule_templates",
        meta,
        Column("id", Uuid, primary_key=True),
        Column("provider_id", Uuid, ForeignKey("providers.id"), nullable=False, index=True),
        Column("site_id", Uuid, ForeignKey("sites.id"), nullable=False),
        Column("weekday", Integer, nullable=False),
        Column("start_minute", Integer, nullable=False),
        Column("end_minute", Integer, nullable=False),
        Column("slot_minutes", Integer, nullable=False),
        Column("slot_kind", String(16), nullable=False),
        Column("active", Boolean, nullable=False),
        Column("created_by", Uuid, ForeignKey("users.id")),
        Column("created_at", DateTime, nullable=False),
    )
    Table(
        "schedule_blocks",
        meta,
        Column("id", Uuid, primary_key=True),
        Column("provider_id", Uuid, ForeignKey("providers.id"), nullable=False, index=True),
        Column("starts_at", DateTime, nullable=False),
        Column("ends_at", DateTime, nullable=False),
        Column("reason", String(200), nullable=False),
        Column("created_by", Uuid, ForeignKey("users.id")),
        Column("created_at", DateTime, nullable=False),
    )
    Table(
        "appointment_requests",
        meta,
        Column("id", Uuid, primary_key=True),
        patient(),
        Column("visit_type", String(24), nullable=False),
        Column("provider_id", Uuid),
        Column("preferred", Text, nullable=False),
        Column("note", Text),
        Column("status", String(16), nullable=False),
        Column("requested_by", Uuid, ForeignKey("users.id"), nullable=False),
        Column("requested_at", DateTime, nullable=False),
        Column("handled_by", Uuid),
        Column("handled_at", DateTime),
        Column("appointment_id", Uuid),
    )
    Table(
        "waitlist_entries",
        meta,
        Column("id", Uuid, primary_key=True),
        patient(),
        Column("appointment_id", Uuid, nullable=False, index=True),
        Column("provider_id", Uuid),
        Column("slot_kind", String(16), nullable=False),
        Column("status", String(16), nullable=False),
        Column("created_at", DateTime, nullable=False),
    )
    Table(
        "waitlist_offers",
        meta,
        Column("id", Uuid, primary_key=True),
        Column("entry_id", Uuid, nullable=False, index=True),
        Column("slot_id", Uuid, nullable=False, index=True),
        Column("offered_at", DateTime, nullable=False),
        Column("expires_at", DateTime, nullable=False),
        Column("status", String(16), nullable=False),
    )
    Table(
        "reminders_sent",
        meta,
        Column("appointment_id", Uuid, primary_key=True),
        Column("days_before", Integer, primary_key=True),
        Column("sent_at", DateTime, nullable=False),
    )
    Table(
        "checkins",
        meta,
        Column("appointment_id", Uuid, primary_key=True),
        patient(),
        Column("contact_confirmed", Boolean, nullable=False),
        Column("insurance_confirmed", Boolean, nullable=False),
        Column("medication_changes", Text),
        Column("allergy_changes", Text),
        Column("completed_by", Uuid, ForeignKey("users.id"), nullable=False),
        Column("completed_at", DateTime, nullable=False),
    )
    Table(
        "questionnaire_responses",
        meta,
        Column("id", Uuid, primary_key=True),
        Column("appointment_id", Uuid, nullable=False, index=True),
        patient(),
        Column("instrument", String(16), nullable=False),
        Column("answers", String(32), nullable=False),
        Column("score", Integer, nullable=False),
        Column("severity", String(24), nullable=False),
        Column("self_harm", Boolean, nullable=False),
        Column("submitted_by", Uuid, ForeignKey("users.id"), nullable=False),
        Column("submitted_at", DateTime, nullable=False),
    )
    meta.create_all(conn, tables=[t for t in meta.sorted_tables if t.name not in stand_ins])
