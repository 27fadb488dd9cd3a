"""The health-metrics view: what the charts, headlines and tables need for one patient and period.

Built for years of CGM data: every query is limited to one patient and the shown window; the
long series are thinned in SQL to at most `chart_points` per trace by keeping, in each of
`chart_points / 2` equal time buckets, the lowest and the highest reading (so peaks and lows
survive); time in range, GMI, CV and the AGP percentiles are aggregates computed by the
database. Values are stored in mmHg, kg and mg/dL; pages convert them to the user's units.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import (
    ColumnElement,
    Date,
    Table,
    and_,
    case,
    cast,
    extract,
    func,
    literal_column,
    select,
)
from sqlalchemy.orm import Session

from services.core import access, audit, clock, db
from services.core.access import Actor
from services.core.errors import PermissionDenied, ValidationError
from services.core.language import t
from services.core.models import Patient
from services.core.spreadsheet import csv_bytes
from services.core.work import patient_work
from services.health import clinical
from services.health.readings import BP, CGM, GLUCOSE, KINDS, MANUAL, STORED, TABLES, WEIGHT
from services.health.tables import UnitPreference

MAX_SPAN = timedelta(days=366 * 30)


@dataclass(frozen=True)
class Units:
    weight: str = clinical.KG
    glucose: str = clinical.MG_DL


@dataclass(frozen=True)
class BpSummary:
    readings: int
    systolic: int | None  # period averages, rounded as shown
    diastolic: int | None
    category: str | None
    morning: tuple[int, int, int] | None  # (systolic, diastolic, readings)
    evening: tuple[int, int, int] | None
    crises: pd.DataFrame  # measured_at, systolic, diastolic: the period's crisis-range readings


@dataclass(frozen=True)
class WeightSummary:
    latest_kg: float | None
    latest_at: datetime | None
    bmi: float | None
    bmi_category: str | None
    heart_failure: bool
    moving_average: pd.DataFrame  # day, weight_kg (mean of the 7 days up to the day)


@dataclass(frozen=True)
class GlucoseSummary:
    """Last 14 days of CGM (the consensus window), ending at the period's end or now."""

    start: datetime
    end: datetime
    readings: int
    worn_percent: float
    sufficient: bool
    percents: dict[str, float]  # tbr2, tbr1, tir, tar1, tar2
    mean: float | None
    gmi: float | None
    cv: float | None
    agp: pd.DataFrame  # minute (start of the time-of-day bin), p5, p25, p50, p75, p95


@dataclass(frozen=True)
class MetricsView:
    patient_id: uuid.UUID
    patient_name: str
    start: datetime
    end: datetime
    units: Units
    series: dict[str, pd.DataFrame]  # trace -> measured_at, value (None rows break lines)
    bp: BpSummary
    weight: WeightSummary
    glucose: GlucoseSummary | None  # None: no CGM readings in its window
    glucose_days: pd.DataFrame  # day, readings, mean, low, high, in_range_percent
    manual: dict[str, pd.DataFrame] = field(default_factory=dict)  # newest typed-in readings
    read_only: bool = False  # staff see the same charts but do not enter readings


# --- thinning long series ----------------------------------------------------------------------

# Each table's traces: (trace, column, sources it is limited to).
TRACES: dict[str, tuple[tuple[str, str, tuple[str, ...]], ...]] = {
    BP: (("systolic", "systolic", ()), ("diastolic", "diastolic", ()), ("pulse", "pulse", ())),
    WEIGHT: (("weight", "weight_kg", ()),),
    GLUCOSE: (("fingerstick", "mg_dl", ("manual", "device")), ("cgm", "mg_dl", (CGM,))),
}
LINE_GAP = timedelta(minutes=15)  # a CGM line breaks where readings stop for longer


def _window(table: Table, patient_id: uuid.UUID, start: datetime, end: datetime) -> list[Any]:
    return [
        table.c.patient_id == patient_id,
        table.c.measured_at >= start,
        table.c.measured_at < end,
    ]


def _frame(session: Session, query: Any, columns: list[str]) -> pd.DataFrame:
    """A query's rows as a DataFrame (plain tuples: pandas probes SQLAlchemy rows slowly)."""
    return pd.DataFrame([tuple(r) for r in session.execute(query)], columns=columns)


