"""The managers' dashboard: each figure against a small world worked out by hand, small counts
hidden in every table, rates hidden with their counts, nothing hidden recoverable from all that is
shown under every filter, and managers kept out of patients' records."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import uuid
from collections.abc import Callable
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import delete, insert, select

import services
from services.analytics import adoption, cells, cube, dashboard, engagement, periods, rollups
from services.analytics.cube import Filters
from services.analytics.tables import ProtectedSlice, UsageHour, UsageUserDay
from services.core import clock, db
from services.core.errors import PermissionDenied, ValidationError
from services.core.models import Patient, User
from services.core.usage import FEATURES, PortalUsageEvent
from tests.conftest import AS_OF, NOW
from tests.support import world
from tests.support.disclosure import recoverable

MAY = periods.Period(date(2026, 5, 2), date(2026, 5, 31))  # the 30 days before NOW's day


def _clear_usage() -> None:
    with db.transaction() as s:
        for table in (PortalUsageEvent, UsageUserDay, UsageHour):
            s.execute(delete(table))


def _patients_accounts(n: int) -> list[uuid.UUID]:
    with db.read_only() as s:
        found = s.scalars(
            select(User.id).where(User.patient_id.is_not(None)).order_by(User.username).limit(n)
        ).all()
    assert len(found) == n
    return list(found)


def _use(user: uuid.UUID, day: date, feature: str, hour: int = 14) -> None:
    """An event at `hour` on the clinic's clock that day, reaching the database an hour ago."""
    at = clock.from_local(datetime.combine(day, datetime.min.time()) + timedelta(hours=hour))
    recorded = NOW - timedelta(hours=1)
    with db.transaction() as s:
        s.execute(
            insert(PortalUsageEvent).values(
                user_id=user, occurred_at=at, feature=feature, recorded_at=recorded
            )
        )


def _axes() -> dashboard.Axes:
    with db.read_only() as s:
        return dashboard._axes(s)[0]


def test_engagement_figures_match_ten_people_over_a_month_worked_out_by_hand(
    seeded_url: str,
) -> None:
    """Five people use results every day; five more use messages on Mondays only."""
    _clear_usage()
    people = _patients_accounts(10)
    for day in MAY.each_day():
        for user in people[:5]:
            _use(user, day, "results")
        if day.weekday() == 0:
            for user in people[5:]:
                _use(user, day, "messages", hour=9)
    rollups.roll_up()
    axes = _axes()
    with db.read_only() as s:
        daily = engagement.daily_active(s, MAY, axes)
        weekly = engagement.active_people(s, MAY, axes, engagement.WEEK)
        monthly = engagement.active_people(s, MAY, axes, engagement.MONTH)
        period = engagement.active_people(s, MAY, axes, None)
        features = engagement.feature_use(s, MAY, axes)
        hours = engagement.weekday_hours(s, MAY, axes)
    mondays = [d for d in MAY.each_day() if d.weekday() == 0]  # 4, 11, 18 and 25 May
    assert len(mondays) == 4
    assert list(daily.counts[:, -1, -1]) == [10 if d in mondays else 5 for d in MAY.each_day()]
    # Weeks beginning 27 April (2-3 May: no Monday in the period) … 25 May.
    assert weekly.buckets == [date(2026, 4, 27) + timedelta(weeks=k) for k in range(5)]
    assert list(weekly.counts[:, -1, -1]) == [5, 10, 10, 10, 10]
    assert list(monthly.counts[:, -1, -1]) == [10] and list(period.counts[:, -1, -1]) == [10]
    # Stickiness: 30 days × 5 + 4 Mondays × 5 more = 170 person-days; 170 / 30 / 10 people.
    assert int(daily.counts[:, -1, -1].sum()) == 170
    assert list(features["results"].counts[:, -1, -1]) == [5, 5, 5, 5, 5]
    assert list(features["messages"].counts[:, -1, -1]) == [0, 5, 5, 5, 5]
    assert list(features["sign_in"].counts[:, -1, -1]) == [0] * 5
    at = engagement.hour_of_week
    assert hours.counts[at(1, 9), -1, -1] == 4 * 5  # Mondays 09:00: five people, four times
    assert hours.counts[at(3, 14), -1, -1] == 4 * 5  # Wednesdays 14:00 (6, 13, 20, 27 May)
    assert hours.counts[:, -1, -1].sum() == 170
    # Every one of these counts is 1 to 10 people: none of them is shown.
    board = dashboard.dashboard(actor=world.actor_of("manager.demo"), period=MAY, filters=Filters())
    assert set(board.figures["daily"].table["People"]) == {None}
    assert board.headline.iloc[0, 1] is None  # ten people active: hidden


