"""Billing: receivables, past-due statements, recent payments, payment plans."""

from __future__ import annotations

import streamlit as st

from pages.components import state
from pages.components.format import money, when
from pages.components.widgets import download, figures, table
from services.billing import statement_run
from services.core import language
from services.core.access import BILLING
from services.core.language import t
from services.homes.billing import billing_home

actor = state.guard(BILLING)
st.title(t("Billing"))


def _statements() -> None:
    """The month's statements: send them once, see the months sent, the paper mailing list."""
    st.subheader(t("Monthly statements"))
    runs = statement_run.statement_runs(actor=actor)
    table(
        {
            t("Month"): [language.month(r.month) for r in runs],
            t("Sent"): [when(r.run_at) for r in runs],
            t("By"): [r.run_by for r in runs],
            t("Patients owing"): [r.patients for r in runs],
            t("Emails and texts"): [r.notices for r in runs],
            t("On paper"): [r.paper for r in runs],
        },
        empty=t("No month's statements have been sent yet."),
        static=True,
    )
    st.caption(
        t(
            "Everyone who owes is told a statement is ready (no amounts in emails "
            "or texts); patients without paperless statements get theirs by mail "
            "from the mailing list."
        )
    )
    if st.button(t("Send this month's statements"), key="statements_run"):
        done = statement_run.statement_run(actor=actor)
        state.done(
            t(
                "Statements of {month} sent: {notices} notices to {patients} patients, "
                "{paper} to mail.",
                month=language.month(done.month),
                notices=language.number(done.notices),
                patients=language.number(done.patients),
                paper=language.number(done.paper),
            )
        )
    download(
        t("Mailing list for paper statements (CSV)"),
        lambda: statement_run.mailing_list(actor=actor),
        file_name="paper-statements.csv",
        key="statements_mailing",
        icon=":material/local_post_office:",
    )


with state.service_errors():
    state.show_flash()
    view = billing_home(actor=actor)
    share = "—" if view.online_share_30d is None else f"{view.online_share_30d:.0%}"
    figures(
        {
            t("Open statements"): f"{view.open_statements:,}",
            t("Outstanding"): money(view.outstanding_cents),
            t("Past due"): f"{view.past_due_statements:,}",
            t("Active payment plans"): f"{view.active_plans:,}",
        }
    )
    st.subheader(t("Last 30 days"))
    figures(
        {
            t("Payments"): f"{view.payments_30d:,}",
            t("Collected"): money(view.payments_30d_cents),
            t("Paid online"): share,
        }
    )
    st.subheader(t("Waiting for billing"))
    figures(
        {
            t("Plans with a missed instalment"): f"{view.plans_in_trouble:,}",
            t("Assistance applications"): f"{view.assistance_waiting:,}",
            t("Refunds to approve"): f"{view.refunds_waiting:,}",
            t("Unmatched processor notices"): f"{view.unmatched_notices:,}",
        }
    )
    _statements()
