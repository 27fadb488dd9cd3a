"""Seeding a database: generate the population and bulk-load it in Arrow/DataFrame batches."""

from __future__ import annotations

import os
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
from sqlalchemy import Connection, func, inspect, select
from sqlalchemy.engine import make_url

from seed import metrics, population, records, usage, workflows
from seed.population import SeedOptions
from services.analytics import rollups
from services.core import db
from services.core.models import Base, Patient, time_series_tables

Progress = Callable[[str], None]


class SeedRefused(Exception):
    """The target already holds data (seeding never mixes into an existing database)."""


@dataclass
class SeedReport:
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    database_bytes: int | None = None


class _Loader:
    """Streams the big time series straight in; buffers the rest for foreign-key order."""

    def __init__(self, conn: Connection, progress: Progress, started: float) -> None:
        self.conn, self.progress, self.started = conn, progress, started
        self.buffered: dict[str, list[pd.DataFrame]] = defaultdict(list)
        self.rows: dict[str, int] = defaultdict(int)
        self._streamed = {t.name for t in time_series_tables()}

    def __call__(self, table: str, frame: pd.DataFrame | pa.Table) -> None:
        if table in self._streamed:
            if frame.num_rows if isinstance(frame, pa.Table) else len(frame):
                self.rows[table] += db.bulk_insert(self.conn, Base.metadata.tables[table], frame)
                self.say(f"  {table}: {self.rows[table]:,} rows so far")
        else:
            self.buffered[table].append(frame)

    def say(self, message: str) -> None:
        self.progress(f"[{time.perf_counter() - self.started:7.1f}s] {message}")

    def flush(self) -> None:
        for table in Base.metadata.sorted_tables:
            frames = [f for f in self.buffered.pop(table.name, []) if len(f)]
            if frames:
                frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
                self.rows[table.name] += db.bulk_insert(self.conn, table, frame)
        self.say("  reference and workflow tables loaded")


def generate(opts: SeedOptions, load: _Loader) -> None:
    rng = np.random.default_rng(opts.seed)
    load.say(
        f"population: {opts.patients:,} patients, {opts.years} years, {opts.cgm_share:.1%} on CGM"
    )
    pop = population.build(opts, rng)
    records.organisation(pop, load)
    records.patients(pop, opts, rng, load)
    provider_users = records.providers_and_teams(pop, opts, rng, load)
    demo = workflows.accounts(pop, opts, rng, provider_users, load)
    load.say("clinical record: problems, medications, visits, notes, appointments, billing")
    active_meds = records.clinical(pop, opts, rng, load)
    load.say("lab results")
    records.labs(pop, opts, rng, load)
    records.confidential_teen(pop, opts, rng, load)
    workflows.him_requests(pop, opts, rng, demo, load)
    workflows.messages_and_refills(pop, opts, rng, active_meds, load)
    workflows.alerts(pop, opts, rng, load)
    load.say("home readings: blood pressure, weight, fingerstick glucose")
    load("blood_pressure_readings", metrics.blood_pressure(pop, opts, rng))
    load("weight_readings", metrics.weight(pop, opts, rng))
    load("glucose_readings", metrics.fingerstick(pop, opts, rng))
    load.say(f"CGM streams for {int(pop.cgm.sum()):,} wearers")
    for batch in metrics.cgm(pop, opts, rng):
        load("glucose_readings", batch)
    load.say("portal usage events")
    for batch in usage.events(pop, opts):
        load("portal_usage_events", batch)
    load.flush()
    days = rollups.rebuild(load.conn, opts.now)  # the job goes on from the history's end
    load.say(f"usage rollups: {days:,} days")


def _holds_data(conn: Connection) -> bool:
    return inspect(conn).has_table(Patient.__tablename__) and bool(
        conn.execute(select(func.count()).select_from(Patient)).scalar()
    )


def duckdb_path(url: str) -> Path | None:
    parsed = make_url(url)
    return Path(parsed.database or "") if parsed.get_backend_name() == "duckdb" else None


def seed_database(url: str, opts: SeedOptions, progress: Progress = print) -> SeedReport:
    """Seed an empty database; a DuckDB file is built beside the target and renamed into place."""
    started = time.perf_counter()
    url = db.normalise_url(url)
    target = duckdb_path(url)
    work_url = url
    if target is not None:
        if target.exists():
            engine = db.make_engine(url)
            try:
                with engine.connect() as conn:
                    if _holds_data(conn):
                        raise SeedRefused(f"{target} already holds data; seed a new file instead")
            finally:
                engine.dispose()
        building = target.with_name(target.name + ".seeding")
        for leftover in (building, Path(f"{building}.wal")):
            leftover.unlink(missing_ok=True)
        work_url = f"duckdb:///{building}"
    engine = db.make_engine(work_url)
    try:
        db.migrate(engine)
        with engine.begin() as conn:
            if target is None and _holds_data(conn):
                raise SeedRefused("the database already holds data; seed an empty one instead")
            loader = _Loader(conn, progress, started)
            generate(opts, loader)
        if target is not None:
            with engine.connect() as conn:
                conn.exec_driver_sql("CHECKPOINT")
    except BaseException:
        engine.dispose()
        if target is not None:
            Path(work_url.removeprefix("duckdb:///")).unlink(missing_ok=True)
        raise
    engine.dispose()
    report = SeedReport(rows=dict(loader.rows))
    if target is not None:
        if target.exists():  # an empty, already-migrated file made by a previous start
            target.unlink()
            Path(f"{target}.wal").unlink(missing_ok=True)
        os.replace(building, target)
        report.database_bytes = target.stat().st_size
    report.seconds = time.perf_counter() - started
    return report


def ensure_demo(url: str, opts: SeedOptions, progress: Progress = print) -> str:
    """`make run`: seed a demo database the first time, upgrade its schema every other time."""
    target = duckdb_path(db.normalise_url(url))
    if target is not None and not target.exists():
        report = seed_database(url, opts, progress)
        return f"seeded {sum(report.rows.values()):,} rows in {report.seconds:.1f}s"
    engine = db.make_engine(url)
    try:
        with engine.connect() as conn:
            empty = not _holds_data(conn)
        if empty and target is None:
            engine.dispose()
            report = seed_database(url, opts, progress)
            return f"seeded {sum(report.rows.values()):,} rows in {report.seconds:.1f}s"
        before, after = db.migrate(engine)
    finally:
        engine.dispose()
    if before == after:
        return f"database ready (schema version {after})"
    return f"database schema upgraded from version {before} to {after}"
