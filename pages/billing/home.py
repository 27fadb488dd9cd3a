"""Billing: receivables, past-due statements, recent payments, payment plans."""

from __future__ import annotations

import streamlit as st

from pages.components import state
from pages.components.format import money, when
from pages.components.widgets import figures, table
from services.billing import statement_run
from services.core.access import BILLING
from services.homes.billing import billing_home

actor = state.guard(BILLING)
st.title("Billing")


def _statements() -> None:
    """The month's statements: send them once, see the months sent, the paper mailing list."""
    st.subheader("Monthly statements")
    runs = statement_run.statement_runs(actor=actor)
    table(
        {
            "Month": [f"{r.month:%B %Y}" for r in runs],
            "Sent": [when(r.run_at) for r in runs],
            "By": [r.run_by for r in runs],
            "Patients owing": [r.patients for r in runs],
            "Emails and texts": [r.notices for r in runs],
            "On paper": [r.paper for r in runs],
        },
        empty="No month's statements have been sent yet.",
        static=True,
    )
    st.caption(
        "Everyone who owes is told a statement is ready (no amounts in emails or texts); "
        "patients without paperless statements get theirs by mail from the mailing list."
    )
    if st.button("Send this month's statements", key="statements_run"):
        done = statement_run.statement_run(actor=actor)
        state.done(
            f"Statements of {done.month:%B %Y} sent: {done.notices:,} notices to "
            f"{done.patients:,} patients, {done.paper:,} to mail."
        )
    st.download_button(
        "Mailing list for paper statements (CSV)",
        data=lambda: statement_run.mailing_list(actor=actor),
        file_name="paper-statements.csv",
        mime="text/csv",
        on_click="ignore",
        key="statements_mailing",
        icon=":material/local_post_office:",
    )


with state.service_errors():
    state.show_flash()
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
    st.subheader("Waiting for billing")
    figures(
        {
            "Plans with a missed instalment": f"{view.plans_in_trouble:,}",
            "Assistance applications": f"{view.assistance_waiting:,}",
            "Refunds to approve": f"{view.refunds_waiting:,}",
            "Unmatched processor notices": f"{view.unmatched_notices:,}",
        }
    )
    _statements()
