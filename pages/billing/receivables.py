"""Billing staff's receivables: what is owed by age with totals, the accounts behind a bucket,
and the accounts past due (billing fields only)."""

from __future__ import annotations

import streamlit as st

from pages.components import state
from pages.components.format import money
from pages.components.widgets import table
from services.billing import receivables
from services.core.access import BILLING

actor = state.guard(BILLING)
st.title("Receivables")


def _rows(rows: list[receivables.Receivable], empty: str) -> None:
    table(
        {
            "Patient": [r.patient_name for r in rows],
            "MRN": [r.mrn for r in rows],
            "Statement date": [f"{r.statement_date:%b %d, %Y}" for r in rows],
            "Due": [f"{r.due_date:%b %d, %Y}" for r in rows],
            "Days": [r.days for r in rows],
            "Owed": [money(r.remaining_cents) for r in rows],
        },
        empty=empty,
    )


with state.service_errors():
    aged = receivables.aging(actor=actor)
    st.caption(f"As of {aged.as_of:%B %d, %Y}, by the age of the statement.")
    table(
        {
            "Age": [b.label for b in aged.buckets] + ["Total"],
            "Statements": [b.statements for b in aged.buckets]
            + [sum(b.statements for b in aged.buckets)],
            "Patients": [b.patients for b in aged.buckets] + [""],
            "Owed": [money(b.cents) for b in aged.buckets] + [money(aged.total_cents)],
        },
        empty="Nothing is owed.",
    )
    bucket = st.selectbox(
        "Accounts in",
        range(len(aged.buckets)),
        format_func=lambda n: aged.buckets[n].label,
        key="aging_bucket",
    )
    _rows(receivables.aging_accounts(actor=actor, bucket=bucket), "None in this bucket.")
    st.subheader("Past due")
    _rows(receivables.past_due(actor=actor), "Nothing is past due.")
