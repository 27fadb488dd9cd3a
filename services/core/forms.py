"""Checks shared by the services' forms: each problem goes into `fields` under its field's
name, and `raise_if` refuses the whole form when any was found (nothing is accepted in part)."""

from __future__ import annotations

from services.core.errors import ValidationError
from services.core.language import t

MAX_NOTE = 1000


def checked_note(
    fields: dict[str, str], name: str, text: str | None, required: str = "", limit: int = MAX_NOTE
) -> str:
    """Free text, trimmed; `required` is the message when it may not be empty."""
    text = (text or "").strip()
    if required and not text:
        fields[name] = required
    elif len(text) > limit:
        fields[name] = t("Use at most {limit} characters.", limit=limit)
    return text


def raise_if(fields: dict[str, str]) -> None:
    if fields:
        raise ValidationError(fields)
