"""Health-metric readings: checking, saving (typed in, edited, imported) and the alerts they raise.

Typed-in readings and imported files go through the same checks (`problems`), one vectorised
pass over a DataFrame, so a 100,000-row file is checked as fast as one reading. Typed-in
("manual") readings can be edited and deleted by the patient side; device and CGM readings are
read-only. Readings past the alert policy put an alert in the care team's queue, once each.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import Table, and_, delete, select
from sqlalchemy.orm import Session

from services.core import access, clock, db
from services.core.access import Actor
from services.core.errors import NotFound, PermissionDenied, ValidationError
from services.core.language import N_, number, t
from services.core.models import Patient
from services.core.work import patient_work
from services.health import clinical
from services.health.tables import BloodPressureReading, GlucoseReading, MetricAlert, WeightReading

BP, WEIGHT, GLUCOSE = "blood_pressure", "weight", "glucose"
KINDS = (BP, WEIGHT, GLUCOSE)
MANUAL, DEVICE, CGM = "manual", "device", "cgm"
TABLES: dict[str, Table] = {
    BP: BloodPressureReading.__table__,  # type: ignore[dict-item]
    WEIGHT: WeightReading.__table__,  # type: ignore[dict-item]
    GLUCOSE: GlucoseReading.__table__,  # type: ignore[dict-item]
}
# The columns each kind stores, after the patient, the time and the source.
STORED = {
    BP: ("systolic", "diastolic", "pulse"),
    WEIGHT: ("weight_kg",),
    GLUCOSE: ("mg_dl", "flag"),
}
CGM_EPISODE_GAP = timedelta(minutes=15)  # CGM readings closer than this belong to one episode
PATIENT_SIDE_ONLY = N_("Readings are entered by the patient or their proxy.")


@dataclass(frozen=True)
class Entry:
    """One reading as a person types it, in their units."""

    kind: str
    measured_at: datetime | None
    systolic: float | None = None
    diastolic: float | None = None
    pulse: float | None = None
    weight: float | None = None
    glucose: float | None = None
    unit: str | None = None  # the weight or glucose unit


@dataclass(frozen=True)
class Alert:
    rule: str
    measured_at: datetime
    value_text: str
    guidance: str


# --- checks ------------------------------------------------------------------------------------


def _number(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame:
        return pd.Series(np.nan, index=frame.index, dtype="float64")
    return pd.to_numeric(frame[column], errors="coerce").astype("float64")


def _range_rules(
    field: str, values: pd.Series, low: float, high: float, unit: str, missing: str, outside: str
) -> list[tuple[str, pd.Series, str]]:
    """A value that must be there and within its range; `outside` is a catalog message with
    {low}, {high} and {unit}."""
    return [
        (field, values.isna(), missing),
        (
            field,
            (values < low) | (values > high),
            t(outside, low=number(low), high=number(high), unit=unit),
        ),
    ]


def problems(kind: str, frame: pd.DataFrame, birth: date, now: datetime) -> pd.DataFrame:
    """Every refused value: one row per (row, field) with a message; an empty frame when fine.

    `frame` holds what was typed or read from a file: `measured_at` (datetime, NaT when missing
    or unreadable) and the kind's values in the given unit (`unit` column for weight/glucose).
    """
    p = clinical.policy()
    at = pd.to_datetime(frame["measured_at"], errors="coerce")
    rules: list[tuple[str, pd.Series, str]] = [
        ("measured_at", at.isna(), t("Enter the date and time of the reading.")),
        (
            "measured_at",
            at > now + timedelta(minutes=p.clock_skew_minutes),
            t("The reading's time is in the future."),
        ),
        (
            "measured_at",
            at < pd.Timestamp(birth),
            t("The reading's time is before the date of birth."),
        ),
    ]
    if kind == BP:
        systolic, diastolic, pulse = (_number(frame, c) for c in ("systolic", "diastolic", "pulse"))
        rules += _range_rules(
            "systolic",
            systolic,
            p.systolic_min,
            p.systolic_max,
            "mmHg",
            t("Enter the systolic (top) number."),
            N_("The systolic (top) number must be between {low} and {high} {unit}."),
        )
        rules += _range_rules(
            "diastolic",
            diastolic,
            p.diastolic_min,
            p.diastolic_max,
            "mmHg",
            t("Enter the diastolic (bottom) number."),
            N_("The diastolic (bottom) number must be between {low} and {high} {unit}."),
        )
        rules.append(
            (
                "diastolic",
                diastolic >= systolic,
                t("The diastolic (bottom) number must be lower than the systolic (top) number."),
            )
        )
        rules.append(
            (
                "pulse",
                pulse.notna() & ((pulse < p.pulse_min) | (pulse > p.pulse_max)),
                t(
                    "The pulse must be between {low} and {high} beats a minute.",
                    low=number(p.pulse_min),
                    high=number(p.pulse_max),
                ),
            )
        )
    elif kind in (WEIGHT, GLUCOSE):
        rules += _unit_rules(kind, frame, p)
    else:
        raise ValidationError({"kind": t("Choose blood pressure, weight or glucose.")})
    found = [
        pd.DataFrame({"row": frame.index[mask.fillna(False).to_numpy()], "field": field}).assign(
            message=message
        )
        for field, mask, message in rules
    ]
    out = pd.concat(found, ignore_index=True)
    return out.drop_duplicates(["row", "field"], keep="first").reset_index(drop=True)


def _unit_rules(
    kind: str, frame: pd.DataFrame, p: clinical.Policy
) -> list[tuple[str, pd.Series, str]]:
    field = "weight" if kind == WEIGHT else "glucose"
    values = _number(frame, field)
    unit = frame["unit"] if "unit" in frame else pd.Series(None, index=frame.index, dtype=object)
    units = clinical.WEIGHT_UNITS if kind == WEIGHT else clinical.GLUCOSE_UNITS
    wrong_unit = (
        t("The unit must be kg or lb.")
        if kind == WEIGHT
        else t("The unit must be mg/dL or mmol/L.")
    )
    rules = [("unit", ~unit.isin(units), wrong_unit)]
    ranges = (
        {
            clinical.KG: (p.weight_min_kg, p.weight_max_kg),
            clinical.LB: (p.weight_min_lb, p.weight_max_lb),
        }
        if kind == WEIGHT
        else {
            clinical.MG_DL: (p.glucose_min, p.glucose_max),
            clinical.MMOL_L: (p.glucose_min_mmol, p.glucose_max_mmol),
        }
    )
    missing, outside_range = (
        (t("Enter the weight."), N_("The weight must be between {low} and {high} {unit}."))
        if kind == WEIGHT
        else (t("Enter the glucose."), N_("The glucose must be between {low} and {high} {unit}."))
    )
    rules.append((field, values.isna(), missing))
    for name, (low, high) in ranges.items():
        outside = (unit == name) & ((values < low) | (values > high))
        words = t(outside_range, low=number(low), high=number(high), unit=name)
        rules.append((field, outside, words))
    return rules


def stored(kind: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Checked rows in the stored units and columns (patient, time and source added by callers)."""
    out = pd.DataFrame({"measured_at": pd.to_datetime(frame["measured_at"]).dt.floor("s")})
    if kind == BP:
        for column in ("systolic", "diastolic", "pulse"):
            out[column] = _number(frame, column).round().astype("Int16")
    elif kind == WEIGHT:
        kg = _number(frame, "weight")
        out["weight_kg"] = kg.where(frame["unit"] == clinical.KG, kg * clinical.KG_PER_LB).round(2)
    else:
        mg = _number(frame, "glucose")
        mg = mg.where(frame["unit"] == clinical.MG_DL, mg * clinical.MG_DL_PER_MMOL_L)
        out["mg_dl"] = mg.round().astype("Int16")
        out["flag"] = frame["flag"] if "flag" in frame else None
    return out


