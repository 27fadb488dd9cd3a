"""Forgot your username or password: the answers never say whether an account exists."""

from __future__ import annotations

import streamlit as st

from pages.components import navigation, state
from pages.components.widgets import new_password
from services.identity import recovery

st.title("Forgot your username or password?")
username_tab, password_tab, reset_tab = st.tabs(["Username", "Password", "I have a reset code"])

with username_tab, st.form("recover_username"):
    email = st.text_input("Email address on your account", key="recover_email", max_chars=254)
    if st.form_submit_button("Email my username"):
        with state.service_errors():
            st.info(recovery.username_reminder(email=email))

with password_tab, st.form("recover_password"):
    username = st.text_input("Username", key="recover_username", max_chars=64)
    if st.form_submit_button("Email me a reset code"):
        with state.service_errors():
            st.info(recovery.password_reset_request(username=username))

with reset_tab, st.form("recover_reset"):
    st.write(
        "The code works once and expires 15 minutes after we send it. "
        "Resetting signs you out everywhere."
    )
    reset_user = st.text_input("Username", key="reset_username", max_chars=64)
    code = st.text_input("Reset code", key="reset_code", max_chars=14, placeholder="ABCDE-23456")
    new = new_password("New password", "reset_password")
    if st.form_submit_button("Set new password", type="primary"):
        with state.service_errors():
            recovery.password_reset_complete(username=reset_user, code=code, new_password=new)
            st.success(
                "Your password is changed. Sign in with it now "
                "(with your second step, if you use one)."
            )

st.page_link(navigation.SIGN_IN.path, label="Back to sign in")
