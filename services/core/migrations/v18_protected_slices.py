"""Schema version 18."""

from __future__ import annotations

import sqlalchemy as sa


def upgrade(conn: sa.Connection) -> None:
    """The analytics' small-cell masks, kept for later views and processes."""
    sa.Table(
        "protected_slices",
        sa.MetaData(),
        sa.Column("digest", sa.String(40), primary_key=True),
        sa.Column("hidden", sa.Text, nullable=False),
        sa.Column("stored_on", sa.Date, nullable=False),
    ).create(conn)
