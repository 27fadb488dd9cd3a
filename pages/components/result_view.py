"""A result's components and trend, shared by the patient's results page and the clinician's
release page. Out-of-range values say so in words, never by colour alone."""

from __future__ import annotations

import uuid

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from pages.components import metric_charts
from pages.components.format import chart_text, local_times, plain, when
from services.core import language
from services.core.access import Actor
from services.core.language import t, tn
from services.records import explanations, results


def components_table(detail: results.ResultDetail) -> None:
    rows = []
    for c in detail.components:
        value = c.value_text if c.value is None else f"{c.value:g}"
        low, high = c.ref_low, c.ref_high
        reference = (
            f"{low:g}–{high:g}"
            if low is not None and high is not None
            else f"≥ {low:g}"
            if low is not None
            else f"≤ {high:g}"
            if high is not None
            else "—"
        )
        rows.append(
            {
                t("Test"): c.name,
                t("Result"): value,
                t("Unit"): c.unit or "",
                t("Reference range"): reference,
                t("Outside the range"): _flag(c.flag, t("No")),
            }
        )
    st.dataframe(pd.DataFrame(rows), hide_index=True)


def _flag(flag: str | None, otherwise: str) -> str:
    """A result flag in words (Low, Critically high), or `otherwise` for none."""
    return t(results.FLAG_WORDS[flag]) if flag in results.FLAG_WORDS else otherwise


def trend_chart(frame: pd.DataFrame, name: str) -> go.Figure:
    """One test's values over time with its reference range shaded and labelled; values from
    other providers are drawn apart (diamonds, named by their source). Values in another unit
    than this clinic's latest are left out of the picture (the caption says how many)."""
    ours = frame[frame["source"] == ""]
    units = (ours if len(ours) else frame)["unit"].dropna()
    unit = str(units.iloc[-1]) if len(units) else ""
    same = frame["unit"].fillna("").str.casefold() == unit.casefold()
    if not same.all():
        st.caption(
            tn(
                "{count} value in another unit is not drawn.",
                "{count} values in other units are not drawn.",
                int((~same).sum()),
            )
        )
    frame = frame[same]
    ours = frame[frame["source"] == ""]
    low, high = ours["ref_low"].dropna(), ours["ref_high"].dropna()
    decor = []
    if len(low) and len(high):
        decor.append(
            metric_charts.band(
                float(low.iloc[-1]),
                float(high.iloc[-1]),
                metric_charts.TARGET_COLOUR,
                t(
                    "Reference range {low}–{high}",
                    low=language.number(float(low.iloc[-1])),
                    high=language.number(float(high.iloc[-1])),
                ),
            )
        )
    traces = [
        _points(
            ours,
            chart_text(name),
            [_flag(f, t("In range")) for f in ours["flag"]],
            "circle",
            "lines",
        )
    ]
    for source, theirs in frame[frame["source"] != ""].groupby("source", sort=True):
        label = t("{source} (outside record)", source=chart_text(source))
        traces.append(_points(theirs, label, [label] * len(theirs), "diamond", ""))
    return metric_charts.figure([p for p in traces if len(p.x)], decor, unit, height=360)


def _points(frame: pd.DataFrame, name: str, words: list[str], symbol: str, line: str) -> go.Scatter:
    """One series of a trend, each value written beside its point."""
    return go.Scatter(
        x=local_times(frame["collected_at"]),
        y=frame["value"],
        mode="+".join(m for m in (line, "markers", "text") if m),
        name=name,
        text=[f"{v:g}" for v in frame["value"]],
        textposition="top center",
        hovertext=words,
        marker={"size": 9, "symbol": symbol},
    )


def result_body(actor: Actor, patient_id: uuid.UUID, detail: results.ResultDetail) -> None:
    s = detail.summary
    st.caption(
        t(
            "Collected {collected_at} · available {available_at} · ordered by {ordering_provider}",
            collected_at=when(s.collected_at),
            available_at=when(s.available_at),
            ordering_provider=plain(detail.ordering_provider),
        )
    )
    if detail.clinician_comment:
        st.info(
            t(
                "Comment from your care team: {clinician_comment}",
                clinician_comment=plain(detail.clinician_comment),
            )
        )
    components_table(detail)
    about = _about(s)
    numeric = [c for c in detail.components if c.value is not None]
    if not numeric:
        return
    names = {c.loinc: c.name for c in numeric}
    chosen = st.selectbox(
        t("Trend over time"), list(names), format_func=names.__getitem__, key=f"trend_{s.result_id}"
    )
    frame = results.result_trend(actor=actor, patient_id=patient_id, loinc=chosen)
    if len(frame) < 2:
        st.caption(t("Only one result of this test so far: no trend yet."))
        return
    st.plotly_chart(trend_chart(frame, names[chosen]), key=f"trend_chart_{s.result_id}")
    if about is not None:
        label = plain(t("What this test measures"))
        st.markdown(f"[{label}](#{about})")


def _about(s: results.ResultSummary) -> str | None:
    """The test explained in plain words (never a diagnosis); the anchor to link to it."""
    found = explanations.explanation(s.panel_code)
    if found is None:
        return None
    anchor = f"about-{s.result_id}"
    st.subheader(t("About this test: {name}", name=found.name), anchor=anchor)
    st.write(found.measures)
    st.write(t("If it is high: {meaning}", meaning=found.high))
    st.write(t("If it is low: {meaning}", meaning=found.low))
    st.caption(t(explanations.NOT_A_DIAGNOSIS))
    return anchor
