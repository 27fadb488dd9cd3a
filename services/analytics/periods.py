"""The dashboard's period: whole clinic days, the one before it for comparison, and the weeks and
months it is drawn in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from services.core import language
from services.core.clock import add_months
from services.core.errors import ValidationError
from services.core.language import N_, t

WEEK, MONTH = "week", "month"  # calendar weeks begin on Monday
WEEKLY_UP_TO = 120  # days; a longer period is shown by month
CHOICES = {
    N_("Last 7 days"): 7,
    N_("Last 30 days"): 30,
    N_("Last 90 days"): 90,
    N_("Last year"): 365,
}
MAX_DAYS = 3 * 366  # a custom period of up to three years


@dataclass(frozen=True)
class Period:
    first: date
    last: date  # inclusive

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def previous(self) -> Period:
        """The same number of days just before."""
        return Period(self.first - timedelta(days=self.days), self.first - timedelta(days=1))

    def each_day(self) -> list[date]:
        return [self.first + timedelta(days=k) for k in range(self.days)]

    def weeks(self) -> list[date]:
        """The Mondays of the weeks it touches (the first and last may be partial)."""
        monday = self.first - timedelta(days=self.first.weekday())
        return [monday + timedelta(weeks=k) for k in range((self.last - monday).days // 7 + 1)]

    def months(self) -> list[date]:
        """The first days of the months it touches."""
        month, found = self.first.replace(day=1), []
        while month <= self.last:
            found.append(month)
            month = add_months(month, 1)
        return found

    def unit(self) -> str:
        """What the period is shown by over time: weeks, or months for a long one."""
        return WEEK if self.days <= WEEKLY_UP_TO else MONTH

    def starts(self) -> list[date]:
        """The first days of the weeks or months it is shown by."""
        return self.weeks() if self.unit() == WEEK else self.months()

    def label(self) -> str:
        return f"{language.day(self.first)} – {language.day(self.last)}"


def bucket(day: date, unit: str) -> Period:
    """The calendar week or month the day falls in."""
    if unit == WEEK:
        monday = day - timedelta(days=day.weekday())
        return Period(monday, monday + timedelta(days=6))
    first = day.replace(day=1)
    return Period(first, add_months(first, 1) - timedelta(days=1))


def ending(days: int, yesterday: date) -> Period:
    """The last `days` whole days (today is not over yet)."""
    return Period(yesterday - timedelta(days=days - 1), yesterday)


def custom(first: date | None, last: date | None, yesterday: date) -> Period:
    """A period the manager chose; refused with a clear message when it cannot be shown."""
    if first is None or last is None:
        raise ValidationError({"period": t("Choose the first and the last day.")})
    if first > last:
        raise ValidationError({"period": t("The first day must not be after the last.")})
    if last > yesterday:
        raise ValidationError(
            {
                "period": t(
                    "Choose days up to {day} (today is not over).", day=language.day(yesterday)
                )
            }
        )
    if (last - first).days + 1 > MAX_DAYS:
        raise ValidationError({"period": t("Choose at most three years.")})
    return Period(first, last)
