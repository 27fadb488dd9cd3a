"""Sign in with username and password (the database is the source of truth)."""

from __future__ import annotations

import streamlit as st

from pages.components import state
from services import auth
from services.errors import AuthenticationFailed

st.title("Lakeside Health portal")
st.write("Sign in to see your health information, message your care team and manage your visits.")

with st.form("sign_in", clear_on_submit=False):
    username = st.text_input("Username", key="sign_in_username", max_chars=auth.MAX_USERNAME)
    password = st.text_input(
        "Password", type="password", key="sign_in_password", max_chars=auth.MAX_PASSWORD
    )
    submitted = st.form_submit_button("Sign in", type="primary")

if submitted:
    with state.service_errors():
        try:
            result = auth.sign_in(username=username, password=password)
        except AuthenticationFailed as exc:
            st.error(exc.message)
        else:
            state.signed_in(result.actor, result.token)
            st.rerun()

st.caption(
    "After several failed attempts, sign-in pauses for a few minutes to protect your account. "
    "Sessions end after a period without activity."
)
