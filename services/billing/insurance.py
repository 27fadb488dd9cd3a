"""Insurance on file: the patient (or a proxy with the billing scope) adds a new card (plan,
member id, group, the day it starts, and pictures of both sides, checked by content and kept as
the patient's documents); earlier cards stay on file; a card's pictures can be opened again."""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta

from sqlalchemy.orm import Session

from services.billing.account import PATIENT_SIDE
from services.billing.tables import InsuranceCoverage
from services.core import access, clock, forms, uploads
from services.core.access import Actor
from services.core.errors import NotFound
from services.core.language import t
from services.core.work import patient_work
from services.records import documents
from services.records.documents import FOLDER as DOCUMENTS
from services.records.tables import Document

MEMBER_ID = re.compile(r"[A-Za-z0-9-]{3,40}")
SIDES = ("front", "back")
CARD = "Insurance card"  # the documents' type (services.records.documents.DOC_TYPES)


def _checked(
    payer: str,
    member_id: str,
    group_number: str,
    effective_on: date,
    pictures: dict[str, uploads.Upload | None],
) -> dict[str, str]:
    fields: dict[str, str] = {}
    forms.checked_note(fields, "payer", payer, t("Name the insurance plan."), limit=120)
    if not MEMBER_ID.fullmatch(member_id.strip()):
        fields["member_id"] = t("Type the member ID as on the card: 3 to 40 letters, digits or -.")
    forms.checked_note(fields, "group_number", group_number, limit=40)
    if effective_on > clock.today() + timedelta(days=366):
        fields["effective_on"] = t("The card must start within a year.")
    for side, picture in pictures.items():
        if picture is not None:
            problem = uploads.file_problem(picture.filename, picture.data)
            if problem:
                fields[f"card_{side}"] = problem
    return fields


def insurance_add(
    *,
    actor: Actor,
    patient_id: uuid.UUID,
    payer: str,
    member_id: str,
    group_number: str,
    effective_on: date,
    front: uploads.Upload | None = None,
    back: uploads.Upload | None = None,
) -> uuid.UUID:
    """A new insurance card on file, from the day it starts (the older ones are kept)."""
    pictures = {"front": front, "back": back}
    forms.raise_if(_checked(payer, member_id, group_number, effective_on, pictures))
    sent = [(side, p) for side, p in pictures.items() if p is not None]
    with (
        uploads.storing_all(uploads.folder(DOCUMENTS), [p for _, p in sent]) as stored,
        patient_work(actor, patient_id, "billing.insurance.add", access.BILLING_SCOPE) as (
            session,
            found,
        ),
    ):
        access.require_patient_side(found, PATIENT_SIDE)
        now = clock.now()
        kept: dict[str, uuid.UUID] = {}
        for (side, _), (_, file) in zip(sent, stored, strict=True):
            document = documents.kept(
                patient_id, actor.user_id, f"{CARD} ({side}): {payer.strip()}", CARD, file
            )
            session.add(document)
            kept[side] = document.id
        coverage = InsuranceCoverage(
            id=uuid.uuid4(),
            patient_id=patient_id,
            payer=payer.strip(),
            member_id=member_id.strip(),
            group_number=group_number.strip() or None,
            effective_on=effective_on,
            front_document_id=kept.get("front"),
            back_document_id=kept.get("back"),
            added_at=now,
        )
        session.add(coverage)
        return coverage.id


def insurance_card(
    *, actor: Actor, patient_id: uuid.UUID, coverage_id: uuid.UUID, side: str
) -> tuple[str, str, bytes]:
    """(file name, content type, bytes) of one side of a card on file."""
    with patient_work(actor, patient_id, "billing.insurance.card", access.BILLING_SCOPE) as (
        session,
        found,
    ):
        access.require_patient_side(found, PATIENT_SIDE)
        document = _picture(session, patient_id, coverage_id, side)
        data = uploads.read_checked(
            uploads.folder(DOCUMENTS), document.storage_name, document.sha256
        )
        if data is None:
            raise NotFound(t("That picture could not be read; please add the card again."))
        name = f"insurance-card-{side}{uploads.suffix(document.content_type)}"
        return name, document.content_type, data


def _picture(
    session: Session, patient_id: uuid.UUID, coverage_id: uuid.UUID, side: str
) -> Document:
    coverage = session.get(InsuranceCoverage, coverage_id)
    if coverage is None or coverage.patient_id != patient_id or side not in SIDES:
        raise NotFound(t("We could not find that card."))
    document_id = coverage.front_document_id if side == "front" else coverage.back_document_id
    document = session.get(Document, document_id) if document_id else None
    if document is None:
        raise NotFound(t("No picture of that side of the card is on file."))
    return document
