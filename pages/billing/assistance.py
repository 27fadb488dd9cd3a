"""Billing staff's financial-assistance queue: applications oldest first with the household,
income, share of the poverty level and the policy's discount; the proofs; approve (the
suggested or another percentage) or deny with a reason."""

from __future__ import annotations

import uuid
from functools import partial

import streamlit as st

from pages.components import state
from pages.components.format import money
from pages.components.widgets import download, table
from services.billing import assistance
from services.core import language
from services.core.access import BILLING
from services.core.language import t

actor = state.guard(BILLING)
st.title(t("Financial assistance"))


def _proof_bytes(document_id: uuid.UUID) -> bytes:
    return assistance.assistance_document(actor=actor, document_id=document_id)[2]


def _decide(item: assistance.QueueItem) -> None:
    a = item.application
    st.subheader(t("{patient_name} (MRN {mrn})", patient_name=item.patient_name, mrn=item.mrn))
    st.write(
        t(
            "Household of {household_size}, {income} a year: "
            "{poverty} of the poverty level. The policy suggests "
            "{suggested} off; the patient owes {owed} now.",
            household_size=a.household_size,
            income=money(a.annual_income_cents),
            poverty=language.percent(a.percent_of_poverty / 100),
            suggested=language.percent(a.suggested_percent / 100),
            owed=money(item.owed_cents),
        )
    )
    for doc_id, title in a.documents:
        download(
            t("Proof: {title}", title=title),
            partial(_proof_bytes, doc_id),
            file_name=title,
            key=f"proof_{doc_id}",
        )
    with st.form(f"decide_{a.application_id}"):
        percent = st.number_input(
            t("Discount (percent)"),
            min_value=0,
            max_value=100,
            value=a.suggested_percent,
            step=5,
            key="assist_percent",
        )
        note = st.text_input(t("Note (needed to deny)"), max_chars=1000, key="assist_note")
        approve, deny = st.columns(2)
        approved = approve.form_submit_button(t("Approve"))
        denied = deny.form_submit_button(t("Deny"))
    if approved:
        taken = assistance.assistance_decide(
            actor=actor,
            application_id=a.application_id,
            approve=True,
            percent=int(percent),
            note=note,
        )
        state.done(t("Approved: {taken} taken off as charity care.", taken=money(taken)))
    if denied:
        assistance.assistance_decide(
            actor=actor, application_id=a.application_id, approve=False, note=note
        )
        state.done(t("Denied; the patient is told."))


with state.service_errors():
    state.show_flash()
    queue = assistance.assistance_queue(actor=actor)
    table(
        {
            t("Sent"): [language.day(q.application.submitted_at) for q in queue],
            t("Patient"): [q.patient_name for q in queue],
            "MRN": [q.mrn for q in queue],
            t("Household"): [q.application.household_size for q in queue],
            t("Poverty level"): [
                language.percent(q.application.percent_of_poverty / 100) for q in queue
            ],
            t("Suggested"): [
                t("{percent} off", percent=language.percent(q.application.suggested_percent / 100))
                for q in queue
            ],
            t("Owes now"): [money(q.owed_cents) for q in queue],
        },
        empty=t("No application is waiting."),
        static=True,
    )
    if queue:
        labels = {
            q.application.application_id: t(
                "{patient_name} (MRN {mrn})", patient_name=q.patient_name, mrn=q.mrn
            )
            for q in queue
        }
        chosen = st.selectbox(
            t("Decide"), list(labels), format_func=labels.__getitem__, key="assist_pick"
        )
        _decide(next(q for q in queue if q.application.application_id == chosen))
