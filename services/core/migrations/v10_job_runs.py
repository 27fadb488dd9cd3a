"""Schema version 10."""

from __future__ import annotations

import sqlalchemy as sa

from services.core.migrations.ddl import at, key


def upgrade(conn: sa.Connection) -> None:
    """Runs of the scheduled jobs, shown to admins."""
    meta = sa.MetaData()
    sa.Table(
        "job_runs",
        meta,
        key(),
        sa.Column("job", sa.String(64), nullable=False),
        at("slot"),
        at("started_at"),
        at("ended_at"),
        sa.Column("items", sa.Integer, nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("error", sa.String(500)),
        sa.Index("ix_job_runs_job_slot", "job", "slot"),
    )
    meta.create_all(conn)
