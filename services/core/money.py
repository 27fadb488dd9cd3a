"""Money is integer cents everywhere; these turn cents into text without a float."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from services.core import language


def dollars(cents: int) -> str:
    """US dollars as the current language writes them: '$1,234.56' (and '-$5.00');
    '1.234,56 US$' in Spanish."""
    return language.money(cents)


def amount(cents: int) -> str:
    """'1234.56': an exact decimal for files that spreadsheets read as a number."""
    whole, part = divmod(abs(cents), 100)
    return f"{'-' if cents < 0 else ''}{whole}.{part:02d}"


def cents_of(text: str) -> int | None:
    """Typed dollars ('12', '12.5', '$1,234.56') as cents; None unless it is a non-negative
    amount with at most two decimals."""
    cleaned = (text or "").strip().replace("$", "").replace(",", "")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        return None
    if not value.is_finite() or value < 0 or value != value.quantize(Decimal("0.01")):
        return None
    return int(value * 100)
