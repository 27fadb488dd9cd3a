"""An invitation to act for a patient: see what it offers, then accept it signed in, or create a
caregiver account through it."""

from __future__ import annotations

import streamlit as st

from pages.components import navigation, state
from pages.components.format import last_day, plain, when
from pages.components.widgets import caregiver_account
from services.proxy import invitations, policy

DONE = "invitation_accepted_for"

st.title("Invitation to help with someone's care")
current = state.actor()
if current is not None and st.session_state.get(DONE):
    name = st.session_state.pop(DONE)
    st.success(f"You can now act for {plain(name)}: choose them in the sidebar.")
    st.stop()
token = st.query_params.get("token") or st.session_state.get(state.PENDING_INVITATION) or ""
view = None
with state.service_errors():
    view = invitations.invitation_view(token=token)
if view is None:
    st.session_state.pop(state.PENDING_INVITATION, None)
    st.stop()
st.session_state[state.PENDING_INVITATION] = token
whose = "their" if view.invited_by == view.patient_name else f"{plain(view.patient_name)}'s"
st.write(
    f"{plain(view.invited_by)} invites you to help with {whose} care as their "
    f"{plain(view.relationship.lower())}."
)
st.write(
    "You would see: "
    + ", ".join(policy.SCOPE_WORDS.get(s, s) for s in view.scopes)
    + f". Access lasts until {last_day(view.grant_ends_at)}."
)
st.caption(f"This link works once, until {when(view.link_expires_at)}.")
if current is not None:
    if st.button("Accept the invitation", type="primary", key="invitation_accept"):
        with state.service_errors():
            st.session_state[DONE] = invitations.invitation_accept(actor=current, token=token)
            st.session_state.pop(state.PENDING_INVITATION, None)
            st.query_params.clear()
            st.rerun()
else:
    st.subheader("Already have an account?")
    st.write("Sign in, and this invitation is offered to you again.")
    st.page_link(navigation.SIGN_IN.path, label="Sign in to accept")
    st.subheader("New here? Create a caregiver account")
    details = caregiver_account("invitation_account")
    if details is not None:
        with state.service_errors():
            invitations.invitation_register(token=token, details=details)
            st.session_state.pop(state.PENDING_INVITATION, None)
            st.session_state["verify_username"] = details.username.strip().lower()
            st.switch_page(navigation.VERIFY.path)
