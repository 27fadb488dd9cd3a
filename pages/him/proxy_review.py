"""HIM's proxy review: the queue oldest first with the service level, one request with the
requester's identity, the possible records and the documents inline, and the decision."""

from __future__ import annotations

import uuid

import streamlit as st

from pages.components import state
from pages.components.format import last_day, plain, when
from pages.components.widgets import narrow, open_one, table
from services.core.access import HIM, SCOPES
from services.proxy import policy, review

OPEN = "proxy_review_open"

actor = state.guard(HIM)
st.title("Proxy review")


def _queue() -> None:
    left, right = st.columns(2)
    status = narrow(left, "Status", review.QUEUE_STATUSES, "All open", "review_status")
    kind = narrow(right, "Kind", policy.REQUEST_KINDS, "All kinds", "review_kind")
    items = review.review_queue(actor=actor, status=status, kind=kind)
    late = sum(i.overdue for i in items)
    st.caption(
        f"{len(items)} open, {late} past the {policy.review_business_days()}-business-day goal."
    )
    table(
        {
            "Received": [when(i.received_at) for i in items],
            "Business days": [i.business_days for i in items],
            "Late": ["Late" if i.overdue else "" for i in items],
            "Requester": [i.requester for i in items],
            "For": [i.patient_name for i in items],
            "Kind": [policy.REQUEST_KINDS.get(i.kind, i.kind) for i in items],
            "Status": [review.QUEUE_STATUSES.get(i.status, i.status) for i in items],
            "Documents": [i.documents for i in items],
        },
        empty="No proxy requests are waiting.",
    )
    labels = {
        i.request_id: f"{i.requester} for {i.patient_name} ({when(i.received_at)})" for i in items
    }
    open_one(labels, "review_pick", OPEN)


def _request(request_id: uuid.UUID) -> None:
    d = review.review_detail(actor=actor, request_id=request_id)
    st.subheader(f"Request from {plain(d.requester.name)}")
    st.caption(
        f"Received {when(d.received_at)}, {d.business_days} business days ago"
        + (" — late" if d.overdue else "")
        + f". {policy.REQUEST_KINDS.get(d.kind, d.kind)}; relationship: "
        + f"{d.relationship.replace('_', ' ')}."
    )
    who, asked = st.columns(2)
    with who:
        st.markdown("**Requester's account**")
        table(
            {
                "": [
                    "Name",
                    "Username",
                    "Email",
                    "Phone",
                    "Date of birth",
                    "Account since",
                    "Status",
                ],
                "Value": [
                    d.requester.name,
                    d.requester.username,
                    d.requester.email or "",
                    d.requester.phone or "",
                    str(d.requester.birth_date or ""),
                    when(d.requester.account_since),
                    d.requester.account_status,
                ],
            },
            empty="",
        )
    with asked:
        st.markdown("**The patient, as the requester gave it**")
        table(
            {
                "": ["Name", "Date of birth", "MRN"],
                "Value": [d.given_name, str(d.given_birth_date or ""), d.given_mrn or ""],
            },
            empty="",
        )
    if d.note:
        st.markdown("**Requester's note**")
        st.text(d.note)
    _match(d)
    _documents(d)
    if d.status in review.QUEUE_STATUSES:
        _decide(d)


def _match(d: review.ReviewDetail) -> None:
    st.markdown("**Matching record**")
    if d.matched is not None:
        m = d.matched
        st.success(
            f"Confirmed: {plain(m.name)}, born {m.birth_date}, MRN {plain(m.mrn)}, age {m.age}."
        )
    table(
        {
            "Name": [c.name for c in d.candidates],
            "Date of birth": [str(c.birth_date) for c in d.candidates],
            "Age": [c.age for c in d.candidates],
            "MRN": [c.mrn for c in d.candidates],
            "Has a portal account": ["Yes" if c.has_account else "No" for c in d.candidates],
        },
        empty="No record has this MRN, or this last name and date of birth.",
    )
    names = {c.patient_id: f"{c.name}, MRN {c.mrn}" for c in d.candidates}
    if names and d.status in review.QUEUE_STATUSES:
        pick = st.selectbox(
            "This request is about", list(names), format_func=names.get, key=f"match_{d.request_id}"
        )
        if st.button("Confirm the match", key=f"match_btn_{d.request_id}"):
            with state.service_errors():
                review.review_match(actor=actor, request_id=d.request_id, patient_id=pick)
                st.rerun()


def _documents(d: review.ReviewDetail) -> None:
    st.markdown("**Documents**")
    if not d.documents:
        st.write("No documents were sent.")
    for doc in d.documents:
        with st.expander(f"{plain(doc.doc_type)}: {plain(doc.title)} ({when(doc.uploaded_at)})"):
            with state.service_errors():
                pages = review.review_document_pages(
                    actor=actor, request_id=d.request_id, document_id=doc.document_id
                )
                for number, page in enumerate(pages, start=1):
                    st.image(page, caption=f"Page {number} of {doc.title}")


def _decide(d: review.ReviewDetail) -> None:
    st.markdown("**Decision**")
    approve, deny, ask = st.tabs(["Approve", "Deny", "Ask for more information"])
    with approve:
        scopes = st.multiselect(
            "What they may see",
            list(SCOPES),
            default=list(SCOPES),
            format_func=policy.SCOPE_WORDS.get,
            key=f"approve_scopes_{d.request_id}",
        )
        ends = st.date_input(
            "Access ends on (empty: the longest the age rules allow)",
            value=None,
            format="YYYY-MM-DD",
            key=f"approve_end_{d.request_id}",
        )
        if st.button("Approve", type="primary", key=f"approve_{d.request_id}"):
            with state.service_errors():
                until = review.review_approve(
                    actor=actor, request_id=d.request_id, scopes=set(scopes), ends_on=ends
                )
                st.success(f"Approved until {last_day(until)}. The requester has been told.")
    with deny:
        reason = st.selectbox(
            "Reason",
            list(policy.DENY_REASONS),
            format_func=policy.DENY_REASONS.get,
            key=f"deny_reason_{d.request_id}",
        )
        note = st.text_area(
            "Explanation for the requester",
            max_chars=policy.MAX_NOTE,
            key=f"deny_note_{d.request_id}",
        )
        if st.button("Deny", key=f"deny_{d.request_id}"):
            with state.service_errors():
                review.review_deny(actor=actor, request_id=d.request_id, reason=reason, note=note)
                st.success("Denied. The requester has been told.")
    with ask:
        what = st.text_area(
            "What is missing", max_chars=policy.MAX_NOTE, key=f"ask_what_{d.request_id}"
        )
        if st.button("Ask the requester", key=f"ask_{d.request_id}"):
            with state.service_errors():
                review.review_ask_info(actor=actor, request_id=d.request_id, what=what)
                st.success("Sent. The request waits for the requester's answer.")


with state.service_errors():
    _queue()
    opened = st.session_state.get(OPEN)
    if isinstance(opened, uuid.UUID):
        st.divider()
        _request(opened)
