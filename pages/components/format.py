"""Small display helpers shared by pages (text only: user-written text is never HTML)."""

from __future__ import annotations

from datetime import datetime


def money(cents: int) -> str:
    return f"${cents / 100:,.2f}"


def when(moment: datetime | None) -> str:
    return moment.strftime("%b %d, %Y %H:%M") if moment else "—"


def count(value: int | None) -> str:
    """A suppressed count (1 to 10 people) shows as a range, never as its value."""
    return "1–10" if value is None else f"{value:,}"
