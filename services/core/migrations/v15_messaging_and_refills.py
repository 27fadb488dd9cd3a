"""Schema version 15."""

from __future__ import annotations

import sqlalchemy as sa

from services.core.migrations.ddl import add_columns, at, key, ref, stored_file


def upgrade(conn: sa.Connection) -> None:
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
    meta = sa.MetaData()
    sa.Table("users", meta, key())  # only for the foreign key
    sa.Table(
        "message_attachments",
        meta,
        key(),
        sa.Column("message_id", sa.Uuid, nullable=False, index=True),
        *stored_file(),
    )
    sa.Table(
        "thread_notes",
        meta,
        key(),
        sa.Column("thread_id", sa.Uuid, nullable=False, index=True),
        ref("author_user_id", "users", required=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        at("created_at"),
    )
    sa.Table(
        "pharmacies",
        meta,
        key(),
        sa.Column("name", sa.String(160), nullable=False),
        sa.Column("address", sa.String(200), nullable=False),
        sa.Column("phone", sa.String(32), nullable=False),
        sa.Column("ncpdp_id", sa.String(7), nullable=False, unique=True),
    )
    new = ("message_attachments", "thread_notes", "pharmacies")
    meta.create_all(conn, tables=[meta.tables[name] for name in new])
    if conn.dialect.name == "postgresql":  # the staff queues' indexes (see services/care/tables)
        conn.execute(
            sa.text(
                "CREATE INDEX ix_message_threads_open_pool ON message_threads (pool, waiting_since)"
                " WHERE status = 'open'"
            )
        )
        conn.execute(
            sa.text(
                "CREATE INDEX ix_refill_requests_status ON refill_requests (status, requested_at)"
            )
        )
