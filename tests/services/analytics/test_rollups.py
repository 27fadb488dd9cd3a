"""The daily rollups of portal use: recorded as people use the portal, kept up to date by the job
from the newly recorded events only, and always equal to an aggregate from scratch (computed here
independently, in pandas with the clinic's time zone from zoneinfo) after new events, late
events and events either side of the clinic's midnight."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from sqlalchemy import delete, func, insert, select, update

from services.analytics import groups, periods, rollups
from services.analytics.tables import UsageGroupDay, UsageHour, UsageUserDay, UsageUserPeriod
from services.core import clock, db, usage
from services.core.config import settings
from services.core.models import Patient, Site, User
from services.core.usage import PortalUsageEvent
from services.records import results
from tests.conftest import NOW
from tests.support import world


def _user_days() -> pd.DataFrame:
    with db.read_only() as s:
        rows = s.execute(select(UsageUserDay)).scalars().all()
    frame = pd.DataFrame(
        [
            (r.day, str(r.user_id), r.site, r.age_band, r.features, r.events, r.sign_ins)
            for r in rows
        ],
        columns=["day", "user_id", "site", "age_band", "features", "events", "sign_ins"],
    )
    return frame.sort_values(["day", "user_id"]).reset_index(drop=True)


def _hours() -> pd.DataFrame:
    with db.read_only() as s:
        rows = s.execute(select(UsageHour)).scalars().all()
    frame = pd.DataFrame(
        [(r.day, r.hour, r.site, r.age_band, r.events, r.sign_ins, r.users) for r in rows],
        columns=["day", "hour", "site", "age_band", "events", "sign_ins", "users"],
    )
    return frame.sort_values(["day", "hour", "site", "age_band"]).reset_index(drop=True)


def _periods() -> pd.DataFrame:
    with db.read_only() as s:
        rows = s.execute(select(UsageUserPeriod)).scalars().all()
    frame = pd.DataFrame(
        [(r.unit, r.start, str(r.user_id), r.site, r.age_band, r.features) for r in rows],
        columns=["unit", "start", "user_id", "site", "age_band", "features"],
    )
    return frame.sort_values(["unit", "start", "user_id"]).reset_index(drop=True)


def _periods_from(days: pd.DataFrame) -> pd.DataFrame:
    """Each person's weeks and months, from their days, worked out again here."""
    found = []
    for unit in (periods.WEEK, periods.MONTH):
        start = [periods.bucket(d, unit).first for d in days["day"]]
        grouped = days.assign(unit=unit, start=start).groupby(["unit", "start", "user_id"])
        found.append(
            grouped.agg(
                site=("site", "max"),
                age_band=("age_band", "max"),
                features=("features", lambda f: int(np.bitwise_or.reduce(f.to_numpy()))),
            ).reset_index()
        )
    frame = pd.concat(found, ignore_index=True)
    return frame.sort_values(["unit", "start", "user_id"]).reset_index(drop=True)


def _groups() -> pd.DataFrame:
    with db.read_only() as s:
        rows = s.execute(select(UsageGroupDay)).scalars().all()
    frame = pd.DataFrame(
        [(r.day, r.site, r.age_band, r.people) for r in rows],
        columns=["day", "site", "age_band", "people"],
    )
    return frame.sort_values(["day", "site", "age_band"]).reset_index(drop=True)


def _groups_from(days: pd.DataFrame) -> pd.DataFrame:
    found = days.groupby(["day", "site", "age_band"]).size().rename("people").reset_index()
    return found.sort_values(["day", "site", "age_band"]).reset_index(drop=True)


def _band(born: date | None, day: date) -> str:
    if born is None:
        return groups.NO_AGE
    age = day.year - born.year - ((day.month, day.day) < (born.month, born.day))
    return next((band for upper, band in groups.AGE_BANDS if age < upper), groups.OLDEST_BAND)


