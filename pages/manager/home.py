"""Portal usage for managers: de-identified headline figures, small counts suppressed."""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import streamlit as st

from pages.components import state
from pages.components.format import count
from services import analytics
from services.access import MANAGER

actor = state.guard(MANAGER)
st.title("Portal usage")
st.caption("Last 30 days. Counts of 1 to 10 people are shown as a range (CMS cell-size rule).")

with state.service_errors():
    view = analytics.manager_home(actor=actor)
    cols = st.columns(4)
    cols[0].metric("Patients", f"{view.patients:,}")
    cols[1].metric("Activated accounts", count(view.activated_accounts))
    cols[2].metric(
        "Activation rate", "—" if view.activation_rate is None else f"{view.activation_rate:.0%}"
    )
    cols[3].metric("Active users", count(view.active_users_30d))
    st.subheader("Use by feature")
    features = pd.DataFrame(
        {
            "Feature": [f.feature for f in view.by_feature],
            "Events": [f.events for f in view.by_feature],
            "Users": [count(f.users) for f in view.by_feature],
        }
    )
    if len(features):
        chart = px.bar(features, x="Feature", y="Events", text="Events")
        chart.update_layout(height=320, margin={"t": 10, "b": 10})
        st.plotly_chart(chart, width="stretch")
        st.dataframe(features, hide_index=True)
    st.subheader("Events by weekday")
    st.dataframe(
        pd.DataFrame({"Weekday": list(view.by_weekday), "Events": list(view.by_weekday.values())}),
        hide_index=True,
    )
