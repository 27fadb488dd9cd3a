"""The patient's home: what is new (results, messages) and what is next (visits, bills)."""

from __future__ import annotations

import streamlit as st

from pages.components import state
from pages.components.format import money, plain, when
from pages.components.widgets import figures, table
from services.core.access import PATIENT, PROXY
from services.core.language import t
from services.homes.patient import patient_home

actor = state.guard(PATIENT, PROXY)
patient_id = state.acting_patient()

if patient_id is None:
    st.title(t("Home"))
    st.info(t("Choose whose record to open in the sidebar."))
    st.stop()

with state.service_errors():
    view = patient_home(actor=actor, patient_id=patient_id)
    mine = patient_id == actor.patient_id
    st.title(
        t("Welcome, {name}", name=plain(view.patient_name.split()[0]))
        if mine
        else t("{patient_name}'s home", patient_name=plain(view.patient_name))
    )
    state.viewing_notice(actor, patient_id)

    # A section is None when a proxy's scopes do not cover it: it is left out entirely.
    headline: dict[str, int | str] = {}
    if view.new_results is not None:
        headline[t("New results")] = len(view.new_results)
    if view.unread_messages is not None:
        headline[t("Unread messages")] = view.unread_messages
    if view.upcoming_appointments is not None:
        headline[t("Upcoming visits")] = len(view.upcoming_appointments)
    if view.balance_due_cents is not None:
        headline[t("Balance due")] = money(view.balance_due_cents)
    figures(headline)

    if view.upcoming_appointments is not None:
        st.subheader(t("Upcoming appointments"))
        visits = view.upcoming_appointments
        table(
            {
                t("When"): [when(a.start_at) for a in visits],
                t("With"): [a.provider for a in visits],
                t("Type"): [a.visit_type for a in visits],
                t("Reason"): [a.reason for a in visits],
            },
            empty=t("No upcoming appointments."),
        )
        st.page_link(
            "pages/patient/visits.py",
            label=t("See, move or book visits, and check in"),
            icon=":material/event:",
        )

    if view.new_results is not None:
        st.subheader(t("New results"))
        results = view.new_results
        table(
            {
                t("Test"): [r.panel_name for r in results],
                t("Collected"): [when(r.collected_at) for r in results],
                t("Available since"): [when(r.released_at) for r in results],
                t("Outside range"): [t("Yes") if r.abnormal else t("No") for r in results],
            },
            empty=t("No new results since your last visit."),
        )