def test_adoption_figures_match_the_accounts_on_record(seeded_url: str) -> None:
    """Counted here again, one person at a time, from the patients and their accounts."""
    axes = _axes()
    with db.read_only() as s:
        ends = [date(2026, 3, 31), date(2026, 5, 31)]
        on_record, activated = adoption.over_time(s, ends, axes)
        funnel = adoption.funnel(s, MAY, axes)
        people = s.execute(
            select(Patient.id, Patient.created_at, User.email_verified_at, User.created_at).join(
                User, User.patient_id == Patient.id, isouter=True
            )
        ).all()
    for k, end in enumerate(ends):
        cutoff = clock.day_start(end + timedelta(days=1))
        assert on_record.counts[k, -1, -1] == sum(1 for p in people if p[1] < cutoff)
        assert activated.counts[k, -1, -1] == sum(1 for p in people if p[2] and p[2] < cutoff)
    cutoff = clock.day_start(MAY.last + timedelta(days=1))
    registered = sum(1 for p in people if p[3] and p[3] < cutoff)
    stage = {b: k for k, b in enumerate(funnel.buckets)}
    assert funnel.counts[stage[adoption.REGISTERED], -1, -1] == registered > 0
    assert funnel.counts[stage[adoption.ISSUED], -1, -1] >= registered


def _busy_world(seed: int) -> None:
    """Rollup rows for 400 made-up people spread unevenly over the sites and ages, so that the
    figures hold small and large counts side by side."""
    rng = np.random.default_rng(seed)
    axes = _axes()
    sites, bands = axes.sites, axes.bands
    site_of = rng.choice(
        len(sites), 400, p=np.linspace(1, 0.1, len(sites)) / sum(np.linspace(1, 0.1, len(sites)))
    )
    band_of = rng.choice(
        len(bands), 400, p=np.linspace(1, 0.2, len(bands)) / sum(np.linspace(1, 0.2, len(bands)))
    )
    rows = []
    for person in range(400):
        user = uuid.uuid4()
        for day in MAY.each_day():
            if rng.random() < 0.3:
                rows.append(
                    {
                        "day": day,
                        "user_id": user,
                        "site": sites[site_of[person]],
                        "age_band": bands[band_of[person]],
                        "features": int(rng.integers(1, 1 << len(FEATURES))),
                        "events": 3,
                        "sign_ins": 1,
                    }
                )
    hours = [
        {
            "day": day,
            "hour": hour,
            "site": site,
            "age_band": band,
            "events": 1,
            "sign_ins": 1,
            "users": int(rng.integers(0, 5)),
        }
        for day in MAY.each_day()
        for hour in range(8, 18)
        for site in sites[:3]
        for band in bands[1:4]
    ]
    _clear_usage()
    with db.transaction() as s:
        s.execute(insert(UsageUserDay), rows)
        s.execute(insert(UsageHour), hours)


def _published(
    boards: dict[tuple[int, int], dashboard.Dashboard], figure: str, column: str
) -> tuple[np.ndarray, np.ndarray]:
    """What the dashboard showed for one column of a figure under every filter, as
    (counts, hidden) arrays of bucket × site and "all" × age band and "all"."""
    shape = max(boards)  # the "all" positions are the largest
    any_board = boards[shape]
    buckets = len(any_board.figures[figure].table)
    counts = np.zeros((buckets, shape[0] + 1, shape[1] + 1))
    hidden = np.zeros_like(counts, dtype=bool)
    for (i, j), board in boards.items():
        for b, value in enumerate(board.figures[figure].table[column]):
            if value is None or value != value:  # None, or NaN in a float column
                hidden[b, i, j] = True
            else:
                counts[b, i, j] = value
    return counts, hidden


