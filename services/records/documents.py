"""Documents: files patients upload (PDF, PNG, JPEG) and files the care team shares with them.

The type is decided by the file's content, never by its name or the browser's word; the size is
limited; files are stored under generated names in the data directory with their SHA-256, and
every upload and download is audited.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from services.core import access, clock, private_files
from services.core.access import Actor
from services.core.config import settings
from services.core.errors import NotFound, PermissionDenied, ValidationError
from services.core.work import patient_work
from services.records.tables import Document

MAX_BYTES = 10 * 1024 * 1024
MAX_TITLE = 200
# Content signatures ("magic numbers") of the accepted types, and the names they may carry.
KINDS = {
    "application/pdf": (b"%PDF-", (".pdf",)),
    "image/png": (b"\x89PNG\r\n\x1a\n", (".png",)),
    "image/jpeg": (b"\xff\xd8\xff", (".jpg", ".jpeg")),
}
DOC_TYPES = ("Letter", "Outside record", "Insurance card", "Image", "Other")


@dataclass(frozen=True)
class DocumentItem:
    document_id: uuid.UUID
    title: str
    doc_type: str
    content_type: str
    size_bytes: int
    created_at: datetime
    from_care_team: bool


def _folder() -> Path:
    return private_files.private_dir(private_files.private_dir(settings().data_dir) / "documents")


def content_type(data: bytes) -> str | None:
    """The accepted type this content really is, or None."""
    for kind, (magic, _) in KINDS.items():
        if data.startswith(magic):
            return kind
    return None


def _checked(filename: str, data: bytes, title: str, doc_type: str) -> str:
    fields = {}
    kind = content_type(data)
    suffix = Path(filename or "").suffix.lower()
    if not data:
        fields["file"] = "The file is empty."
    elif len(data) > MAX_BYTES:
        fields["file"] = "The file is larger than 10 MB."
    elif kind is None:
        fields["file"] = "Only PDF, PNG and JPEG files can be uploaded (this file is none of them)."
    elif suffix not in KINDS[kind][1]:
        fields["file"] = f"The file's name says {suffix or 'nothing'}, but it is {kind}."
    if not title.strip():
        fields["title"] = "Give the document a title."
    elif len(title) > MAX_TITLE:
        fields["title"] = f"Keep the title under {MAX_TITLE} characters."
    if doc_type not in DOC_TYPES:
        fields["doc_type"] = "Choose what kind of document this is."
    if fields:
        raise ValidationError(fields)
    assert kind is not None
    return kind


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
    kind = _checked(filename, data, title, doc_type)
    storage = uuid.uuid4().hex
    path = _folder() / storage
    try:
        with patient_work(actor, patient_id, "documents.upload", access.DOCUMENTS) as (
            session,
            found,
        ):
            if found.basis not in ("self", access.PROXY):
                raise PermissionDenied("Documents are uploaded here by the patient or their proxy.")
            private_files.write_private(path, data)
            document = Document(
                patient_id=patient_id,
                uploaded_by=actor.user_id,
                title=title.strip(),
                doc_type=doc_type,
                content_type=kind,
                size_bytes=len(data),
                storage_name=storage,
                sha256=hashlib.sha256(data).hexdigest(),
                shared_by_staff=False,
                created_at=clock.now(),
            )
            session.add(document)
            session.flush()
            return document.id
    except BaseException:
        path.unlink(missing_ok=True)  # nothing saved: no file left behind either
        raise


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
            raise NotFound("We could not find that document.")
        data = (_folder() / d.storage_name).read_bytes()
        if hashlib.sha256(data).hexdigest() != d.sha256:
            raise NotFound("That document could not be read; please contact the clinic.")
        suffix = KINDS[d.content_type][1][0]
        return f"{d.title}{suffix}", d.content_type, data
