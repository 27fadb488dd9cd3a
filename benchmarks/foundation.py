"""Issue 2's figures: seeding at scale, database size, and home-page times for demo users.

Every speed figure is a ratio against a plain approach measured in the same run:
- seeding: bulk Arrow/DataFrame loading vs. row-by-row ORM inserts (rows per second);
- home pages: the SQL-aggregating services vs. loading the rows into pandas and filtering there.
"""

from __future__ import annotations

import os
import statistics
import time
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from seed import demo
from seed.load import seed_database
from seed.population import SeedOptions
from services.core import clock, db
from services.health.tables import GlucoseReading
from services.homes.clinician import clinician_home
from services.homes.patient import patient_home
from services.identity import auth

DEMO_PASSWORD = demo.DEMO_PASSWORD
ORM_SAMPLE_ROWS = 20_000


def timed(call: Callable[[], Any], runs: int) -> dict[str, float]:
    """Median and 95th percentile wall time of repeated calls, in milliseconds (after a warm-up)."""
    call()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    p95 = samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]
    return {"median_ms": round(statistics.median(samples), 2), "p95_ms": round(p95, 2)}


def _orm_rows_per_second(database: Path) -> float:
    """The plain approach to loading: one ORM object per reading, committed at the end."""
    scratch = database.with_name("orm-scratch.duckdb")
    scratch.unlink(missing_ok=True)
    engine = db.make_engine(f"duckdb:///{scratch}")
    db.migrate(engine)
    patient = uuid.uuid4()
    start = clock.now()
    started = time.perf_counter()
    with Session(engine) as session, session.begin():
        for k in range(ORM_SAMPLE_ROWS):
            session.add(
                GlucoseReading(
                    patient_id=patient,
                    measured_at=start + timedelta(minutes=5 * k),
                    source="cgm",
                    mg_dl=120,
                    flag=None,
                )
            )
    seconds = time.perf_counter() - started
    engine.dispose()
    scratch.unlink(missing_ok=True)
    Path(f"{scratch}.wal").unlink(missing_ok=True)
    return ORM_SAMPLE_ROWS / seconds


def patient_rows(conn: Any, table: str, patient_id: uuid.UUID) -> pd.DataFrame:
    """The plain approach's load: every row of a table for one patient, into pandas."""
    return pd.read_sql(
        text(f"SELECT * FROM {table} WHERE patient_id = :p"), conn, params={"p": str(patient_id)}
    )


def _plain_patient_home(patient_id: uuid.UUID) -> dict[str, Any]:
    """Load the patient's rows into pandas, then filter and sum there."""
    now = pd.Timestamp(clock.now())
    with db.read_only() as s:
        conn = s.connection()
        appts, results, threads, statements, payments = (
            patient_rows(conn, t, patient_id)
            for t in ("appointments", "lab_results", "message_threads", "statements", "payments")
        )
        messages = pd.read_sql(text("SELECT * FROM messages"), conn)
    mine = messages[messages["thread_id"].isin(threads["id"])]
    open_ = statements[statements["status"].isin(["open", "plan"])]
    return {
        "upcoming": appts[(appts["status"] == "booked") & (appts["start_at"] >= now)].nsmallest(
            5, "start_at"
        ),
        "unread": int(((~mine["from_patient_side"]) & mine["read_at"].isna()).sum()),
        "new": results[results["released_at"].notna() & results["first_viewed_at"].isna()],
        "balance": int(open_["amount_cents"].sum())
        - int(payments[payments["statement_id"].isin(open_["id"])]["amount_cents"].sum()),
    }


def _plain_clinician_home(user_id: uuid.UUID) -> dict[str, Any]:
    """Load the queues' tables whole into pandas and keep the care team's rows there."""
    with db.read_only() as s:
        conn = s.connection()
        teams = pd.read_sql(
            text(
                "SELECT pct.patient_id FROM patient_care_teams pct "
                "JOIN care_team_members m ON m.care_team_id = pct.care_team_id "
                "JOIN providers p ON p.id = m.provider_id WHERE p.user_id = :u"
            ),
            conn,
            params={"u": str(user_id)},
        )
        results = pd.read_sql(text("SELECT * FROM lab_results"), conn)
        alerts = pd.read_sql(text("SELECT * FROM metric_alerts"), conn)
        threads = pd.read_sql(text("SELECT * FROM message_threads"), conn)
        messages = pd.read_sql(text("SELECT * FROM messages"), conn)
        refills = pd.read_sql(text("SELECT * FROM refill_requests"), conn)
    mine = set(teams["patient_id"])
    held = results[
        results["patient_id"].isin(mine)
        & results["held_at"].notna()
        & results["released_at"].isna()
    ]
    last = messages.sort_values("sent_at").groupby("thread_id").tail(1)
    waiting = threads[threads["patient_id"].isin(mine) & (threads["status"] == "open")].merge(
        last, left_on="id", right_on="thread_id"
    )
    return {
        "held": len(held),
        "alerts": int((alerts["patient_id"].isin(mine) & alerts["acknowledged_at"].isna()).sum()),
        "waiting": int(waiting["from_patient_side"].sum()),
        "refills": int(
            (refills["patient_id"].isin(mine) & (refills["status"] == "requested")).sum()
        ),
    }


