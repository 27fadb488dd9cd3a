"""The medical record: visits with their summaries, notes and care plans, problems, medications,
allergies and immunizations (printable), imaging reports; searchable, with PDF downloads."""

from __future__ import annotations

import uuid
from functools import partial
from urllib.parse import urlsplit

import streamlit as st

from pages.components import state
from pages.components.format import plain, when
from pages.components.widgets import choose, download, table
from services.core import language, uploads
from services.core.language import t, tn
from services.records import documents, printouts, records, sharing

NOTE_TYPES = {
    None: t("All notes"),
    "progress": t("Progress notes"),
    "history": t("Histories"),
    "care_plan": t("Care plans"),
}

actor, patient_id = state.patient_page(t("Medical record"))


def _visits() -> None:
    """Visits with their summaries, searchable; each one's summary as a PDF."""
    search = st.text_input(t("Search visits"), max_chars=records.MAX_SEARCH, key="records_visit_q")
    shown = records.visits(actor=actor, patient_id=patient_id, search=search)
    if not shown:
        st.info(t("No visits match."))
    for v in shown[:100]:
        with st.expander(
            f"{when(v.start_at)} · {v.kind} · {plain(v.provider)} · {plain(v.reason)}"
        ):
            st.text(v.summary or t("No summary was written for this visit."))
            download(
                t("Visit summary (PDF)"),
                partial(
                    printouts.visit_pdf,
                    actor=actor,
                    patient_id=patient_id,
                    encounter_id=v.encounter_id,
                ),
                file_name=f"visit-{v.start_at:%Y%m%d}.pdf",
                key=f"visit_pdf_{v.encounter_id}",
            )


def _notes() -> None:
    """Notes and care plans by kind, searchable, with any amendment beside its note."""
    extra = records.record_addenda(actor=actor, patient_id=patient_id)
    left, right = st.columns(2)
    kind = left.selectbox(
        t("Kind"), list(NOTE_TYPES), format_func=NOTE_TYPES.__getitem__, key="records_note_type"
    )
    words = right.text_input(t("Search notes"), max_chars=records.MAX_SEARCH, key="records_note_q")
    found = records.notes(actor=actor, patient_id=patient_id, note_type=kind, search=words)
    if not found:
        st.info(t("No notes match."))
    for n in found[:100]:
        with st.expander(f"{when(n.signed_at)} · {plain(n.title)} · {plain(n.author)}"):
            st.text(n.body)  # as written, never as HTML
            for a in extra:
                if a.item_id == n.note_id:
                    st.info(plain(a.line()), icon=":material/edit_note:")


def _lists() -> None:
    """Problems, medications, allergies and immunizations, and the record's amendments."""
    summary = records.summary(actor=actor, patient_id=patient_id)
    extra = records.record_addenda(actor=actor, patient_id=patient_id)
    st.subheader(t("Problems"))
    table(
        {
            t("Problem"): [p[1] for p in summary.problems],
            t("Code (ICD-10)"): [p[0] for p in summary.problems],
            t("Since"): [str(p[2] or "—") for p in summary.problems],
            t("Status"): [p[3] for p in summary.problems],
        },
        empty=t("None recorded."),
    )
    st.subheader(t("Medications"))
    table(
        {
            t("Medicine"): [m[0] for m in summary.medications],
            t("Dose"): [m[1] for m in summary.medications],
            t("How often"): [m[2] for m in summary.medications],
            t("Since"): [str(m[3]) for m in summary.medications],
            t("Status"): [m[4] for m in summary.medications],
        },
        empty=t("None recorded."),
    )
    st.subheader(t("Allergies"))
    table(
        {
            t("Substance"): [a[0] for a in summary.allergies],
            t("Reaction"): [a[1] for a in summary.allergies],
            t("Severity"): [a[2] for a in summary.allergies],
        },
        empty=t("No known allergies."),
    )
    st.subheader(t("Immunizations"))
    table(
        {
            t("Vaccine"): [i[0] for i in summary.immunizations],
            t("Given"): [str(i[1]) for i in summary.immunizations],
            t("Lot"): [i[2] or "" for i in summary.immunizations],
        },
        empty=t("None recorded."),
    )
    if extra:
        st.subheader(t("Amendments and statements of disagreement"))
        for a in extra:
            st.text(a.line())


def _imaging() -> None:
    """Imaging reports."""
    reports = records.imaging(actor=actor, patient_id=patient_id)
    if not reports:
        st.info(t("No imaging reports."))
    for r in reports:
        with st.expander(f"{when(r.performed_at)} · {plain(r.modality)} · {plain(r.study)}"):
            st.text(r.report)


def _document_bytes(document_id: uuid.UUID) -> bytes:
    return documents.document_download(actor=actor, patient_id=patient_id, document_id=document_id)[
        2
    ]


