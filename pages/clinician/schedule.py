"""The clinician's schedule: today's and the week's visits, a check-in that needs attention on
top, check-in status, questionnaire scores, reported changes to review, video links."""

from __future__ import annotations

import streamlit as st

from pages.components import state
from pages.components.format import when
from services.care import clinician_visits
from services.core.access import CLINICIAN
from services.core.language import t, tn

actor = state.guard(CLINICIAN)
st.title(t("Schedule"))

with state.service_errors():
    days = st.radio(
        t("Show"), [1, 7], format_func=lambda d: t("Today") if d == 1 else t("This week")
    )
    visits = clinician_visits.clinician_schedule(actor=actor, days=days)
    if not visits:
        st.info(t("No visits booked."))
    for v in visits:
        with st.container(border=True, key=f"visit_{v.appointment_id}"):
            if v.flagged:
                st.error(
                    t(
                        "PHQ-9 item 9 answered above 0 (thoughts of self-harm): contact the "
                        "patient today."
                    )
                )
            st.markdown(
                tn(
                    "**{start_at}** · {count} minute · {place}",
                    "**{start_at}** · {count} minutes · {place}",
                    v.minutes,
                    start_at=when(v.start_at),
                    place=v.place,
                )
            )
            st.text(
                t(
                    "{patient_name} (MRN {mrn}) · {type_name}",
                    patient_name=v.patient_name,
                    mrn=v.mrn,
                    type_name=v.type_name,
                )
            )
            st.text(t("Reason: {reason}", reason=v.reason))
            st.caption(t("Checked in") if v.checked_in else t("Not checked in yet"))
            for s in v.scores:
                st.text(f"{s.instrument.upper()}: {s.score} ({t(s.severity)})")
            for change in v.changes:
                st.text(t("To review: {change}", change=change))
            if v.video_url:
                st.link_button(t("Open the video room"), v.video_url)
