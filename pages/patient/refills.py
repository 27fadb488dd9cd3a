"""Refills: ask for a refill of a medicine that allows it (the others say why not), at a pharmacy
of the directory, with a note; and each request's status."""

from __future__ import annotations

import streamlit as st

from pages.components import state
from pages.components.format import plain, when
from pages.components.widgets import table
from services.care import refills
from services.core.language import t, tn

actor, patient_id = state.patient_page(t("Refills"))
state.show_flash()


def _ask() -> None:
    medicines, pharmacies, last = refills.refill_choices(actor=actor, patient_id=patient_id)
    ready = {m.medication_id: m for m in medicines if m.refusal is None}
    for m in medicines:
        if m.refusal is not None:
            st.caption(plain(m.refusal))
    if not ready:
        st.info(t("None of your medicines can be refilled online right now."))
        return
    stores = {p.pharmacy_id: p for p in pharmacies}
    with st.form("refill_form"):
        medicine = st.selectbox(
            t("Medicine"),
            list(ready),
            format_func=lambda m: tn(
                "{name} {dose}, {frequency} ({count} refill left)",
                "{name} {dose}, {frequency} ({count} refills left)",
                ready[m].refills_remaining,
                name=ready[m].name,
                dose=ready[m].dose,
                frequency=ready[m].frequency,
            ),
        )
        pharmacy = st.selectbox(
            t("Pharmacy"),
            list(stores),
            index=list(stores).index(last) if last in stores else 0,
            format_func=lambda p: f"{stores[p].name}, {stores[p].address}",
        )
        note = st.text_area(t("Note for your care team (optional)"), max_chars=500)
        if st.form_submit_button(t("Request the refill")):
            refills.refill_request(
                actor=actor,
                patient_id=patient_id,
                medication_id=medicine,
                pharmacy_id=pharmacy,
                note=note,
            )
            state.done(t("Your refill request was sent to your care team."))


def _status() -> None:
    mine = refills.my_refills(actor=actor, patient_id=patient_id)
    table(
        {
            t("Asked"): [when(r.requested_at) for r in mine],
            t("Medicine"): [r.medicine for r in mine],
            t("Pharmacy"): [r.pharmacy for r in mine],
            t("Status"): [r.status_name for r in mine],
            t("Note from your care team"): [r.note or "" for r in mine],
        },
        empty=t("No refill requests yet."),
        static=True,
    )
    if any(r.status == refills.VISIT_NEEDED for r in mine):
        st.page_link(
            "pages/patient/visits.py",
            label=t("Your care team asked for a visit first: schedule one"),
            icon=":material/event:",
        )


with state.service_errors():
    st.subheader(t("Request a refill"))
    _ask()
    st.subheader(t("Your requests"))
    _status()
