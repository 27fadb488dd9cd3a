"""Issue 16's figures: the managers' dashboard over a large usage history (`python -m benchmarks
analytics --events 100000000`).

Measured in the same run, on the same events, for the last year:
- the dashboard (services.analytics.dashboard, every figure and the year before's headline, with
  small cells protected) cold, each time in a new process (its first call after start-up): after
  the hourly job prepared the periods on offer (the goal's figure), and for a period nobody viewed
  before (every small-cell mask worked out in the call); and warm (repeated calls in one process,
  periods and filters varied);
- pandas over the raw events: the year's events already in memory with each person's site and
  birth year beside them (loading them is reported, not timed), grouped for the engagement counts;
- SQLite with indexes on the raw events (time; person): the same counts in SQL.
The plain approaches compute the engagement counts only (daily, weekly and monthly active people
by site and age band, people per feature and week, people per weekday hour): less than the
dashboard does, with no adoption figures and no protection.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
from sqlalchemy import delete

from benchmarks.foundation import timed
from seed.load import seed_database
from seed.population import SeedOptions
from services.analytics import cube, dashboard, periods
from services.analytics.cube import Filters
from services.analytics.tables import ProtectedSlice
from services.core import clock, db
from services.core.config import settings

YEAR = 365
BANDS = ((18, "0-17"), (35, "18-34"), (50, "35-49"), (65, "50-64"), (75, "65-74"))
_COLD = """
import sys, time
started = time.perf_counter()
from services.analytics import dashboard, periods
from services.analytics.cube import Filters
from tests.support import world
ready = time.perf_counter()
manager = world.actor_of("manager.demo")
t = time.perf_counter()
year = periods.ending(365, dashboard.yesterday())
dashboard.dashboard(actor=manager, period=year, filters=Filters())
print((time.perf_counter() - t) * 1000, (time.perf_counter() - started) * 1000)
"""


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"median_ms": round(float(np.median(ordered)), 1), "p95_ms": round(p95, 1)}


def _without_warm_up(call: Any, runs: int) -> dict[str, float]:
    """The plain approaches take minutes a call at this size: timed as they come, no warm-up."""
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return _percentiles(samples) | {"runs": runs}


def _drop_page_cache() -> bool:
    """Ask the kernel to forget cached file pages (root only); whether it could."""
    try:
        os.sync()
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
    except OSError:
        return False
    return True


def _with_database(url: str, work: Any) -> Any:
    """Some work in this process on the database, closed again after (DuckDB: one process)."""
    os.environ["PORTAL_DATABASE_URL"] = url
    db.reset()
    try:
        return work()
    finally:
        db.reset()


def _forget_masks() -> None:
    cube._known.clear()
    cube._new.clear()
    cube._loaded_on = None
    with db.transaction() as session:
        session.execute(delete(ProtectedSlice))


def cold(url: str, runs: int, prepared: bool) -> dict[str, Any]:
    """The first dashboard call of a new process, `runs` times (the page cache dropped first
    where the kernel allows it): after the job prepared the periods on offer (`prepared`), or
    with no mask stored at all (a period nobody viewed before)."""
    calls, processes = [], []
    dropped = False
    if prepared:
        _with_database(url, _forget_masks)
        _with_database(url, dashboard.prepare)
    for _ in range(runs):
        if not prepared:
            _with_database(url, _forget_masks)
        dropped = _drop_page_cache()
        out = subprocess.run(
            [sys.executable, "-c", _COLD],
            env={**os.environ, "PORTAL_DATABASE_URL": url},
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        calls.append(float(out[-2]))
        processes.append(float(out[-1]))
    return {
        "first_call": _percentiles(calls),
        "whole_process": _percentiles(processes),
        "page_cache_dropped": dropped,
    }


def warm(runs: int) -> dict[str, Any]:
    """Repeated calls in one process: the year, then 90 and 30 days with each site filtered."""
    from tests.support import world  # the demo manager, as the page would act

    manager = world.actor_of("manager.demo")
    last = dashboard.yesterday()
    year = periods.ending(YEAR, last)
    choices = dashboard.filter_choices(actor=manager)
    views = [(year, Filters())] + [
        (periods.ending(days, last), Filters(site=site))
        for days in (90, 30)
        for site in choices.sites
    ]
    k = iter(range(10**9))

    def one() -> None:
        period, filters = views[next(k) % len(views)]
        dashboard.dashboard(actor=manager, period=period, filters=filters)

    return {"dashboard": timed(one, runs), "views": len(views)}


def _people(path: Path) -> pd.DataFrame:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(
            "SELECT u.id::VARCHAR AS user_id, coalesce(s.code, 'none') AS site, "
            "year(p.birth_date) AS born FROM users u LEFT JOIN patients p ON p.id = u.patient_id "
            "LEFT JOIN sites s ON s.id = p.site_id"
        ).df()


def _year_events(path: Path, first: datetime, last: datetime, people: pd.DataFrame) -> pd.DataFrame:
    """The year's raw events as a plain program would hold them: a person number per event."""
    with duckdb.connect(str(path), read_only=True) as con:
        arrow = con.execute(
            "SELECT user_id::VARCHAR AS user_id, occurred_at, feature FROM portal_usage_events "
            "WHERE occurred_at >= ? AND occurred_at < ?",
            [first, last],
        ).to_arrow_table()
    assert arrow is not None
    frame = arrow.to_pandas()
    code = {u: k for k, u in enumerate(people["user_id"])}
    frame["person"] = frame.pop("user_id").map(code).astype("int32")
    frame["feature"] = frame["feature"].astype("category")
    return frame


