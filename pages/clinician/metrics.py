"""A care-team patient's health metrics: the same charts the patient sees, read-only."""

from __future__ import annotations

import streamlit as st

from pages.components import metrics_page, state
from services.core.access import CLINICIAN
from services.core.language import t
from services.identity import acting

CHOSEN = "clinician_metrics_patient"  # set by the alert queue's "Open metrics"

actor = state.guard(CLINICIAN)
st.title(t("Patient metrics"))
with state.service_errors():
    choices = {c.patient_id: c.name for c in acting.care_team_patients(actor=actor)}
if not choices:
    st.info(t("No patients on your care teams."))
    st.stop()
ids = list(choices)
if st.session_state.get(CHOSEN) not in ids:
    st.session_state[CHOSEN] = ids[0]
patient_id = st.selectbox(t("Patient"), ids, format_func=choices.__getitem__, key=CHOSEN)
metrics_page.render(actor, patient_id)
