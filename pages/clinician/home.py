"""The clinician's home: held results, open alerts, and the messages and refills waiting."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from pages.components import state
from pages.components.format import when
from services import home
from services.access import CLINICIAN

actor = state.guard(CLINICIAN)
st.title("Clinician home")

with state.service_errors():
    view = home.clinician_home(actor=actor)
    cols = st.columns(4)
    cols[0].metric("Held results", view.held_results)
    cols[1].metric("Open alerts", view.open_alerts)
    cols[2].metric("Messages waiting", view.messages_waiting)
    cols[3].metric("Refills waiting", view.refills_waiting)

    st.subheader("Held results (longest held first)")
    if view.held_list:
        st.dataframe(
            pd.DataFrame(
                {
                    "Patient": [r.patient_name for r in view.held_list],
                    "MRN": [r.mrn for r in view.held_list],
                    "Test": [r.panel_name for r in view.held_list],
                    "Held since": [when(r.held_at) for r in view.held_list],
                    "Releases by": [when(r.hold_until) for r in view.held_list],
                    "Reason": [(r.hold_reason or "").replace("_", " ") for r in view.held_list],
                }
            ),
            hide_index=True,
            width="stretch",
        )
    else:
        st.write("No held results.")

    st.subheader("Open metric alerts (newest first)")
    if view.alert_list:
        st.dataframe(
            pd.DataFrame(
                {
                    "Patient": [a.patient_name for a in view.alert_list],
                    "MRN": [a.mrn for a in view.alert_list],
                    "Metric": [a.metric.replace("_", " ") for a in view.alert_list],
                    "Rule": [a.rule.replace("_", " ") for a in view.alert_list],
                    "Reading": [a.value_text for a in view.alert_list],
                    "Measured": [when(a.measured_at) for a in view.alert_list],
                }
            ),
            hide_index=True,
            width="stretch",
        )
    else:
        st.write("No open alerts.")