def _entry_frame(entry: Entry) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "measured_at": entry.measured_at,
                "systolic": entry.systolic,
                "diastolic": entry.diastolic,
                "pulse": entry.pulse,
                "weight": entry.weight,
                "glucose": entry.glucose,
                "unit": entry.unit,
            }
        ]
    )


def _checked_entry(entry: Entry, birth: date) -> pd.DataFrame:
    if entry.kind not in KINDS:
        raise ValidationError({"kind": t("Choose blood pressure, weight or glucose.")})
    frame = _entry_frame(entry)
    found = problems(entry.kind, frame, birth, clock.now())
    if len(found):
        raise ValidationError(dict(zip(found["field"], found["message"], strict=True)))
    return stored(entry.kind, frame)


# --- saving ------------------------------------------------------------------------------------


def existing_times(
    session: Session, kind: str, patient_id: uuid.UUID, times: pd.Series
) -> set[datetime]:
    """Which of these times already have a reading of this kind for the patient."""
    if times.empty:
        return set()
    table = TABLES[kind]
    rows = session.execute(
        select(table.c.measured_at).where(
            table.c.patient_id == patient_id,
            table.c.measured_at >= times.min().to_pydatetime(),
            table.c.measured_at <= times.max().to_pydatetime(),
        )
    ).scalars()
    return {pd.Timestamp(moment) for moment in rows}


