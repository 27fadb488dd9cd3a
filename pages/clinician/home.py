"""The clinician's home: held results, open alerts, and the messages and refills waiting."""

from __future__ import annotations

import streamlit as st

from pages.components import state
from pages.components.format import when
from pages.components.widgets import figures, table
from services.core.access import CLINICIAN
from services.homes.clinician import clinician_home

actor = state.guard(CLINICIAN)
st.title("Clinician home")

with state.service_errors():
    view = clinician_home(actor=actor)
    figures(
        {
            "Held results": view.held_results,
            "Open alerts": view.open_alerts,
            "Messages waiting": view.messages_waiting,
            "Refills waiting": view.refills_waiting,
            "Amendments to decide": view.amendments_waiting,
        }
    )
    if view.amendments_waiting:
        st.page_link("pages/clinician/amendments.py", label="Decide the amendment requests")
    st.subheader("Held results (longest held first)")
    held = view.held_list
    table(
        {
            "Patient": [r.patient_name for r in held],
            "MRN": [r.mrn for r in held],
            "Test": [r.panel_name for r in held],
            "Held since": [when(r.held_at) for r in held],
            "Releases by": [when(r.hold_until) for r in held],
            "Reason": [(r.hold_reason or "").replace("_", " ") for r in held],
        },
        empty="No held results.",
    )
    st.subheader("Open metric alerts (newest first)")
    alerts = view.alert_list
    table(
        {
            "Patient": [a.patient_name for a in alerts],
            "MRN": [a.mrn for a in alerts],
            "Metric": [a.metric.replace("_", " ") for a in alerts],
            "Rule": [a.rule.replace("_", " ") for a in alerts],
            "Reading": [a.value_text for a in alerts],
            "Measured": [when(a.measured_at) for a in alerts],
        },
        empty="No open alerts.",
    )
