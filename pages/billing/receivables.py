"""Billing staff's receivables: what is owed by age with totals, the accounts behind a bucket,
and the accounts past due (billing fields only)."""

from __future__ import annotations

import streamlit as st

from pages.components import state
from pages.components.format import money, plain
from pages.components.widgets import choose, table
from services.billing import postings, receivables
from services.core import language
from services.core.access import BILLING
from services.core.language import t

actor = state.guard(BILLING)
st.title(t("Receivables"))


def _rows(rows: list[receivables.Receivable], empty: str) -> None:
    table(
        {
            t("Patient"): [r.patient_name for r in rows],
            "MRN": [r.mrn for r in rows],
            t("Statement date"): [language.day(r.statement_date) for r in rows],
            t("Due"): [language.day(r.due_date) for r in rows],
            t("Days"): [r.days for r in rows],
            t("Owed"): [money(r.remaining_cents) for r in rows],
        },
        empty=empty,
    )


def _adjust(rows: list[receivables.Receivable]) -> None:
    with st.expander(t("Post an adjustment")):
        labels = {
            r.statement_id: t(
                "{patient} (MRN {mrn}), statement of {day}: {amount} owed",
                patient=r.patient_name,
                mrn=r.mrn,
                day=language.day(r.statement_date),
                amount=money(r.remaining_cents),
            )
            for r in rows
        }
        with st.form("adjustment_form"):
            statement = st.selectbox(
                t("Statement"), list(labels), format_func=labels.__getitem__, key="adjust_statement"
            )
            amount = st.text_input(t("Amount (dollars)"), max_chars=14, key="adjust_amount")
            reason = choose(t("Reason"), postings.REASONS, "adjust_reason")
            note = st.text_input(
                t("Note (needed for an administrative adjustment)"),
                max_chars=1000,
                key="adjust_note",
            )
            submitted = st.form_submit_button(t("Post the adjustment"))
        if submitted:
            with state.service_errors():
                postings.adjustment_post(
                    actor=actor, statement_id=statement, amount=amount, reason=reason, note=note
                )
                state.done(
                    t(
                        "Posted {amount} ({reason}).",
                        amount=plain(amount),
                        reason=t(postings.REASONS[reason]).lower(),
                    )
                )


with state.service_errors():
    state.show_flash()
    aged = receivables.aging(actor=actor)
    st.caption(t("As of {day}, by the age of the statement.", day=language.day(aged.as_of)))
    table(
        {
            t("Age"): [t(b.label) for b in aged.buckets] + [t("Total")],
            t("Statements"): [b.statements for b in aged.buckets]
            + [sum(b.statements for b in aged.buckets)],
            t("Patients"): [f"{b.patients:,}" for b in aged.buckets] + [""],
            t("Owed"): [money(b.cents) for b in aged.buckets] + [money(aged.total_cents)],
        },
        empty=t("Nothing is owed."),
    )
    bucket = st.selectbox(
        t("Accounts in"),
        range(len(aged.buckets)),
        format_func=lambda n: aged.buckets[n].label,
        key="aging_bucket",
    )
    accounts = receivables.aging_accounts(actor=actor, bucket=bucket)
    _rows(accounts, t("None in this bucket."))
    if accounts:
        _adjust(accounts)
    st.subheader(t("Past due"))
    _rows(receivables.past_due(actor=actor), t("Nothing is past due."))
