"""An invitation to act for a patient: see what it offers, then accept it signed in, or create a
caregiver account through it."""

from __future__ import annotations

import streamlit as st

from pages.components import navigation, state
from pages.components.format import last_day, plain, when
from pages.components.widgets import caregiver_account, help_link
from services.core.language import listing, t
from services.proxy import invitations, proxy_rules

DONE = "invitation_accepted_for"

st.title(t("Invitation to help with someone's care"))
help_link()
current = state.actor()
if current is not None and st.session_state.get(DONE):
    name = st.session_state.pop(DONE)
    st.success(t("You can now act for {name}: choose them in the sidebar.", name=plain(name)))
    st.stop()
token = st.query_params.get("token") or st.session_state.get(state.PENDING_INVITATION) or ""
view = None
with state.service_errors():
    view = invitations.invitation_view(token=token)
if view is None:
    st.session_state.pop(state.PENDING_INVITATION, None)
    st.stop()
st.session_state[state.PENDING_INVITATION] = token
places = {
    "inviter": plain(view.invited_by),
    "patient": plain(view.patient_name),
    "relationship": plain(view.relationship.lower()),
}
if view.invited_by == view.patient_name:
    st.write(t("{inviter} invites you to help with their care as their {relationship}.", **places))
else:
    st.write(
        t("{inviter} invites you to help with {patient}'s care as their {relationship}.", **places)
    )
st.write(
    t(
        "You would see: {parts}. Access lasts until {end}.",
        parts=listing(t(proxy_rules.SCOPE_WORDS.get(s, s)) for s in view.scopes),
        end=last_day(view.grant_ends_at),
    )
)
st.caption(
    t("This link works once, until {link_expires_at}.", link_expires_at=when(view.link_expires_at))
)
if current is not None:
    if st.button(t("Accept the invitation"), type="primary", key="invitation_accept"):
        with state.service_errors():
            st.session_state[DONE] = invitations.invitation_accept(actor=current, token=token)
            st.session_state.pop(state.PENDING_INVITATION, None)
            st.query_params.clear()
            st.rerun()
else:
    st.subheader(t("Already have an account?"))
    st.write(t("Sign in, and this invitation is offered to you again."))
    st.page_link(navigation.SIGN_IN.path, label=t("Sign in to accept"))
    st.subheader(t("New here? Create a caregiver account"))
    details = caregiver_account("invitation_account")
    if details is not None:
        with state.service_errors():
            invitations.invitation_register(token=token, details=details)
            st.session_state.pop(state.PENDING_INVITATION, None)
            st.session_state["verify_username"] = details.username.strip().lower()
            st.switch_page(navigation.VERIFY.path)
