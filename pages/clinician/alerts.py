"""The metric-alert queue: care-team patients' readings past the alert policy, to acknowledge."""

from __future__ import annotations

import streamlit as st

from pages.components import navigation, state
from pages.components.format import plain, when
from services.core import language
from services.core.access import CLINICIAN
from services.core.language import t
from services.health import alerts, clinical

actor = state.guard(CLINICIAN)
st.title(t("Metric alerts"))
st.caption(
    t(
        "Readings past the alert policy (blood pressure in the crisis range; glucose under "
        "{low} or over {high} mg/dL; rapid weight gain with heart failure) for the patients "
        "on your care teams.",
        low=language.number(clinical.policy().glucose_alert_low),
        high=language.number(clinical.policy().glucose_alert_high),
    )
)
for message in st.session_state.pop("alerts_done", []):
    st.success(message)
with state.service_errors():
    queue = alerts.alert_queue(actor=actor)
    if not queue:
        st.info(t("No open alerts."))
    for item in queue:
        rule = t(clinical.RULE_LABELS.get(item.rule, item.rule))
        label = t(
            "{patient_name} (MRN {mrn}): {rule}, {value_text}, {measured_at}",
            patient_name=plain(item.patient_name),
            mrn=item.mrn,
            rule=rule,
            value_text=item.value_text,
            measured_at=when(item.measured_at),
        )
        with st.expander(label):
            with st.form(f"ack_{item.alert_id}"):
                note = st.text_area(
                    t("What was done"), max_chars=alerts.MAX_NOTE, key=f"ack_note_{item.alert_id}"
                )
                if st.form_submit_button(t("Acknowledge"), type="primary"):
                    with state.service_errors():
                        alerts.alert_acknowledge(actor=actor, alert_id=item.alert_id, note=note)
                        st.session_state["alerts_done"] = [t("Acknowledged: {label}", label=label)]
                        st.rerun()
            if st.button(t("Open this patient's metrics"), key=f"open_{item.alert_id}"):
                st.session_state["clinician_metrics_patient"] = item.patient_id
                st.switch_page(navigation.CLINICIAN_METRICS.path)
