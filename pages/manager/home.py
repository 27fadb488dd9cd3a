"""Portal usage for managers: adoption and engagement over a period, compared with the one
before, by site and age band; every chart beside its table and with its CSV. Counts of 1 to 10
people, and the counts that would give them away, read "suppressed"."""

from __future__ import annotations

from datetime import date

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import streamlit as st

from pages.components import state
from pages.components.widgets import download, narrow
from services.analytics import dashboard, periods
from services.analytics.cube import Filters
from services.analytics.figures import Figure
from services.core import language
from services.core.access import MANAGER
from services.core.language import t
from services.core.spreadsheet import csv_bytes

CUSTOM = t("Custom…")
SECTIONS = {
    t("Adoption"): ("activation", "funnel", "access"),
    t("Engagement"): ("daily", "weekly", "monthly", "features", "hours"),
    t("Service levels"): ("results", "messages", "refills", "deadlines", "visits", "payments"),
}

actor = state.guard(MANAGER)
st.title(t("Portal usage"))
st.caption(
    t(
        "No person is named or counted alone here: a count of 1 to 10 people, "
        "and any count that would let one be worked out by subtraction, reads "
        "“suppressed” (CMS cell-size rule), in the charts, the tables and the "
        "downloads alike."
    )
)


def _period() -> periods.Period | None:
    yesterday = dashboard.yesterday()
    choice = st.selectbox(
        t("Period"), [*periods.CHOICES, CUSTOM], index=1, format_func=t, key="usage_period"
    )
    if choice != CUSTOM:
        return periods.ending(periods.CHOICES[choice], yesterday)
    chosen = st.date_input(
        t("From and to"),
        value=(yesterday.replace(day=1), yesterday),
        max_value=yesterday,
        key="usage_custom",
    )
    picked = list(chosen) if isinstance(chosen, tuple | list) else [chosen]
    first, last = (picked + [None, None])[:2]  # the second day is missing until it is picked
    return periods.custom(_day(first), _day(last), yesterday)


def _day(value: object) -> date | None:
    return value if isinstance(value, date) else None


def _number(value: int | float | None) -> str:
    if value is None:
        return t(dashboard.HIDDEN)
    return language.number(value) if isinstance(value, int) else language.number(value, 1)


def _chart(figure: Figure) -> go.Figure | None:
    """The picture of a figure's table (the columns it names, else its counts, else its shares);
    hidden values are gaps. None when every value is hidden."""
    frame = figure.table.copy()
    label = frame.columns[0]
    counts = [c for c in frame.columns[1:] if not str(c).endswith("%")]
    numbers = list(figure.plot) or counts or list(frame.columns[1:])
    frame[numbers] = frame[numbers].apply(pd.to_numeric, errors="coerce")
    if frame[numbers].isna().all().all():
        return None
    frame[label] = frame[label].astype(str)
    if figure.kind == "heatmap":
        chart = px.imshow(
            frame.set_index(label).T,
            aspect="auto",
            text_auto=True,
            labels={"x": label, "y": t("Weekday"), "color": t("People")},
            color_continuous_scale="Blues",
        )
    elif figure.kind == "funnel":
        chart = px.funnel(frame, x=numbers[0], y=label, text=numbers[0])
    elif figure.kind == "bar":
        chart = px.bar(frame, x=label, y=list(numbers), barmode="group", text_auto=True)
    else:
        chart = px.line(frame, x=label, y=list(numbers), markers=True)
    chart.update_layout(height=340, margin={"t": 10, "b": 10}, legend_title_text="")
    return chart


def _figure(key: str, figure: Figure, board: dashboard.Dashboard) -> None:
    st.subheader(figure.title)
    st.caption(figure.about)
    picture, numbers = st.columns([3, 2])
    chart = _chart(figure)
    if chart is None:
        picture.info(t("Every value here is suppressed for this period and filter."))
    else:
        picture.plotly_chart(chart, width="stretch", key=f"chart_{key}")
    shown = figure.table.copy()
    for column in shown.columns[1:]:
        shown[column] = [dashboard.as_text(v) for v in shown[column]]
    shown[shown.columns[0]] = shown[shown.columns[0]].astype(str)
    numbers.dataframe(shown, hide_index=True, width="stretch", height=340)
    download(
        t("Download “{title}” (CSV)", title=figure.title),
        csv_bytes(list(shown.columns), shown.itertuples(index=False, name=None)),
        file_name=f"{key}-{board.period.first}-{board.period.last}.csv",
        key=f"csv_{key}",
        place=numbers,
    )


with state.service_errors():
    period_col, site_col, band_col = st.columns(3)
    with period_col:
        period = _period()
    choices = dashboard.filter_choices(actor=actor)
    site = narrow(site_col, t("Site"), choices.sites, t("All sites"), "usage_site")
    band = narrow(band_col, t("Age band"), choices.bands, t("All ages"), "usage_band")
    if period is not None:
        board = dashboard.dashboard(actor=actor, period=period, filters=Filters(site, band))
        st.subheader(
            t(
                "{label}, compared with {previous}",
                label=board.period.label(),
                previous=board.previous.label(),
            )
        )
        rows = list(board.headline.itertuples(index=False, name=None))
        places = [c for _ in range(0, len(rows), 3) for c in st.columns(3)]
        for column, row in zip(places, rows, strict=False):
            measure, now, then = row
            change = None if now is None or then is None else round(now - then, 1)
            column.metric(
                measure,
                _number(now),
                delta=None
                if change is None
                else t(
                    "{change} on the period before",
                    change=("+" if change > 0 else "") + language.number(change),
                ),
                help=t("The period before: {then}", then=_number(then)),
            )
        for section, keys in SECTIONS.items():
            st.header(section)
            for key in keys:
                if key in board.figures:
                    _figure(key, board.figures[key], board)