def _band(age: pd.Series) -> pd.Series:
    out = pd.Series("75+", index=age.index)
    for upper, band in reversed(BANDS):
        out[age < upper] = band
    return out.where(age.notna(), "unknown")


def plain_pandas(events: pd.DataFrame, people: pd.DataFrame, zone: str) -> int:
    """The engagement counts from raw events in pandas; how many groups they hold."""
    local = events["occurred_at"].dt.tz_localize("UTC").dt.tz_convert(zone).dt.tz_localize(None)
    day = local.dt.normalize()
    frame = pd.DataFrame(
        {
            "person": events["person"],
            "feature": events["feature"],
            "day": day,
            "week": day - pd.to_timedelta(day.dt.weekday, unit="D"),
            "month": day.dt.to_period("M"),
            "dow": day.dt.weekday,
            "hour": local.dt.hour,
            "site": people["site"].to_numpy()[events["person"].to_numpy()],
        }
    )
    born = people["born"].to_numpy()[events["person"].to_numpy()]
    frame["band"] = _band(pd.Series(local.dt.year.to_numpy() - born, index=frame.index))
    groups = ["site", "band"]
    sizes = [
        frame.groupby(["day", *groups])["person"].nunique(),
        frame.groupby(["week", *groups])["person"].nunique(),
        frame.groupby(["month", *groups])["person"].nunique(),
        frame.groupby(["week", "feature", *groups], observed=True)["person"].nunique(),
        frame.drop_duplicates(["day", "hour", "person"]).groupby(["dow", "hour", *groups]).size(),
    ]
    return sum(len(s) for s in sizes)


def build_sqlite(path: Path, source: Path, people: pd.DataFrame) -> float:
    """Every raw event into SQLite with indexes on its time and person; seconds it took."""
    started = time.perf_counter()
    path.unlink(missing_ok=True)
    lite = sqlite3.connect(path)
    lite.execute("PRAGMA journal_mode = OFF")
    lite.execute("PRAGMA synchronous = OFF")
    lite.execute("CREATE TABLE people (person INTEGER PRIMARY KEY, site TEXT, born INTEGER)")
    lite.executemany(
        "INSERT INTO people VALUES (?, ?, ?)",
        [
            (k, s, None if pd.isna(b) else int(b))
            for k, (s, b) in enumerate(zip(people["site"], people["born"], strict=True))
        ],
    )
    lite.execute("CREATE TABLE events (person INTEGER, occurred_at TEXT, feature TEXT)")
    code = {u: k for k, u in enumerate(people["user_id"])}
    with duckdb.connect(str(source), read_only=True) as con:
        cursor = con.execute(
            "SELECT user_id::VARCHAR, strftime(occurred_at, '%Y-%m-%d %H:%M:%S'), feature "
            "FROM portal_usage_events"
        )
        while batch := cursor.fetchmany(1_000_000):
            lite.executemany(
                "INSERT INTO events VALUES (?, ?, ?)", [(code[u], t, f) for u, t, f in batch]
            )
    lite.execute("CREATE INDEX ix_events_time ON events (occurred_at)")
    lite.execute("CREATE INDEX ix_events_person ON events (person)")
    lite.commit()
    lite.close()
    return time.perf_counter() - started


def plain_sqlite(path: Path, first: datetime, last: datetime, queries: int) -> int:
    """The engagement counts in SQLite (local time by the process's TZ, set to the clinic's):
    the first `queries` of the five (daily active people first)."""
    lite = sqlite3.connect(path)
    year_events = (
        "WITH e AS (SELECT person, feature, datetime(occurred_at, 'localtime') AS t "
        "FROM events WHERE occurred_at >= ? AND occurred_at < ?), "
        "g AS (SELECT e.*, p.site, CASE WHEN p.born IS NULL THEN 'unknown' "
        "WHEN CAST(strftime('%Y', t) AS INTEGER) - p.born < 18 THEN '0-17' "
        "WHEN CAST(strftime('%Y', t) AS INTEGER) - p.born < 35 THEN '18-34' "
        "WHEN CAST(strftime('%Y', t) AS INTEGER) - p.born < 50 THEN '35-49' "
        "WHEN CAST(strftime('%Y', t) AS INTEGER) - p.born < 65 THEN '50-64' "
        "WHEN CAST(strftime('%Y', t) AS INTEGER) - p.born < 75 THEN '65-74' ELSE '75+' END "
        "AS band FROM e JOIN people p USING (person)) "
    )
    steps = [
        "SELECT date(t), site, band, count(DISTINCT person) FROM g GROUP BY 1, 2, 3",
        "SELECT date(t, 'weekday 0', '-6 days'), site, band, count(DISTINCT person) FROM g "
        "GROUP BY 1, 2, 3",
        "SELECT strftime('%Y-%m', t), site, band, count(DISTINCT person) FROM g GROUP BY 1, 2, 3",
        "SELECT date(t, 'weekday 0', '-6 days'), feature, site, band, count(DISTINCT person) "
        "FROM g GROUP BY 1, 2, 3, 4",
        "SELECT strftime('%w', t), strftime('%H', t), site, band, "
        "count(DISTINCT person || ' ' || date(t)) FROM g GROUP BY 1, 2, 3, 4",
    ]
    bounds = (first.strftime("%Y-%m-%d %H:%M:%S"), last.strftime("%Y-%m-%d %H:%M:%S"))
    groups = sum(len(lite.execute(year_events + q, bounds).fetchall()) for q in steps[:queries])
    lite.close()
    return groups