def insert(
    session: Session, kind: str, patient: Patient, rows: pd.DataFrame, source: str
) -> list[Alert]:
    """Append checked, de-duplicated rows in one statement, then raise their alerts."""
    if rows.empty:
        return []
    data = rows.assign(patient_id=patient.id, source=source)
    db.bulk_insert(session.connection(), TABLES[kind], data)
    return raise_alerts(session, kind, patient, data)


def patient_side(session: Session, patient_id: uuid.UUID, scope_access: access.Access) -> Patient:
    if scope_access.basis not in (access.SELF, access.PROXY):
        raise PermissionDenied(t(PATIENT_SIDE_ONLY))
    patient = session.get(Patient, patient_id)
    if patient is None:  # authorize_patient found it a moment ago, in this transaction
        raise NotFound(t("We could not find that record."))
    return patient


def reading_add(*, actor: Actor, patient_id: uuid.UUID, entry: Entry) -> list[Alert]:
    """Save one typed-in reading; returns the alerts it raised (with what to do)."""
    with patient_work(actor, patient_id, f"metrics.{entry.kind}.add", access.METRICS) as (
        session,
        found,
    ):
        patient = patient_side(session, patient_id, found)
        row = _checked_entry(entry, patient.birth_date)
        _refuse_taken_time(session, entry.kind, patient_id, row)
        return insert(session, entry.kind, patient, row, MANUAL)


def _refuse_taken_time(
    session: Session, kind: str, patient_id: uuid.UUID, row: pd.DataFrame
) -> None:
    if existing_times(session, kind, patient_id, row["measured_at"]):
        raise ValidationError({"measured_at": t("There is already a reading at this time.")})


def _manual_row(session: Session, kind: str, patient_id: uuid.UUID, measured_at: datetime) -> None:
    """Refuse unless a typed-in reading exists at this time (device data is read-only)."""
    table = TABLES[kind]
    sources = set(
        session.execute(
            select(table.c.source).where(
                table.c.patient_id == patient_id, table.c.measured_at == measured_at
            )
        ).scalars()
    )
    if not sources:
        raise NotFound(t("That reading was not found."))
    if MANUAL not in sources:
        raise ValidationError({"reading": t("Readings from devices cannot be changed or deleted.")})


def _delete_manual(
    session: Session, kind: str, patient_id: uuid.UUID, measured_at: datetime
) -> None:
    table = TABLES[kind]
    session.execute(
        delete(table).where(
            table.c.patient_id == patient_id,
            table.c.measured_at == measured_at,
            table.c.source == MANUAL,
        )
    )


def reading_replace(
    *, actor: Actor, patient_id: uuid.UUID, original_at: datetime, entry: Entry
) -> list[Alert]:
    """Correct one typed-in reading (its values and/or its time)."""
    with patient_work(actor, patient_id, f"metrics.{entry.kind}.edit", access.METRICS) as (
        session,
        found,
    ):
        patient = patient_side(session, patient_id, found)
        _manual_row(session, entry.kind, patient_id, original_at)
        row = _checked_entry(entry, patient.birth_date)
        _delete_manual(session, entry.kind, patient_id, original_at)
        _refuse_taken_time(session, entry.kind, patient_id, row)
        return insert(session, entry.kind, patient, row, MANUAL)


def reading_delete(
    *, actor: Actor, patient_id: uuid.UUID, kind: str, measured_at: datetime
) -> None:
    if kind not in KINDS:
        raise ValidationError({"kind": t("Choose blood pressure, weight or glucose.")})
    with patient_work(actor, patient_id, f"metrics.{kind}.delete", access.METRICS) as (
        session,
        found,
    ):
        patient_side(session, patient_id, found)
        _manual_row(session, kind, patient_id, measured_at)
        _delete_manual(session, kind, patient_id, measured_at)


# --- alerts ------------------------------------------------------------------------------------


def _bp_alerts(rows: pd.DataFrame) -> pd.DataFrame:
    crisis = (rows["systolic"] > clinical.SYSTOLIC_CRISIS) | (
        rows["diastolic"] > clinical.DIASTOLIC_CRISIS
    )
    hits = rows[crisis.fillna(False)]
    return pd.DataFrame(
        {
            "measured_at": hits["measured_at"],
            "rule": "bp_crisis",
            "value_text": hits["systolic"].astype(str)
            + "/"
            + hits["diastolic"].astype(str)
            + " mmHg",
        }
    )


