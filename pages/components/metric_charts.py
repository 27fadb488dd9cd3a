"""Plotly figures for the health-metrics page, readable without colour: every band and range is
labelled in text, traces differ by marker shape and dash, and the time-in-range bar carries its
percentages and fill patterns. Values arrive in mmHg, kg and mg/dL and are drawn in the user's
units."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go

from services import clinical
from services.metrics import GlucoseSummary

BAND_COLOURS = ("#e8f4ea", "#fdf6d8", "#fde7cf", "#f9d3c8", "#f1b5b5")
TIR_COLOURS = ("#8b1a1a", "#e0555a", "#3a8f47", "#f2b134", "#d97a00")
TIR_PATTERNS = ("x", "/", "", "\\", "+")
SYSTOLIC_BANDS = (
    (0, clinical.SYSTOLIC_ELEVATED, "Normal"),
    (clinical.SYSTOLIC_ELEVATED, clinical.SYSTOLIC_STAGE1, "Elevated"),
    (clinical.SYSTOLIC_STAGE1, clinical.SYSTOLIC_STAGE2, "Stage 1"),
    (clinical.SYSTOLIC_STAGE2, clinical.SYSTOLIC_CRISIS, "Stage 2"),
    (clinical.SYSTOLIC_CRISIS, 320, "Crisis"),
)


def _layout(figure: go.Figure, y_title: str, height: int = 420) -> go.Figure:
    figure.update_layout(
        height=height,
        margin={"l": 10, "r": 110, "t": 30, "b": 10},
        yaxis_title=y_title,
        legend={"orientation": "h", "y": -0.15},
        hovermode="x unified",
        template="plotly_white",
    )
    return figure


def _line(frame: pd.DataFrame, name: str, scale: float = 1.0, **style: object) -> go.Scatter:
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
    figure = go.Figure()
    for (low, high, label), colour in zip(SYSTOLIC_BANDS, BAND_COLOURS, strict=True):
        figure.add_hrect(
            y0=max(low, 40),
            y1=high,
            fillcolor=colour,
            opacity=0.7,
            line_width=0,
            layer="below",
            annotation_text=f"{label} (systolic)",
            annotation_position="right",
        )
    for level, label in (
        (clinical.DIASTOLIC_STAGE1, "80: diastolic stage 1"),
        (clinical.DIASTOLIC_STAGE2, "90: diastolic stage 2"),
        (clinical.DIASTOLIC_CRISIS, "120: diastolic crisis"),
    ):
        figure.add_hline(
            y=level,
            line_dash="dot",
            line_color="#555",
            annotation_text=label,
            annotation_position="bottom left",
        )
    figure.add_trace(
        _line(
            systolic,
            "Systolic (top)",
            mode="lines+markers",
            marker_symbol="triangle-up",
            line={"color": "#1f4e9c"},
        )
    )
    figure.add_trace(
        _line(
            diastolic,
            "Diastolic (bottom)",
            mode="lines+markers",
            marker_symbol="triangle-down",
            line={"color": "#6a3d9a", "dash": "dash"},
        )
    )
    if pulse["value"].notna().any():
        figure.add_trace(
            _line(
                pulse,
                "Pulse (beats/min)",
                mode="markers",
                marker_symbol="circle-open",
                marker_color="#777",
                visible="legendonly",
            )
        )
    if len(crises):
        figure.add_trace(
            go.Scatter(
                x=crises["measured_at"],
                y=crises["systolic"],
                name="Crisis-range reading",
                mode="markers+text",
                text=["crisis"] * len(crises),
                textposition="top center",
                marker={"symbol": "x", "size": 14, "color": "#b00020"},
            )
        )
    values = pd.concat([pd.to_numeric(f["value"], errors="coerce") for f in (systolic, diastolic)])
    low = min(60.0, float(values.min()) - 10) if values.notna().any() else 40.0
    high = max(200.0, float(values.max()) + 15) if values.notna().any() else 200.0
    figure.update_yaxes(range=[max(low, 30.0), high])
    return _layout(figure, "mmHg")


def weight(points: pd.DataFrame, average: pd.DataFrame, unit: str) -> go.Figure:
    scale = 1 / clinical.KG_PER_LB if unit == clinical.LB else 1.0
    figure = go.Figure()
    figure.add_trace(_line(points, "Daily weight", scale, mode="markers", marker_symbol="circle"))
    figure.add_trace(
        go.Scatter(
            x=pd.to_datetime(average["day"]),
            y=average["weight_kg"] * scale,
            name="7-day average",
            mode="lines",
            line={"width": 3, "color": "#1f4e9c"},
        )
    )
    return _layout(figure, unit)


def _target(figure: go.Figure, scale: float, unit: str, label_at: str = "right") -> None:
    figure.add_hrect(
        y0=clinical.LOW * scale,
        y1=clinical.HIGH * scale,
        fillcolor="#e8f4ea",
        opacity=0.8,
        line_width=0,
        layer="below",
        annotation_text=f"Target {_g(clinical.LOW, unit)}–{_g(clinical.HIGH, unit)}",
        annotation_position=f"top {label_at}",
    )


def _g(mg_dl: float, unit: str) -> str:
    return f"{clinical.to_mmol_l(mg_dl):.1f}" if unit == clinical.MMOL_L else f"{mg_dl:g}"


def glucose(cgm: pd.DataFrame, fingerstick: pd.DataFrame, unit: str) -> go.Figure:
    scale = 1 / clinical.MG_DL_PER_MMOL_L if unit == clinical.MMOL_L else 1.0
    figure = go.Figure()
    _target(figure, scale, unit)
    for level, label in ((clinical.VERY_LOW, "very low"), (clinical.VERY_HIGH, "very high")):
        figure.add_hline(
            y=level * scale,
            line_dash="dot",
            line_color="#555",
            annotation_text=f"{_g(level, unit)}: {label}",
            annotation_position="bottom right",
        )
    if len(cgm):
        figure.add_trace(_line(cgm, "CGM", scale, mode="lines", line={"color": "#1f4e9c"}))
    if len(fingerstick):
        figure.add_trace(
            _line(
                fingerstick,
                "Fingerstick",
                scale,
                mode="markers",
                marker={"symbol": "diamond", "size": 8, "color": "#6a3d9a"},
            )
        )
    return _layout(figure, unit)


def agp(summary: GlucoseSummary, unit: str) -> go.Figure:
    """The Ambulatory Glucose Profile: every day folded onto one 24-hour clock."""
    scale = 1 / clinical.MG_DL_PER_MMOL_L if unit == clinical.MMOL_L else 1.0
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

    figure = go.Figure()
    _target(figure, scale, unit, label_at="left")
    for trace in band("p5", "p95", "5–95% of readings", "rgba(31,78,156,0.15)"):
        figure.add_trace(trace)
    for trace in band("p25", "p75", "25–75% of readings", "rgba(31,78,156,0.35)"):
        figure.add_trace(trace)
    figure.add_trace(
        go.Scatter(
            x=hours,
            y=frame["p50"] * scale,
            mode="lines",
            name="Median",
            line={"width": 3, "color": "#1f4e9c"},
        )
    )
    figure.update_xaxes(
        title="Time of day",
        tickvals=list(range(0, 25, 3)),
        ticktext=[f"{h:02d}:00" for h in range(0, 25, 3)],
        range=[0, 24],
    )
    return _layout(figure, unit)


def time_in_range(percents: dict[str, float]) -> go.Figure:
    figure = go.Figure()
    for (key, label, target), colour, pattern in zip(
        clinical.TIR_RANGES, TIR_COLOURS, TIR_PATTERNS, strict=True
    ):
        value = percents.get(key, 0.0)
        figure.add_trace(
            go.Bar(
                x=[value],
                y=["Last 14 days"],
                orientation="h",
                name=f"{label}: {value:.1f}% (target {target})",
                text=[f"{value:.0f}%" if value >= 3 else ""],
                textposition="inside",
                marker={"color": colour, "pattern": {"shape": pattern}},
            )
        )
    figure.update_layout(
        barmode="stack",
        height=260,
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        xaxis={"range": [0, 100], "ticksuffix": "%"},
        legend={"orientation": "h", "y": -0.35, "traceorder": "normal"},
        template="plotly_white",
    )
    return figure


def figure_bytes(figures: Sequence[go.Figure]) -> list[int]:
    """The JSON size of each figure as sent to the browser (for the benchmark)."""
    return [len(f.to_json().encode()) for f in figures]
