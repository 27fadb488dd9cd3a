"""Health information management: proxy reviews and records requests by legal deadline."""

from __future__ import annotations

import streamlit as st

from pages.components import state
from pages.components.format import last_day, when
from pages.components.widgets import counts, figures, table
from services.core.access import HIM
from services.core.language import t
from services.him import request_terms
from services.homes.him import him_home

actor = state.guard(HIM)
st.title(t("Health information management"))

with state.service_errors():
    view = him_home(actor=actor)
    figures(
        {
            t("Proxy requests to review"): view.proxy_requests_pending,
            t("Open records requests"): sum(view.open_requests_by_kind.values()),
            t("Overdue"): view.overdue,
            t("Due within 7 days"): view.due_within_7_days,
        }
    )
    if view.oldest_proxy_request:
        st.caption(
            t(
                "Oldest proxy request received {oldest_proxy_request}.",
                oldest_proxy_request=when(view.oldest_proxy_request),
            )
        )
    counts(
        t("Open requests by kind"),
        {t(request_terms.KINDS.get(k, k)): n for k, n in view.open_requests_by_kind.items()},
        t("Kind"),
        t("Open"),
    )
    st.subheader(t("Next deadlines"))
    due = view.next_due
    table(
        {
            t("Due by"): [last_day(r.due_at) for r in due],
            t("Kind"): [t(request_terms.KINDS.get(r.kind, r.kind)) for r in due],
            t("Patient"): [r.patient_name for r in due],
            "MRN": [r.mrn for r in due],
            t("Received"): [when(r.received_at) for r in due],
            t("Status"): [t(request_terms.STATUSES.get(r.status, r.status)) for r in due],
        },
        empty=t("No open requests."),
    )
    st.page_link("pages/him/records_requests.py", label=t("Work the records-request queue"))
