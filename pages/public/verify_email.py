"""Activate a new account with the code we emailed."""

from __future__ import annotations

import streamlit as st

from pages.components import navigation, state
from pages.components.widgets import help_link
from services.core.language import t
from services.identity import registration

st.title(t("Verify your email"))
st.write(t("Enter the 6-digit code we emailed you. It expires in 30 minutes."))

with st.form("verify_email"):
    username = st.text_input(
        t("Username"),
        key="verify_username_input",
        value=st.session_state.get("verify_username", ""),
    )
    code = st.text_input(t("Verification code"), key="verify_code", max_chars=8)
    submitted = st.form_submit_button(t("Verify"), type="primary")
if submitted:
    with state.service_errors():
        registration.registration_verify(username=username, code=code)
        st.success(t("Your email is verified and your account is active. You can sign in now."))
st.page_link(navigation.SIGN_IN.path, label=t("Go to sign in"))
help_link()
