"""Ask for access to someone's record (a child, or an adult: with their consent or a legal
document), follow your requests, answer what the clinic asks, or withdraw."""

from __future__ import annotations

from datetime import date

import streamlit as st

from pages.components import state
from pages.components.format import plain, when
from pages.components.widgets import choose, table
from services.core.access import PATIENT, PROXY
from services.core.language import t
from services.proxy import proxy_rules, requests

actor = state.guard(PATIENT, PROXY)
st.title(t("Request access to someone's record"))
state.show_flash()


def _files(key: str) -> list[requests.UploadedFile]:
    uploaded = st.file_uploader(
        t("Legal documents (PDF, PNG or JPEG, up to 10 MB each)"),
        type=["pdf", "png", "jpg", "jpeg"],
        accept_multiple_files=True,
        key=f"{key}_files",
        help=t(
            "For example a birth certificate, a custody or guardianship order, or a "
            "power of attorney. The clinic checks every file."
        ),
    )
    kind = st.selectbox(
        t("What the documents are"),
        proxy_rules.LEGAL_DOCUMENT_TYPES,
        format_func=t,
        key=f"{key}_doc_type",
    )
    return [requests.UploadedFile(f.name, f.getvalue(), kind) for f in uploaded or []]


def _mine() -> None:
    st.subheader(t("Your requests"))
    mine = requests.my_requests(actor=actor)
    table(
        {
            t("For"): [r.patient_name for r in mine],
            t("Sent"): [when(r.received_at) for r in mine],
            t("Status"): [r.status_words for r in mine],
            t("Decision"): [r.decision or "" for r in mine],
            t("Documents"): [r.documents for r in mine],
        },
        empty=t("You have not asked for access yet."),
    )
    for r in mine:
        if r.status == requests.NEEDS_INFO:
            with st.container(border=True):
                st.markdown(
                    t(
                        "**The clinic needs more for your request for {patient_name}:**",
                        patient_name=plain(r.patient_name),
                    )
                )
                st.text(r.info_requested or "")
                note = st.text_area(
                    t("Your answer"), max_chars=proxy_rules.MAX_NOTE, key=f"info_{r.request_id}"
                )
                files = _files(f"info_{r.request_id}")
                if st.button(t("Send"), key=f"info_send_{r.request_id}", type="primary"):
                    with state.service_errors():
                        requests.proxy_request_add_info(
                            actor=actor, request_id=r.request_id, note=note, files=files
                        )
                        state.done(t("Sent. The clinic will look at your request again."))
        if r.status in requests.OPEN and st.button(
            t("Withdraw the request for {patient_name}", patient_name=plain(r.patient_name)),
            key=f"withdraw_{r.request_id}",
        ):
            with state.service_errors():
                requests.proxy_request_withdraw(actor=actor, request_id=r.request_id)
                state.done(t("Your request was withdrawn."))


def _ask() -> None:
    st.subheader(t("Ask for access"))
    st.write(
        t(
            "The clinic's health information office reviews requests within "
            "{review_business_days} business days. An adult who can agree is asked "
            "in their own portal account instead.",
            review_business_days=proxy_rules.review_business_days(),
        )
    )
    kind = choose(t("Whose record?"), proxy_rules.REQUEST_KINDS, "ask_kind", radio=True)
    relationships = proxy_rules.REQUEST_RELATIONSHIPS[kind]
    with st.form("ask_access"):
        first = st.text_input(t("Patient's first name"), max_chars=80, key="ask_first")
        last = st.text_input(t("Patient's last name"), max_chars=80, key="ask_last")
        born = st.date_input(
            t("Patient's date of birth"),
            value=None,
            min_value=date(1900, 1, 1),
            format="YYYY-MM-DD",
            key="ask_birth",
        )
        mrn = st.text_input(t("Medical record number, if you know it"), max_chars=16, key="ask_mrn")
        relationship = choose(
            t("Your relationship to the patient"), relationships, "ask_relationship"
        )
        note = st.text_area(
            t("Anything the clinic should know (optional)"),
            max_chars=proxy_rules.MAX_NOTE,
            key="ask_note",
        )
        files = _files("ask") if kind != proxy_rules.ADULT_CONSENT else []
        sent = st.form_submit_button(t("Send request"), type="primary")
    if sent:
        with state.service_errors():
            requests.proxy_request_submit(
                actor=actor,
                request=requests.AccessRequest(
                    kind, first, last, born, mrn, relationship, note, tuple(files)
                ),
            )
            st.success(t("Your request was received. We will email you when it is decided."))


with state.service_errors():
    _mine()
_ask()