def signed_in(username: str) -> auth.SignedIn:
    """A demo account's session, through its second factor when it has one."""
    step = auth.sign_in(username=username, password=DEMO_PASSWORD)
    if isinstance(step, auth.CodeNeeded):
        step = auth.sign_in_code(pending=step.pending, code=demo.totp_code(username, clock.now()))
    assert isinstance(step, auth.SignedIn)
    return step


def page_times(
    signed: auth.SignedIn, runs: int, page: str | None = None, period: str | None = None
) -> dict[str, float]:
    """A page's server-side run time under Streamlit's AppTest, already signed in (the home
    page unless `page` is given; `period` picks the metrics page's period)."""
    from streamlit.testing.v1 import AppTest

    from pages.components import state

    app = str(Path(__file__).resolve().parent.parent / "app.py")
    at = AppTest.from_file(app, default_timeout=120)
    at.session_state[state.TOKEN] = signed.token
    at.session_state[state.ACTING_FOR] = signed.actor.patient_id
    at.run()
    if page is not None:
        at.switch_page(page).run()
    if period is not None:
        at.segmented_control(key="metrics_period").set_value(period).run()
    if at.exception or any(e.value == state.GENERIC_ERROR for e in at.error):
        raise RuntimeError(
            f"{signed.actor.username}'s {page or 'home'} did not render: {at.exception or at.error}"
        )
    return timed(at.run, runs)


def run(database: Path, patients: int, years: int, cgm_share: float, runs: int) -> dict[str, Any]:
    figures: dict[str, Any] = {
        "scale": {"patients": patients, "years": years, "cgm_share": cgm_share}
    }
    url = f"duckdb:///{database}"
    if not database.exists():
        opts = SeedOptions(patients, years, cgm_share, seed=2026, as_of=date.today())
        report = seed_database(url, opts, progress=print)
        total = sum(report.rows.values())
        figures["seed"] = {
            "rows": total,
            "seconds": round(report.seconds, 1),
            "rows_per_second": round(total / report.seconds),
        }
    else:
        figures["seed"] = {"reused": str(database)}
    sizes = [
        database.stat().st_size,
        *(p.stat().st_size for p in database.parent.glob(database.name + ".wal")),
    ]
    figures["database_mb"] = round(sum(sizes) / 1e6, 1)
    orm_rate = _orm_rows_per_second(database)
    figures["plain_orm_rows_per_second"] = round(orm_rate)
    if "rows_per_second" in figures["seed"]:
        figures["seed_speedup_vs_orm"] = round(figures["seed"]["rows_per_second"] / orm_rate, 1)

    os.environ["PORTAL_DATABASE_URL"] = url
    db.reset()
    patient_session = signed_in("patient.demo")
    clinician_session = signed_in("clinician.demo")
    patient, clinician = patient_session.actor, clinician_session.actor
    assert patient.patient_id is not None
    pid = patient.patient_id
    service_patient = timed(lambda: patient_home(actor=patient, patient_id=pid), runs)
    plain_patient = timed(lambda: _plain_patient_home(pid), max(3, runs // 4))
    service_clinician = timed(lambda: clinician_home(actor=clinician), runs)
    plain_clinician = timed(lambda: _plain_clinician_home(clinician.user_id), max(3, runs // 4))
    figures["patient_home"] = {
        "service": service_patient,
        "plain_pandas": plain_patient,
        "speedup": round(plain_patient["median_ms"] / service_patient["median_ms"], 1),
        "page": page_times(patient_session, runs),
    }
    figures["clinician_home"] = {
        "service": service_clinician,
        "plain_pandas": plain_clinician,
        "speedup": round(plain_clinician["median_ms"] / service_clinician["median_ms"], 1),
        "page": page_times(clinician_session, runs),
    }
    with db.read_only() as s:
        figures["audit_entries"] = s.scalar(select(text("count(*)")).select_from(text("audit_log")))
    return figures


def _ms(t: dict[str, float]) -> str:
    return f"{t['median_ms']} ms median / {t['p95_ms']} ms p95"


def table(f: dict[str, Any]) -> str:
    scale, seed, orm = f["scale"], f["seed"], f["plain_orm_rows_per_second"]
    lines = [
        f"scale: {scale['patients']:,} patients x {scale['years']} years, "
        f"{scale['cgm_share']:.0%} on CGM",
    ]
    if "rows" in seed:
        lines.append(
            f"seed: {seed['rows']:,} rows in {seed['seconds']} s "
            f"({seed['rows_per_second']:,} rows/s); row-by-row ORM: {orm:,} rows/s "
            f"-> {f['seed_speedup_vs_orm']}x"
        )
    else:
        lines.append(f"seed: reused {seed['reused']}; row-by-row ORM: {orm:,} rows/s")
    lines.append(f"database: {f['database_mb']:,} MB")
    for name in ("patient_home", "clinician_home"):
        h = f[name]
        lines.append(
            f"{name}: service {_ms(h['service'])}; plain pandas {_ms(h['plain_pandas'])} "
            f"-> {h['speedup']}x; whole page (AppTest) {_ms(h['page'])}"
        )
    return "\n".join(lines)
