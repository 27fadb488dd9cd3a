"""The seed generator: deterministic, realistic in shape, and all-or-nothing."""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import func, inspect, select, text

from seed import __main__ as cli
from seed.load import SeedRefused, ensure_demo, seed_database
from seed.wall_clock import first_of_each, stored
from services.core import clock, db
from services.core.models import Base, Patient
from tests.conftest import TEST_OPTIONS

SMALL = replace(TEST_OPTIONS, patients=30, cgm_share=0.1)


def _quiet(_: str) -> None:
    pass


def _digests(path: Path) -> dict[str, int]:
    """An order-independent fingerprint of every table's content."""
    engine = db.make_engine(f"duckdb:///{path}")
    out = {}
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            frame = pd.read_sql(select(table), conn)
            if table.name == "schema_version":
                frame = frame.drop(columns=["applied_at"])
            if table.name == "users":  # encrypted with a fresh random IV each time, by design
                frame = frame.drop(columns=["totp_secret_encrypted"])
            frame = frame.astype(str)
            out[table.name] = int(
                pd.util.hash_pandas_object(frame, index=False).sort_values().sum() % (1 << 61)
            )
    engine.dispose()
    return out


def test_same_seed_same_data_and_another_seed_other_data(tmp_path: Path) -> None:
    first, second, third = (tmp_path / f"{n}.duckdb" for n in ("a", "b", "c"))
    report = seed_database(f"duckdb:///{first}", SMALL, progress=_quiet)
    seed_database(f"duckdb:///{second}", SMALL, progress=_quiet)
    seed_database(f"duckdb:///{third}", replace(SMALL, seed=8), progress=_quiet)
    assert report.rows["patients"] == 30 and report.rows["glucose_readings"] > 100_000
    a, b, c = _digests(first), _digests(second), _digests(third)
    assert a == b
    assert a["patients"] != c["patients"] and a["glucose_readings"] != c["glucose_readings"]


def _read(path: Path, sql: str) -> pd.DataFrame:
    engine = db.make_engine(f"duckdb:///{path}")
    with engine.connect() as conn:
        frame = pd.read_sql(text(sql), conn)
    engine.dispose()
    return frame


