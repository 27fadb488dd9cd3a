"""Health metrics for the patient (or the person a proxy acts for)."""

from __future__ import annotations

import streamlit as st

from pages.components import metrics_page, state
from services.access import PATIENT, PROXY

actor = state.guard(PATIENT, PROXY)
patient_id = state.acting_patient()
st.title("Health metrics")
if patient_id is None:
    st.info("Choose whose record to open in the sidebar.")
    st.stop()
metrics_page.render(actor, patient_id)