def _trace_filter(table: Table, column: str, sources: tuple[str, ...]) -> ColumnElement[bool]:
    condition = table.c[column].is_not(None)
    return and_(condition, table.c.source.in_(sources)) if sources else condition


def thinned(
    session: Session,
    table: Table,
    column: str,
    conditions: list[Any],
    start: datetime,
    end: datetime,
    points: int,
) -> tuple[pd.DataFrame, timedelta]:
    """measured_at, value: the lowest and the highest reading of each of `points / 2` equal
    time buckets, ordered by time; with the buckets' width."""
    value = table.c[column]
    width = max((end - start).total_seconds() / (points // 2), 1.0)
    bucket = func.floor((extract("epoch", table.c.measured_at) - start.timestamp()) / width)
    where = [*conditions, value.is_not(None)]
    if db.is_duckdb(session.connection()):
        # DuckDB's arg_min/arg_max: one pass, a fifth of the time of the window functions.
        rows = session.execute(
            select(
                func.arg_min(table.c.measured_at, value),
                func.min(value),
                func.arg_max(table.c.measured_at, value),
                func.max(value),
            )
            .where(*where)
            .group_by(bucket)
        ).all()
        pairs = [
            (at, v) for low_t, low, high_t, high in rows for at, v in ((low_t, low), (high_t, high))
        ]
        frame = pd.DataFrame(pairs, columns=["measured_at", "value"]).drop_duplicates()
    else:
        ranked = (
            select(
                table.c.measured_at,
                value.label("value"),
                func.row_number()
                .over(partition_by=bucket, order_by=(value, table.c.measured_at))
                .label("low"),
                func.row_number()
                .over(partition_by=bucket, order_by=(value.desc(), table.c.measured_at))
                .label("high"),
            )
            .where(*where)
            .subquery()
        )
        frame = _frame(
            session,
            select(ranked.c.measured_at, ranked.c.value).where(
                (ranked.c.low == 1) | (ranked.c.high == 1)
            ),
            ["measured_at", "value"],
        )
    return frame.sort_values("measured_at").reset_index(drop=True), timedelta(seconds=width)


def with_breaks(frame: pd.DataFrame, gap: timedelta) -> pd.DataFrame:
    """Insert an empty row where consecutive readings are further apart than `gap` (a line
    chart then shows the gap instead of drawing across it)."""
    if len(frame) < 2:
        return frame
    times = pd.to_datetime(frame["measured_at"])
    gaps = times.diff() > gap
    if not gaps.any():
        return frame
    breaks = pd.DataFrame(
        {"measured_at": times[gaps] - pd.Timedelta(seconds=1), "value": None},
        index=frame.index[gaps],
    )
    out = pd.concat([frame.assign(order=1), breaks.assign(order=0)])
    return out.sort_values(["measured_at", "order"]).drop(columns="order").reset_index(drop=True)


def _series(
    session: Session, patient_id: uuid.UUID, start: datetime, end: datetime
) -> dict[str, pd.DataFrame]:
    """Each trace of the window: every reading when it has few, else thinned in SQL. One
    count per table first, so empty traces cost nothing and short ones share one query."""
    points = int(clinical.policy().chart_points)
    out: dict[str, pd.DataFrame] = {}
    for kind, traces in TRACES.items():
        table = TABLES[kind]
        window = _window(table, patient_id, start, end)
        filters = {name: _trace_filter(table, column, sources) for name, column, sources in traces}
        counts = session.execute(
            select(*(func.sum(case((f, 1), else_=0)) for f in filters.values())).where(*window)
        ).one()
        few = [
            (trace, n) for trace, n in zip(traces, counts, strict=True) if 0 < (n or 0) <= points
        ]
        if few:
            columns = sorted({column for (_, column, _), _ in few})
            raw = _frame(
                session,
                select(table.c.measured_at, table.c.source, *(table.c[c] for c in columns))
                .where(*window)
                .order_by(table.c.measured_at),
                ["measured_at", "source", *columns],
            )
        for (name, column, sources), n in zip(traces, counts, strict=True):
            bucket: timedelta | None = None
            if not n:
                frame = pd.DataFrame({"measured_at": [], "value": []})
            elif n <= points:
                keep = raw[column].notna() & (raw["source"].isin(sources) if sources else True)
                frame = raw.loc[keep, ["measured_at", column]].rename(columns={column: "value"})
                frame = frame.reset_index(drop=True)
            else:
                conditions = [*window, _trace_filter(table, column, sources)]
                frame, bucket = thinned(session, table, column, conditions, start, end, points)
            if name == "cgm":
                frame = with_breaks(frame, max(LINE_GAP, 2 * bucket) if bucket else LINE_GAP)
            out[name] = frame
    return out


# --- blood pressure ----------------------------------------------------------------------------


def _hour_between(at: Any, low: float, high: float) -> ColumnElement[bool]:
    hour = extract("hour", clock.local_sql(at))  # the clinic's morning, not UTC's
    return and_(hour >= low, hour < high)


def _bp_summary(
    session: Session, patient_id: uuid.UUID, start: datetime, end: datetime
) -> BpSummary:
    p = clinical.policy()
    table = TABLES[BP]
    morning = _hour_between(table.c.measured_at, p.morning_from_hour, p.morning_to_hour)
    evening = _hour_between(table.c.measured_at, p.evening_from_hour, p.evening_to_hour)

    def part(when: ColumnElement[bool] | None) -> list[Any]:
        pick = (lambda col: case((when, col))) if when is not None else (lambda col: col)
        return [
            func.avg(pick(table.c.systolic)),
            func.avg(pick(table.c.diastolic)),
            func.count(pick(table.c.systolic)),
        ]

    row = session.execute(
        select(*part(None), *part(morning), *part(evening)).where(
            *_window(table, patient_id, start, end)
        )
    ).one()
    crisis = (table.c.systolic > clinical.SYSTOLIC_CRISIS) | (
        table.c.diastolic > clinical.DIASTOLIC_CRISIS
    )
    crises = _frame(
        session,
        select(table.c.measured_at, table.c.systolic, table.c.diastolic)
        .where(*_window(table, patient_id, start, end), crisis)
        .order_by(table.c.measured_at.desc())
        .limit(50),
        ["measured_at", "systolic", "diastolic"],
    )

    def averages(sys: Any, dia: Any, n: Any) -> tuple[int, int, int] | None:
        return (round(sys), round(dia), int(n)) if n else None

    overall = averages(*row[0:3])
    return BpSummary(
        readings=int(row[2] or 0),
        systolic=overall[0] if overall else None,
        diastolic=overall[1] if overall else None,
        category=clinical.bp_category(overall[0], overall[1]) if overall else None,
        morning=averages(*row[3:6]),
        evening=averages(*row[6:9]),
        crises=crises,
    )


# --- weight ------------------------------------------------------------------------------------


def _weight_summary(
    session: Session, patient: Patient, start: datetime, end: datetime
) -> WeightSummary:
    table = TABLES[WEIGHT]
    latest = session.execute(
        select(table.c.measured_at, table.c.weight_kg)
        .where(*_window(table, patient.id, start, end))
        .order_by(table.c.measured_at.desc())
        .limit(1)
    ).first()
    day = cast(clock.local_sql(table.c.measured_at), Date).label("day")  # the clinic's day
    daily = (
        select(day, func.avg(table.c.weight_kg).label("kg"))
        .where(*_window(table, patient.id, start - timedelta(days=6), end))
        .group_by(day)
        .subquery()
    )
    # The 7-day moving average: each day's mean over the 7 calendar days up to and including it.
    moving: ColumnElement[float] = literal_column(
        "avg(kg) OVER (ORDER BY day RANGE BETWEEN INTERVAL '6 days' PRECEDING AND CURRENT ROW)"
    )
    average = _frame(
        session,
        select(daily.c.day, moving.label("weight_kg")).select_from(daily).order_by(daily.c.day),
        ["day", "weight_kg"],
    )
    average = average[pd.to_datetime(average["day"]) >= pd.Timestamp(clock.local(start).date())]
    value = clinical.bmi(latest[1], patient.height_cm) if latest and patient.height_cm else None
    return WeightSummary(
        latest_kg=latest[1] if latest else None,
        latest_at=latest[0] if latest else None,
        bmi=value,
        bmi_category=clinical.bmi_category(value) if value is not None else None,
        heart_failure=bool(patient.heart_failure),
        moving_average=average.reset_index(drop=True),
    )


# --- glucose -----------------------------------------------------------------------------------


def glucose_summary(
    session: Session, patient_id: uuid.UUID, end: datetime
) -> GlucoseSummary | None:
    p = clinical.policy()
    table = TABLES[GLUCOSE]
    start = end - timedelta(days=clinical.TIR_WINDOW_DAYS)
    where = [*_window(table, patient_id, start, end), table.c.source == CGM]
    v = table.c.mg_dl
    bands = {
        "tbr2": v < clinical.VERY_LOW,
        "tbr1": and_(v >= clinical.VERY_LOW, v < clinical.LOW),
        "tir": and_(v >= clinical.LOW, v <= clinical.HIGH),
        "tar1": and_(v > clinical.HIGH, v <= clinical.VERY_HIGH),
        "tar2": v > clinical.VERY_HIGH,
    }
    row = session.execute(
        select(
            func.count(),
            func.avg(v),
            func.stddev_samp(v),
            *[func.sum(case((cond, 1), else_=0)) for cond in bands.values()],
        ).where(*where)
    ).one()
    n = int(row[0] or 0)
    if n == 0:
        return None
    wall = clock.local_sql(table.c.measured_at)  # the AGP's 24-hour clock is the patient's
    minute = extract("hour", wall) * 60 + extract("minute", wall)
    width = p.agp_bin_minutes
    bin_ = (func.floor(minute / width) * width).label("minute")
    agp = _frame(
        session,
        select(
            bin_,
            *[
                func.percentile_cont(q).within_group(v.asc()).label(f"p{round(q * 100)}")
                for q in clinical.AGP_PERCENTILES
            ],
        )
        .where(*where)
        .group_by(bin_)
        .order_by(bin_),
        ["minute", "p5", "p25", "p50", "p75", "p95"],
    )
    expected = clinical.TIR_WINDOW_DAYS * clinical.CGM_READINGS_PER_DAY
    worn = min(100.0, 100.0 * n / expected)
    mean = float(row[1])
    sd = float(row[2]) if row[2] is not None else 0.0
    return GlucoseSummary(
        start=start,
        end=end,
        readings=n,
        worn_percent=worn,
        sufficient=worn >= clinical.SUFFICIENT_WEAR_PERCENT,
        percents={k: 100.0 * int(c or 0) / n for k, c in zip(bands, row[3:], strict=True)},
        mean=mean,
        gmi=clinical.gmi(mean),
        cv=clinical.cv_percent(sd, mean),
        agp=agp,
    )


def _glucose_days(
    session: Session, patient_id: uuid.UUID, start: datetime, end: datetime
) -> pd.DataFrame:
    table = TABLES[GLUCOSE]
    day = cast(clock.local_sql(table.c.measured_at), Date).label("day")  # the clinic's day
    in_range = func.sum(
        case((and_(table.c.mg_dl >= clinical.LOW, table.c.mg_dl <= clinical.HIGH), 1), else_=0)
    )
    return _frame(
        session,
        select(
            day,
            func.count(),
            func.avg(table.c.mg_dl),
            func.min(table.c.mg_dl),
            func.max(table.c.mg_dl),
            100.0 * in_range / func.count(),
        )
        .where(*_window(table, patient_id, start, end))
        .group_by(day)
        .order_by(day.desc()),
        ["day", "readings", "mean", "low", "high", "in_range_percent"],
    )


# --- typed-in readings (for editing) -----------------------------------------------------------


def _manual(
    session: Session, patient_id: uuid.UUID, start: datetime, end: datetime
) -> dict[str, pd.DataFrame]:
    out = {}
    for kind in KINDS:
        table = TABLES[kind]
        columns = [table.c.measured_at, *(table.c[c] for c in STORED[kind])]
        out[kind] = _frame(
            session,
            select(*columns)
            .where(*_window(table, patient_id, start, end), table.c.source == MANUAL)
            .order_by(table.c.measured_at.desc())
            .limit(200),
            [c.name for c in columns],
        )
    return out


# --- the view ----------------------------------------------------------------------------------


def checked_window(start: datetime, end: datetime) -> None:
    if end <= start:
        raise ValidationError({"period": t("The period must end after it starts.")})
    if end - start > MAX_SPAN:
        raise ValidationError({"period": t("Choose a period of at most 30 years.")})


def metrics_view(
    *, actor: Actor, patient_id: uuid.UUID, start: datetime, end: datetime
) -> MetricsView:
    """Everything the health-metrics page shows for one patient and period."""
    checked_window(start, end)
    with patient_work(actor, patient_id, "metrics.view", access.METRICS) as (session, found):
        patient = session.get(Patient, patient_id)
        assert patient is not None
        tir_end = min(end, clock.now())
        return MetricsView(
            patient_id=patient_id,
            patient_name=f"{patient.first_name} {patient.last_name}",
            start=start,
            end=end,
            units=_units(session, actor),
            series=_series(session, patient_id, start, end),
            bp=_bp_summary(session, patient_id, start, end),
            weight=_weight_summary(session, patient, start, end),
            glucose=glucose_summary(session, patient_id, tir_end),
            glucose_days=_glucose_days(session, patient_id, start, end),
            manual=_manual(session, patient_id, start, end),
            read_only=not found.patient_side,
        )


def earliest_reading(*, actor: Actor, patient_id: uuid.UUID) -> datetime | None:
    """The first reading of any kind (where "All" starts)."""
    with patient_work(actor, patient_id, "metrics.view", access.METRICS) as (session, _):
        firsts = [
            session.scalar(
                select(func.min(table.c.measured_at)).where(table.c.patient_id == patient_id)
            )
            for table in TABLES.values()
        ]
        found = [f for f in firsts if f is not None]
        return min(found) if found else None


# --- units -------------------------------------------------------------------------------------


def _units(session: Session, actor: Actor) -> Units:
    row = session.get(UnitPreference, actor.user_id)
    return Units(row.weight, row.glucose) if row is not None else Units()


def units_update(*, actor: Actor, weight: str, glucose: str) -> Units:
    """Save the units this user reads and enters metrics in."""
    fields = {}
    if weight not in clinical.WEIGHT_UNITS:
        fields["weight"] = t("Choose kg or lb.")
    if glucose not in clinical.GLUCOSE_UNITS:
        fields["glucose"] = t("Choose mg/dL or mmol/L.")
    if fields:
        raise ValidationError(fields)
    if not isinstance(actor, Actor):
        raise PermissionDenied(t("Please sign in."))
    with db.transaction() as session:
        row = session.get(UnitPreference, actor.user_id)
        if row is None:
            session.add(UnitPreference(user_id=actor.user_id, weight=weight, glucose=glucose))
        else:
            row.weight, row.glucose = weight, glucose
        audit.record(session, actor, "metrics.units_update", detail=f"{weight}, {glucose}")
    return Units(weight, glucose)


# --- export ------------------------------------------------------------------------------------

EXPORT_COLUMNS = {
    BP: ["measured_at", "source", "systolic", "diastolic", "pulse"],
    WEIGHT: ["measured_at", "source", "weight_kg"],
    GLUCOSE: ["measured_at", "source", "mg_dl", "flag"],
}


def metrics_export(
    *, actor: Actor, patient_id: uuid.UUID, kind: str, start: datetime, end: datetime
) -> bytes:
    """Every reading of one kind in the period as CSV (spreadsheet-safe cells)."""
    if kind not in KINDS:
        raise ValidationError({"kind": t("Choose blood pressure, weight or glucose.")})
    checked_window(start, end)
    with patient_work(actor, patient_id, f"metrics.{kind}.export", access.METRICS) as (session, _):
        table = TABLES[kind]
        rows = session.execute(
            select(*(table.c[c] for c in EXPORT_COLUMNS[kind]))
            .where(*_window(table, patient_id, start, end))
            .order_by(table.c.measured_at)
        ).all()
    return csv_bytes(EXPORT_COLUMNS[kind], rows)
