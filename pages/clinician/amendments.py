"""Amendment requests routed to this clinician: the item as the record has it, what the
patient asks to change and why; accept with the amendment's wording, or deny on a ground."""

from __future__ import annotations

import uuid
from functools import partial

import streamlit as st

from pages.components import state
from pages.components.format import last_day, plain
from pages.components.widgets import open_one, reason, table
from services.core.access import CLINICIAN
from services.core.language import t
from services.him import amendments

OPEN = "amendment_open"

actor = state.guard(CLINICIAN)
st.title(t("Amendment requests"))
state.show_flash()
st.caption(t("The law gives 60 days to decide. A denial must state one of the grounds below."))


def _list() -> None:
    routed = amendments.routed_to_me(actor=actor)
    table(
        {
            t("Decide by"): [last_day(due) for *_, due in routed],
            t("Patient"): [name for _, name, _, _ in routed],
            t("Item"): [label for _, _, label, _ in routed],
        },
        empty=t("No amendment requests are waiting for you."),
    )
    labels = {rid: f"{name}: {label}" for rid, name, label, _ in routed}
    open_one(labels, "amend_pick", OPEN)


def _decide(request_id: uuid.UUID) -> None:
    a = amendments.amendment_detail(actor=actor, request_id=request_id)
    st.subheader(plain(a.item_label))
    st.text(
        t(
            "As recorded: {current}\n\nChange asked: {change}\n\nReason: {reason}",
            current=a.current,
            change=a.change,
            reason=a.reason,
        )
    )
    accept, deny = st.tabs([t("Accept"), t("Deny")])
    with accept:
        text = st.text_area(
            t("The amendment, as it will show with the item"),
            max_chars=amendments.MAX_TEXT,
            key=f"amend_text_{request_id}",
        )
        if st.button(t("Accept and amend"), type="primary", key=f"amend_accept_{request_id}"):
            state.act(
                partial(
                    amendments.amendment_decide,
                    actor=actor,
                    request_id=request_id,
                    accept=True,
                    text=text,
                ),
                t("Amended. The patient and the people they named have been told."),
                forget=OPEN,
            )
    with deny:
        ground, note = reason(
            t("Ground"),
            amendments.GROUNDS,
            t("Explanation for the letter (optional)"),
            amendments.MAX_TEXT,
            f"amend_deny_{request_id}",
        )
        if st.button(t("Deny"), key=f"amend_deny_{request_id}"):
            state.act(
                partial(
                    amendments.amendment_decide,
                    actor=actor,
                    request_id=request_id,
                    accept=False,
                    ground=ground,
                    note=note,
                ),
                t("Denied. The patient has the letter and may file a disagreement."),
                forget=OPEN,
            )


with state.service_errors():
    _list()
    opened = st.session_state.get(OPEN)
    if isinstance(opened, uuid.UUID):
        st.divider()
        _decide(opened)