def run(
    folder: Path,
    patients: int,
    years: int,
    events: int,
    runs: int,
    cold_runs: int,
    url: str | None,
    cgm_share: float,
) -> dict[str, Any]:
    """Seed (once) a world with `events` usage events, then time everything above."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"analytics-{patients}p-{events}e.duckdb"
    target = url or f"duckdb:///{path}"
    opts = replace(SeedOptions(patients, years, cgm_share, 2026, date.today()), events=events)
    seeded: dict[str, Any] = {}
    if url is not None or not path.exists():
        report = seed_database(target, opts)
        seeded = {"seconds": round(report.seconds, 1), "bytes": report.database_bytes}
    figures: dict[str, Any] = {
        "events": events,
        "patients": patients,
        "cgm_share": cgm_share,
        "seeded": seeded,
    }
    figures["cold_unviewed"] = cold(target, cold_runs, prepared=False)
    figures["cold"] = cold(target, cold_runs, prepared=True)
    os.environ["PORTAL_DATABASE_URL"] = target
    db.reset()
    figures["warm"] = warm(runs)
    if url is not None:  # PostgreSQL: the dashboard's figures only
        return figures
    db.reset()  # the plain approaches read the file themselves
    last = dashboard.yesterday()
    year = periods.ending(YEAR, last)
    first_at = clock.day_start(year.first)
    end_at = clock.day_start(year.last + timedelta(days=1))
    people = _people(path)
    started = time.perf_counter()
    frame = _year_events(path, first_at, end_at, people)
    figures["pandas_load_seconds"] = round(time.perf_counter() - started, 1)
    figures["year_events"] = len(frame)
    zone = settings().timezone
    figures["pandas"] = _without_warm_up(lambda: plain_pandas(frame, people, zone), 3)
    lite = folder / f"analytics-{patients}p-{events}e.sqlite"
    if not lite.exists():
        figures["sqlite_build_seconds"] = round(build_sqlite(lite, path, people), 1)
    os.environ["TZ"] = zone
    time.tzset()
    # At 10 million events the five queries take minutes; past that, only the first is timed.
    queries = 5 if events <= 10_000_000 else 1
    figures["sqlite_queries"] = queries
    figures["sqlite"] = _without_warm_up(lambda: plain_sqlite(lite, first_at, end_at, queries), 1)
    warm_p95 = figures["warm"]["dashboard"]["p95_ms"]
    cold_p95 = figures["cold"]["first_call"]["p95_ms"]
    for plain in ("pandas", "sqlite"):
        figures[f"{plain}_vs_cold"] = round(figures[plain]["median_ms"] / cold_p95, 1)
        figures[f"{plain}_vs_warm"] = round(figures[plain]["median_ms"] / warm_p95, 1)
    return figures


def table(f: dict[str, Any]) -> str:
    lines = [
        f"\nAnalytics: {f['events']:,} usage events over {f['patients']:,} patients",
        f"  dashboard cold, first call (p95 of {len(f) and 'runs'}): "
        f"{f['cold']['first_call']['p95_ms']:.0f} ms "
        f"(whole new process {f['cold']['whole_process']['p95_ms']:.0f} ms; "
        f"page cache dropped: {f['cold']['page_cache_dropped']})",
        f"  the same for a period nobody viewed before (no mask stored): "
        f"{f['cold_unviewed']['first_call']['p95_ms']:.0f} ms",
        f"  dashboard warm (p95): {f['warm']['dashboard']['p95_ms']:.0f} ms",
    ]
    if "pandas" in f:
        lines += [
            f"  pandas over the year's {f['year_events']:,} raw events: "
            f"{f['pandas']['median_ms']:.0f} ms "
            f"(loading them {f['pandas_load_seconds']} s, untimed)"
            f" = {f['pandas_vs_cold']}x cold, {f['pandas_vs_warm']}x warm",
            f"  SQLite with indexes: {f['sqlite']['median_ms']:.0f} ms"
            f" = {f['sqlite_vs_cold']}x cold, {f['sqlite_vs_warm']}x warm",
        ]
    return "\n".join(lines)
