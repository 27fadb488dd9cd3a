"""What a link in an email opens: the recipient confirms their email address and downloads what
a patient shared, or the records released to them under a patient's authorization. Every
download is recorded."""

from __future__ import annotations

import streamlit as st

from pages.components import authenticator, state
from pages.components.widgets import download, help_link, link_token
from services.core import cookie_handoff
from services.core.language import t
from services.him import package_links

st.title(t("Shared health record"))
help_link()
token = link_token()
st.write(
    t(
        "A patient of Lakeside Health shared part of their record with you, or authorized its "
        "release to you. Enter the email address the link was sent to."
    )
)
with st.form("shared_open"):
    email = st.text_input(t("Your email address"), max_chars=254, key="shared_email")
    opened = st.form_submit_button(t("Open"), type="primary")
if opened:
    with state.service_errors():
        name, kind, data = package_links.shared_open(token=token, recipient_email=email)
        # Downloads need a portal session or a media pass; the recipient has no session.
        authenticator.hand_over(cookie_handoff.media_pass())
        st.success(t("Ready. This download has been recorded in the patient's record."))
        download(
            t("Download {name}", name=name), data, file_name=name, key="shared_download", mime=kind
        )
