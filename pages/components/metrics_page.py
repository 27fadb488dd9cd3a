"""The health-metrics page body, shared by patients (and proxies) and by the care team.

Tabs per metric with a period picker and the user's units; the patient side also enters,
corrects, deletes and imports readings. The services decide who may see and do what.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pandas as pd
import streamlit as st

from pages.components import metric_charts, state
from pages.components.format import local_times, plain, when
from pages.components.widgets import choose, download
from services.core import clock, language
from services.core.access import Actor
from services.core.language import N_, t, tn
from services.health import clinical, device_import, metrics, readings
from services.health.readings import BP, GLUCOSE, WEIGHT, Entry

PERIODS = {
    N_("7 days"): 7,
    N_("30 days"): 30,
    N_("90 days"): 90,
    N_("1 year"): 365,
    N_("All"): None,
    N_("Custom"): None,
}
FLASH = "metrics_flash"  # messages kept across the rerun that redraws the charts
UPLOADS = "metrics_uploads"  # a new uploader after each import, so the file is not offered again
KIND_LABELS = {BP: N_("Blood pressure"), WEIGHT: N_("Weight"), GLUCOSE: N_("Glucose")}


def _window(actor: Actor, patient_id: uuid.UUID) -> tuple[datetime, datetime] | None:
    default = "30 days"  # i18n: not shown
    chosen = (
        st.segmented_control(
            t("Period"), list(PERIODS), format_func=t, default=default, key="metrics_period"
        )
        or default
    )
    now = clock.now()
    end = now + timedelta(minutes=1)
    days = PERIODS[chosen]
    if days is not None:
        return end - timedelta(days=days), end
    if chosen == "All":  # i18n: not shown
        first = metrics.earliest_reading(actor=actor, patient_id=patient_id)
        return (first or now - timedelta(days=30)), end
    today = clock.today()
    picked = st.date_input(
        t("From and to"),
        value=(today - timedelta(days=14), today),
        max_value=today,
        key="metrics_custom",
    )
    if not isinstance(picked, tuple) or len(picked) != 2:
        st.info(t("Choose the first and the last day of the period."))
        return None
    first_day, last_day = picked  # the clinic's days, from midnight to midnight
    return clock.day_start(first_day), clock.day_start(last_day + timedelta(days=1))


def _units(actor: Actor, view: metrics.MetricsView) -> metrics.Units:
    left, right, _ = st.columns([1, 1, 3])
    weight = left.selectbox(
        t("Weight in"),
        clinical.WEIGHT_UNITS,
        index=clinical.WEIGHT_UNITS.index(view.units.weight),
        key="metrics_weight_unit",
    )
    glucose = right.selectbox(
        t("Glucose in"),
        clinical.GLUCOSE_UNITS,
        index=clinical.GLUCOSE_UNITS.index(view.units.glucose),
        key="metrics_glucose_unit",
    )
    if (weight, glucose) != (view.units.weight, view.units.glucose):
        with state.service_errors():
            return metrics.units_update(actor=actor, weight=weight, glucose=glucose)
    return view.units


def _export(actor: Actor, view: metrics.MetricsView, kind: str) -> None:
    download(
        t("Download {kind} readings (CSV)", kind=t(KIND_LABELS[kind]).lower()),
        lambda: metrics.metrics_export(
            actor=actor, patient_id=view.patient_id, kind=kind, start=view.start, end=view.end
        ),
        file_name=f"{kind}-{view.start:%Y%m%d}-{view.end:%Y%m%d}.csv",
        key=f"metrics_export_{kind}",
    )


def _table(frame: pd.DataFrame, columns: dict[str, str], empty: str) -> None:
    with st.expander(t("Readings as a table")):
        if frame.empty:
            st.write(empty)
        else:
            st.dataframe(frame.rename(columns=columns)[list(columns.values())], hide_index=True)


def _bp_tab(actor: Actor, view: metrics.MetricsView) -> None:
    bp = view.bp
    if bp.readings == 0:
        st.info(t("No blood pressure readings in this period."))
    else:
        cols = st.columns(4)
        cols[0].metric(
            tn("Average (mmHg, {count} reading)", "Average (mmHg, {count} readings)", bp.readings),
            f"{bp.systolic}/{bp.diastolic}",
        )
        cols[1].metric(t("Category of the average"), t(bp.category) if bp.category else "—")
        mornings = bp.morning[2] if bp.morning else 0
        evenings = bp.evening[2] if bp.evening else 0
        cols[2].metric(
            *_pair(
                t("Morning average"),
                tn(
                    "Morning average ({count} reading)",
                    "Morning average ({count} readings)",
                    mornings,
                ),
                bp.morning,
            )
        )
        cols[3].metric(
            *_pair(
                t("Evening average"),
                tn(
                    "Evening average ({count} reading)",
                    "Evening average ({count} readings)",
                    evenings,
                ),
                bp.evening,
            )
        )
        st.caption(
            t(
                "Categories are ACC/AHA 2017, judged on the period's average (home "
                "readings over several days), not on one reading."
            )
        )
        if len(bp.crises):
            st.warning(
                tn(
                    "{count} reading in this period was in the hypertensive crisis range "
                    "(marked ✕ on the chart). When a reading is that high: {steps}",
                    "{count} readings in this period were in the hypertensive crisis range "
                    "(marked ✕ on the chart). When a reading is that high: {steps}",
                    len(bp.crises),
                    steps=t(clinical.CRISIS_STEPS),
                )
            )
        s = view.series
        st.plotly_chart(
            metric_charts.blood_pressure(s["systolic"], s["diastolic"], s["pulse"], bp.crises),
            key="metrics_bp_chart",
        )
        _table(
            _merged(s["systolic"], s["diastolic"], s["pulse"]),
            {
                "measured_at": t("When"),
                "systolic": t("Systolic"),
                "diastolic": t("Diastolic"),
                "pulse": t("Pulse"),
            },
            t("No readings."),
        )
    _export(actor, view, BP)


def _pair(empty: str, counted: str, values: tuple[int, int, int] | None) -> tuple[str, str]:
    """A headline label and value for morning or evening averages (`counted` names the
    readings' count)."""
    if values is None:
        return empty, "—"
    return counted, f"{values[0]}/{values[1]}"


def _merged(*frames: pd.DataFrame) -> pd.DataFrame:
    names = ("systolic", "diastolic", "pulse")
    parts = [
        f.dropna().set_index("measured_at")["value"].rename(n)
        for f, n in zip(frames, names, strict=True)
    ]
    return pd.concat(parts, axis=1).reset_index().sort_values("measured_at", ascending=False)


def _weight_tab(actor: Actor, view: metrics.MetricsView, units: metrics.Units) -> None:
    w = view.weight
    if w.latest_kg is None:
        st.info(t("No weight readings in this period."))
    else:
        cols = st.columns(3)
        cols[0].metric(
            t("Latest"),
            f"{clinical.weight_in(w.latest_kg, units.weight):.1f} {units.weight}",
            help=t("on {latest_at}", latest_at=when(w.latest_at)),
        )
        cols[1].metric(
            "BMI",
            f"{w.bmi:.1f}" if w.bmi else "—",
            help=t("Needs a height on your record.") if w.bmi is None else None,
        )
        cols[2].metric(t("BMI category"), t(w.bmi_category) if w.bmi_category else "—")
        if w.heart_failure:
            p = clinical.policy()
            st.info(
                t(
                    "Heart failure: call your care team if your weight rises by more than "
                    "{day_kg} kg ({day_lb} lb) in a day or {week_kg} kg ({week_lb} lb) in a "
                    "week. The care team is told automatically.",
                    day_kg=language.number(p.weight_gain_day_kg),
                    day_lb=language.number(clinical.to_lb(p.weight_gain_day_kg), 1),
                    week_kg=language.number(p.weight_gain_week_kg),
                    week_lb=language.number(clinical.to_lb(p.weight_gain_week_kg), 1),
                )
            )
        st.plotly_chart(
            metric_charts.weight(view.series["weight"], w.moving_average, units.weight),
            key="metrics_weight_chart",
        )
        daily = (
            view.series["weight"]
            .dropna()
            .assign(
                value=lambda f: [round(clinical.weight_in(v, units.weight), 1) for v in f["value"]]
            )
        )
        _table(
            daily.sort_values("measured_at", ascending=False),
            {"measured_at": t("When"), "value": t("Weight ({weight})", weight=units.weight)},
            t("No readings."),
        )
    _export(actor, view, WEIGHT)


def _glucose_tab(actor: Actor, view: metrics.MetricsView, units: metrics.Units) -> None:
    g = view.glucose
    unit = units.glucose
    if g is not None:
        st.subheader(t("Last 14 days (CGM)"))
        cols = st.columns(4)
        cols[0].metric(
            t("Time in range"),
            f"{g.percents['tir']:.0f}%",
            help=t(
                "Target above {percent}",
                percent=language.percent(clinical.TIR_TARGET_PERCENT / 100),
            ),
        )
        cols[1].metric(t("Average"), f"{clinical.glucose_in(g.mean or 0, unit):.1f} {unit}")
        cols[2].metric(
            "GMI",
            f"{g.gmi:.1f}%" if g.gmi else "—",
            help=t("Glucose management indicator: an estimate of HbA1c from the average."),
        )
        cols[3].metric(
            t("Variability (CV)"),
            f"{g.cv:.0f}%" if g.cv is not None else "—",
            help=t(
                "Target {percent} or less",
                percent=language.percent(clinical.CV_TARGET_PERCENT / 100),
            ),
        )
        worn = tn(
            "Sensor worn {percent} of the time ({count} reading).",
            "Sensor worn {percent} of the time ({count} readings).",
            g.readings,
            percent=language.percent(g.worn_percent / 100),
        )
        if g.sufficient:
            st.caption(worn)
        else:
            st.warning(
                t(
                    "{worn} Not enough data: these figures need at least "
                    "{percent} of the readings, so read them with care.",
                    worn=worn,
                    percent=language.percent(clinical.SUFFICIENT_WEAR_PERCENT / 100),
                )
            )
        st.plotly_chart(metric_charts.time_in_range(g.percents), key="metrics_tir_chart")
        st.dataframe(
            pd.DataFrame(
                {
                    t("Range"): [t(label) for _, label, _ in clinical.TIR_RANGES],
                    t("% of readings"): [
                        round(g.percents[k], 1) for k, _, _ in clinical.TIR_RANGES
                    ],
                    t("Target"): [t(target) for _, _, target in clinical.TIR_RANGES],
                }
            ),
            hide_index=True,
        )
        st.subheader(t("Ambulatory glucose profile (last 14 days)"))
        st.plotly_chart(metric_charts.agp(g, unit), key="metrics_agp_chart")
    st.subheader(t("Glucose over the period"))
    s = view.series
    if s["cgm"].empty and s["fingerstick"].empty:
        st.info(t("No glucose readings in this period."))
    else:
        st.plotly_chart(
            metric_charts.glucose(s["cgm"], s["fingerstick"], unit), key="metrics_glucose_chart"
        )
        days = view.glucose_days.assign(
            mean=lambda f: [round(clinical.glucose_in(v, unit), 1) for v in f["mean"]],
            low=lambda f: [round(clinical.glucose_in(v, unit), 1) for v in f["low"]],
            high=lambda f: [round(clinical.glucose_in(v, unit), 1) for v in f["high"]],
            in_range_percent=lambda f: f["in_range_percent"].astype(float).round(0),
        )
        _table(
            days,
            {
                "day": t("Day"),
                "readings": t("Readings"),
                "mean": t("Average ({unit})", unit=unit),
                "low": t("Lowest"),
                "high": t("Highest"),
                "in_range_percent": t("% in range"),
            },
            t("No readings."),
        )
    _export(actor, view, GLUCOSE)


def _saved(message: str, raised: list[readings.Alert]) -> None:
    """Keep the outcome for the next run, then rerun so every chart shows the change."""
    st.session_state[FLASH] = [("success", message)] + [
        (
            "error",
            t(
                "{alert} ({value}). {guidance}",
                alert=t(clinical.RULE_LABELS[a.rule]),
                value=a.value_text,
                guidance=a.guidance,
            ),
        )
        for a in raised
    ]
    st.rerun()


def _show_flash() -> None:
    for kind, message in st.session_state.pop(FLASH, []):
        (st.success if kind == "success" else st.error)(message)


def _when_inputs(prefix: str, default: datetime) -> datetime:
    left, right = st.columns(2)
    day = left.date_input(
        t("Date"),
        value=default.date(),
        max_value=default.date() + timedelta(days=1),
        key=f"{prefix}_date",
    )
    moment = right.time_input(
        t("Time"),
        value=default.time().replace(second=0, microsecond=0),
        key=f"{prefix}_time",
        step=60,
    )
    return clock.from_local(datetime.combine(day, moment))  # typed on the clinic's clock


def _entry_form(
    kind: str, units: metrics.Units, prefix: str, initial: dict[str, Any] | None = None
) -> Entry | None:
    """A form for one reading; the Entry when submitted."""
    initial = initial or {}
    with st.form(prefix, clear_on_submit=initial == {}):
        stored = initial.get("measured_at") or clock.now()
        wall = clock.local(stored).replace(tzinfo=None)
        measured_at = _when_inputs(prefix, wall)
        values: dict[str, object] = {}
        if kind == BP:
            cols = st.columns(3)
            values["systolic"] = cols[0].number_input(
                t("Systolic (top, mmHg)"),
                value=initial.get("systolic"),
                step=1,
                key=f"{prefix}_systolic",
            )
            values["diastolic"] = cols[1].number_input(
                t("Diastolic (bottom, mmHg)"),
                value=initial.get("diastolic"),
                step=1,
                key=f"{prefix}_diastolic",
            )
            values["pulse"] = cols[2].number_input(
                t("Pulse (optional, /min)"),
                value=initial.get("pulse"),
                step=1,
                key=f"{prefix}_pulse",
            )
        elif kind == WEIGHT:
            values["weight"] = st.number_input(
                t("Weight ({weight})", weight=units.weight),
                value=initial.get("weight"),
                step=0.1,
                format="%.1f",
                key=f"{prefix}_weight",
            )
            values["unit"] = units.weight
        else:
            values["glucose"] = st.number_input(
                t("Glucose ({glucose})", glucose=units.glucose),
                value=initial.get("glucose"),
                step=1.0 if units.glucose == clinical.MG_DL else 0.1,
                key=f"{prefix}_glucose",
            )
            values["unit"] = units.glucose
        if st.form_submit_button(
            t("Save") if initial else t("Add {kind}", kind=t(KIND_LABELS[kind]).lower()),
            type="primary",
        ):
            return Entry(kind=kind, measured_at=measured_at, **values)  # type: ignore[arg-type]
    return None


def _enter_tab(actor: Actor, view: metrics.MetricsView, units: metrics.Units) -> None:
    st.write(
        t("Readings you type in can be corrected or deleted later; readings from devices cannot.")
    )
    kind = choose(
        t("What did you measure?"), KIND_LABELS, "metrics_entry_kind", radio=True, horizontal=True
    )
    entry = _entry_form(kind, units, f"metrics_add_{kind}")
    if entry is not None:
        with state.service_errors():
            raised = readings.reading_add(actor=actor, patient_id=view.patient_id, entry=entry)
            _saved(t("{kind} reading saved.", kind=t(KIND_LABELS[kind])), raised)
    st.subheader(t("Your typed-in readings in this period"))
    _manual_list(actor, view, units, kind)


def _manual_list(actor: Actor, view: metrics.MetricsView, units: metrics.Units, kind: str) -> None:
    frame = view.manual.get(kind, pd.DataFrame())
    if frame.empty:
        st.write(
            t("No typed-in {kind} readings in this period.", kind=t(KIND_LABELS[kind]).lower())
        )
        return
    labels = {row.measured_at: _manual_label(kind, row, units) for row in frame.itertuples()}
    chosen = st.selectbox(
        t("Choose a reading to correct or delete"),
        list(labels),
        format_func=labels.__getitem__,
        key=f"metrics_manual_{kind}",
    )
    row = frame[frame["measured_at"] == chosen].iloc[0]
    initial: dict[str, Any] = {"measured_at": chosen}
    if kind == BP:
        initial |= {
            "systolic": int(row["systolic"]),
            "diastolic": int(row["diastolic"]),
            "pulse": None if pd.isna(row["pulse"]) else int(row["pulse"]),
        }
    elif kind == WEIGHT:
        initial["weight"] = round(clinical.weight_in(row["weight_kg"], units.weight), 1)
    else:
        initial["glucose"] = round(clinical.glucose_in(row["mg_dl"], units.glucose), 1)
    form_key = f"metrics_edit_{kind}_{chosen:%Y%m%d%H%M%S}"  # i18n: not shown
    corrected = _entry_form(kind, units, form_key, initial)
    if corrected is not None:
        with state.service_errors():
            raised = readings.reading_replace(
                actor=actor, patient_id=view.patient_id, original_at=chosen, entry=corrected
            )
            _saved(t("Reading corrected."), raised)
    if st.button(t("Delete this reading"), key=f"metrics_delete_{kind}", icon=":material/delete:"):
        with state.service_errors():
            readings.reading_delete(
                actor=actor, patient_id=view.patient_id, kind=kind, measured_at=chosen
            )
            _saved(t("Reading deleted."), [])


def _manual_label(kind: str, row: Any, units: metrics.Units) -> str:
    """A typed-in reading's line (`row`: one of the period's rows, from `itertuples`)."""
    at = when(row.measured_at)
    if kind == BP:
        return t(
            "{at}: {systolic}/{diastolic} mmHg",
            at=at,
            systolic=row.systolic,
            diastolic=row.diastolic,
        )
    if kind == WEIGHT:
        return f"{at}: {clinical.weight_in(row.weight_kg, units.weight):.1f} {units.weight}"
    return f"{at}: {clinical.glucose_in(row.mg_dl, units.glucose):.1f} {units.glucose}"


def _import_tab(actor: Actor, view: metrics.MetricsView) -> None:
    st.write(
        t(
            "Import readings from a home device: our CSV template (blood pressure, "
            "weight and glucose) or a Dexcom Clarity CGM export. You see what would "
            "be imported before anything is saved."
        )
    )
    download(
        t("Download the CSV template"),
        device_import.TEMPLATE,
        file_name="lakeside-metrics-template.csv",
        key="metrics_template",
        icon=":material/description:",
    )
    upload = st.file_uploader(
        t("Device file (CSV)"), type=["csv"], key=f"metrics_file_{st.session_state.get(UPLOADS, 0)}"
    )
    if upload is None:
        return
    data = upload.getvalue()
    with state.service_errors():
        plan = device_import.import_preview(actor=actor, patient_id=view.patient_id, data=data)
        _plan_summary(plan)
        if plan.total_new and st.button(
            tn("Import {count} reading", "Import {count} readings", plan.total_new),
            type="primary",
            key="metrics_import_confirm",
        ):
            done = device_import.import_confirm(actor=actor, patient_id=view.patient_id, data=data)
            st.session_state[UPLOADS] = st.session_state.get(UPLOADS, 0) + 1
            _saved(
                tn("Imported {count} reading.", "Imported {count} readings.", done.total_new),
                done.alerts,
            )


def _plan_summary(plan: device_import.ImportPlan) -> None:
    st.markdown(f"**{plan.file_format}**")
    if plan.note:
        st.warning(plain(plan.note))  # it quotes the name written in the file
    rows = {t(KIND_LABELS[k]): n for k, n in plan.new_rows.items() if n or k in (GLUCOSE,)}
    st.dataframe(
        pd.DataFrame(
            {
                t("What"): [t("New {kind} readings", kind=k.lower()) for k in rows]
                + [
                    t("Already saved (same time), skipped"),
                    t("Rows with a problem, skipped"),
                    t("Rows that are not readings (alerts, device details)"),
                ],
                t("Rows"): [*rows.values(), plan.duplicates, plan.problem_count, plan.not_readings],
            }
        ),
        hide_index=True,
    )
    if plan.first_at:
        st.caption(
            t(
                "New readings from {first_at} to {last_at}.",
                first_at=when(plan.first_at),
                last_at=when(plan.last_at),
            )
        )
    if plan.problems:
        st.markdown(t("**Rows with a problem**"))
        st.dataframe(
            pd.DataFrame(
                {
                    t("Line"): [p.line for p in plan.problems],
                    t("Problem"): [p.message for p in plan.problems],
                }
            ),
            hide_index=True,
        )
        if plan.problem_count > len(plan.problems):
            st.caption(
                t(
                    "The first {shown} of {count} are shown.",
                    shown=language.number(len(plan.problems)),
                    count=language.number(plan.problem_count),
                )
            )


def _in_clinic_time(view: metrics.MetricsView) -> metrics.MetricsView:
    """The charts' and tables' times on the clinic's wall clock (stored times are UTC). The
    typed-in readings keep their stored times: they are the keys for corrections."""

    def shown(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.assign(measured_at=local_times(frame["measured_at"])) if len(frame) else frame

    return replace(
        view,
        series={name: shown(frame) for name, frame in view.series.items()},
        bp=replace(view.bp, crises=shown(view.bp.crises)),
    )


def render(actor: Actor, patient_id: uuid.UUID) -> None:
    """The whole page for one patient: period, units, one tab per metric (and entry tabs)."""
    _show_flash()
    window = _window(actor, patient_id)
    if window is None:
        return
    with state.service_errors():
        view = _in_clinic_time(
            metrics.metrics_view(actor=actor, patient_id=patient_id, start=window[0], end=window[1])
        )
        units = _units(actor, view)
        names = [t(KIND_LABELS[BP]), t(KIND_LABELS[WEIGHT]), t(KIND_LABELS[GLUCOSE])]
        if not view.read_only:
            names += [t("Add or correct readings"), t("Import from a device")]
        tabs = st.tabs(names)
        with tabs[0]:
            _bp_tab(actor, view)
        with tabs[1]:
            _weight_tab(actor, view, units)
        with tabs[2]:
            _glucose_tab(actor, view, units)
        if not view.read_only:
            with tabs[3]:
                _enter_tab(actor, view, units)
            with tabs[4]:
                _import_tab(actor, view)