@pytest.mark.parametrize("seed", [1])
def test_nothing_hidden_can_be_worked_out_from_every_filter_table_and_total(
    seeded_url: str, seed: int
) -> None:
    """The attacker gets every table the dashboard shows under every filter (what the CSVs
    hold) and the lines' sums; for daily active people also the period's total (the headline's
    average × days, where shown)."""
    _busy_world(seed)
    axes = _axes()
    manager = world.actor_of("manager.demo")
    boards = {}
    for i, site in enumerate((*axes.sites, None)):
        for j, band in enumerate((*axes.bands, None)):
            boards[(i, j)] = dashboard.dashboard(
                actor=manager, period=MAY, filters=Filters(site, band)
            )
    shown_small = 0
    for figure, column in (
        ("daily", "People"),
        ("weekly", "People"),
        ("features", "Test results"),
        ("features", "Messages"),
        ("hours", "Mon"),
        ("hours", "Sat"),
    ):
        counts, hidden = _published(boards, figure, column)
        small = (counts >= 1) & (counts <= 10) & ~hidden
        shown_small += int(small.sum())
        assert hidden.any() and (~hidden).any(), figure  # a mix, or the attack proves nothing
        for b in range(len(counts)):  # each bucket's slice: lines along site and age band
            assert recoverable(counts[b], hidden[b]) == [], (figure, column, b)
    assert shown_small == 0
    daily, hidden = _published(boards, "daily", "People")
    totals = np.zeros(daily.shape[1:])
    total_hidden = np.zeros(daily.shape[1:], dtype=bool)
    for (i, j), board in boards.items():
        average = board.headline.iloc[1, 1]
        total_hidden[i, j] = average is None
        totals[i, j] = 0 if average is None else round(average * MAY.days)
    series = np.concatenate([daily, totals[None]])
    masks = np.concatenate([hidden, total_hidden[None]])
    assert recoverable(series, masks) == []  # across days and the period's total too


def test_rates_are_hidden_with_their_counts(seeded_url: str) -> None:
    board = dashboard.dashboard(actor=world.actor_of("manager.demo"), period=MAY, filters=Filters())
    table = board.figures["activation"].table
    for _, patients, accounts, share in table.itertuples(index=False, name=None):
        if patients is None or accounts is None:
            assert share is None
        else:
            assert share == round(100 * accounts / patients, 1)


def test_periods_and_filters_that_cannot_be_shown_are_refused(seeded_url: str) -> None:
    yesterday = date(2026, 5, 31)
    for first, last in (
        (None, yesterday),
        (yesterday, date(2026, 5, 1)),
        (date(2026, 5, 1), date(2026, 6, 1)),
        (date(2022, 1, 1), yesterday),
    ):
        with pytest.raises(ValidationError):
            periods.custom(first, last, yesterday)
    with pytest.raises(ValidationError):
        dashboard.dashboard(
            actor=world.actor_of("manager.demo"), period=MAY, filters=Filters(site="NOPE")
        )
    with pytest.raises(PermissionDenied):
        dashboard.dashboard(actor=world.actor_of("clinician.demo"), period=MAY, filters=Filters())


def _patient_services() -> list[tuple[str, Callable[..., object]]]:
    """Every service that takes the acting user and a patient (not the helpers inside a unit
    of work, which take its session)."""
    found = []
    for info in pkgutil.walk_packages(services.__path__, "services."):
        module = importlib.import_module(info.name)
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if function.__module__ != module.__name__ or name.startswith("_"):
                continue
            if module.__name__ == "services.core.work":  # the unit of work itself
                continue
            parameters = inspect.signature(function).parameters
            if {"actor", "patient_id"} <= set(parameters) and "session" not in parameters:
                found.append((f"{info.name}.{name}", function))
    return found


