"""Accounts: find, deactivate or reactivate, unlock, force a password reset, reset a lost second
factor, create staff accounts, and issue patient activation codes. Every action is audited."""

from __future__ import annotations

import streamlit as st

from pages.components import state
from pages.components.format import plain, when
from pages.components.widgets import table
from services.core.access import ADMIN, STAFF_ROLES
from services.identity import admin, registration

actor = state.guard(ADMIN)
st.title("Accounts")

ACTIONS = {
    "Deactivate": admin.account_deactivate,
    "Reactivate": admin.account_reactivate,
    "Lift sign-in pause": admin.account_unlock,
    "Force a password reset": admin.password_reset_force,
    "Reset lost two-step verification": admin.second_factor_reset,
}

with state.service_errors():
    search = st.text_input("Find by username or name", key="accounts_search", max_chars=64)
    rows = admin.accounts_list(actor=actor, search=search)
    table(
        {
            "Username": [r.username for r in rows],
            "Name": [r.display_name for r in rows],
            "Roles": [r.roles for r in rows],
            "Status": [r.status for r in rows],
            "Two-step": ["on" if r.second_factor else "off" for r in rows],
            "Paused until": [when(r.locked_until) if r.locked_until else "" for r in rows],
            "Last sign-in": [when(r.last_sign_in_at) for r in rows],
        },
        empty="No accounts match.",
    )

st.subheader("Act on an account")
with st.form("accounts_action"):
    username = st.text_input("Username", key="accounts_action_username", max_chars=64)
    action = st.selectbox("Action", list(ACTIONS), key="accounts_action")
    if st.form_submit_button("Apply"):
        with state.service_errors():
            ACTIONS[action](actor=actor, username=username)
            st.success(f"{action}: done for {plain(username.strip().lower())}.")

st.subheader("Create a staff account")
with st.form("accounts_create"):
    new_username = st.text_input("Username", key="accounts_new_username", max_chars=64)
    name = st.text_input("Name", key="accounts_new_name", max_chars=160)
    email = st.text_input("Work email", key="accounts_new_email", max_chars=254)
    role = st.selectbox("Role", STAFF_ROLES, key="accounts_new_role")
    if st.form_submit_button("Create and email a set-password code"):
        with state.service_errors():
            admin.staff_create(
                actor=actor, username=new_username, display_name=name, email=email, role=role
            )
            st.success(
                "Account created. The person sets a password from the email, "
                "then sets up two-step sign-in."
            )

st.subheader("Patient activation code")
with st.form("accounts_activation"):
    mrn = st.text_input("Medical record number", key="accounts_mrn", max_chars=16)
    if st.form_submit_button("Issue a code"):
        with state.service_errors():
            code = registration.activation_code_issue(actor=actor, mrn=mrn)
            st.success(f"Activation code (give it to the patient; valid 30 days, once): {code}")
