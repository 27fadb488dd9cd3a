"""Issue 4's figures: the health-metrics page for a patient with 5 years of CGM.

Measured against the plain approach in the same run: load every reading of the patient into
pandas, compute time in range and the AGP there, and chart every point.
"""

from __future__ import annotations

import io
import time
import uuid
from datetime import timedelta
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from sqlalchemy import delete, select, text

from benchmarks.foundation import page_times, patient_rows, signed_in, timed
from pages.components import metric_charts
from services.core import access, clock, db
from services.core.access import Actor
from services.core.models import User
from services.health import clinical, device_import, metrics
from services.health.tables import GlucoseReading

METRICS_PAGE = "pages/patient/metrics.py"
IMPORT_ROWS = 100_000


def _our_charts(view: metrics.MetricsView) -> list[go.Figure]:
    s = view.series
    charts = [
        metric_charts.blood_pressure(s["systolic"], s["diastolic"], s["pulse"], view.bp.crises),
        metric_charts.weight(s["weight"], view.weight.moving_average, clinical.KG),
        metric_charts.glucose(s["cgm"], s["fingerstick"], clinical.MG_DL),
    ]
    if view.glucose is not None:
        charts += [
            metric_charts.agp(view.glucose, clinical.MG_DL),
            metric_charts.time_in_range(view.glucose.percents),
        ]
    return charts


