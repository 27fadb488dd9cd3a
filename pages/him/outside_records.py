"""Records from other providers, brought in for a patient (found by medical record number):
what came in before, and a FHIR file to add."""

from __future__ import annotations

import streamlit as st

from pages.components import outside_view, state
from pages.components.format import plain
from services.core import language
from services.core.access import HIM
from services.core.language import t
from services.records import outside

FOUND = "him_outside_patient"

actor = state.guard(HIM)
st.title(t("Records from other providers"))
state.show_flash()
with state.service_errors():
    with st.form("him_outside_find"):
        mrn = st.text_input(t("Patient MRN"), max_chars=16, key="him_outside_mrn")
        if st.form_submit_button(t("Find the patient")):
            st.session_state[FOUND] = outside.patient_by_mrn(actor=actor, mrn=mrn)
    found = st.session_state.get(FOUND)
    if isinstance(found, outside.FoundPatient):
        st.subheader(
            t(
                "{name}, born {born}, MRN {mrn}",
                name=plain(found.name),
                born=language.day(found.born),
                mrn=found.mrn,
            )
        )
        outside_view.what_came_in(actor, found.patient_id)
        outside_view.bring_in(actor, found.patient_id)
