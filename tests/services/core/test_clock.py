"""The clinic's clock: days, morning and evening are reckoned in PORTAL_TIMEZONE, correct on the
days daylight saving starts and ends, in Python and in SQL on both databases."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import literal, select

from services.core import clock, db
from services.core.config import settings
from services.core.errors import ConfigurationError

SPRING_FORWARD, FALL_BACK = date(2025, 3, 9), date(2025, 11, 2)  # America/Chicago


def test_a_day_is_23_hours_in_spring_and_25_in_autumn() -> None:
    assert settings().timezone == "America/Chicago"
    for day, hours in ((SPRING_FORWARD, 23), (FALL_BACK, 25), (date(2025, 6, 1), 24)):
        length = clock.day_start(day + timedelta(days=1)) - clock.day_start(day)
        assert length == timedelta(hours=hours), day
    assert clock.day_start(SPRING_FORWARD) == datetime(2025, 3, 9, 6, 0)  # CST midnight
    assert clock.day_start(FALL_BACK) == datetime(2025, 11, 2, 5, 0)  # CDT midnight


def test_wall_clock_times_in_the_skipped_and_the_repeated_hour() -> None:
    assert clock.from_local(datetime(2025, 3, 9, 2, 30)) == datetime(2025, 3, 9, 8, 30)  # = 3:30
    assert clock.from_local(datetime(2025, 11, 2, 1, 30)) == datetime(2025, 11, 2, 6, 30)  # first
    assert clock.local(datetime(2025, 11, 2, 7, 30)).strftime("%H:%M %Z") == "01:30 CST"
    assert clock.local(datetime(2025, 11, 2, 6, 30)).strftime("%H:%M %Z") == "01:30 CDT"
    with clock.frozen(datetime(2025, 11, 3, 3, 0)):  # 3 am UTC is still the evening before
        assert clock.today() == date(2025, 11, 2)


def test_the_database_converts_like_python_around_both_changes(seeded_url: str) -> None:
    moments = [
        datetime(2025, 3, 9, 7, 59),
        datetime(2025, 3, 9, 8, 0),
        datetime(2025, 11, 2, 6, 59),
        datetime(2025, 11, 2, 7, 0),
        datetime(2025, 11, 2, 7, 30),
    ]
    with db.read_only() as s:
        for moment in moments:
            in_sql = s.scalar(select(clock.local_sql(literal(moment))))
            assert in_sql == clock.local(moment).replace(tzinfo=None), moment


def test_an_unknown_time_zone_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORTAL_TIMEZONE", "Mars/Olympus_Mons")
    settings.cache_clear()
    try:
        with pytest.raises(ConfigurationError, match="PORTAL_TIMEZONE"):
            settings()
    finally:
        monkeypatch.delenv("PORTAL_TIMEZONE")
        settings.cache_clear()
