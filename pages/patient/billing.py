"""Billing: the balance and when it is due, statements with their lines and a PDF, payments
with receipts, insurance on file, and paperless statements."""

from __future__ import annotations

import streamlit as st

from pages.components import state
from pages.components.format import money, when
from pages.components.widgets import figures, table
from services.billing import account

actor, patient_id = state.patient_page("Billing")
state.show_flash()


def _lines(lines: list[account.Line]) -> None:
    table(
        {
            "Date of service": [f"{x.service_date:%b %d, %Y}" for x in lines],
            "Service": [x.description for x in lines],
            "Code": [x.code or "" for x in lines],
            "Charges": [money(x.charge_cents) for x in lines],
            "Insurance paid": [money(x.insurance_paid_cents) for x in lines],
            "Adjustments": [money(x.adjustment_cents) for x in lines],
            "You owe": [money(x.patient_cents) for x in lines],
        },
        empty="No services on this statement.",
    )


def _statements(view: account.Overview) -> None:
    table(
        {
            "Statement date": [f"{s.statement_date:%b %d, %Y}" for s in view.statements],
            "Due": [f"{s.due_date:%b %d, %Y}" for s in view.statements],
            "Billed to you": [money(s.billed_cents) for s in view.statements],
            "Paid": [money(s.paid_cents) for s in view.statements],
            "Adjustments": [money(s.adjusted_cents) for s in view.statements],
            "You owe": [money(s.remaining_cents) for s in view.statements],
            "Status": [account.STATUSES.get(s.status, s.status) for s in view.statements],
        },
        empty="You have no statements.",
    )
    if len(view.statements) > account.LINES_SHOWN:
        st.caption(
            f"The newest {account.LINES_SHOWN} statements are shown with their services; "
            "download an older one from its row below."
        )
        older = {s.statement_id: f"{s.statement_date:%B %d, %Y}" for s in view.statements}
        chosen = st.selectbox("Statement", list(older), format_func=older.get, key="statement_pick")
        st.download_button(
            "That statement (PDF)",
            data=lambda: account.statement_pdf(
                actor=actor, patient_id=patient_id, statement_id=chosen
            ),
            file_name="statement-older.pdf",
            mime="application/pdf",
            on_click="ignore",
            key="statement_pdf_any",
            icon=":material/download:",
        )
    for s in view.statements[: account.LINES_SHOWN]:
        with st.expander(
            f"Statement of {s.statement_date:%B %d, %Y}: {money(s.remaining_cents)} owed"
        ):
            _lines(view.lines[s.statement_id])
            st.download_button(
                "Statement (PDF)",
                data=lambda sid=s.statement_id: account.statement_pdf(
                    actor=actor, patient_id=patient_id, statement_id=sid
                ),
                file_name=f"statement-{s.statement_date:%Y-%m-%d}.pdf",
                mime="application/pdf",
                on_click="ignore",
                key=f"statement_pdf_{s.statement_id}",
                icon=":material/download:",
            )


def _payments(view: account.Overview) -> None:
    table(
        {
            "Date": [when(p.paid_at) for p in view.payments],
            "Amount": [money(p.amount_cents) for p in view.payments],
            "Method": [
                account.METHODS.get(p.method, p.method)
                + (f" ending {p.card_last4}" if p.card_last4 else "")
                for p in view.payments
            ],
            "Online": ["Yes" if p.online else "" for p in view.payments],
        },
        empty="No payments yet.",
    )
    labels = {p.payment_id: f"{when(p.paid_at)}: {money(p.amount_cents)}" for p in view.payments}
    if labels:
        chosen = st.selectbox(
            "Receipt for", list(labels), format_func=labels.get, key="receipt_pick"
        )
        st.download_button(
            "Receipt (PDF)",
            data=lambda: account.receipt_pdf(actor=actor, patient_id=patient_id, payment_id=chosen),
            file_name="receipt.pdf",
            mime="application/pdf",
            on_click="ignore",
            key="receipt_pdf",
            icon=":material/receipt:",
        )


def _insurance(view: account.Overview) -> None:
    table(
        {
            "Plan": [c.payer for c in view.coverage],
            "Member ID": [c.member_id for c in view.coverage],
            "Group": [c.group_number or "" for c in view.coverage],
            "Since": [f"{c.effective_on:%b %d, %Y}" for c in view.coverage],
        },
        empty="No insurance on file.",
    )
    paperless = st.toggle(
        "Paperless statements (we tell you when a statement is ready; no paper by mail)",
        value=view.paperless,
        key="billing_paperless",
    )
    if paperless != view.paperless:
        account.paperless_set(actor=actor, patient_id=patient_id, paperless=paperless)
        state.done("Saved.")


with state.service_errors():
    view = account.billing_overview(actor=actor, patient_id=patient_id)
    figures(
        {
            "Balance due": money(view.balance_cents),
            "Due by": f"{view.due_date:%b %d, %Y}" if view.due_date else "Nothing due",
            "Statements": len(view.statements),
        }
    )
    statements, payments, insurance = st.tabs(
        ["Statements", "Payments and receipts", "Insurance and preferences"]
    )
    with statements:
        _statements(view)
    with payments:
        _payments(view)
    with insurance:
        _insurance(view)
