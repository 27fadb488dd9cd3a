"""Activate a new account with the code we emailed."""

from __future__ import annotations

import streamlit as st

from pages.components import navigation, state
from services.identity import registration

st.title("Verify your email")
st.write("Enter the 6-digit code we emailed you. It expires in 30 minutes.")

with st.form("verify_email"):
    username = st.text_input(
        "Username", key="verify_username_input", value=st.session_state.get("verify_username", "")
    )
    code = st.text_input("Verification code", key="verify_code", max_chars=8)
    submitted = st.form_submit_button("Verify", type="primary")
if submitted:
    with state.service_errors():
        registration.registration_verify(username=username, code=code)
        st.success("Your email is verified and your account is active. You can sign in now.")
st.page_link(navigation.SIGN_IN.path, label="Go to sign in")
