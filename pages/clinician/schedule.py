"""The clinician's schedule: today's and the week's visits, a check-in that needs attention on
top, check-in status, questionnaire scores, reported changes to review, video links."""

from __future__ import annotations

import streamlit as st

from pages.components import state
from pages.components.format import when
from services.care import clinician_visits
from services.core.access import CLINICIAN

actor = state.guard(CLINICIAN)
st.title("Schedule")

with state.service_errors():
    days = st.radio("Show", [1, 7], format_func=lambda d: "Today" if d == 1 else "This week")
    visits = clinician_visits.clinician_schedule(actor=actor, days=days)
    if not visits:
        st.info("No visits booked.")
    for v in visits:
        with st.container(border=True, key=f"visit_{v.appointment_id}"):
            if v.flagged:
                st.error(
                    "PHQ-9 item 9 answered above 0 (thoughts of self-harm): contact the patient "
                    "today."
                )
            st.markdown(f"**{when(v.start_at)}** · {v.minutes} minutes · {v.place}")
            st.text(f"{v.patient_name} (MRN {v.mrn}) · {v.type_name}")
            st.text(f"Reason: {v.reason}")
            st.caption("Checked in" if v.checked_in else "Not checked in yet")
            for s in v.scores:
                st.text(f"{s.instrument.upper()}: {s.score} ({s.severity})")
            for change in v.changes:
                st.text(f"To review: {change}")
            if v.video_url:
                st.link_button("Open the video room", v.video_url)
