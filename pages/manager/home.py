"""Portal usage for managers: de-identified headline figures, small counts suppressed."""

from __future__ import annotations

import plotly.express as px
import streamlit as st

from pages.components import state
from pages.components.format import count
from pages.components.widgets import counts, figures, table
from services.analytics import usage as analytics
from services.core.access import MANAGER

actor = state.guard(MANAGER)
st.title("Portal usage")
st.caption("Last 30 days. Counts of 1 to 10 people are shown as a range (CMS cell-size rule).")

with state.service_errors():
    view = analytics.manager_home(actor=actor)
    rate = "—" if view.activation_rate is None else f"{view.activation_rate:.0%}"
    figures(
        {
            "Patients": f"{view.patients:,}",
            "Activated accounts": count(view.activated_accounts),
            "Activation rate": rate,
            "Active users": count(view.active_users_30d),
        }
    )
    st.subheader("Use by feature")
    features = view.by_feature
    if features:
        chart = px.bar(
            x=[f.feature for f in features],
            y=[f.events for f in features],
            text=[f.events for f in features],  # values printed on the bars, not colour alone
            labels={"x": "Feature", "y": "Events"},
        )
        chart.update_layout(height=320, margin={"t": 10, "b": 10})
        st.plotly_chart(chart, width="stretch")
    table(
        {
            "Feature": [f.feature for f in features],
            "Events": [f.events for f in features],
            "Users": [count(f.users) for f in features],
        },
        empty="No portal use in the last 30 days.",
    )
    counts("Events by weekday", view.by_weekday, "Weekday", "Events")
