"""The sidebar: who is signed in, whom a proxy acts for (with a switcher), sign out."""

from __future__ import annotations

import streamlit as st

from pages.components import state
from services import auth, session
from services.access import PATIENT, PROXY, Actor

SWITCHER = "sidebar_acting_for"


def sidebar(actor: Actor) -> None:
    with st.sidebar:
        st.markdown(f"**{actor.display_name}**")
        st.caption(", ".join(sorted(actor.roles)))
        if actor.roles & {PATIENT, PROXY}:
            _patient_switcher(actor)
        if st.button("Sign out", key="sidebar_sign_out", icon=":material/logout:"):
            with state.service_errors():
                auth.sign_out(actor=actor)
            st.session_state.clear()
            st.rerun()


def _patient_switcher(actor: Actor) -> None:
    choices = st.session_state.get(state.CHOICES) or []
    if not choices:
        with state.service_errors():
            choices = session.acting_choices(actor=actor)
            st.session_state[state.CHOICES] = choices
    if not choices:
        st.info("No patient records are linked to this account yet.")
        return
    labels = {
        c.patient_id: c.name if c.relationship == "self" else f"{c.name} ({c.relationship})"
        for c in choices
    }
    ids = list(labels)
    if st.session_state.get(SWITCHER) not in ids:
        current = state.acting_patient()
        st.session_state[SWITCHER] = current if current in ids else ids[0]
    chosen = st.selectbox(
        "Acting for" if PROXY in actor.roles or len(ids) > 1 else "Your record",
        ids,
        format_func=lambda pid: labels[pid],
        key=SWITCHER,
        disabled=len(ids) == 1,
    )
    # The sidebar runs before the page, so the page already sees this choice.
    st.session_state[state.ACTING_FOR] = chosen
