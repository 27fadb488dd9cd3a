"""The staff inbox: the pools this person works, each pool's open conversations (the longest
wait first, against the response-time goal), and one conversation to take, assign, answer,
note, forward or close. Internal notes are marked as never shown to the patient."""

from __future__ import annotations

import uuid

import streamlit as st

from pages.components import conversation, state
from pages.components.format import plain, when
from pages.components.widgets import table
from services.care import inbox, messages, pools
from services.core.access import BILLING, CLINICIAN, HIM
from services.core.language import t
from services.core.uploads import Upload

actor = state.guard(CLINICIAN, BILLING, HIM)
st.title(t("Inbox"))
state.show_flash()
PICK = "inbox_pick"


def _patient(name: str, mrn: str) -> str:
    return t("{name} (MRN {mrn})", name=name, mrn=mrn)


def _pool_label(p: inbox.PoolSummary) -> str:
    places = {"pool": p.name, "waiting": p.waiting, "open": p.open_threads}
    if p.mine:
        return t("{pool} (your team) · {waiting} waiting, {open} open", **places)
    return t("{pool} · {waiting} waiting, {open} open", **places)


def _waited(item: inbox.QueueItem) -> str:
    if item.waiting_since is None:
        return t("Answered")
    places = {"days": item.business_days, "goal": pools.goal_business_days()}
    if item.overdue:
        return t("{days} of {goal} business days — past the goal", **places)
    return t("{days} of {goal} business days", **places)


def _queue(pool: str) -> None:
    items = inbox.inbox_queue(actor=actor, pool=pool)
    table(
        {
            t("Waiting"): [_waited(i) for i in items],
            t("Since"): [when(i.waiting_since or i.updated_at) for i in items],
            t("Patient"): [_patient(i.patient_name, i.mrn) for i in items],
            t("Subject"): [i.subject for i in items],
            t("About"): [i.category for i in items],
            t("Taken by"): [i.assigned_to or "" for i in items],
            t("Unread"): [i.unread or "" for i in items],
        },
        empty=t("No open conversations in this pool."),
        static=True,
    )
    labels = {i.thread_id: f"{i.patient_name} · {i.subject} · {_waited(i)}" for i in items}
    chosen = conversation.pick(labels, PICK)
    if chosen is not None:
        _thread(chosen)


def _thread(thread_id: uuid.UUID) -> None:
    view = inbox.inbox_thread(actor=actor, thread_id=thread_id)
    st.subheader(plain(view.subject))
    st.text(" · ".join((_patient(view.patient_name, view.mrn), view.category, view.pool_name)))
    st.caption(
        plain(t("Taken by {name}", name=view.assigned_to))
        if view.assigned_to
        else t("Not taken yet")
    )
    conversation.show(
        view.messages,
        lambda attachment_id: inbox.inbox_attachment(
            actor=actor, thread_id=thread_id, attachment_id=attachment_id
        ),
    )
    with st.expander(t("Staff notes and history (never shown to the patient)")):
        for n in view.notes:
            st.text(f"{when(n.created_at)} · {n.author} · {n.kind}: {n.body}")
        if not view.notes:
            st.caption(t("Nothing yet."))
    _actions(view)


def _actions(view: inbox.StaffThread) -> None:
    tid = view.thread_id
    if view.assigned_to is None and st.button(t("Take this conversation"), key=f"claim_{tid}"):
        inbox.inbox_claim(actor=actor, thread_id=tid)
        state.done(t("You have taken the conversation."))
    reply, note, forward, more = st.tabs(
        [t("Reply"), t("Internal note"), t("Forward"), t("Assign or close")]
    )
    with reply, st.form(f"reply_{tid}", clear_on_submit=True):
        st.caption(plain(t("Signed: {signature}", signature=inbox.signature(actor, view.pool))))
        body = st.text_area(t("Reply to the patient"), max_chars=messages.MAX_BODY)
        files = st.file_uploader(
            t("Attachments (PDF, PNG or JPEG)"),
            type=["pdf", "png", "jpg", "jpeg"],
            accept_multiple_files=True,
            key=f"reply_files_{tid}",
        )
        if st.form_submit_button(t("Send reply"), type="primary"):
            inbox.inbox_reply(
                actor=actor,
                thread_id=tid,
                body=body,
                attachments=[Upload(f.name, f.getvalue()) for f in files or []],
            )
            state.done(t("Your reply was sent; the patient is told a message is waiting."))
    with note, st.form(f"note_{tid}", clear_on_submit=True):
        text = st.text_area(t("Note for staff only"), max_chars=messages.MAX_BODY)
        if st.form_submit_button(t("Add the note")):
            inbox.inbox_note(actor=actor, thread_id=tid, body=text)
            state.done(t("Note added."))
    with forward, st.form(f"forward_{tid}"):
        choices = view.forward_to
        pool = st.selectbox(t("Forward to"), list(choices), format_func=choices.__getitem__)
        why = st.text_input(t("Note for the next pool"), max_chars=1000)
        if st.form_submit_button(t("Forward")):
            inbox.inbox_forward(actor=actor, thread_id=tid, pool=pool, note=why)
            st.session_state.pop(PICK, None)
            state.done(plain(t("Forwarded to {pool}.", pool=choices[pool])))
    with more:
        staff = view.assignees
        who = st.selectbox(
            t("Assign to"), list(staff), format_func=staff.__getitem__, key=f"assignee_{tid}"
        )
        if st.button(t("Assign"), key=f"assign_{tid}"):
            inbox.inbox_assign(actor=actor, thread_id=tid, user_id=who)
            state.done(plain(t("Assigned to {name}.", name=staff[who])))
        if st.button(t("Close the conversation"), key=f"close_{tid}"):
            inbox.inbox_close(actor=actor, thread_id=tid)
            st.session_state.pop(PICK, None)
            state.done(t("Closed."))


with state.service_errors():
    mine = inbox.my_pools(actor=actor)
    names = {p.code: _pool_label(p) for p in mine}
    st.caption(
        t(
            "The goal: every patient has an answer within {days} business days. "
            "Conversations waiting longest come first.",
            days=pools.goal_business_days(),
        )
    )
    code = st.selectbox(t("Pool"), list(names), format_func=names.__getitem__, key="inbox_pool")
    if code is not None:
        _queue(code)
