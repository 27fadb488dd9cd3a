"""Schema version 10."""

from __future__ import annotations

import sqlalchemy as sa


def upgrade(conn: sa.Connection) -> None:
    """Runs of the scheduled jobs, shown to admins."""
    meta = sa.MetaData()
    sa.Table(
        "job_runs",
        meta,
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("job", sa.String(64), nullable=False),
        sa.Column("slot", sa.DateTime, nullable=False),
        sa.Column("started_at", sa.DateTime, nullable=False),
        sa.Column("ended_at", sa.DateTime, nullable=False),
        sa.Column("items", sa.Integer, nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("error", sa.String(500)),
        sa.Index("ix_job_runs_job_slot", "job", "slot"),
    )
    meta.create_all(conn)
