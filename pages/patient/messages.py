"""Messages: conversations with the care team, the billing office and the records office
(newest first, unread marked, search), one conversation read and answered, and a new message
with a category and attachments. Not for emergencies, and it says so."""

from __future__ import annotations

import uuid

import streamlit as st

from pages.components import conversation, state
from pages.components.format import plain, when
from pages.components.widgets import choose, table
from services.care import messages, pools
from services.core.language import t
from services.core.uploads import Upload

actor, patient_id = state.patient_page(t("Messages"))
state.show_flash()
PICK = "messages_pick"  # the conversation being read
SENT = "messages_sent"  # a conversation just started, to open on the next run
FILE_TYPES = ["pdf", "png", "jpg", "jpeg"]


def _files(key: str) -> list[Upload]:
    chosen = st.file_uploader(
        t("Attachments (PDF, PNG or JPEG, up to 10 MB each, at most 3)"),
        type=FILE_TYPES,
        accept_multiple_files=True,
        key=key,
    )
    return [Upload(f.name, f.getvalue()) for f in chosen or []]


def _inbox() -> None:
    search = st.text_input(t("Search your messages"), max_chars=100, key="messages_search")
    threads = messages.my_threads(actor=actor, patient_id=patient_id, search=search)
    table(
        {
            t("Last message"): [when(th.last_at) for th in threads],
            t("Subject"): [th.subject for th in threads],
            t("With"): [th.with_whom for th in threads],
            t("About"): [th.category for th in threads],
            t("Unread"): [th.unread or "" for th in threads],
            t("Status"): [t("Open") if th.status == "open" else t("Closed") for th in threads],
        },
        empty=t("No messages found.") if search else t("No messages yet."),
        static=True,
    )
    if not threads:
        return
    labels = {
        th.thread_id: ("● " if th.unread else "")
        + " · ".join((th.subject, th.with_whom, when(th.last_at)))
        for th in threads
    }
    if SENT in st.session_state:
        st.session_state[PICK] = st.session_state.pop(SENT)
    chosen = conversation.pick(labels, PICK)
    if chosen is not None:
        _thread(chosen)


def _thread(thread_id: uuid.UUID) -> None:
    view = messages.thread_read(actor=actor, patient_id=patient_id, thread_id=thread_id)
    st.subheader(plain(view.subject))
    st.caption(t("{category} · with {with_whom}", category=view.category, with_whom=view.with_whom))
    conversation.show(
        view.messages,
        lambda attachment_id: messages.message_attachment(
            actor=actor, patient_id=patient_id, thread_id=thread_id, attachment_id=attachment_id
        ),
    )
    if view.status != "open":
        st.caption(t("This conversation was closed; writing again opens it."))
    with st.form(f"reply_{thread_id}", clear_on_submit=True):
        body = st.text_area(t("Your reply"), max_chars=messages.MAX_BODY)
        files = _files(f"reply_files_{thread_id}")
        if st.form_submit_button(t("Send reply")):
            messages.message_reply(
                actor=actor,
                patient_id=patient_id,
                thread_id=thread_id,
                body=body,
                attachments=files,
            )
            state.done(t("Your reply was sent."))


def _write() -> None:
    st.warning(messages.answer_note())
    with st.form("message_new"):
        recipient = choose(t("To"), pools.RECIPIENTS, "message_to")
        category = choose(t("About"), pools.CATEGORIES, "message_about")
        subject = st.text_input(t("Subject"), max_chars=messages.MAX_SUBJECT, key="message_subject")
        body = st.text_area(t("Message"), max_chars=messages.MAX_BODY, key="message_body")
        files = _files("message_files")
        if st.form_submit_button(t("Send message")):
            thread = messages.message_send(
                actor=actor,
                patient_id=patient_id,
                recipient=recipient,
                category=category,
                subject=subject,
                body=body,
                attachments=files,
            )
            st.session_state[SENT] = thread
            state.done(t("Your message was sent. You will find the answer under Conversations."))


with state.service_errors():
    inbox, write = st.tabs([t("Conversations"), t("Write a message")])
    with inbox, state.service_errors():
        _inbox()
    with write, state.service_errors():
        _write()
