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
from services.core.language import t

actor = state.guard(CLINICIAN)
st.title(t("Refill requests"))
state.show_flash()


def _day(value: date | datetime | None) -> str:
    if isinstance(value, datetime):
        return when(value)
    return value.strftime("%b %d, %Y") if value else t("none on file")


def _decide(item: refill_queue.QueueItem) -> None:
    rid = item.request_id
    with st.form(f"refill_{rid}"):
        decision = st.radio(
            t("Decision"),
            refill_queue.DECISIONS,
            format_func={
                "approve": t("Approve"),
                "deny": t("Deny"),
                "visit": t("Ask for a visit"),
            }.get,
            horizontal=True,
            key=f"refill_decision_{rid}",
        )
        left, right = st.columns(2)
        quantity = left.number_input(
            t("Quantity"), 1, refill_queue.MAX_QUANTITY, 30, key=f"refill_quantity_{rid}"
        )
        allowed = right.number_input(
            t("Refills"), 0, refill_queue.MAX_REFILLS, 0, key=f"refill_refills_{rid}"
        )
        sent = st.checkbox(t("Sent to the pharmacy now"), value=True, key=f"refill_sent_{rid}")
        reason = st.text_area(
            t("Reason (for a denial) or what to book (for a visit); the patient sees it"),
            max_chars=1000,
            key=f"refill_reason_{rid}",
        )
        if st.form_submit_button(t("Record the decision"), type="primary"):
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
        st.info(t("No refill requests waiting."))
    for item in queue:
        with st.container(border=True, key=f"refill_card_{item.request_id}"):
            st.markdown(f"**{when(item.requested_at)}**")
            st.text(
                t(
                    "{patient_name} (MRN {mrn}) · {medicine}",
                    patient_name=item.patient_name,
                    mrn=item.mrn,
                    medicine=item.medicine,
                )
            )
            st.text(
                t(
                    "Refills left: {refills_remaining} · Last fill: {last_fill} · Last "
                    "visit: {last_visit} · Pharmacy: {pharmacy}",
                    refills_remaining=item.refills_remaining,
                    last_fill=_day(item.last_fill),
                    last_visit=_day(item.last_visit),
                    pharmacy=item.pharmacy,
                )
            )
            for lab in item.labs:
                flag = f" ({lab.flag})" if lab.flag else ""
                st.text(f"{lab.name}: {lab.value}{flag}, {when(lab.collected_at)}")
            if item.note:
                st.text(t("Patient's note: {note}", note=item.note))
            _decide(item)
    approved = refill_queue.approved_waiting(actor=actor)
    if approved:
        st.subheader(t("Approved, not yet sent to the pharmacy"))
        for item in approved:
            st.text(
                t(
                    "{patient_name} (MRN {mrn}) · {medicine} · {pharmacy}",
                    patient_name=item.patient_name,
                    mrn=item.mrn,
                    medicine=item.medicine,
                    pharmacy=item.pharmacy,
                )
            )
            if st.button(t("Mark sent"), key=f"refill_mark_{item.request_id}"):
                refill_queue.refill_mark_sent(actor=actor, request_id=item.request_id)
                state.done(t("Marked sent to the pharmacy."))