def _glucose_alerts(rows: pd.DataFrame) -> pd.DataFrame:
    p = clinical.policy()
    parts = []
    for rule, mask in (
        ("glucose_low", rows["mg_dl"] < p.glucose_alert_low),
        ("glucose_high", rows["mg_dl"] > p.glucose_alert_high),
    ):
        hits = rows[mask.fillna(False)].sort_values("measured_at")
        if hits.empty:
            continue
        # A CGM stream raises one alert per episode (readings close together), at its extreme.
        stream = hits["source"] == CGM
        new_episode = (
            ~stream
            | (hits["measured_at"].diff() > CGM_EPISODE_GAP)
            | ~stream.shift(fill_value=False)
        )
        episode = new_episode.cumsum()
        pick = (
            hits.groupby(episode)["mg_dl"].idxmin()
            if rule == "glucose_low"
            else hits.groupby(episode)["mg_dl"].idxmax()
        )
        chosen = hits.loc[pick.to_numpy()]
        text = chosen["mg_dl"].astype(str) + " mg/dL"
        text = text.where(chosen["flag"].isna(), chosen["flag"].astype(str) + " (sensor limit)")
        parts.append(
            pd.DataFrame({"measured_at": chosen["measured_at"], "rule": rule, "value_text": text})
        )
    return (
        pd.concat(parts) if parts else pd.DataFrame(columns=["measured_at", "rule", "value_text"])
    )


def _weight_alerts(session: Session, patient: Patient, rows: pd.DataFrame) -> pd.DataFrame:
    """Heart failure only: a gain over the previous day's weight, or over the week's lowest."""
    empty = pd.DataFrame(columns=["measured_at", "rule", "value_text"])
    if not patient.heart_failure or rows.empty:
        return empty
    p = clinical.policy()
    first, last = rows["measured_at"].min(), rows["measured_at"].max()
    history = pd.DataFrame(
        session.execute(
            select(WeightReading.measured_at, WeightReading.weight_kg).where(
                WeightReading.patient_id == patient.id,
                WeightReading.measured_at >= (first - pd.Timedelta(days=8)).to_pydatetime(),
                WeightReading.measured_at <= last.to_pydatetime(),
            )
        ).all(),
        columns=["measured_at", "weight_kg"],
    ).sort_values("measured_at")
    found = []
    for at, kg in zip(rows["measured_at"], rows["weight_kg"], strict=True):
        before = history[history["measured_at"] < at]
        yesterday = before[before["measured_at"] >= at - pd.Timedelta(hours=30)]
        yesterday = yesterday[yesterday["measured_at"] <= at - pd.Timedelta(hours=18)]
        week = before[before["measured_at"] >= at - pd.Timedelta(days=7)]
        if len(yesterday) and kg - yesterday["weight_kg"].iloc[-1] > p.weight_gain_day_kg:
            gain, rule = kg - yesterday["weight_kg"].iloc[-1], "weight_gain_day"
        elif len(week) and kg - week["weight_kg"].min() > p.weight_gain_week_kg:
            gain, rule = kg - week["weight_kg"].min(), "weight_gain_week"
        else:
            continue
        found.append(
            {"measured_at": at, "rule": rule, "value_text": f"{kg:.1f} kg (+{gain:.1f} kg)"}
        )
    return pd.DataFrame(found) if found else empty


_FINDERS: dict[str, Callable[..., pd.DataFrame]] = {
    BP: lambda session, patient, rows: _bp_alerts(rows),
    GLUCOSE: lambda session, patient, rows: _glucose_alerts(rows),
    WEIGHT: _weight_alerts,
}


def raise_alerts(session: Session, kind: str, patient: Patient, rows: pd.DataFrame) -> list[Alert]:
    """Alerts for recent readings past the policy, each reading at most once."""
    now = clock.now()
    recent = rows[rows["measured_at"] >= now - timedelta(days=clinical.policy().alert_recent_days)]
    found = _FINDERS[kind](session, patient, recent)
    if found.empty:
        return []
    times = [moment.to_pydatetime() for moment in pd.to_datetime(found["measured_at"])]
    already = set(
        session.execute(
            select(MetricAlert.measured_at, MetricAlert.rule).where(
                MetricAlert.patient_id == patient.id,
                MetricAlert.metric == kind,
                and_(MetricAlert.measured_at >= min(times), MetricAlert.measured_at <= max(times)),
            )
        ).tuples()
    )
    raised = []
    for at, rule, text in zip(times, found["rule"], found["value_text"], strict=True):
        if (at, rule) in already:
            continue
        session.add(
            MetricAlert(
                patient_id=patient.id,
                metric=kind,
                rule=rule,
                measured_at=at,
                value_text=text,
                created_at=now,
            )
        )
        raised.append(Alert(rule, at, text, clinical.guidance(rule)))
    return raised
