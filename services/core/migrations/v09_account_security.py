"""Schema version 9."""

from __future__ import annotations

import sqlalchemy as sa

from services.core.audit import head_mac, write_checkpoint


def upgrade(conn: sa.Connection) -> None:
    """Wrong second-step codes counted per account; an email change waiting for its code;
    outbox messages to a fixed address; the audit head's own MAC (computed for the head row)."""
    # No NOT NULL: DuckDB refuses that on a table other tables reference.
    conn.execute(sa.text("ALTER TABLE users ADD COLUMN second_factor_failures INTEGER DEFAULT 0"))
    conn.execute(sa.text("ALTER TABLE users ADD COLUMN pending_email VARCHAR(254)"))
    conn.execute(sa.text("ALTER TABLE notification_outbox ADD COLUMN to_address VARCHAR(254)"))
    conn.execute(sa.text("ALTER TABLE audit_head ADD COLUMN mac VARCHAR(64)"))
    head = conn.execute(sa.text("SELECT last_seq, last_mac FROM audit_head WHERE id = 1")).first()
    if head is None:
        return
    conn.execute(
        sa.text("UPDATE audit_head SET mac = :mac WHERE id = 1"),
        {"mac": head_mac(int(head.last_seq), str(head.last_mac))},
    )
    if head.last_seq:
        write_checkpoint(int(head.last_seq), str(head.last_mac))
