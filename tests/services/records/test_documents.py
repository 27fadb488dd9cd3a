"""Documents on both databases: uploads checked by content, stored under generated names,
downloaded intact; refusals change nothing."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select

from services.core import db
from services.core.config import settings
from services.core.errors import NotFound, PermissionDenied, ValidationError
from services.records import documents
from services.records.tables import Document
from tests.services.records.test_results import _alex
from tests.support import world

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _me():  # type: ignore[no-untyped-def]
    return world.actor_of("patient.demo")


def uploaded(title: str = "Letter from the cardiologist") -> uuid.UUID:
    """A PDF letter that patient.demo uploaded to Alex's record."""
    return documents.document_upload(
        actor=_me(),
        patient_id=_alex(),
        filename="letter.pdf",
        data=PDF,
        title=title,
        doc_type="Letter",
    )


def _count() -> int:
    with db.read_only() as s:
        return int(s.scalar(select(func.count()).select_from(Document)) or 0)


def _stored() -> set[Path]:
    folder = settings().data_dir / "documents"
    return set(folder.iterdir()) if folder.exists() else set()


def test_an_upload_is_stored_under_a_generated_name_and_comes_back_intact(seeded_url: str) -> None:
    doc = documents.document_upload(
        actor=_me(),
        patient_id=_alex(),
        filename="../../etc/passwd.pdf",
        data=PDF,
        title="Letter from the cardiologist",
        doc_type="Letter",
    )
    [stored] = _stored()
    assert stored.name != "passwd.pdf" and len(stored.name) == 32
    name, kind, data = documents.document_download(actor=_me(), patient_id=_alex(), document_id=doc)
    assert (name, kind, data) == ("Letter from the cardiologist.pdf", "application/pdf", PDF)
    listed = documents.documents_list(actor=_me(), patient_id=_alex())
    assert [d.title for d in listed] == ["Letter from the cardiologist"]


@pytest.mark.parametrize(
    "filename, data, says",
    [
        ("notes.pdf", b"MZ\x90\x00 this is a program renamed to .pdf", "PDF, PNG and JPEG"),
        ("scan.pdf", PNG, "image/png"),
        ("big.pdf", b"%PDF-" + b"0" * (10 * 1024 * 1024), "10 MB"),
        ("empty.pdf", b"", "empty"),
    ],
)
def test_bad_files_are_refused_and_leave_nothing_behind(
    seeded_url: str, filename: str, data: bytes, says: str
) -> None:
    before = _count()
    with pytest.raises(ValidationError) as refused:
        documents.document_upload(
            actor=_me(),
            patient_id=_alex(),
            filename=filename,
            data=data,
            title="x",
            doc_type="Other",
        )
    assert says in refused.value.fields["file"]
    assert _count() == before and _stored() == set()


def test_documents_refuse_the_wrong_actor(seeded_url: str) -> None:
    doc = documents.document_upload(
        actor=_me(),
        patient_id=_alex(),
        filename="scan.png",
        data=PNG,
        title="Scan",
        doc_type="Image",
    )
    with pytest.raises(NotFound):
        documents.document_download(
            actor=world.some_patient_user(), patient_id=_alex(), document_id=doc
        )
    with pytest.raises(PermissionDenied):
        documents.documents_list(actor=world.actor_of("billing.demo"), patient_id=_alex())
    with pytest.raises(PermissionDenied):  # the care team shares through its own workflow
        documents.document_upload(
            actor=world.actor_of("clinician.demo"),
            patient_id=_alex(),
            filename="a.pdf",
            data=PDF,
            title="x",
            doc_type="Other",
        )
    assert len(_stored()) == 1
