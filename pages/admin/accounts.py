"""Accounts: find, deactivate or reactivate, unlock, force a password reset, reset a lost second
factor, create staff accounts, link staff accounts to the clinic's single sign-on, and issue
patient activation codes. Every action is audited."""

from __future__ import annotations

from functools import partial

import streamlit as st

from pages.components import state
from pages.components.format import plain, when
from pages.components.widgets import table
from services.core.access import ADMIN, STAFF_ROLES
from services.core.language import t
from services.identity import admin, registration, sso

actor = state.guard(ADMIN)
st.title(t("Accounts"))
state.show_flash()

ACTIONS = {
    t("Deactivate"): admin.account_deactivate,
    t("Reactivate"): admin.account_reactivate,
    t("Lift sign-in pause"): admin.account_unlock,
    t("Force a password reset"): admin.password_reset_force,
    t("Reset lost two-step verification"): admin.second_factor_reset,
}

with state.service_errors():
    search = st.text_input(t("Find by username or name"), key="accounts_search", max_chars=64)
    rows = admin.accounts_list(actor=actor, search=search)
    table(
        {
            t("Username"): [r.username for r in rows],
            t("Name"): [r.display_name for r in rows],
            t("Roles"): [r.roles for r in rows],
            t("Status"): [r.status for r in rows],
            t("Two-step"): [t("on") if r.second_factor else t("off") for r in rows],
            t("Paused until"): [when(r.locked_until) if r.locked_until else "" for r in rows],
            t("Last sign-in"): [when(r.last_sign_in_at) for r in rows],
        },
        empty=t("No accounts match."),
    )

st.subheader(t("Act on an account"))
with st.form("accounts_action"):
    username = st.text_input(t("Username"), key="accounts_action_username", max_chars=64)
    action = st.selectbox(t("Action"), list(ACTIONS), key="accounts_action")
    if st.form_submit_button(t("Apply")):
        with state.service_errors():
            ACTIONS[action](actor=actor, username=username)
            st.success(
                t(
                    "{action}: done for {username}.",
                    action=action,
                    username=plain(username.strip().lower()),
                )
            )

st.subheader(t("Create a staff account"))
with st.form("accounts_create"):
    new_username = st.text_input(t("Username"), key="accounts_new_username", max_chars=64)
    name = st.text_input(t("Name"), key="accounts_new_name", max_chars=160)
    email = st.text_input(t("Work email"), key="accounts_new_email", max_chars=254)
    role = st.selectbox(t("Role"), STAFF_ROLES, key="accounts_new_role")
    if st.form_submit_button(t("Create and email a set-password code")):
        with state.service_errors():
            admin.staff_create(
                actor=actor, username=new_username, display_name=name, email=email, role=role
            )
            st.success(
                t(
                    "Account created. The person sets a password from the email, then sets "
                    "up two-step sign-in."
                )
            )

provider = sso.offered()
if provider is not None:
    st.subheader(t("Single sign-on"))
    st.caption(
        t(
            "A linked staff account signs in with {name} instead of its portal password. Its "
            "roles stay the portal's.",
            name=plain(provider),
        )
    )
    with state.service_errors():
        links = sso.sso_links(actor=actor)
        table(
            {
                t("Username"): [k.username for k in links],
                t("Name"): [k.name for k in links],
                t("Subject at the provider"): [k.subject for k in links],
                t("Linked"): [when(k.linked_at) for k in links],
                t("Last used"): [when(k.last_used_at) if k.last_used_at else "" for k in links],
            },
            empty=t("No account is linked yet."),
        )
    with st.form("accounts_sso"):
        linked_username = st.text_input(t("Username"), key="accounts_sso_username", max_chars=64)
        subject = st.text_input(
            t("Subject at the provider (its user id)"),
            key="accounts_sso_subject",
            max_chars=sso.MAX_SUBJECT,
        )
        link = st.form_submit_button(t("Link"))
        unlink = st.form_submit_button(t("Unlink"))
    if link:
        state.act(
            partial(sso.sso_link, actor=actor, username=linked_username, subject=subject),
            t("Linked."),
        )
    if unlink:
        state.act(
            partial(sso.sso_unlink, actor=actor, username=linked_username),
            t("Unlinked. The account signs in with its portal password again."),
        )

st.subheader(t("Patient activation code"))
with st.form("accounts_activation"):
    mrn = st.text_input(t("Medical record number"), key="accounts_mrn", max_chars=16)
    if st.form_submit_button(t("Issue a code")):
        with state.service_errors():
            code = registration.activation_code_issue(actor=actor, mrn=mrn)
            st.success(
                t(
                    "Activation code (give it to the patient; valid 30 days, once): {code}",
                    code=code,
                )
            )
