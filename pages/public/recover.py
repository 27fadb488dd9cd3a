"""Forgot your username or password: the answers never say whether an account exists."""

from __future__ import annotations

import streamlit as st

from pages.components import navigation, state
from pages.components.widgets import help_link, new_password
from services.core.language import t
from services.identity import recovery

st.title(t("Forgot your username or password?"))
username_tab, password_tab, reset_tab = st.tabs(
    [t("Username"), t("Password"), t("I have a reset code")]
)

with username_tab, st.form("recover_username"):
    email = st.text_input(t("Email address on your account"), key="recover_email", max_chars=254)
    if st.form_submit_button(t("Email my username")):
        with state.service_errors():
            st.info(recovery.username_reminder(email=email))

with password_tab, st.form("recover_password"):
    username = st.text_input(t("Username"), key="recover_username", max_chars=64)
    if st.form_submit_button(t("Email me a reset code")):
        with state.service_errors():
            st.info(recovery.password_reset_request(username=username))

with reset_tab, st.form("recover_reset"):
    st.write(
        t(
            "The code works once and expires 15 minutes after we send it. "
            "Resetting signs you out everywhere."
        )
    )
    reset_user = st.text_input(t("Username"), key="reset_username", max_chars=64)
    code = st.text_input(t("Reset code"), key="reset_code", max_chars=14, placeholder="ABCDE-23456")
    new = new_password(t("New password"), "reset_password")
    if st.form_submit_button(t("Set new password"), type="primary"):
        with state.service_errors():
            recovery.password_reset_complete(username=reset_user, code=code, new_password=new)
            st.success(
                t(
                    "Your password is changed. Sign in with it now "
                    "(with your second step, if you use one)."
                )
            )

st.page_link(navigation.SIGN_IN.path, label=t("Back to sign in"))
help_link()
