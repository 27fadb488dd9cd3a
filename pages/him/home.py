"""Health information management: proxy reviews and records requests by legal deadline."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from pages.components import state
from pages.components.format import when
from services import home
from services.access import HIM

actor = state.guard(HIM)
st.title("Health information management")

with state.service_errors():
    view = home.him_home(actor=actor)
    cols = st.columns(4)
    cols[0].metric("Proxy requests to review", view.proxy_requests_pending)
    cols[1].metric("Open records requests", sum(view.open_requests_by_kind.values()))
    cols[2].metric("Overdue", view.overdue)
    cols[3].metric("Due within 7 days", view.due_within_7_days)
    if view.oldest_proxy_request:
        st.caption(f"Oldest proxy request received {when(view.oldest_proxy_request)}.")
    if view.open_requests_by_kind:
        st.subheader("Open requests by kind")
        st.dataframe(
            pd.DataFrame(
                {
                    "Kind": list(view.open_requests_by_kind),
                    "Open": list(view.open_requests_by_kind.values()),
                }
            ),
            hide_index=True,
        )
    st.subheader("Next deadlines")
    if view.next_due:
        st.dataframe(
            pd.DataFrame(
                {
                    "Due": [when(r.due_at) for r in view.next_due],
                    "Kind": [r.kind for r in view.next_due],
                    "Patient": [r.patient_name for r in view.next_due],
                    "MRN": [r.mrn for r in view.next_due],
                    "Received": [when(r.received_at) for r in view.next_due],
                    "Status": [r.status.replace("_", " ") for r in view.next_due],
                }
            ),
            hide_index=True,
            width="stretch",
        )
    else:
        st.write("No open requests.")
