"""Schema version 14."""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from services.core.migrations.ddl import add_columns


def upgrade(conn: sa.Connection) -> None:
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
    meta = sa.MetaData()
    stand_ins = ("patients", "users", "providers", "sites")  # only for the foreign keys
    for name in stand_ins:
        sa.Table(name, meta, sa.Column("id", sa.Uuid, primary_key=True))

    def patient() -> sa.Column[uuid.UUID]:
        return sa.Column(
            "patient_id", sa.Uuid, sa.ForeignKey("patients.id"), nullable=False, index=True
        )

    sa.Table(
        "schedule_templates",
        meta,
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column(
            "provider_id", sa.Uuid, sa.ForeignKey("providers.id"), nullable=False, index=True
        ),
        sa.Column("site_id", sa.Uuid, sa.ForeignKey("sites.id"), nullable=False),
        sa.Column("weekday", sa.Integer, nullable=False),
        sa.Column("start_minute", sa.Integer, nullable=False),
        sa.Column("end_minute", sa.Integer, nullable=False),
        sa.Column("slot_minutes", sa.Integer, nullable=False),
        sa.Column("slot_kind", sa.String(16), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("created_by", sa.Uuid, sa.ForeignKey("users.id")),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    sa.Table(
        "schedule_blocks",
        meta,
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column(
            "provider_id", sa.Uuid, sa.ForeignKey("providers.id"), nullable=False, index=True
        ),
        sa.Column("starts_at", sa.DateTime, nullable=False),
        sa.Column("ends_at", sa.DateTime, nullable=False),
        sa.Column("reason", sa.String(200), nullable=False),
        sa.Column("created_by", sa.Uuid, sa.ForeignKey("users.id")),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    sa.Table(
        "appointment_requests",
        meta,
        sa.Column("id", sa.Uuid, primary_key=True),
        patient(),
        sa.Column("visit_type", sa.String(24), nullable=False),
        sa.Column("provider_id", sa.Uuid),
        sa.Column("preferred", sa.Text, nullable=False),
        sa.Column("note", sa.Text),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("requested_by", sa.Uuid, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("requested_at", sa.DateTime, nullable=False),
        sa.Column("handled_by", sa.Uuid),
        sa.Column("handled_at", sa.DateTime),
        sa.Column("appointment_id", sa.Uuid),
    )
    sa.Table(
        "waitlist_entries",
        meta,
        sa.Column("id", sa.Uuid, primary_key=True),
        patient(),
        sa.Column("appointment_id", sa.Uuid, nullable=False, index=True),
        sa.Column("provider_id", sa.Uuid),
        sa.Column("slot_kind", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    sa.Table(
        "waitlist_offers",
        meta,
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("entry_id", sa.Uuid, nullable=False, index=True),
        sa.Column("slot_id", sa.Uuid, nullable=False, index=True),
        sa.Column("offered_at", sa.DateTime, nullable=False),
        sa.Column("expires_at", sa.DateTime, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
    )
    sa.Table(
        "reminders_sent",
        meta,
        sa.Column("appointment_id", sa.Uuid, primary_key=True),
        sa.Column("days_before", sa.Integer, primary_key=True),
        sa.Column("sent_at", sa.DateTime, nullable=False),
    )
    sa.Table(
        "checkins",
        meta,
        sa.Column("appointment_id", sa.Uuid, primary_key=True),
        patient(),
        sa.Column("contact_confirmed", sa.Boolean, nullable=False),
        sa.Column("insurance_confirmed", sa.Boolean, nullable=False),
        sa.Column("medication_changes", sa.Text),
        sa.Column("allergy_changes", sa.Text),
        sa.Column("completed_by", sa.Uuid, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("completed_at", sa.DateTime, nullable=False),
    )
    sa.Table(
        "questionnaire_responses",
        meta,
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("appointment_id", sa.Uuid, nullable=False, index=True),
        patient(),
        sa.Column("instrument", sa.String(16), nullable=False),
        sa.Column("answers", sa.String(32), nullable=False),
        sa.Column("score", sa.Integer, nullable=False),
        sa.Column("severity", sa.String(24), nullable=False),
        sa.Column("self_harm", sa.Boolean, nullable=False),
        sa.Column("submitted_by", sa.Uuid, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("submitted_at", sa.DateTime, nullable=False),
    )
    meta.create_all(conn, tables=[t for t in meta.sorted_tables if t.name not in stand_ins])
