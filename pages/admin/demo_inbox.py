"""Demo inbox: what the portal would have emailed or texted (demo mode only, admins only)."""

from __future__ import annotations

import streamlit as st

from pages.components import state
from pages.components.format import plain, when
from services.core import notify
from services.core.access import ADMIN
from services.core.language import t

actor = state.guard(ADMIN)
st.title(t("Demo inbox"))
st.caption(
    t(
        "With no mail server configured, messages wait in the outbox; this page "
        "shows them so the demo can be tried end to end (for example, to read a "
        "verification code)."
    )
)

with state.service_errors():
    items = notify.demo_inbox(actor=actor)
    if not items:
        st.write(t("No messages yet."))
    for item in items:
        with st.container(border=True):
            st.markdown(f"**{plain(item.subject)}**")
            status = "sent" if item.sent_at else "waiting"
            st.text(
                t(
                    "To {to} by {channel} · {created_at} · {status}",
                    to=item.to,
                    channel=item.channel,
                    created_at=when(item.created_at),
                    status=status,
                )
            )
            st.text(item.body)
