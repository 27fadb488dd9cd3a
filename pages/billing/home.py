"""Billing: receivables, past-due statements, recent payments, payment plans."""

from __future__ import annotations

import streamlit as st

from pages.components import state
from pages.components.format import money
from services import home
from services.access import BILLING

actor = state.guard(BILLING)
st.title("Billing")

with state.service_errors():
    view = home.billing_home(actor=actor)
    cols = st.columns(3)
    cols[0].metric("Open statements", f"{view.open_statements:,}")
    cols[1].metric("Outstanding", money(view.outstanding_cents))
    cols[2].metric("Past due", f"{view.past_due_statements:,}")
    cols = st.columns(3)
    cols[0].metric("Payments, last 30 days", f"{view.payments_30d:,}")
    cols[1].metric("Collected, last 30 days", money(view.payments_30d_cents))
    share = "—" if view.online_share_30d is None else f"{view.online_share_30d:.0%}"
    cols[2].metric("Paid online", share)
    st.metric("Active payment plans", f"{view.active_plans:,}")
