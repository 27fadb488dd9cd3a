"""Schema version 10."""

from __future__ import annotations

from sqlalchemy import Column, Connection, DateTime, Index, Integer, MetaData, String, Table, Uuid


def upgrade(conn: Connection) -> None:
    """Runs of the scheduled jobs, shown to admins."""
    meta = MetaData()
    Table(
        "job_runs",
        meta,
        Column("id", Uuid, primary_key=True),
        Column("job", String(64), nullable=False),
        Column("slot", DateTime, nullable=False),
        Column("started_at", DateTime, nullable=False),
        Column("ended_at", DateTime, nullable=False),
        Column("items", Integer, nullable=False),
        Column("outcome", String(16), nullable=False),
        Column("error", String(500)),
        Index("ix_job_runs_job_slot", "job", "slot"),
    )
    meta.create_all(conn)
