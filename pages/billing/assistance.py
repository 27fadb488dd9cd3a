"""Billing staff's financial-assistance queue: applications oldest first with the household,
income, share of the poverty level and the policy's discount; the proofs; approve (the
suggested or another percentage) or deny with a reason."""

from __future__ import annotations

import streamlit as st

from pages.components import state
from pages.components.format import money
from pages.components.widgets import table
from services.billing import assistance
from services.core.access import BILLING

actor = state.guard(BILLING)
st.title("Financial assistance")


def _decide(item: assistance.QueueItem) -> None:
    a = item.application
    st.subheader(f"{item.patient_name} (MRN {item.mrn})")
    st.write(
        f"Household of {a.household_size}, {money(a.annual_income_cents)} a year: "
        f"{a.percent_of_poverty}% of the poverty level. The policy suggests "
        f"{a.suggested_percent}% off; the patient owes {money(item.owed_cents)} now."
    )
    for doc_id, title in a.documents:
        st.download_button(
            f"Proof: {title}",
            data=lambda d=doc_id: assistance.assistance_document(actor=actor, document_id=d)[2],
            file_name=title,
            on_click="ignore",
            key=f"proof_{doc_id}",
            icon=":material/download:",
        )
    with st.form(f"decide_{a.application_id}"):
        percent = st.number_input(
            "Discount (percent)",
            min_value=0,
            max_value=100,
            value=a.suggested_percent,
            step=5,
            key="assist_percent",
        )
        note = st.text_input("Note (needed to deny)", max_chars=1000, key="assist_note")
        approve, deny = st.columns(2)
        approved = approve.form_submit_button("Approve")
        denied = deny.form_submit_button("Deny")
    if approved:
        taken = assistance.assistance_decide(
            actor=actor,
            application_id=a.application_id,
            approve=True,
            percent=int(percent),
            note=note,
        )
        state.done(f"Approved: {money(taken)} taken off as charity care.")
    if denied:
        assistance.assistance_decide(
            actor=actor, application_id=a.application_id, approve=False, note=note
        )
        state.done("Denied; the patient is told.")


with state.service_errors():
    state.show_flash()
    queue = assistance.assistance_queue(actor=actor)
    table(
        {
            "Sent": [f"{q.application.submitted_at:%b %d, %Y}" for q in queue],
            "Patient": [q.patient_name for q in queue],
            "MRN": [q.mrn for q in queue],
            "Household": [q.application.household_size for q in queue],
            "Poverty level": [f"{q.application.percent_of_poverty}%" for q in queue],
            "Suggested": [f"{q.application.suggested_percent}% off" for q in queue],
            "Owes now": [money(q.owed_cents) for q in queue],
        },
        empty="No application is waiting.",
        static=True,
    )
    if queue:
        labels = {q.application.application_id: f"{q.patient_name} (MRN {q.mrn})" for q in queue}
        chosen = st.selectbox("Decide", list(labels), format_func=labels.get, key="assist_pick")
        _decide(next(q for q in queue if q.application.application_id == chosen))
