"""Schema version 15."""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    ForeignKey,
    MetaData,
    String,
    Table,
    Text,
    Uuid,
    text,
)

from services.core.migrations.ddl import add_columns, stored_file


def upgrade(conn: Connection) -> None:
    """Secure messaging with a staff inbox, and refills with a clinician queue: threads' category,
    recipient, pool, claim, waiting time and closing; signed messages with attachments; the
    staff-only thread notes; the pharmacy directory; controlled substances; refill requests'
    pharmacy, note, approved quantity and refills, and when they went to the pharmacy."""
    add_columns(
        conn,
        (
            ("message_threads", "category", "VARCHAR(24)"),
            ("message_threads", "recipient", "VARCHAR(16)"),
            ("message_threads", "pool", "VARCHAR(64)"),
            ("message_threads", "assigned_to", "UUID"),
            ("message_threads", "waiting_since", "TIMESTAMP"),
            ("message_threads", "updated_at", "TIMESTAMP"),
            ("message_threads", "closed_at", "TIMESTAMP"),
            ("message_threads", "closed_by", "UUID"),
            ("messages", "signature", "VARCHAR(200)"),
            ("medications", "controlled", "VARCHAR(4)"),
            ("refill_requests", "pharmacy_id", "UUID"),
            ("refill_requests", "note", "VARCHAR(500)"),
            ("refill_requests", "quantity", "INTEGER"),
            ("refill_requests", "refills", "INTEGER"),
            ("refill_requests", "sent_at", "TIMESTAMP"),
        ),
    )
    meta = MetaData()
    Table("users", meta, Column("id", Uuid, primary_key=True))  # only for the foreign key
    Table(
        "message_attachments",
        meta,
        Column("id", Uuid, primary_key=True),
        Column("message_id", Uuid, nullable=False, index=True),
        *stored_file(),
    )
    Table(
        "thread_notes",
        meta,
        Column("id", Uuid, primary_key=True),
        Column("thread_id", Uuid, nullable=False, index=True),
        Column("author_user_id", Uuid, ForeignKey("users.id")),
        Column("kind", String(16), nullable=False),
        Column("body", Text, nullable=False),
        Column("created_at", DateTime, nullable=False),
    )
    Table(
        "pharmacies",
        meta,
        Column("id", Uuid, primary_key=True),
        Column("name", String(160), nullable=False),
        Column("address", String(200), nullable=False),
        Column("phone", String(32), nullable=False),
        Column("ncpdp_id", String(7), nullable=False, unique=True),
    )
    new = ("message_attachments", "thread_notes", "pharmacies")
    meta.create_all(conn, tables=[meta.tables[name] for name in new])
    if conn.dialect.name == "postgresql":  # the staff queues' indexes (see services/care/tables)
        conn.execute(
            text(
                "CREATE INDEX ix_message_threads_open_pool ON message_threads (pool, waiting_since)"
                " WHERE status = 'open'"
            )
        )
        conn.execute(
            text("CREATE INDEX ix_refill_requests_status ON refill_requests (status, requested_at)")
        )
