"""Home-device files: our CSV template and the Dexcom Clarity CGM export.

`import_preview` reads a file and reports what would happen (valid rows per metric, each refused
row with its line and reason, duplicates by time, rows that are not readings) and writes
nothing; `import_confirm` does the same reading again and saves the valid, new rows in one
transaction. Imported readings are device data: read-only afterwards.
"""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd
from sqlalchemy.orm import Session

from services.core import access, clock, usage
from services.core.access import Actor
from services.core.errors import ValidationError
from services.core.language import number, t
from services.core.models import Patient
from services.core.work import patient_work
from services.health import readings
from services.health.readings import BP, CGM, DEVICE, GLUCOSE, KINDS, Alert

MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 300_000
SHOWN_PROBLEMS = 200
TEMPLATE_COLUMNS = (
    "measured_at",
    "metric",
    "systolic",
    "diastolic",
    "pulse",
    "weight",
    "glucose",
    "unit",
)
TEMPLATE = (
    ",".join(TEMPLATE_COLUMNS)
    + "\n2026-11-20 07:30,blood_pressure,128,82,70,,,\n"
    + "2026-11-20 07:35,weight,,,,81.4,,kg\n"
    + "2026-11-20 08:00,glucose,,,,,112,mg/dL\n"
)
TEMPLATE_NAME, DEXCOM_NAME = "Lakeside metrics template", "Dexcom Clarity CGM export"
DEXCOM_TIME = "Timestamp (YYYY-MM-DDThh:mm:ss)"
DEXCOM_VALUE = "Glucose Value (mg/dL)"
DEXCOM_MARKERS = {"low": ("LOW", 40), "high": ("HIGH", 400)}  # past the sensor's range


@dataclass(frozen=True)
class RowProblem:
    line: int
    message: str


@dataclass(frozen=True)
class ImportPlan:
    """What an import would do (the preview) or did (after confirming)."""

    file_format: str
    new_rows: dict[str, int]  # per metric
    duplicates: int  # same metric and time as a reading already saved, or earlier in the file
    not_readings: int  # rows that hold no reading (a Dexcom file's alerts, device details)
    problem_count: int
    problems: list[RowProblem]  # the first 200, by line
    first_at: datetime | None
    last_at: datetime | None
    note: str | None = None
    alerts: list[Alert] = field(default_factory=list)

    @property
    def total_new(self) -> int:
        return sum(self.new_rows.values())


@dataclass
class _Parsed:
    file_format: str
    frames: dict[str, pd.DataFrame]  # kind -> rows to check, with a `line` column
    source: str
    not_readings: int
    note: str | None = None
    unknown_metric: pd.DataFrame | None = None  # template rows naming no metric we know


def _text(data: bytes) -> str:
    if not data:
        raise ValidationError({"file": t("The file is empty.")})
    if len(data) > MAX_BYTES:
        raise ValidationError({"file": t("The file is larger than 20 MB; split it into parts.")})
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError({"file": t("This is not a CSV text file.")}) from None


