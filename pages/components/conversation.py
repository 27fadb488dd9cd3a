"""What the patient's Messages page and the staff Inbox share: the conversation picker and the
messages drawn as typed, with their attachments."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from functools import partial

import streamlit as st

from pages.components.format import plain, when
from pages.components.widgets import download
from services.care.messages import MessageView
from services.core.language import t


def pick(labels: Mapping[uuid.UUID, str], key: str) -> uuid.UUID | None:
    """The "Open a conversation" picker; a choice no longer listed (a search, a forward) is
    dropped."""
    if st.session_state.get(key) not in labels:
        st.session_state.pop(key, None)
    chosen: uuid.UUID | None = st.selectbox(
        t("Open a conversation"),
        [None, *labels],
        format_func=lambda c: t("Choose…") if c is None else labels[c],
        key=key,
    )
    return chosen


def show(messages: list[MessageView], attachment: Callable[[uuid.UUID], bytes]) -> None:
    """Each message in a card: who and when, the text as typed, its files to download."""
    for m in messages:
        with st.container(border=True, key=f"message_{m.message_id}"):
            st.caption(plain(f"{m.signature} · {when(m.sent_at)}"))
            st.text(m.body)
            for a in m.attachments:
                download(
                    plain(t("Download {title}", title=a.title)),
                    partial(attachment, a.attachment_id),
                    file_name=a.title,
                    key=f"attachment_{a.attachment_id}",
                    icon=":material/attach_file:",
                )
