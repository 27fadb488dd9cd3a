"""Billing staff's payments: posted in the last 30 days (online and by hand), credits no
statement took, processor notifications that matched no payment page, moving a misapplied
payment to the statement it was meant for, and refunds (a second billing user approves the
large ones)."""

from __future__ import annotations

import uuid

import streamlit as st

from pages.components import state
from pages.components.format import money, when
from pages.components.widgets import figures, table
from services.billing import account, desk, refunds
from services.core.access import BILLING

actor = state.guard(BILLING)
st.title("Payments")
CREDIT = "credit"  # the choice that moves a payment off every statement


def _rows(rows: list[desk.Posted], empty: str) -> None:
    table(
        {
            "Received": [when(p.paid_at) for p in rows],
            "Patient": [p.patient_name for p in rows],
            "MRN": [p.mrn for p in rows],
            "Amount": [money(p.amount_cents) for p in rows],
            "Method": [
                account.METHODS.get(p.method, p.method)
                + (f" ending {p.card_last4}" if p.card_last4 else "")
                for p in rows
            ],
            "Online": ["Yes" if p.online else "" for p in rows],
            "Applied to": [
                f"Statement of {p.statement_date:%b %d, %Y}" if p.statement_date else "Credit"
                for p in rows
            ],
            "Processor reference": [p.processor_ref or "" for p in rows],
        },
        empty=empty,
        static=True,
    )


def _move(rows: list[desk.Posted]) -> None:
    with st.expander("Move a misapplied payment"):
        labels = _labels(rows)
        chosen = st.selectbox("Payment", list(labels), format_func=labels.get, key="move_payment")
        with state.service_errors():
            targets = dict(desk.statements_of_payment(actor=actor, payment_id=chosen))
            options: list[uuid.UUID | str] = [*targets, CREDIT]
            with st.form("move_form"):
                target = st.selectbox(
                    "Move to",
                    options,
                    format_func=lambda x: "A credit on the account" if x == CREDIT else targets[x],
                    key="move_target",
                )
                note = st.text_input("Why", max_chars=1000, key="move_note")
                submitted = st.form_submit_button("Move the payment")
            if submitted:
                desk.payment_reapply(
                    actor=actor,
                    payment_id=chosen,
                    statement_id=None if target == CREDIT else target,  # type: ignore[arg-type]
                    note=note,
                )
                state.done("The payment was moved.")


def _labels(rows: list[desk.Posted]) -> dict[uuid.UUID, str]:
    return {
        p.payment_id: f"{when(p.paid_at)} · {p.patient_name} (MRN {p.mrn}) · "
        f"{money(p.amount_cents)}"
        for p in rows
        if p.amount_cents > 0
    }


def _refund(rows: list[desk.Posted]) -> None:
    with st.expander("Refund a payment"):
        labels = _labels(rows)
        st.caption(
            f"Refunds over {money(refunds.approval_over())} wait for a second billing user's "
            "approval. A card payment is refunded to the card; others by cheque."
        )
        with st.form("refund_form"):
            chosen = st.selectbox(
                "Payment", list(labels), format_func=labels.get, key="refund_payment"
            )
            amount = st.text_input("Amount (dollars)", max_chars=14, key="refund_amount")
            reason = st.text_input("Reason", max_chars=1000, key="refund_reason")
            submitted = st.form_submit_button("Refund")
        if submitted:
            with state.service_errors():
                status = refunds.refund_request(
                    actor=actor, payment_id=chosen, amount=amount, reason=reason
                )
                state.done(
                    "Refunded."
                    if status == refunds.ISSUED
                    else "The refund waits for a second billing user's approval."
                )


def _waiting() -> None:
    rows = refunds.refunds_waiting(actor=actor)
    st.subheader("Refunds waiting for approval")
    table(
        {
            "Asked": [when(r.requested_at) for r in rows],
            "Patient": [r.patient_name for r in rows],
            "MRN": [r.mrn for r in rows],
            "Amount": [money(r.amount_cents) for r in rows],
            "Reason": [r.reason for r in rows],
            "Asked by": [r.requested_by for r in rows],
        },
        empty="No refund is waiting.",
        static=True,
    )
    for r in rows:
        with st.container(border=True):
            st.text(f"{r.patient_name}: {money(r.amount_cents)}, asked by {r.requested_by}")
            note = st.text_input("Why not (to reject)", max_chars=1000, key=f"reject_{r.refund_id}")
            approve, reject = st.columns(2)
            if approve.button("Approve and refund", key=f"approve_{r.refund_id}"):
                with state.service_errors():
                    refunds.refund_approve(actor=actor, refund_id=r.refund_id)
                    state.done("Approved and refunded.")
            if reject.button("Reject", key=f"rejectbtn_{r.refund_id}"):
                with state.service_errors():
                    refunds.refund_reject(actor=actor, refund_id=r.refund_id, note=note)
                    state.done("Rejected.")


with state.service_errors():
    state.show_flash()
    view = desk.payments_desk(actor=actor)
    figures(
        {
            "Posted, last 30 days": f"{len(view.posted):,}",
            "Collected": money(sum(p.amount_cents for p in view.posted)),
            "Credits on accounts": money(sum(p.amount_cents for p in view.credits)),
            "Unmatched notices": f"{len(view.unmatched):,}",
        }
    )
    st.subheader("Posted in the last 30 days")
    _rows(view.posted, "No payments in the last 30 days.")
    if view.posted or view.credits:
        _move(view.credits + view.posted)
        _refund(view.posted + view.credits)
    _waiting()
    st.subheader("Credits: money no statement took")
    _rows(view.credits, "No credits on any account.")
    st.subheader("Processor notices that matched no payment page")
    st.caption("Look these up at the processor: each may be a payment taken outside the portal.")
    table(
        {
            "Received": [when(u.received_at) for u in view.unmatched],
            "Event": [u.kind for u in view.unmatched],
            "Processor reference": [u.reference or "" for u in view.unmatched],
            "Event id": [u.event_id for u in view.unmatched],
        },
        empty="None: every processor notice matched a payment page.",
        static=True,
    )