def _dummy(annotation: object) -> object:
    text = str(annotation)
    for kind, value in (
        ("uuid", uuid.uuid4()),
        ("datetime", NOW),
        ("date", NOW.date()),
        ("int", 1),
        ("float", 1.0),
        ("bool", False),
        ("bytes", b"x"),
        ("set", set()),
        ("list", []),
        ("Sequence", []),
        ("dict", {}),
        ("tuple", ()),
    ):
        if kind in text:
            return value
    return "x" if text in ("str", "<class 'str'>") else _Anything()


class _Anything(str):
    """An argument of any other type: text, with any attribute (also text)."""

    def __new__(cls) -> _Anything:
        return super().__new__(cls, "x")

    def __getattr__(self, name: str) -> str:
        return "x"


def test_managers_are_refused_every_patient_level_service(seeded_url: str) -> None:
    """Walks every service that takes a patient: a manager is refused at the access check, or
    (where a service checks its input first) at the input check; never given anything."""
    manager = world.actor_of("manager.demo")
    patient = world.actor_of("patient.demo")
    walked = _patient_services()
    assert len(walked) > 60
    refused_access, refused_input = [], []
    for name, function in walked:
        arguments = {
            p.name: _dummy(p.annotation)
            for p in inspect.signature(function).parameters.values()
            if p.default is inspect.Parameter.empty and p.name not in ("actor", "patient_id")
        }
        try:
            function(actor=manager, patient_id=patient.patient_id, **arguments)
        except PermissionDenied:
            refused_access.append(name)
        except ValidationError:
            refused_input.append(name)
        else:
            pytest.fail(f"{name} served a manager")
    assert len(refused_access) >= 0.8 * len(walked), refused_input


def _new_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """The analytics as a process just started finds them: nothing known but what is stored."""
    monkeypatch.setattr(cube, "_known", {})
    monkeypatch.setattr(cube, "_new", {})
    monkeypatch.setattr(cube, "_loaded_on", None)


def _worked_out_again(counts: np.ndarray) -> np.ndarray:
    raise AssertionError("a stored mask was worked out again")


def test_a_new_process_reuses_the_stored_masks_and_old_ones_are_dropped(
    seeded_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    manager = world.actor_of("manager.demo")
    old = {"digest": "0" * 40, "hidden": "0000", "stored_on": AS_OF - timedelta(days=30)}
    with db.transaction() as s:
        s.execute(insert(ProtectedSlice).values(old))
    _new_process(monkeypatch)
    first = dashboard.dashboard(actor=manager, period=MAY, filters=Filters())
    with db.read_only() as s:
        digests = set(s.scalars(select(ProtectedSlice.digest)))
    assert len(digests) > 100 and old["digest"] in digests  # a view only adds
    dashboard.prepare()  # the job drops what is a week old
    with db.read_only() as s:
        assert old["digest"] not in set(s.scalars(select(ProtectedSlice.digest)))
    _new_process(monkeypatch)

    monkeypatch.setattr(cells, "protect", _worked_out_again)
    again = dashboard.dashboard(actor=manager, period=MAY, filters=Filters())
    assert again.figures.keys() == first.figures.keys()
    for key, figure in first.figures.items():
        pd.testing.assert_frame_equal(again.figures[key].table, figure.table)


def test_the_job_prepares_every_period_on_offer_for_every_filter(
    seeded_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _new_process(monkeypatch)
    assert dashboard.prepare() > 100
    assert dashboard.prepare() == 0  # all of them known now
    _new_process(monkeypatch)
    monkeypatch.setattr(cells, "protect", _worked_out_again)
    manager = world.actor_of("manager.demo")
    choices = dashboard.filter_choices(actor=manager)
    for days in periods.CHOICES.values():
        period = periods.ending(days, dashboard.yesterday())
        for site in [None, *choices.sites]:
            dashboard.dashboard(actor=manager, period=period, filters=Filters(site=site))
