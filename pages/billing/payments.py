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
from services.core import language
from services.core.access import BILLING
from services.core.language import t

actor = state.guard(BILLING)
st.title(t("Payments"))
CREDIT = "credit"  # the choice that moves a payment off every statement


def _rows(rows: list[desk.Posted], empty: str) -> None:
    table(
        {
            t("Received"): [when(p.paid_at) for p in rows],
            t("Patient"): [p.patient_name for p in rows],
            "MRN": [p.mrn for p in rows],
            t("Amount"): [money(p.amount_cents) for p in rows],
            t("Method"): [account.method_words(p.method, p.card_last4) for p in rows],
            t("Online"): [t("Yes") if p.online else "" for p in rows],
            t("Applied to"): [
                t("Statement of {day}", day=language.day(p.statement_date))
                if p.statement_date
                else t("Credit")
                for p in rows
            ],
            t("Processor reference"): [p.processor_ref or "" for p in rows],
        },
        empty=empty,
        static=True,
    )


def _move(rows: list[desk.Posted]) -> None:
    with st.expander(t("Move a misapplied payment")):
        labels = _labels(rows)
        chosen = st.selectbox(
            t("Payment"), list(labels), format_func=labels.__getitem__, key="move_payment"
        )
        with state.service_errors():
            targets = dict(desk.statements_of_payment(actor=actor, payment_id=chosen))
            options: list[uuid.UUID | str] = [*targets, CREDIT]
            with st.form("move_form"):
                target = st.selectbox(
                    t("Move to"),
                    options,
                    format_func=lambda x: (
                        t("A credit on the account") if x == CREDIT else targets[x]
                    ),
                    key="move_target",
                )
                note = st.text_input(t("Why"), max_chars=1000, key="move_note")
                submitted = st.form_submit_button(t("Move the payment"))
            if submitted:
                desk.payment_reapply(
                    actor=actor,
                    payment_id=chosen,
                    statement_id=None if target == CREDIT else target,  # type: ignore[arg-type]
                    note=note,
                )
                state.done(t("The payment was moved."))


def _labels(rows: list[desk.Posted]) -> dict[uuid.UUID, str]:
    return {
        p.payment_id: t(
            "{paid_at} · {patient_name} (MRN {mrn}) · {amount}",
            paid_at=when(p.paid_at),
            patient_name=p.patient_name,
            mrn=p.mrn,
            amount=money(p.amount_cents),
        )
        for p in rows
        if p.amount_cents > 0
    }


def _refund(rows: list[desk.Posted]) -> None:
    with st.expander(t("Refund a payment")):
        labels = _labels(rows)
        st.caption(
            t(
                "Refunds over {limit} wait for a second billing user's approval. A card "
                "payment is refunded to the card; others by cheque.",
                limit=money(refunds.approval_over()),
            )
        )
        with st.form("refund_form"):
            chosen = st.selectbox(
                t("Payment"), list(labels), format_func=labels.__getitem__, key="refund_payment"
            )
            amount = st.text_input(t("Amount (dollars)"), max_chars=14, key="refund_amount")
            reason = st.text_input(t("Reason"), max_chars=1000, key="refund_reason")
            submitted = st.form_submit_button(t("Refund"))
        if submitted:
            with state.service_errors():
                status = refunds.refund_request(
                    actor=actor, payment_id=chosen, amount=amount, reason=reason
                )
                state.done(
                    t("Refunded.")
                    if status == refunds.ISSUED
                    else t("The refund waits for a second billing user's approval.")
                )


def _waiting() -> None:
    rows = refunds.refunds_waiting(actor=actor)
    st.subheader(t("Refunds waiting for approval"))
    table(
        {
            t("Asked"): [when(r.requested_at) for r in rows],
            t("Patient"): [r.patient_name for r in rows],
            "MRN": [r.mrn for r in rows],
            t("Amount"): [money(r.amount_cents) for r in rows],
            t("Reason"): [r.reason for r in rows],
            t("Asked by"): [r.requested_by for r in rows],
        },
        empty=t("No refund is waiting."),
        static=True,
    )
    for r in rows:
        with st.container(border=True):
            st.text(
                t(
                    "{patient_name}: {amount}, asked by {requested_by}",
                    patient_name=r.patient_name,
                    amount=money(r.amount_cents),
                    requested_by=r.requested_by,
                )
            )
            note = st.text_input(
                t("Why not (to reject)"), max_chars=1000, key=f"reject_{r.refund_id}"
            )
            approve, reject = st.columns(2)
            if approve.button(t("Approve and refund"), key=f"approve_{r.refund_id}"):
                with state.service_errors():
                    refunds.refund_approve(actor=actor, refund_id=r.refund_id)
                    state.done(t("Approved and refunded."))
            if reject.button(t("Reject"), key=f"rejectbtn_{r.refund_id}"):
                with state.service_errors():
                    refunds.refund_reject(actor=actor, refund_id=r.refund_id, note=note)
                    state.done(t("Rejected."))


with state.service_errors():
    state.show_flash()
    view = desk.payments_desk(actor=actor)
    figures(
        {
            t("Posted, last 30 days"): f"{len(view.posted):,}",
            t("Collected"): money(sum(p.amount_cents for p in view.posted)),
            t("Credits on accounts"): money(sum(p.amount_cents for p in view.credits)),
            t("Unmatched notices"): f"{len(view.unmatched):,}",
        }
    )
    st.subheader(t("Posted in the last 30 days"))
    _rows(view.posted, t("No payments in the last 30 days."))
    if view.posted or view.credits:
        _move(view.credits + view.posted)
        _refund(view.posted + view.credits)
    _waiting()
    st.subheader(t("Credits: money no statement took"))
    _rows(view.credits, t("No credits on any account."))
    st.subheader(t("Processor notices that matched no payment page"))
    st.caption(t("Look these up at the processor: each may be a payment taken outside the portal."))
    table(
        {
            t("Received"): [when(u.received_at) for u in view.unmatched],
            t("Event"): [u.kind for u in view.unmatched],
            t("Processor reference"): [u.reference or "" for u in view.unmatched],
            t("Event id"): [u.event_id for u in view.unmatched],
        },
        empty=t("None: every processor notice matched a payment page."),
        static=True,
    )
