"""The metric-alert queue: care-team patients' readings past the alert policy, to acknowledge."""

from __future__ import annotations

import streamlit as st

from pages.components import navigation, state
from pages.components.format import plain, when
from services.core.access import CLINICIAN
from services.health import alerts, clinical

actor = state.guard(CLINICIAN)
st.title("Metric alerts")
st.caption(
    "Readings past the alert policy (blood pressure in the crisis range; glucose under "
    f"{clinical.policy().glucose_alert_low:g} or over {clinical.policy().glucose_alert_high:g} "
    "mg/dL; rapid weight gain with heart failure) for the patients on your care teams."
)
for message in st.session_state.pop("alerts_done", []):
    st.success(message)
with state.service_errors():
    queue = alerts.alert_queue(actor=actor)
    if not queue:
        st.info("No open alerts.")
    for item in queue:
        rule = clinical.RULE_LABELS.get(item.rule, item.rule)
        label = (
            f"{plain(item.patient_name)} (MRN {item.mrn}): {rule}, {item.value_text}, "
            f"{when(item.measured_at)}"
        )
        with st.expander(label):
            with st.form(f"ack_{item.alert_id}"):
                note = st.text_area(
                    "What was done", max_chars=alerts.MAX_NOTE, key=f"ack_note_{item.alert_id}"
                )
                if st.form_submit_button("Acknowledge", type="primary"):
                    with state.service_errors():
                        alerts.alert_acknowledge(actor=actor, alert_id=item.alert_id, note=note)
                        st.session_state["alerts_done"] = [f"Acknowledged: {label}"]
                        st.rerun()
            if st.button("Open this patient's metrics", key=f"open_{item.alert_id}"):
                st.session_state["clinician_metrics_patient"] = item.patient_id
                st.switch_page(navigation.CLINICIAN_METRICS.path)
