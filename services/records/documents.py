"""Documents: files patients upload (PDF, PNG, JPEG) and files the care team shares with them.

Files are checked and kept by services.core.uploads (type by content, size limit, SHA-256);
every upload and download is audited.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from services.core import access, clock, uploads
from services.core.access import Actor
from services.core.errors import NotFound, ValidationError
from services.core.language import N_, t
from services.core.work import patient_work
from services.records.tables import Document

MAX_TITLE = 200
DOC_TYPES = (N_("Letter"), N_("Outside record"), N_("Insurance card"), N_("Image"), N_("Other"))


@dataclass(frozen=True)
class DocumentItem:
    document_id: uuid.UUID
    title: str
    doc_type: str
    content_type: str
    size_bytes: int
    created_at: datetime
    from_care_team: bool


FOLDER = "documents"


def _checked(filename: str, data: bytes, title: str, doc_type: str) -> None:
    fields = {}
    problem = uploads.file_problem(filename, data)
    if problem:
        fields["file"] = problem
    if not title.strip():
        fields["title"] = t("Give the document a title.")
    elif len(title) > MAX_TITLE:
        fields["title"] = t("Keep the title under {limit} characters.", limit=MAX_TITLE)
    if doc_type not in DOC_TYPES:
        fields["doc_type"] = t("Choose what kind of document this is.")
    if fields:
        raise ValidationError(fields)


def kept(
    patient_id: uuid.UUID,
    uploaded_by: uuid.UUID,
    title: str,
    doc_type: str,
    stored: uploads.Stored,
) -> Document:
    """The document row of a file the patient's side just sent (stored in FOLDER)."""
    return Document(
        id=uuid.uuid4(),
        patient_id=patient_id,
        uploaded_by=uploaded_by,
        title=title[:MAX_TITLE],
        doc_type=doc_type,
        content_type=stored.content_type,
        size_bytes=stored.size_bytes,
        storage_name=stored.storage_name,
        sha256=stored.sha256,
        shared_by_staff=False,
        created_at=clock.now(),
    )


def document_upload(
    *,
    actor: Actor,
    patient_id: uuid.UUID,
    filename: str,
    data: bytes,
    title: str,
    doc_type: str,
) -> uuid.UUID:
    """Keep a patient's file; returns its id. Bad files change nothing."""
    _checked(filename, data, title, doc_type)
    with (
        uploads.storing(uploads.folder(FOLDER), data) as stored,
        patient_work(actor, patient_id, "documents.upload", access.DOCUMENTS) as (session, found),
    ):
        access.require_basis(
            found,
            N_("Documents are uploaded here by the patient or their proxy."),
            access.SELF,
            access.PROXY,
        )
        document = kept(patient_id, actor.user_id, title.strip(), doc_type, stored)
        session.add(document)
        session.flush()
        return document.id


def documents_list(*, actor: Actor, patient_id: uuid.UUID) -> list[DocumentItem]:
    with patient_work(actor, patient_id, "documents.list", access.DOCUMENTS) as (session, _):
        rows = session.scalars(
            select(Document)
            .where(Document.patient_id == patient_id)
            .order_by(Document.created_at.desc())
        )
        return [
            DocumentItem(
                d.id,
                d.title,
                d.doc_type,
                d.content_type,
                d.size_bytes,
                d.created_at,
                d.shared_by_staff,
            )
            for d in rows
        ]


def document_download(
    *, actor: Actor, patient_id: uuid.UUID, document_id: uuid.UUID
) -> tuple[str, str, bytes]:
    """(file name, content type, bytes) of one document, checked against its stored hash."""
    with patient_work(actor, patient_id, "documents.download", access.DOCUMENTS) as (session, _):
        d = session.get(Document, document_id)
        if d is None or d.patient_id != patient_id:
            raise NotFound(t("We could not find that document."))
        data = uploads.read_checked(uploads.folder(FOLDER), d.storage_name, d.sha256)
        if data is None:
            raise NotFound(t("That document could not be read; please contact the clinic."))
        return f"{d.title}{uploads.suffix(d.content_type)}", d.content_type, data
