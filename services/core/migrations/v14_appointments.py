"""Schema version 14."""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from services.core.migrations.ddl import add_columns, at, key, ref


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
        sa.Table(name, meta, key())

    def patient() -> sa.Column[uuid.UUID]:
        return ref("patient_id", "patients", index=True)

    sa.Table(
        "schedule_templates",
        meta,
        key(),
        ref("provider_id", "providers", index=True),
        ref("site_id", "sites"),
        sa.Column("weekday", sa.Integer, nullable=False),
        sa.Column("start_minute", sa.Integer, nullable=False),
        sa.Column("end_minute", sa.Integer, nullable=False),
        sa.Column("slot_minutes", sa.Integer, nullable=False),
        sa.Column("slot_kind", sa.String(16), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        ref("created_by", "users", required=False),
        at("created_at"),
    )
    sa.Table(
        "schedule_blocks",
        meta,
        key(),
        ref("provider_id", "providers", index=True),
        at("starts_at"),
        at("ends_at"),
        sa.Column("reason", sa.String(200), nullable=False),
        ref("created_by", "users", required=False),
        at("created_at"),
    )
    sa.Table(
        "appointment_requests",
        meta,
        key(),
        patient(),
        sa.Column("visit_type", sa.String(24), nullable=False),
        sa.Column("provider_id", sa.Uuid),
        sa.Column("preferred", sa.Text, nullable=False),
        sa.Column("note", sa.Text),
        sa.Column("status", sa.String(16), nullable=False),
        ref("requested_by", "users"),
        at("requested_at"),
        sa.Column("handled_by", sa.Uuid),
        at("handled_at", required=False),
        sa.Column("appointment_id", sa.Uuid),
    )
    sa.Table(
        "waitlist_entries",
        meta,
        key(),
        patient(),
        sa.Column("appointment_id", sa.Uuid, nullable=False, index=True),
        sa.Column("provider_id", sa.Uuid),
        sa.Column("slot_kind", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        at("created_at"),
    )
    sa.Table(
        "waitlist_offers",
        meta,
        key(),
        sa.Column("entry_id", sa.Uuid, nullable=False, index=True),
        sa.Column("slot_id", sa.Uuid, nullable=False, index=True),
        at("offered_at"),
        at("expires_at"),
        sa.Column("status", sa.String(16), nullable=False),
    )
    sa.Table(
        "reminders_sent",
        meta,
        sa.Column("appointment_id", sa.Uuid, primary_key=True),
        sa.Column("days_before", sa.Integer, primary_key=True),
        at("sent_at"),
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
        ref("completed_by", "users"),
        at("completed_at"),
    )
    sa.Table(
        "questionnaire_responses",
        meta,
        key(),
        sa.Column("appointment_id", sa.Uuid, nullable=False, index=True),
        patient(),
        sa.Column("instrument", sa.String(16), nullable=False),
        sa.Column("answers", sa.String(32), nullable=False),
        sa.Column("score", sa.Integer, nullable=False),
        sa.Column("severity", sa.String(24), nullable=False),
        sa.Column("self_harm", sa.Boolean, nullable=False),
        ref("submitted_by", "users"),
        at("submitted_at"),
    )
    meta.create_all(conn, tables=[t for t in meta.sorted_tables if t.name not in stand_ins])