def _from_scratch() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The rollups worked out in pandas from every raw event."""
    zone = ZoneInfo(settings().timezone)
    with db.read_only() as s:
        events = s.execute(
            select(PortalUsageEvent.user_id, PortalUsageEvent.occurred_at, PortalUsageEvent.feature)
        ).all()
        people = {
            str(u): (code or groups.NO_SITE, born)
            for u, code, born in s.execute(
                select(User.id, Site.code, Patient.birth_date)
                .join(Patient, Patient.id == User.patient_id, isouter=True)
                .join(Site, Site.id == Patient.site_id, isouter=True)
            ).all()
        }
    rows = []
    for user_id, at, feature in events:
        wall = at.replace(tzinfo=UTC).astimezone(zone)
        site, born = people.get(str(user_id), (groups.NO_SITE, None))
        rows.append(
            {
                "day": wall.date(),
                "hour": wall.hour,
                "user_id": str(user_id),
                "site": site,
                "age_band": _band(born, wall.date()),
                "bit": 1 << usage.FEATURES.index(feature),
                "sign_in": int(feature == usage.SIGN_IN),
            }
        )
    raw = pd.DataFrame(rows)
    days = (
        raw.groupby(["day", "user_id"])
        .agg(
            site=("site", "max"),
            age_band=("age_band", "max"),
            features=("bit", lambda bits: int(pd.Series(bits).unique().sum())),
            events=("bit", "size"),
            sign_ins=("sign_in", "sum"),
        )
        .reset_index()
    )
    hours = (
        raw.groupby(["day", "hour", "site", "age_band"])
        .agg(events=("bit", "size"), sign_ins=("sign_in", "sum"), users=("user_id", "nunique"))
        .reset_index()
    )
    return days, hours


def _assert_equal_to_scratch() -> None:
    days, hours = _from_scratch()
    pd.testing.assert_frame_equal(_user_days(), days, check_dtype=False)
    pd.testing.assert_frame_equal(_hours(), hours, check_dtype=False)
    pd.testing.assert_frame_equal(_periods(), _periods_from(days), check_dtype=False)
    pd.testing.assert_frame_equal(_groups(), _groups_from(days), check_dtype=False)


def _event(user_id: uuid.UUID, at: datetime, feature: str, recorded: datetime) -> None:
    with db.transaction() as s:
        s.execute(
            insert(PortalUsageEvent).values(
                user_id=user_id, occurred_at=at, feature=feature, recorded_at=recorded
            )
        )


def _count(table: type) -> int:
    with db.read_only() as s:
        return int(s.scalar(select(func.count()).select_from(table)) or 0)


def test_the_rollups_follow_new_late_and_midnight_events_and_equal_a_recompute(
    seeded_url: str,
) -> None:
    rollups.roll_up()  # the seed's history
    _assert_equal_to_scratch()
    patient = world.actor_of("patient.demo")
    teen = world.actor_of("teen.demo")
    later = NOW + timedelta(hours=3)
    # 04:30 UTC on 2 June is 23:30 on 1 June in Chicago (CDT, UTC-5); 05:10 is 00:10 on 2 June.
    _event(patient.user_id, datetime(2026, 6, 2, 4, 30), "results", later)
    _event(patient.user_id, datetime(2026, 6, 2, 5, 10), "messages", later)
    _event(teen.user_id, datetime(2026, 6, 2, 5, 20), usage.SIGN_IN, later)
    # A late event: it happened three weeks ago and reaches the database now.
    _event(teen.user_id, datetime(2026, 5, 11, 15, 0), "billing", later)
    with clock.frozen(later + timedelta(seconds=30)):
        assert rollups.roll_up() == 0  # not yet: within the lag, a transaction may still be open
    with clock.frozen(later + rollups.LAG + timedelta(seconds=1)):
        assert rollups.roll_up() == 3  # 11 May, 1 June and 2 June are rebuilt, nothing else
        assert rollups.roll_up() == 0  # a second run at the same moment changes nothing
    _assert_equal_to_scratch()
    days = _user_days()
    mine = days[days["user_id"] == str(patient.user_id)].set_index("day")
    assert mine.loc[date(2026, 6, 1), "features"] & 1 << usage.FEATURES.index("results")
    assert mine.loc[date(2026, 6, 2), "features"] == 1 << usage.FEATURES.index("messages")
    theirs = days[days["user_id"] == str(teen.user_id)].set_index("day")
    assert theirs.loc[date(2026, 6, 2), "sign_ins"] == 1
    assert theirs.loc[date(2026, 6, 2), "age_band"] == "0-17"
    incremental = (_user_days(), _hours())
    with db.transaction() as s:
        rebuilt = rollups.rebuild(s.connection(), clock.now() - rollups.LAG)
    assert rebuilt > 200  # the test world's year of history: most days have some use
    pd.testing.assert_frame_equal(_user_days(), incremental[0])
    pd.testing.assert_frame_equal(_hours(), incremental[1])


def test_a_day_emptied_of_events_loses_its_rollups(seeded_url: str) -> None:
    patient = world.actor_of("patient.demo")
    at = datetime(2026, 6, 1, 14, 0)
    _event(patient.user_id, at, "metrics", at)
    with clock.frozen(at + rollups.LAG * 2):
        rollups.roll_up()
    with db.transaction() as s:  # e.g. a purge; the day is rebuilt when its events change
        s.execute(delete(PortalUsageEvent).where(PortalUsageEvent.occurred_at == at))
    _event(patient.user_id, datetime(2026, 6, 1, 20, 0), "records", at + rollups.LAG * 3)
    with clock.frozen(at + rollups.LAG * 5):
        rollups.roll_up()
    _assert_equal_to_scratch()


def test_using_the_portal_records_one_event_per_feature_a_minute_and_staff_none(
    seeded_url: str,
) -> None:
    with db.transaction() as s:  # as if patient.demo had never signed in
        s.execute(update(User).where(User.username == "patient.demo").values(first_sign_in_at=None))
    patient = world.sign_in("patient.demo")  # a sign-in is portal use
    with clock.frozen(NOW + timedelta(days=1)):
        world.sign_in("patient.demo")
    with db.read_only() as s:
        user = s.get(User, patient.user_id)
        assert user is not None and user.first_sign_in_at == NOW  # the first one stays

    def recorded(feature: str) -> int:
        with db.read_only() as s:
            return int(
                s.scalar(
                    select(func.count()).where(
                        PortalUsageEvent.user_id == patient.user_id,
                        PortalUsageEvent.feature == feature,
                        PortalUsageEvent.occurred_at >= NOW,
                    )
                )
                or 0
            )

    assert recorded(usage.SIGN_IN) == 2  # a day apart: two uses
    assert patient.patient_id is not None
    results.results_list(actor=patient, patient_id=patient.patient_id)
    results.results_list(actor=patient, patient_id=patient.patient_id)  # a rerun: the same use
    assert recorded("results") == 1
    with clock.frozen(NOW + usage.THROTTLE):
        results.results_list(actor=patient, patient_id=patient.patient_id)
    assert recorded("results") == 2
    clinician = world.actor_of("clinician.demo")
    with db.read_only() as s:
        before = int(s.scalar(select(func.count()).select_from(PortalUsageEvent)) or 0)
    results.results_list(actor=clinician, patient_id=patient.patient_id)
    with db.read_only() as s:
        assert int(s.scalar(select(func.count()).select_from(PortalUsageEvent)) or 0) == before
