"""Health information management: proxy reviews and records requests by legal deadline."""

from __future__ import annotations

import streamlit as st

from pages.components import state
from pages.components.format import last_day, when
from pages.components.widgets import counts, figures, table
from services.core.access import HIM
from services.him import policy
from services.homes.him import him_home

actor = state.guard(HIM)
st.title("Health information management")

with state.service_errors():
    view = him_home(actor=actor)
    figures(
        {
            "Proxy requests to review": view.proxy_requests_pending,
            "Open records requests": sum(view.open_requests_by_kind.values()),
            "Overdue": view.overdue,
            "Due within 7 days": view.due_within_7_days,
        }
    )
    if view.oldest_proxy_request:
        st.caption(f"Oldest proxy request received {when(view.oldest_proxy_request)}.")
    counts(
        "Open requests by kind",
        {policy.KINDS.get(k, k): n for k, n in view.open_requests_by_kind.items()},
        "Kind",
        "Open",
    )
    st.subheader("Next deadlines")
    due = view.next_due
    table(
        {
            "Due by": [last_day(r.due_at) for r in due],
            "Kind": [policy.KINDS.get(r.kind, r.kind) for r in due],
            "Patient": [r.patient_name for r in due],
            "MRN": [r.mrn for r in due],
            "Received": [when(r.received_at) for r in due],
            "Status": [policy.STATUSES.get(r.status, r.status) for r in due],
        },
        empty="No open requests.",
    )
    st.page_link("pages/him/records_requests.py", label="Work the records-request queue")
