"""Billing: receivables, past-due statements, recent payments, payment plans."""

from __future__ import annotations

import streamlit as st

from pages.components import state
from pages.components.format import money
from pages.components.widgets import figures
from services.core.access import BILLING
from services.homes.billing import billing_home

actor = state.guard(BILLING)
st.title("Billing")

with state.service_errors():
    view = billing_home(actor=actor)
    share = "—" if view.online_share_30d is None else f"{view.online_share_30d:.0%}"
    figures(
        {
            "Open statements": f"{view.open_statements:,}",
            "Outstanding": money(view.outstanding_cents),
            "Past due": f"{view.past_due_statements:,}",
            "Active payment plans": f"{view.active_plans:,}",
        }
    )
    st.subheader("Last 30 days")
    figures(
        {
            "Payments": f"{view.payments_30d:,}",
            "Collected": money(view.payments_30d_cents),
            "Paid online": share,
        }
    )
