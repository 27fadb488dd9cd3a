"""Money is integer cents everywhere; these turn cents into text without a float."""

from __future__ import annotations


def dollars(cents: int) -> str:
    """'$1,234.56' (and '-$5.00')."""
    whole, part = divmod(abs(cents), 100)
    return f"{'-' if cents < 0 else ''}${whole:,}.{part:02d}"


def amount(cents: int) -> str:
    """'1234.56': an exact decimal for files that spreadsheets read as a number."""
    whole, part = divmod(abs(cents), 100)
    return f"{'-' if cents < 0 else ''}{whole}.{part:02d}"