def _plain_charts(patient_id: uuid.UUID, end: Any) -> list[go.Figure]:
    """Every reading into pandas; TIR and AGP computed there; every point charted."""
    with db.read_only() as s:
        conn = s.connection()
        bp, weight, glucose = (
            patient_rows(conn, t, patient_id)
            for t in ("blood_pressure_readings", "weight_readings", "glucose_readings")
        )
    cgm = glucose[glucose["source"] == "cgm"].sort_values("measured_at")
    recent = cgm[cgm["measured_at"] >= pd.Timestamp(end) - pd.Timedelta(days=14)]
    bins = pd.cut(recent["mg_dl"], [0, 53, 69, 180, 250, 10_000])
    tir = bins.value_counts(normalize=True).sort_index() * 100
    minute = recent["measured_at"].dt.hour * 60 + recent["measured_at"].dt.minute
    agp = (
        recent.groupby(minute // 15 * 15)["mg_dl"].quantile([0.05, 0.25, 0.5, 0.75, 0.95]).unstack()
    )
    sticks = glucose[glucose["source"] != "cgm"]
    return [
        go.Figure(
            [
                go.Scatter(x=bp["measured_at"], y=bp["systolic"], name="Systolic"),
                go.Scatter(x=bp["measured_at"], y=bp["diastolic"], name="Diastolic"),
            ]
        ),
        go.Figure([go.Scatter(x=weight["measured_at"], y=weight["weight_kg"], mode="markers")]),
        go.Figure(
            [
                go.Scatter(x=cgm["measured_at"], y=cgm["mg_dl"], name="CGM"),
                go.Scatter(x=sticks["measured_at"], y=sticks["mg_dl"], mode="markers"),
            ]
        ),
        go.Figure([go.Scatter(x=agp.index / 60, y=agp[q], name=str(q)) for q in agp.columns]),
        go.Figure([go.Bar(x=[v], y=["14 days"], orientation="h") for v in tir]),
    ]


def _sizes(charts: list[go.Figure]) -> dict[str, Any]:
    sizes = [len(c.to_json().encode()) for c in charts]
    points = [sum(len(t.y) for t in c.data if t.y is not None) for c in charts]
    return {
        "bytes_per_chart": sizes,
        "points_per_chart": points,
        "largest_mb": round(max(sizes) / 1e6, 3),
    }


def _dexcom_file(rows: int) -> bytes:
    start = pd.Timestamp(clock.now()) - pd.Timedelta(days=400)
    out = io.StringIO()
    out.write("Index,Timestamp (YYYY-MM-DDThh:mm:ss),Event Type,Glucose Value (mg/dL)\n")
    times = pd.date_range(start, periods=rows, freq="5min").strftime("%Y-%m-%dT%H:%M:%S")
    for i, at in enumerate(times):
        out.write(f"{i + 1},{at},EGV,{90 + (i * 7) % 160}\n")
    return out.getvalue().encode()


def _import_rate() -> dict[str, Any]:
    """A 100,000-row Dexcom file imported for a patient who has no CGM data (removed after)."""
    with db.read_only() as s:
        wearers = select(GlucoseReading.patient_id).where(GlucoseReading.source == "cgm").distinct()
        user = s.scalars(
            select(User)
            .where(User.patient_id.is_not(None), User.patient_id.not_in(wearers))
            .limit(1)
        ).one()
        actor = access.actor_for(s, user)
    assert actor.patient_id is not None
    data = _dexcom_file(IMPORT_ROWS)
    started = time.perf_counter()
    plan = device_import.import_confirm(actor=actor, patient_id=actor.patient_id, data=data)
    seconds = time.perf_counter() - started
    with db.transaction() as s:
        s.execute(
            delete(GlucoseReading).where(
                GlucoseReading.patient_id == actor.patient_id, GlucoseReading.source == "cgm"
            )
        )
    return {
        "rows": plan.total_new,
        "seconds": round(seconds, 2),
        "rows_per_second": round(plan.total_new / seconds),
        "file_mb": round(len(data) / 1e6, 1),
    }


def run(runs: int, orm_rows_per_second: float) -> dict[str, Any]:
    session = signed_in("patient.demo")
    actor: Actor = session.actor
    pid = actor.patient_id
    assert pid is not None
    end = clock.now() + timedelta(minutes=1)
    first = metrics.earliest_reading(actor=actor, patient_id=pid)
    assert first is not None
    with db.read_only() as s:
        cgm_rows = s.scalar(
            select(text("count(*)"))
            .select_from(GlucoseReading)
            .where(GlucoseReading.patient_id == pid, GlucoseReading.source == "cgm")
        )

    def ours() -> list[go.Figure]:
        view = metrics.metrics_view(actor=actor, patient_id=pid, start=first, end=end)
        charts = _our_charts(view)
        for chart in charts:
            chart.to_json()
        return charts

    def plain() -> list[go.Figure]:
        charts = _plain_charts(pid, end)
        for chart in charts:
            chart.to_json()
        return charts

    def agp_and_tir() -> None:
        with db.read_only() as s:
            metrics.glucose_summary(s, pid, clock.now())

    service = timed(ours, runs)
    baseline = timed(plain, max(3, runs // 4))
    imported = _import_rate()
    return {
        "patient_cgm_readings": cgm_rows,
        "years_shown": round((end - first).days / 365.25, 1),
        "all_period_service_and_charts": service,
        "plain_pandas_every_point": baseline,
        "speedup": round(baseline["median_ms"] / service["median_ms"], 1),
        "ours": _sizes(ours()),
        "plain": _sizes(plain()),
        "agp_and_time_in_range": timed(agp_and_tir, runs),
        "page_30_days": page_times(session, runs, METRICS_PAGE),
        "page_all_5_years": page_times(session, runs, METRICS_PAGE, period="All"),
        "import_100k": imported,
        "import_vs_orm_rows": round(imported["rows_per_second"] / orm_rows_per_second, 1),
    }


def table(f: dict[str, Any]) -> str:
    def ms(t: dict[str, float]) -> str:
        return f"{t['median_ms']} ms median / {t['p95_ms']} ms p95"

    o, p, i = f["ours"], f["plain"], f["import_100k"]
    return "\n".join(
        [
            f"metrics (patient.demo, {f['patient_cgm_readings']:,} CGM readings, "
            f"'All' = {f['years_shown']} years):",
            f"  service + charts: {ms(f['all_period_service_and_charts'])}; plain pandas, every "
            f"point: {ms(f['plain_pandas_every_point'])} -> {f['speedup']}x",
            f"  charts (bytes): ours {o['bytes_per_chart']} (largest {o['largest_mb']} MB), "
            f"points {o['points_per_chart']}",
            f"  charts (bytes): plain {p['bytes_per_chart']} (largest {p['largest_mb']} MB), "
            f"points {p['points_per_chart']}",
            f"  AGP + time in range (SQL): {ms(f['agp_and_time_in_range'])}",
            f"  whole page (AppTest): 30 days {ms(f['page_30_days'])}; "
            f"all 5 years {ms(f['page_all_5_years'])}",
            f"  import: {i['rows']:,} rows ({i['file_mb']} MB) in {i['seconds']} s = "
            f"{i['rows_per_second']:,} rows/s ({f['import_vs_orm_rows']}x row-by-row ORM)",
        ]
    )
