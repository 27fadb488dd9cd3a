"""HIM's proxy review: the queue oldest first with the service level, one request with the
requester's identity, the possible records and the documents inline, and the decision."""

from __future__ import annotations

import uuid
from functools import partial

import streamlit as st

from pages.components import state
from pages.components.format import last_day, plain, when
from pages.components.widgets import narrow, open_one, reason, table, words
from services.core.access import HIM, SCOPES
from services.core.language import t
from services.proxy import proxy_rules, review

OPEN = "proxy_review_open"

actor = state.guard(HIM)
st.title(t("Proxy review"))
state.show_flash()


def _queue() -> None:
    left, right = st.columns(2)
    status = narrow(left, t("Status"), review.QUEUE_STATUSES, t("All open"), "review_status")
    kind = narrow(right, t("Kind"), proxy_rules.REQUEST_KINDS, t("All kinds"), "review_kind")
    items = review.review_queue(actor=actor, status=status, kind=kind)
    late = sum(i.overdue for i in items)
    st.caption(
        t(
            "{items} open, {late} past the {review_business_days}-business-day goal.",
            items=len(items),
            late=late,
            review_business_days=proxy_rules.review_business_days(),
        )
    )
    table(
        {
            t("Received"): [when(i.received_at) for i in items],
            t("Business days"): [i.business_days for i in items],
            t("Late"): [t("Late") if i.overdue else "" for i in items],
            t("Requester"): [i.requester for i in items],
            t("For"): [i.patient_name for i in items],
            t("Kind"): [t(proxy_rules.REQUEST_KINDS.get(i.kind, i.kind)) for i in items],
            t("Status"): [t(review.QUEUE_STATUSES.get(i.status, i.status)) for i in items],
            t("Documents"): [i.documents for i in items],
        },
        empty=t("No proxy requests are waiting."),
    )
    labels = {
        i.request_id: t(
            "{requester} for {patient_name} ({received_at})",
            requester=i.requester,
            patient_name=i.patient_name,
            received_at=when(i.received_at),
        )
        for i in items
    }
    open_one(labels, "review_pick", OPEN)


