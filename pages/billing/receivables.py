"""Billing staff's receivables: what is owed by age with totals, the accounts behind a bucket,
and the accounts past due (billing fields only)."""

from __future__ import annotations

import streamlit as st

from pages.components import state
from pages.components.format import money, plain
from pages.components.widgets import table
from services.billing import postings, receivables
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


def _adjust(rows: list[receivables.Receivable]) -> None:
    with st.expander("Post an adjustment"):
        labels = {
            r.statement_id: f"{r.patient_name} (MRN {r.mrn}), statement of "
            f"{r.statement_date:%b %d, %Y}: {money(r.remaining_cents)} owed"
            for r in rows
        }
        with st.form("adjustment_form"):
            statement = st.selectbox(
                "Statement", list(labels), format_func=labels.get, key="adjust_statement"
            )
            amount = st.text_input("Amount (dollars)", max_chars=14, key="adjust_amount")
            reason = st.selectbox(
                "Reason",
                list(postings.REASONS),
                format_func=postings.REASONS.get,
                key="adjust_reason",
            )
            note = st.text_input(
                "Note (needed for an administrative adjustment)", max_chars=1000, key="adjust_note"
            )
            submitted = st.form_submit_button("Post the adjustment")
        if submitted:
            with state.service_errors():
                postings.adjustment_post(
                    actor=actor, statement_id=statement, amount=amount, reason=reason, note=note
                )
                state.done(f"Posted {plain(amount)} ({postings.REASONS[reason].lower()}).")


with state.service_errors():
    state.show_flash()
    aged = receivables.aging(actor=actor)
    st.caption(f"As of {aged.as_of:%B %d, %Y}, by the age of the statement.")
    table(
        {
            "Age": [b.label for b in aged.buckets] + ["Total"],
            "Statements": [b.statements for b in aged.buckets]
            + [sum(b.statements for b in aged.buckets)],
            "Patients": [f"{b.patients:,}" for b in aged.buckets] + [""],
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
    accounts = receivables.aging_accounts(actor=actor, bucket=bucket)
    _rows(accounts, "None in this bucket.")
    if accounts:
        _adjust(accounts)
    st.subheader("Past due")
    _rows(receivables.past_due(actor=actor), "Nothing is past due.")
