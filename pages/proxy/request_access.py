"""Ask for access to someone's record (a child, or an adult: with their consent or a legal
document), follow your requests, answer what the clinic asks, or withdraw."""

from __future__ import annotations

from datetime import date

import streamlit as st

from pages.components import state
from pages.components.format import plain, when
from pages.components.widgets import table
from services.core.access import PATIENT, PROXY
from services.proxy import policy, requests

actor = state.guard(PATIENT, PROXY)
st.title("Request access to someone's record")
state.show_flash()


def _files(key: str) -> list[requests.UploadedFile]:
    uploaded = st.file_uploader(
        "Legal documents (PDF, PNG or JPEG, up to 10 MB each)",
        type=["pdf", "png", "jpg", "jpeg"],
        accept_multiple_files=True,
        key=f"{key}_files",
        help="For example a birth certificate, a custody or guardianship order, or a power of "
        "attorney. The clinic checks every file.",
    )
    kind = st.selectbox(
        "What the documents are", policy.LEGAL_DOCUMENT_TYPES, key=f"{key}_doc_type"
    )
    return [requests.UploadedFile(f.name, f.getvalue(), kind) for f in uploaded or []]


def _mine() -> None:
    st.subheader("Your requests")
    mine = requests.my_requests(actor=actor)
    table(
        {
            "For": [r.patient_name for r in mine],
            "Sent": [when(r.received_at) for r in mine],
            "Status": [r.status_words for r in mine],
            "Decision": [r.decision or "" for r in mine],
            "Documents": [r.documents for r in mine],
        },
        empty="You have not asked for access yet.",
    )
    for r in mine:
        if r.status == requests.NEEDS_INFO:
            with st.container(border=True):
                st.markdown(
                    f"**The clinic needs more for your request for {plain(r.patient_name)}:**"
                )
                st.text(r.info_requested or "")
                note = st.text_area(
                    "Your answer", max_chars=policy.MAX_NOTE, key=f"info_{r.request_id}"
                )
                files = _files(f"info_{r.request_id}")
                if st.button("Send", key=f"info_send_{r.request_id}", type="primary"):
                    with state.service_errors():
                        requests.proxy_request_add_info(
                            actor=actor, request_id=r.request_id, note=note, files=files
                        )
                        state.done("Sent. The clinic will look at your request again.")
        if r.status in requests.OPEN and st.button(
            f"Withdraw the request for {plain(r.patient_name)}", key=f"withdraw_{r.request_id}"
        ):
            with state.service_errors():
                requests.proxy_request_withdraw(actor=actor, request_id=r.request_id)
                state.done("Your request was withdrawn.")


def _ask() -> None:
    st.subheader("Ask for access")
    st.write(
        "The clinic's health information office reviews requests within "
        f"{policy.review_business_days()} business days. An adult who can agree is asked in "
        "their own portal account instead."
    )
    kind = st.radio(
        "Whose record?",
        list(policy.REQUEST_KINDS),
        format_func=policy.REQUEST_KINDS.get,
        key="ask_kind",
    )
    relationships = policy.REQUEST_RELATIONSHIPS[kind]
    with st.form("ask_access"):
        first = st.text_input("Patient's first name", max_chars=80, key="ask_first")
        last = st.text_input("Patient's last name", max_chars=80, key="ask_last")
        born = st.date_input(
            "Patient's date of birth",
            value=None,
            min_value=date(1900, 1, 1),
            format="YYYY-MM-DD",
            key="ask_birth",
        )
        mrn = st.text_input("Medical record number, if you know it", max_chars=16, key="ask_mrn")
        relationship = st.selectbox(
            "Your relationship to the patient",
            list(relationships),
            format_func=relationships.get,
            key="ask_relationship",
        )
        note = st.text_area(
            "Anything the clinic should know (optional)", max_chars=policy.MAX_NOTE, key="ask_note"
        )
        files = _files("ask") if kind != policy.ADULT_CONSENT else []
        sent = st.form_submit_button("Send request", type="primary")
    if sent:
        with state.service_errors():
            requests.proxy_request_submit(
                actor=actor,
                request=requests.AccessRequest(
                    kind, first, last, born, mrn, relationship, note, tuple(files)
                ),
            )
            st.success("Your request was received. We will email you when it is decided.")


with state.service_errors():
    _mine()
_ask()
