"""What the link in a new-sign-in notice opens, for someone who did not sign in: every session
of the account ends and a new password replaces the old one (and no browser stays trusted)."""

from __future__ import annotations

import streamlit as st

from pages.components import navigation, state
from pages.components.widgets import help_link, link_token, new_password
from services.core.language import t
from services.identity import recovery

st.title(t("Secure your account"))
token = link_token()
st.write(
    t(
        "If someone else signed in to your account, choose a new password here. Every session "
        "on the account is signed out at once, wherever it is, and every trusted browser will "
        "ask for the second step again."
    )
)
with st.form("secure_account"):
    new = new_password(t("New password"), "secure_password")
    done = st.form_submit_button(t("End every session and change my password"), type="primary")
if done:
    with state.service_errors():
        recovery.secure_account(token=token, new_password=new)
        st.success(t("Done. Every session was signed out; sign in with your new password."))
        st.page_link(navigation.SIGN_IN.path, label=t("Sign in"))
help_link()
