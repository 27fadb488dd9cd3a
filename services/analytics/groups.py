"""The groups the analytics count people in: their record's site and their age band on the day
(people without a record of their own, caregivers, in "none" and "unknown")."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, case, extract, func

NO_SITE, NO_AGE = "none", "unknown"
AGE_BANDS = ((18, "0-17"), (35, "18-34"), (50, "35-49"), (65, "50-64"), (75, "65-74"))
OLDEST_BAND = "75+"
BANDS = (*(band for _, band in AGE_BANDS), OLDEST_BAND)


def _numeric_date(value: ColumnElement[Any]) -> ColumnElement[Any]:
    """A date as the number yyyymmdd (the same arithmetic in both databases)."""
    return extract("year", value) * 10000 + extract("month", value) * 100 + extract("day", value)


def age_band(day: ColumnElement[Any], birth: Any) -> ColumnElement[str]:
    """The person's age on that day, banded ("unknown" without a patient record)."""
    age = func.floor((_numeric_date(day) - _numeric_date(birth)) / 10000.0)
    return case(
        (birth.is_(None), NO_AGE),
        *((age < upper, band) for upper, band in AGE_BANDS),
        else_=OLDEST_BAND,
    )
