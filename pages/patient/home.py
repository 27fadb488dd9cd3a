"""The patient's home: what is new (results, messages) and what is next (visits, bills)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from pages.components import state
from pages.components.format import money, when
from services import home
from services.access import PATIENT, PROXY

actor = state.guard(PATIENT, PROXY)
patient_id = state.acting_patient()

if patient_id is None:
    st.title("Home")
    st.info("Choose whose record to open in the sidebar.")
    st.stop()

with state.service_errors():
    view = home.patient_home(actor=actor, patient_id=patient_id)
    mine = patient_id == actor.patient_id
    st.title(f"Welcome, {view.patient_name.split()[0]}" if mine else f"{view.patient_name}'s home")
    if not mine:
        st.caption(f"You are acting for {view.patient_name}.")

    cols = st.columns(4)
    if view.new_results is not None:
        cols[0].metric("New results", len(view.new_results))
    if view.unread_messages is not None:
        cols[1].metric("Unread messages", view.unread_messages)
    if view.upcoming_appointments is not None:
        cols[2].metric("Upcoming visits", len(view.upcoming_appointments))
    if view.balance_due_cents is not None:
        cols[3].metric("Balance due", money(view.balance_due_cents))

    if view.upcoming_appointments is not None:
        st.subheader("Upcoming appointments")
        if view.upcoming_appointments:
            st.dataframe(
                pd.DataFrame(
                    {
                        "When": [when(a.start_at) for a in view.upcoming_appointments],
                        "With": [a.provider for a in view.upcoming_appointments],
                        "Type": [a.visit_type for a in view.upcoming_appointments],
                        "Reason": [a.reason for a in view.upcoming_appointments],
                    }
                ),
                hide_index=True,
                width="stretch",
            )
        else:
            st.write("No upcoming appointments.")

    if view.new_results is not None:
        st.subheader("New results")
        if view.new_results:
            st.dataframe(
                pd.DataFrame(
                    {
                        "Test": [r.panel_name for r in view.new_results],
                        "Collected": [when(r.collected_at) for r in view.new_results],
                        "Available since": [when(r.released_at) for r in view.new_results],
                        "Outside range": ["Yes" if r.abnormal else "No" for r in view.new_results],
                    }
                ),
                hide_index=True,
                width="stretch",
            )
        else:
            st.write("No new results since your last visit.")
