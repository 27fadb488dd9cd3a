"""Billing staff's payment plans: defaulted and missed first, then on track by the next due
day, with what is left and whether a saved card pays them (billing fields only)."""

from __future__ import annotations

import streamlit as st

from pages.components import state
from pages.components.format import money
from pages.components.widgets import figures, table
from services.billing import plans
from services.core import language
from services.core.access import BILLING
from services.core.language import t

actor = state.guard(BILLING)
st.title(t("Payment plans"))

with state.service_errors():
    rows = plans.plans_queue(actor=actor)
    figures({s.capitalize(): sum(r.standing == s for r in rows) for s in plans.STANDINGS})
    standing = st.radio(
        t("Show"),
        ["all", *plans.STANDINGS],
        format_func=lambda s: s.capitalize(),
        horizontal=True,
        key="plans_standing",
    )
    shown = [r for r in rows if standing in ("all", r.standing)]
    table(
        {
            t("Patient"): [r.patient_name for r in shown],
            "MRN": [r.mrn for r in shown],
            t("Standing"): [r.standing.capitalize() for r in shown],
            t("Missed"): [r.missed for r in shown],
            t("Plan total"): [money(r.total_cents) for r in shown],
            t("Still to pay"): [money(r.remaining_cents) for r in shown],
            t("Next due"): [language.day(r.next_due) if r.next_due else "" for r in shown],
            t("Saved card"): [t("Yes") if r.autopay else "" for r in shown],
        },
        empty=t("No payment plan here."),
        static=True,
    )
