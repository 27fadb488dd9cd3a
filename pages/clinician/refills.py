"""The refill queue: requests oldest first, each with the medicine, last fill, last visit and the
results that bear on it; approve, deny with a reason or ask for a visit. Below it, approved
prescriptions still to be marked sent to the pharmacy."""

from __future__ import annotations

from datetime import date, datetime

import streamlit as st

from pages.components import state
from pages.components.format import plain, when
from services.care import refill_queue
from services.core.access import CLINICIAN

actor = state.guard(CLINICIAN)
st.title("Refill requests")
state.show_flash()


def _day(value: date | datetime | None) -> str:
    if isinstance(value, datetime):
        return when(value)
    return value.strftime("%b %d, %Y") if value else "none on file"


def _decide(item: refill_queue.QueueItem) -> None:
    rid = item.request_id
    with st.form(f"refill_{rid}"):
        decision = st.radio(
            "Decision",
            refill_queue.DECISIONS,
            format_func={"approve": "Approve", "deny": "Deny", "visit": "Ask for a visit"}.get,
            horizontal=True,
            key=f"refill_decision_{rid}",
        )
        left, right = st.columns(2)
        quantity = left.number_input(
            "Quantity", 1, refill_queue.MAX_QUANTITY, 30, key=f"refill_quantity_{rid}"
        )
        allowed = right.number_input(
            "Refills", 0, refill_queue.MAX_REFILLS, 0, key=f"refill_refills_{rid}"
        )
        sent = st.checkbox("Sent to the pharmacy now", value=True, key=f"refill_sent_{rid}")
        reason = st.text_area(
            "Reason (for a denial) or what to book (for a visit); the patient sees it",
            max_chars=1000,
            key=f"refill_reason_{rid}",
        )
        if st.form_submit_button("Record the decision", type="primary"):
            status = refill_queue.refill_decide(
                actor=actor,
                request_id=rid,
                decision=decision,
                quantity=int(quantity),
                refills_allowed=int(allowed),
                sent_now=sent,
                reason=reason,
            )
            state.done(plain(f"{item.patient_name}: {item.medicine} — {status.replace('_', ' ')}."))


with state.service_errors():
    queue = refill_queue.refill_queue(actor=actor)
    if not queue:
        st.info("No refill requests waiting.")
    for item in queue:
        with st.container(border=True, key=f"refill_card_{item.request_id}"):
            st.markdown(f"**{when(item.requested_at)}**")
            st.text(f"{item.patient_name} (MRN {item.mrn}) · {item.medicine}")
            st.text(
                f"Refills left: {item.refills_remaining} · Last fill: {_day(item.last_fill)} · "
                f"Last visit: {_day(item.last_visit)} · Pharmacy: {item.pharmacy}"
            )
            for lab in item.labs:
                flag = f" ({lab.flag})" if lab.flag else ""
                st.text(f"{lab.name}: {lab.value}{flag}, {when(lab.collected_at)}")
            if item.note:
                st.text(f"Patient's note: {item.note}")
            _decide(item)
    approved = refill_queue.approved_waiting(actor=actor)
    if approved:
        st.subheader("Approved, not yet sent to the pharmacy")
        for item in approved:
            st.text(f"{item.patient_name} (MRN {item.mrn}) · {item.medicine} · {item.pharmacy}")
            if st.button("Mark sent", key=f"refill_mark_{item.request_id}"):
                refill_queue.refill_mark_sent(actor=actor, request_id=item.request_id)
                state.done("Marked sent to the pharmacy.")