def _request(request_id: uuid.UUID) -> None:
    d = review.review_detail(actor=actor, request_id=request_id)
    st.subheader(t("Request from {name}", name=plain(d.requester.name)))
    places = {
        "received_at": when(d.received_at),
        "days": d.business_days,
        "kind": t(proxy_rules.REQUEST_KINDS.get(d.kind, d.kind)),
        "relationship": proxy_rules.relationship_words(d.relationship),
    }
    st.caption(
        t(
            "Received {received_at}, {days} business days ago — late. {kind}; "
            "relationship: {relationship}.",
            **places,
        )
        if d.overdue
        else t(
            "Received {received_at}, {days} business days ago. {kind}; relationship: "
            "{relationship}.",
            **places,
        )
    )
    who, asked = st.columns(2)
    with who:
        st.markdown(t("**Requester's account**"))
        table(
            {
                "": [
                    t("Name"),
                    t("Username"),
                    t("Email"),
                    t("Phone"),
                    t("Date of birth"),
                    t("Account since"),
                    t("Status"),
                ],
                t("Value"): [
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
        st.markdown(t("**The patient, as the requester gave it**"))
        table(
            {
                "": [t("Name"), t("Date of birth"), "MRN"],
                t("Value"): [d.given_name, str(d.given_birth_date or ""), d.given_mrn or ""],
            },
            empty="",
        )
    if d.note:
        st.markdown(t("**Requester's note**"))
        st.text(d.note)
    _match(d)
    _documents(d)
    if d.status in review.QUEUE_STATUSES:
        _decide(d)


def _match(d: review.ReviewDetail) -> None:
    st.markdown(t("**Matching record**"))
    if d.matched is not None:
        m = d.matched
        st.success(
            t(
                "Confirmed: {name}, born {birth_date}, MRN {mrn}, age {age}.",
                name=plain(m.name),
                birth_date=m.birth_date,
                mrn=plain(m.mrn),
                age=m.age,
            )
        )
    table(
        {
            t("Name"): [c.name for c in d.candidates],
            t("Date of birth"): [str(c.birth_date) for c in d.candidates],
            t("Age"): [c.age for c in d.candidates],
            "MRN": [c.mrn for c in d.candidates],
            t("Has a portal account"): [
                t("Yes") if c.has_account else t("No") for c in d.candidates
            ],
        },
        empty=t("No record has this MRN, or this last name and date of birth."),
    )
    names = {c.patient_id: t("{name}, MRN {mrn}", name=c.name, mrn=c.mrn) for c in d.candidates}
    if names and d.status in review.QUEUE_STATUSES:
        pick = st.selectbox(
            t("This request is about"),
            list(names),
            format_func=names.__getitem__,
            key=f"match_{d.request_id}",
        )
        if st.button(t("Confirm the match"), key=f"match_btn_{d.request_id}"):
            with state.service_errors():
                review.review_match(actor=actor, request_id=d.request_id, patient_id=pick)
                st.rerun()


def _documents(d: review.ReviewDetail) -> None:
    st.markdown(t("**Documents**"))
    if not d.documents:
        st.write(t("No documents were sent."))
    for doc in d.documents:
        with st.expander(f"{plain(doc.doc_type)}: {plain(doc.title)} ({when(doc.uploaded_at)})"):
            with state.service_errors():
                pages = review.review_document_pages(
                    actor=actor, request_id=d.request_id, document_id=doc.document_id
                )
                for number, page in enumerate(pages, start=1):
                    st.image(
                        page, caption=t("Page {number} of {title}", number=number, title=doc.title)
                    )


def _decide(d: review.ReviewDetail) -> None:
    st.markdown(t("**Decision**"))
    approve, deny, ask = st.tabs([t("Approve"), t("Deny"), t("Ask for more information")])
    with approve:
        scopes = st.multiselect(
            t("What they may see"),
            list(SCOPES),
            default=list(SCOPES),
            format_func=words(proxy_rules.SCOPE_WORDS),
            key=f"approve_scopes_{d.request_id}",
        )
        ends = st.date_input(
            t("Access ends on (empty: the longest the age rules allow)"),
            value=None,
            format="YYYY-MM-DD",
            key=f"approve_end_{d.request_id}",
        )
        if st.button(t("Approve"), type="primary", key=f"approve_{d.request_id}"):
            state.act(
                partial(
                    review.review_approve,
                    actor=actor,
                    request_id=d.request_id,
                    scopes=set(scopes),
                    ends_on=ends,
                ),
                lambda until: t(
                    "Approved until {until}. The requester has been told.", until=last_day(until)
                ),
            )
    with deny:
        code, note = reason(
            t("Reason"),
            proxy_rules.DENY_REASONS,
            t("Explanation for the requester"),
            proxy_rules.MAX_NOTE,
            f"deny_{d.request_id}",
        )
        if st.button(t("Deny"), key=f"deny_{d.request_id}"):
            state.act(
                partial(
                    review.review_deny, actor=actor, request_id=d.request_id, reason=code, note=note
                ),
                t("Denied. The requester has been told."),
            )
    with ask:
        what = st.text_area(
            t("What is missing"), max_chars=proxy_rules.MAX_NOTE, key=f"ask_what_{d.request_id}"
        )
        if st.button(t("Ask the requester"), key=f"ask_{d.request_id}"):
            state.act(
                partial(review.review_ask_info, actor=actor, request_id=d.request_id, what=what),
                t("Sent. The request waits for the requester's answer."),
            )


with state.service_errors():
    _queue()
    opened = st.session_state.get(OPEN)
    if isinstance(opened, uuid.UUID):
        st.divider()
        _request(opened)