def test_data_has_the_shape_of_real_use(duckdb_template: Path) -> None:
    steps = _read(
        duckdb_template,
        """
        SELECT epoch(measured_at - lag(measured_at)
                     OVER (PARTITION BY patient_id ORDER BY measured_at)) AS gap
        FROM glucose_readings WHERE source = 'cgm'""",
    )["gap"].dropna()
    assert steps.median() == 300, "CGM readings come every 5 minutes"
    assert (steps > 300).sum() > 10, "with sensor changes and signal losses"
    for table in ("glucose_readings", "blood_pressure_readings", "weight_readings"):
        repeats = _read(
            duckdb_template,
            f"SELECT count(*) AS n FROM (SELECT 1 FROM {table} "
            "GROUP BY patient_id, measured_at, source HAVING count(*) > 1)",
        )
        assert repeats["n"][0] == 0, f"{table}: one reading per key"
    flags = _read(
        duckdb_template,
        "SELECT flag, count(*) AS n FROM glucose_readings WHERE flag IS NOT NULL GROUP BY flag",
    )
    assert set(flags["flag"]) <= {"LOW", "HIGH"}
    bp = _read(
        duckdb_template,
        """
        SELECT hour(timezone('America/Chicago', timezone('UTC', measured_at))) AS h,
               avg(systolic) AS sbp, count(*) AS n
        FROM blood_pressure_readings GROUP BY 1""",
    )
    morning, evening = bp[bp["h"] < 12], bp[bp["h"] >= 12]
    mean = lambda part: (part["sbp"] * part["n"]).sum() / part["n"].sum()  # noqa: E731
    assert mean(morning) > mean(evening), "morning pressure runs higher than evening"
    # Taken on the clinic's clock: mornings 6-9 h, evenings 18-22 h there (stored in UTC).
    on_the_clock = bp[bp["h"].isin([*range(6, 9), *range(18, 22)])]["n"].sum()
    assert on_the_clock / bp["n"].sum() > 0.99
    usage = _read(
        duckdb_template,
        "SELECT isodow(occurred_at) AS dow, count(*) AS n FROM portal_usage_events GROUP BY 1",
    )
    per_day = dict(zip(usage["dow"], usage["n"], strict=True))
    assert per_day[1] > per_day[7], "weekday peaks"
    users = _read(
        duckdb_template,
        "SELECT count(*) AS n FROM portal_usage_events GROUP BY user_id ORDER BY n DESC",
    )["n"]
    top = users.iloc[: max(1, len(users) // 5)].sum()
    assert top / users.sum() > 0.4, "most activity comes from few users"
    overdue = _read(
        duckdb_template,
        "SELECT count(*) AS n FROM lab_results WHERE released_at IS NULL "
        f"AND hold_until <= TIMESTAMP '{TEST_OPTIONS.as_of} 00:00:00'",
    )
    assert overdue["n"][0] == 0, "no hold outlives its end"
    labs = _read(
        duckdb_template,
        "SELECT count(*) FILTER (WHERE flag IS NOT NULL) AS abnormal, count(*) AS n "
        "FROM lab_components",
    )
    assert 0 < labs["abnormal"][0] < labs["n"][0]


def test_wall_clock_series_are_stored_as_the_clock_stores_each_time() -> None:
    five_minutes = np.timedelta64(5, "m")
    for day in ("2026-03-08", "2026-11-01"):  # spring forward, fall back (America/Chicago)
        begin = np.datetime64(day) - np.timedelta64(4, "h")
        wall = np.arange(begin, begin + np.timedelta64(32, "h"), five_minutes)
        at = stored(wall)
        expected = [clock.from_local(w) for w in wall.astype("datetime64[us]").astype(datetime)]
        assert at.astype(datetime).tolist() == expected, day
        ordered = np.sort(at)
        kept = ordered[first_of_each(ordered)]
        assert len(np.unique(kept)) == len(kept)
        # The skipped hour lands on the one after it: twelve 5-minute readings fewer that day.
        assert len(kept) == len(wall) - (12 if day.endswith("03-08") else 0)


def test_a_large_usage_history_has_its_size_and_the_shape_of_real_use(tmp_path: Path) -> None:
    """`--events N`: N events in time order, sessions opening with a sign-in, weekday and
    daytime peaks on the clinic's clock, growth over the years, and the rollups built."""
    path = tmp_path / "usage.duckdb"
    report = seed_database(
        f"duckdb:///{path}", replace(SMALL, years=2, events=300_000), progress=_quiet
    )
    assert report.rows["portal_usage_events"] == 300_000
    wall = "timezone('America/Chicago', timezone('UTC', occurred_at))"
    shape = _read(
        path,
        f"""SELECT isodow({wall}) AS dow, hour({wall}) AS h, year({wall}) AS y,
               feature, count(*) AS n FROM portal_usage_events GROUP BY ALL""",
    )
    by = lambda column: shape.groupby(column)["n"].sum()  # noqa: E731
    assert by("dow")[2] > 1.5 * by("dow")[7], "weekdays busier than Sundays"
    assert by("h")[10] > 5 * by("h")[3], "mornings busier than the small hours"
    years = by("y")
    assert years.iloc[-1] > years.iloc[0], "use grows as accounts open"
    assert 0.15 < by("feature")["sign_in"] / 300_000 < 0.35, "a sign-in opens each session"
    ordered = _read(
        path,
        "SELECT count(*) AS n FROM (SELECT occurred_at < lag(occurred_at) OVER (ORDER BY rowid) "
        "AS back "
        "FROM portal_usage_events) WHERE back",
    )
    assert ordered["n"][0] == 0, "stored in time order, as a live portal records them"
    rolled = _read(path, "SELECT sum(events) AS n FROM usage_user_days")
    assert rolled["n"][0] == 300_000


@pytest.mark.parametrize(
    "argv, says",
    [
        (["--patients", "0"], "--patients"),
        (["--years", "0"], "--years"),
        (["--cgm-share", "1.5"], "--cgm-share"),
        (["--as-of", "yesterday"], "--as-of"),
        (["--events", "-1"], "--events"),
        (["--database-url", "mysql://x/y"], "duckdb:/// or postgresql://"),
    ],
)
def test_bad_arguments_get_a_clear_message_and_write_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], says: str
) -> None:
    target = tmp_path / "never.duckdb"
    if "--database-url" not in argv:
        argv = [*argv, "--database-url", f"duckdb:///{target}"]
    assert cli.main(argv) == 2
    assert says in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_bad_arguments_leave_an_empty_postgres_empty(empty_url: str) -> None:
    assert cli.main(["--patients", "-5", "--database-url", empty_url]) == 2
    engine = db.make_engine(empty_url)
    with engine.connect() as conn:
        assert inspect(conn).get_table_names() == []
    engine.dispose()


def test_seeding_refuses_a_database_that_holds_data(tmp_path: Path, empty_url: str) -> None:
    seed_database(empty_url, SMALL, progress=_quiet)
    with pytest.raises(SeedRefused):
        seed_database(empty_url, SMALL, progress=_quiet)
    engine = db.make_engine(empty_url)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Patient)).scalar() == 30
    engine.dispose()


def test_make_run_seeds_once_then_only_upgrades(tmp_path: Path) -> None:
    url = f"duckdb:///{tmp_path / 'portal.duckdb'}"
    assert ensure_demo(url, SMALL, progress=_quiet).startswith("seeded")
    assert (
        ensure_demo(url, SMALL, progress=_quiet)
        == f"database ready (schema version {1 + len(db.MIGRATIONS)})"
    )
    assert not (tmp_path / "portal.duckdb.seeding").exists()


def test_the_seeded_database_and_its_folder_are_private(tmp_path: Path) -> None:
    """Even under a permissive umask, the seed leaves 0700 folders and 0600 files."""
    old = os.umask(0o022)
    try:
        data = tmp_path / "data"
        data.mkdir()  # as the checkout has it: 0755
        ensure_demo(f"duckdb:///{data / 'portal.duckdb'}", SMALL, progress=_quiet)
    finally:
        os.umask(old)
    assert data.stat().st_mode & 0o777 == 0o700
    for path in data.iterdir():
        assert path.stat().st_mode & 0o777 == 0o600, path
