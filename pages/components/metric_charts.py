"""Plotly figures for the health-metrics page, readable without colour: every band and range is
labelled in text, traces differ by marker shape and dash, and the time-in-range bar carries its
percentages and fill patterns. Values arrive in mmHg, kg and mg/dL and are drawn in the user's
units.

Each figure is built in one construction from plain shape and annotation dicts: Plotly's
`add_hrect`/`add_hline` and named templates re-validate the whole layout on every call, which
cost several times the database work of the page.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.graph_objects as go

from services.core import language
from services.core.language import N_, t
from services.health import clinical
from services.health.metrics import GlucoseSummary

BAND_COLOURS = ("#e8f4ea", "#fdf6d8", "#fde7cf", "#f9d3c8", "#f1b5b5")
TARGET_COLOUR = "#e8f4ea"
TIR_COLOURS = ("#8b1a1a", "#e0555a", "#3a8f47", "#f2b134", "#d97a00")
TIR_PATTERNS = ("x", "/", "", "\\", "+")
SYSTOLIC_BANDS = (
    (0, clinical.SYSTOLIC_ELEVATED, N_("Normal")),
    (clinical.SYSTOLIC_ELEVATED, clinical.SYSTOLIC_STAGE1, N_("Elevated")),
    (clinical.SYSTOLIC_STAGE1, clinical.SYSTOLIC_STAGE2, N_("Stage 1")),
    (clinical.SYSTOLIC_STAGE2, clinical.SYSTOLIC_CRISIS, N_("Stage 2")),
    (clinical.SYSTOLIC_CRISIS, 320, N_("Crisis")),
)
Decor = tuple[list[dict[str, Any]], list[dict[str, Any]]]  # shapes, annotations


def band(y0: float, y1: float, colour: str, label: str, side: str = "right") -> Decor:
    """A shaded horizontal band across the plot with its label in text at one side."""
    shape = {
        "type": "rect",
        "xref": "x domain",
        "x0": 0,
        "x1": 1,
        "yref": "y",
        "y0": y0,
        "y1": y1,
        "fillcolor": colour,
        "opacity": 0.8,
        "line": {"width": 0},
        "layer": "below",
    }
    return [shape], [side_label(y1, label, side)]


def side_label(y: float, text: str, side: str) -> dict[str, Any]:
    """A text label at one side of the plot, just below height y."""
    return {
        "xref": "x domain",
        "x": 1 if side == "right" else 0,
        "yref": "y",
        "y": y,
        "yanchor": "top",
        "xanchor": side,
        "text": text,
        "showarrow": False,
        "font": {"size": 11, "color": "#444"},
    }


def rule(y: float, label: str, side: str = "left") -> Decor:
    """A dotted horizontal line with its label in text."""
    shape = {
        "type": "line",
        "xref": "x domain",
        "x0": 0,
        "x1": 1,
        "yref": "y",
        "y0": y,
        "y1": y,
        "line": {"dash": "dot", "color": "#555", "width": 1},
    }
    return [shape], [side_label(y, label, side)]


def figure(
    traces: list[Any], decor: list[Decor], y_title: str, height: int = 420, **layout: Any
) -> go.Figure:
    shapes = [s for d in decor for s in d[0]]
    notes = [n for d in decor for n in d[1]]
    return go.Figure(
        data=traces,
        layout={
            "height": height,
            "margin": {"l": 10, "r": 10, "t": 30, "b": 10},
            "yaxis": {"title": {"text": y_title}},
            "legend": {"orientation": "h", "y": -0.15},
            "hovermode": "x unified",
            "shapes": shapes,
            "annotations": notes,
            **layout,
        },
    )


def _line(frame: pd.DataFrame, name: str, scale: float = 1.0, **style: Any) -> go.Scatter:
    return go.Scatter(
        x=frame["measured_at"],
        y=pd.to_numeric(frame["value"], errors="coerce") * scale,
        name=name,
        connectgaps=False,
        **style,
    )


def blood_pressure(
    systolic: pd.DataFrame,
    diastolic: pd.DataFrame,
    pulse: pd.DataFrame,
    crises: pd.DataFrame,
) -> go.Figure:
    decor = [
        band(max(low, 30), high, colour, t("{label} (systolic)", label=t(label)))
        for (low, high, label), colour in zip(SYSTOLIC_BANDS, BAND_COLOURS, strict=True)
    ]
    decor += [
        rule(clinical.DIASTOLIC_STAGE1, t("80: diastolic stage 1")),
        rule(clinical.DIASTOLIC_STAGE2, t("90: diastolic stage 2")),
        rule(clinical.DIASTOLIC_CRISIS, t("120: diastolic crisis")),
    ]
    traces: list[Any] = [
        _line(
            systolic,
            t("Systolic (top)"),
            mode="lines+markers",
            marker={"symbol": "triangle-up"},
            line={"color": "#1f4e9c"},
        ),
        _line(
            diastolic,
            t("Diastolic (bottom)"),
            mode="lines+markers",
            marker={"symbol": "triangle-down"},
            line={"color": "#6a3d9a", "dash": "dash"},
        ),
    ]
    if pulse["value"].notna().any():
        traces.append(
            _line(
                pulse,
                t("Pulse (beats/min)"),
                mode="markers",
                visible="legendonly",
                marker={"symbol": "circle-open", "color": "#777"},
            )
        )
    if len(crises):
        traces.append(
            go.Scatter(
                x=crises["measured_at"],
                y=crises["systolic"],
                name=t("Crisis-range reading"),
                mode="markers+text",
                text=["crisis"] * len(crises),
                textposition="top center",
                marker={"symbol": "x", "size": 14, "color": "#b00020"},
            )
        )
    values = pd.concat([pd.to_numeric(f["value"], errors="coerce") for f in (systolic, diastolic)])
    shown = values.notna().any()
    bottom = min(60.0, float(values.min()) - 10) if shown else 40.0
    top = max(200.0, float(values.max()) + 15) if shown else 200.0
    return figure(
        traces,
        decor,
        "mmHg",
        yaxis={"title": {"text": "mmHg"}, "range": [max(bottom, 30.0), top]},
    )


def weight(points: pd.DataFrame, average: pd.DataFrame, unit: str) -> go.Figure:
    scale = 1 / clinical.KG_PER_LB if unit == clinical.LB else 1.0
    traces = [
        _line(points, t("Daily weight"), scale, mode="markers", marker={"symbol": "circle"}),
        go.Scatter(
            x=pd.to_datetime(average["day"]),
            y=average["weight_kg"] * scale,
            name=t("7-day average"),
            mode="lines",
            line={"width": 3, "color": "#1f4e9c"},
        ),
    ]
    return figure(traces, [], unit)


def _g(mg_dl: float, unit: str) -> str:
    if unit == clinical.MMOL_L:
        return language.number(clinical.to_mmol_l(mg_dl), 1)
    return language.number(mg_dl)


def _scale(unit: str) -> float:
    return 1 / clinical.MG_DL_PER_MMOL_L if unit == clinical.MMOL_L else 1.0


def _target(unit: str, side: str = "right") -> Decor:
    scale = _scale(unit)
    label = t("Target {low}–{high}", low=_g(clinical.LOW, unit), high=_g(clinical.HIGH, unit))
    return band(clinical.LOW * scale, clinical.HIGH * scale, TARGET_COLOUR, label, side)


def glucose(cgm: pd.DataFrame, fingerstick: pd.DataFrame, unit: str) -> go.Figure:
    scale = _scale(unit)
    decor = [
        _target(unit),
        rule(
            clinical.VERY_LOW * scale,
            t("{value}: very low", value=_g(clinical.VERY_LOW, unit)),
            "right",
        ),
        rule(
            clinical.VERY_HIGH * scale,
            t("{value}: very high", value=_g(clinical.VERY_HIGH, unit)),
            "right",
        ),
    ]
    traces: list[Any] = []
    if len(cgm):
        traces.append(_line(cgm, "CGM", scale, mode="lines", line={"color": "#1f4e9c"}))
    if len(fingerstick):
        traces.append(
            _line(
                fingerstick,
                t("Fingerstick"),
                scale,
                mode="markers",
                marker={"symbol": "diamond", "size": 8, "color": "#6a3d9a"},
            )
        )
    return figure(traces, decor, unit)


def agp(summary: GlucoseSummary, unit: str) -> go.Figure:
    """The Ambulatory Glucose Profile: every day folded onto one 24-hour clock."""
    scale = _scale(unit)
    frame = summary.agp
    hours = frame["minute"] / 60

    def band(low: str, high: str, name: str, colour: str) -> list[go.Scatter]:
        return [
            go.Scatter(
                x=hours,
                y=frame[low] * scale,
                mode="lines",
                line={"width": 0},
                showlegend=False,
                hoverinfo="skip",
            ),
            go.Scatter(
                x=hours,
                y=frame[high] * scale,
                mode="lines",
                line={"width": 0},
                fill="tonexty",
                fillcolor=colour,
                name=name,
            ),
        ]

    traces = [
        *band("p5", "p95", t("5–95% of readings"), "rgba(31,78,156,0.15)"),
        *band("p25", "p75", t("25–75% of readings"), "rgba(31,78,156,0.35)"),
        go.Scatter(
            x=hours,
            y=frame["p50"] * scale,
            mode="lines",
            name=t("Median"),
            line={"width": 3, "color": "#1f4e9c"},
        ),
    ]
    ticks = list(range(0, 25, 3))
    return figure(
        traces,
        [_target(unit, side="left")],
        unit,
        xaxis={
            "title": {"text": t("Time of day")},
            "tickvals": ticks,
            "ticktext": [f"{h:02d}:00" for h in ticks],
            "range": [0, 24],
        },
    )


def time_in_range(percents: dict[str, float]) -> go.Figure:
    traces = []
    for (key, label, target), colour, pattern in zip(
        clinical.TIR_RANGES, TIR_COLOURS, TIR_PATTERNS, strict=True
    ):
        value = percents.get(key, 0.0)
        traces.append(
            go.Bar(
                x=[value],
                y=[t("Last 14 days")],
                orientation="h",
                name=t(
                    "{range}: {percent} (target {target})",
                    range=t(label),
                    percent=language.percent(value / 100, 1),
                    target=t(target),
                ),
                text=[f"{value:.0f}%" if value >= 3 else ""],
                textposition="inside",
                marker={"color": colour, "pattern": {"shape": pattern}},
            )
        )
    return figure(
        traces,
        [],
        "",
        height=260,
        barmode="stack",
        hovermode="closest",
        xaxis={"range": [0, 100], "ticksuffix": "%"},
        legend={"orientation": "h", "y": -0.35, "traceorder": "normal"},
    )
