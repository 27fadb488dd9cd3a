"""HIM's legal clocks on the clinic's calendar: month ends, leap day, daylight saving, the one
extension."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from services.core import clock
from services.core.errors import Conflict, ValidationError
from services.him import deadlines


def _local(day: date, hour: int = 10, minute: int = 0) -> datetime:
    return clock.from_local(
        datetime.combine(day, datetime.min.time()) + timedelta(hours=hour, minutes=minute)
    )


def _last_day(due: datetime) -> date:
    return clock.local(due - timedelta(microseconds=1)).date()


@pytest.mark.parametrize(
    ("kind", "received", "last"),
    [
        ("access", date(2026, 1, 31), date(2026, 3, 2)),  # across a short February
        ("access", date(2028, 1, 30), date(2028, 2, 29)),  # onto a leap day
        ("amendment", date(2028, 2, 29), date(2028, 4, 29)),  # from a leap day
        ("accounting", date(2026, 12, 31), date(2027, 3, 1)),  # across the year's end
        ("update", date(2026, 6, 1), date(2026, 7, 1)),
    ],
)
def test_due_by_the_end_of_the_last_calendar_day(kind: str, received: date, last: date) -> None:
    due = deadlines.due_at(kind, _local(received))
    assert _last_day(due) == last
    assert due == clock.day_start(last + timedelta(days=1))


def test_a_late_evening_receipt_and_daylight_saving_keep_whole_days() -> None:
    # 23:30 on 10 October (CDT): due at local midnight after 9 November (CST), 25 hours that day.
    received = _local(date(2026, 10, 10), 23, 30)
    due = deadlines.due_at("access", received)
    assert clock.local(due).replace(tzinfo=None) == datetime(2026, 11, 10)
    assert clock.local(due).utcoffset() == timedelta(hours=-6)
    # The same receipt read in UTC would already be 11 October: the clinic's day decides.
    assert received.date() == date(2026, 10, 11)


def test_one_extension_of_at_most_30_days_with_a_reason() -> None:
    due = deadlines.due_at("access", _local(date(2026, 6, 1)))  # last day 1 July
    extended = deadlines.extended_due_at(
        "access", due, _local(date(2026, 7, 31)), False, "Records are in off-site storage."
    )
    assert _last_day(extended) == date(2026, 7, 31)
    with pytest.raises(Conflict):
        deadlines.extended_due_at("access", extended, _local(date(2026, 8, 5)), True, "Again")
    for new_day, reason, field in (
        (date(2026, 8, 1), "Too far", "new_date"),
        (date(2026, 6, 30), "Earlier", "new_date"),
        (date(2026, 7, 10), "  ", "reason"),
    ):
        with pytest.raises(ValidationError) as refused:
            deadlines.extended_due_at("access", due, _local(new_day), False, reason)
        assert field in refused.value.fields
    with pytest.raises(Conflict):
        deadlines.extended_due_at("update", due, _local(date(2026, 7, 5)), False, "No")