def _read(text: str) -> pd.DataFrame:
    try:
        frame = pd.read_csv(
            io.StringIO(text), dtype=str, keep_default_na=False, skipinitialspace=True
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise ValidationError(
            {"file": t("The file could not be read as CSV: {exc}", exc=exc).strip()}
        ) from None
    if len(frame) > MAX_ROWS:
        raise ValidationError(
            {"file": t("The file has more than {limit} rows; split it.", limit=number(MAX_ROWS))}
        )
    frame.columns = [str(c).strip() for c in frame.columns]
    frame["line"] = frame.index + 2  # line 1 is the header
    return frame


def _times(values: pd.Series) -> pd.Series:
    """ISO 8601 date-times; with an offset they are converted to UTC; unreadable ones are NaT."""
    parsed = pd.to_datetime(values.str.strip(), errors="coerce", format="ISO8601", utc=True)
    return parsed.dt.tz_localize(None)


def _parse(text: str, patient: Patient) -> _Parsed:
    frame = _read(text)
    columns = set(frame.columns)
    if {"Event Type", DEXCOM_TIME, DEXCOM_VALUE} <= columns:
        return _dexcom(frame, patient)
    if set(TEMPLATE_COLUMNS) <= columns:
        return _template(frame)
    raise ValidationError(
        {
            "file": t(
                "The file's columns are not ones we know. Use our template "
                "({TEMPLATE_COLUMNS}) or a Dexcom Clarity export.",
                TEMPLATE_COLUMNS=", ".join(TEMPLATE_COLUMNS),
            )
        }
    )


def _template(frame: pd.DataFrame) -> _Parsed:
    metric = frame["metric"].str.strip().str.lower()
    frame = frame.assign(measured_at=_times(frame["measured_at"]), metric=metric)
    frames = {kind: frame[metric == kind] for kind in KINDS}
    frames[BP] = frames[BP].assign(unit="mmHg")
    return _Parsed(TEMPLATE_NAME, frames, DEVICE, 0, unknown_metric=frame[~metric.isin(KINDS)])


def _dexcom(frame: pd.DataFrame, patient: Patient) -> _Parsed:
    kind = frame["Event Type"].str.strip()
    egv = frame[kind == "EGV"]
    raw = egv[DEXCOM_VALUE].str.strip()
    marker = raw.str.lower().map(lambda v: DEXCOM_MARKERS.get(v, (None, None)))
    flag = marker.map(lambda m: m[0])
    value = raw.where(flag.isna(), marker.map(lambda m: str(m[1])))
    rows = pd.DataFrame(
        {
            "line": egv["line"],
            "measured_at": _times(egv[DEXCOM_TIME]),
            "glucose": value,
            "unit": "mg/dL",
            "flag": flag,
        }
    )
    info = dict(zip(kind, frame.get("Patient Info", pd.Series(dtype=str)), strict=False))
    named = f"{info.get('FirstName', '')} {info.get('LastName', '')}".strip()
    own = f"{patient.first_name} {patient.last_name}"
    note = (
        t(
            "The file names {named}, not {own}: check it is the right person's data.",
            named=named,
            own=own,
        )
        if named and named.lower() != own.lower()
        else None
    )
    return _Parsed(DEXCOM_NAME, {GLUCOSE: rows}, CGM, int((kind != "EGV").sum()), note)


@dataclass
class _Checked:
    plan: ImportPlan
    rows: dict[str, pd.DataFrame]  # kind -> stored rows to insert


def _check(session: Session, patient: Patient, data: bytes) -> tuple[_Checked, str]:
    parsed = _parse(_text(data), patient)
    now = clock.now()
    problems: list[pd.DataFrame] = []
    unknown = parsed.unknown_metric
    if unknown is not None and len(unknown):
        problems.append(
            pd.DataFrame(
                {
                    "line": unknown["line"],
                    "message": t("metric: must be blood_pressure, weight or glucose."),
                }
            )
        )
    rows: dict[str, pd.DataFrame] = {}
    duplicates = 0
    for kind, frame in parsed.frames.items():
        frame = frame.reset_index(drop=True)
        found = readings.problems(kind, frame, patient.birth_date, now)
        if len(found):
            found = found.assign(line=frame["line"].to_numpy()[found["row"].to_numpy()])
            problems.append(
                found.assign(message=found["field"] + ": " + found["message"])[["line", "message"]]
            )
        good = frame.drop(index=found["row"].unique()) if len(found) else frame
        checked = readings.stored(kind, good)
        repeated = checked["measured_at"].duplicated()
        taken = checked["measured_at"].isin(
            readings.existing_times(session, kind, patient.id, checked["measured_at"])
        )
        duplicates += int((repeated | taken).sum())
        rows[kind] = checked[~(repeated | taken)].reset_index(drop=True)
    every = (
        pd.concat(problems).groupby("line")["message"].agg("; ".join).reset_index()
        if problems
        else pd.DataFrame(columns=["line", "message"])
    )
    times = pd.concat([r["measured_at"] for r in rows.values()]) if rows else pd.Series([])
    plan = ImportPlan(
        file_format=parsed.file_format,
        new_rows={k: len(v) for k, v in rows.items()},
        duplicates=duplicates,
        not_readings=parsed.not_readings,
        problem_count=len(every),
        problems=[
            RowProblem(int(line), message)
            for line, message in every.head(SHOWN_PROBLEMS).itertuples(index=False)
        ],
        first_at=times.min().to_pydatetime() if len(times) else None,
        last_at=times.max().to_pydatetime() if len(times) else None,
        note=parsed.note,
    )
    return _Checked(plan, rows), parsed.source


def import_preview(*, actor: Actor, patient_id: uuid.UUID, data: bytes) -> ImportPlan:
    """What importing this file would do; nothing is saved."""
    with patient_work(actor, patient_id, "metrics.import_preview", access.METRICS) as (
        session,
        found,
    ):
        patient = readings.patient_side(session, patient_id, found)
        return _check(session, patient, data)[0].plan


def import_confirm(*, actor: Actor, patient_id: uuid.UUID, data: bytes) -> ImportPlan:
    """Save the file's valid, new readings in one transaction; returns what was saved."""
    with patient_work(actor, patient_id, "metrics.import", access.METRICS) as (session, found):
        patient = readings.patient_side(session, patient_id, found)
        checked, source = _check(session, patient, data)
        alerts: list[Alert] = []
        for kind, rows in checked.rows.items():
            alerts += readings.insert(session, kind, patient, rows, source)
        if found.patient_side:  # a device's readings brought in
            usage.record_use(session, actor.user_id, usage.DEVICE_IMPORT, patient_id)
        plan = checked.plan
        return ImportPlan(**{**plan.__dict__, "alerts": alerts})