def _documents() -> None:
    """Documents from the care team or uploaded, and the upload form."""
    for message in st.session_state.pop("documents_done", []):
        st.success(message)
    for d in documents.documents_list(actor=actor, patient_id=patient_id):
        added = when(d.created_at)
        source = (
            t("from your care team {when}", when=added)
            if d.from_care_team
            else t("uploaded {when}", when=added)
        )
        size = t("{size} KB", size=language.number(round(d.size_bytes / 1024)))
        left, right = st.columns([3, 1])
        left.text(d.title)  # what the person typed, never read as Markdown
        left.caption(" · ".join((plain(t(d.doc_type)), source, size)))
        download(
            t("Download"),
            partial(_document_bytes, d.document_id),
            file_name=f"{d.title}{uploads.suffix(d.content_type)}",
            key=f"doc_{d.document_id}",
            mime=d.content_type,
            place=right,
        )
    with st.form("documents_upload", clear_on_submit=True):
        st.markdown(t("**Add a document** (PDF, PNG or JPEG, up to 10 MB)"))
        upload = st.file_uploader(
            t("File"), type=["pdf", "png", "jpg", "jpeg"], key="documents_file"
        )
        title = st.text_input(t("Title"), max_chars=documents.MAX_TITLE, key="documents_title")
        kind = st.selectbox(t("Kind"), documents.DOC_TYPES, format_func=t, key="documents_kind")
        if st.form_submit_button(t("Upload"), type="primary"):
            documents.document_upload(
                actor=actor,
                patient_id=patient_id,
                filename=upload.name if upload else "",
                data=upload.getvalue() if upload else b"",
                title=title,
                doc_type=kind,
            )
            st.session_state["documents_done"] = [t("Uploaded {title}.", title=plain(title))]
            st.rerun()


def _share() -> None:
    """Links that share the record with another clinic: make one, see and revoke them."""
    st.write(
        t(
            "Send another clinic a link to your record summary or your full record. "
            "The link works only for the email address you name, until the day you "
            "choose, and you can revoke it; every use is listed in your record's "
            "disclosures."
        )
    )
    link = st.session_state.pop("share_link", None)
    if link:
        st.success(t("Copy this link now and send it to the recipient; it is not shown again."))
        st.code(link, language=None)
    if patient_id == actor.patient_id:
        with st.form("share_new", clear_on_submit=True):
            name = st.text_input(t("Recipient (clinic or person)"), max_chars=200, key="share_name")
            email = st.text_input(t("Recipient's email address"), max_chars=254, key="share_email")
            what = choose(t("What to share"), sharing.WHAT, "share_what")
            days = st.number_input(
                t("Days the link works"), 1, sharing.MAX_DAYS, 7, key="share_days"
            )
            if st.form_submit_button(t("Create link"), type="primary"):
                token = sharing.share_create(
                    actor=actor,
                    patient_id=patient_id,
                    recipient_name=name,
                    recipient_email=email,
                    what=what,
                    days=int(days),
                )
                parts = urlsplit(st.context.url or "")
                base = f"{parts.scheme}://{parts.netloc}" if parts.netloc else ""
                st.session_state["share_link"] = f"{base}/shared?token={token}"  # i18n: not shown
                st.rerun()
    for item in sharing.shares_list(actor=actor, patient_id=patient_id):
        state_text = (
            t("revoked {revoked_at}", revoked_at=when(item.revoked_at))
            if item.revoked_at
            else t("works until {expires_at}", expires_at=when(item.expires_at))
        )
        left, right = st.columns([4, 1])
        used = tn("used {count} time", "used {count} times", item.uses)
        left.text(" · ".join((item.recipient, t(sharing.WHAT[item.what]), state_text, used)))
        if (
            item.revoked_at is None
            and patient_id == actor.patient_id
            and right.button(t("Revoke"), key=f"share_revoke_{item.share_id}")
        ):
            sharing.share_revoke(actor=actor, patient_id=patient_id, share_id=item.share_id)
            st.rerun()


TABS = {
    t("Visits"): _visits,
    t("Notes and care plans"): _notes,
    t("Problems, medicines, allergies, vaccines"): _lists,
    t("Imaging"): _imaging,
    t("Documents"): _documents,
    t("Share with another clinic"): _share,
}

with state.service_errors():
    download(
        t("Download the record summary (PDF)"),
        lambda: printouts.summary_pdf(actor=actor, patient_id=patient_id),
        file_name="record-summary.pdf",
        key="records_summary_pdf",
        icon=":material/print:",
    )
    # Only the open tab runs: a hidden tab reads nothing (nor is it recorded as seen), and
    # choosing another tab runs the page again with that one open.
    tabs = st.tabs(list(TABS), key="records_tab", on_change="rerun")
    for tab, show in zip(tabs, TABS.values(), strict=True):
        if tab.open:
            with tab:
                show()
