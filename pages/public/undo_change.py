"""What the link in a "your contact details were changed" notice opens: the old email address
or mobile number is put back and every session signed out (for someone who did not make it)."""

from __future__ import annotations

import streamlit as st

from pages.components import navigation, state
from pages.components.widgets import help_link, link_token
from services.core.language import t
from services.identity import account

st.title(t("Undo a change of your contact details"))
token = link_token()
st.write(
    t(
        "If you did not change the email address or mobile number on your account, put the old "
        "one back here. Every session on the account is signed out; then change your password."
    )
)
if st.button(t("Put my old details back"), type="primary", key="undo_change"):
    with state.service_errors():
        st.success(account.contact_change_undo(token=token))
        st.page_link(navigation.RECOVER.path, label=t("Choose a new password"))
help_link()
