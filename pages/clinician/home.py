"""The clinician's home: held results, open alerts, and the messages and refills waiting."""

from __future__ import annotations

import streamlit as st

from pages.components import state
from pages.components.format import when
from pages.components.widgets import figures, table
from services.core.access import CLINICIAN
from services.core.language import t
from services.homes.clinician import clinician_home

actor = state.guard(CLINICIAN)
st.title(t("Clinician home"))

with state.service_errors():
    view = clinician_home(actor=actor)
    figures(
        {
            t("Held results"): view.held_results,
            t("Open alerts"): view.open_alerts,
            t("Messages waiting"): view.messages_waiting,
            t("Refills waiting"): view.refills_waiting,
            t("Amendments to decide"): view.amendments_waiting,
        }
    )
    if view.amendments_waiting:
        st.page_link("pages/clinician/amendments.py", label=t("Decide the amendment requests"))
    st.subheader(t("Held results (longest held first)"))
    held = view.held_list
    table(
        {
            t("Patient"): [r.patient_name for r in held],
            "MRN": [r.mrn for r in held],
            t("Test"): [r.panel_name for r in held],
            t("Held since"): [when(r.held_at) for r in held],
            t("Releases by"): [when(r.hold_until) for r in held],
            t("Reason"): [(r.hold_reason or "").replace("_", " ") for r in held],
        },
        empty=t("No held results."),
    )
    st.subheader(t("Open metric alerts (newest first)"))
    alerts = view.alert_list
    table(
        {
            t("Patient"): [a.patient_name for a in alerts],
            "MRN": [a.mrn for a in alerts],
            t("Metric"): [a.metric.replace("_", " ") for a in alerts],
            t("Rule"): [a.rule.replace("_", " ") for a in alerts],
            t("Reading"): [a.value_text for a in alerts],
            t("Measured"): [when(a.measured_at) for a in alerts],
        },
        empty=t("No open alerts."),
    )
