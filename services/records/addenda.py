"""What travels with an item of the record once an amendment request is decided (164.526): the
accepted amendment, or the patient's statement of disagreement and the clinic's rebuttal. Every
view of the record shows them beside the item: the record pages, the PDFs, the FHIR exports
and every records package made from then on."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from services.core import access, clock, language
from services.core.access import Access
from services.core.language import N_, t
from services.records.extent import ALL, WHOLE, Extent
from services.records.results import CONFIDENTIAL_CATEGORIES
from services.records.tables import Amendment, ClinicalNote, LabResult

AMENDMENT, DISAGREEMENT, REBUTTAL = "amendment", "disagreement", "rebuttal"
TITLES = {
    AMENDMENT: N_("Amendment"),
    DISAGREEMENT: N_("Patient's statement of disagreement"),
    REBUTTAL: N_("Clinic's rebuttal"),
}


@dataclass(frozen=True)
class Addendum:
    item_kind: str
    item_id: uuid.UUID
    item_label: str
    kind: str  # amendment, disagreement, rebuttal
    text: str
    at: datetime
    request_id: uuid.UUID

    def line(self) -> str:
        """'Amendment (Jun 1, 2026) to Hypertension: ...', in the current language."""
        return t(
            "{kind} ({day}) to {item}: {text}",
            kind=t(TITLES[self.kind]),
            day=language.day(clock.local(self.at).date()),
            item=self.item_label,
            text=self.text,
        )


# The part of the record (services.records.extent) each kind of item belongs to.
PART_OF = {
    "note": "notes",
    "result_comment": "results",
    "problem": ALL,
    "allergy": ALL,
    "medication": ALL,
    "demographics": ALL,
}


def addenda(
    session: Session, patient_id: uuid.UUID, found: Access, extent: Extent = WHOLE
) -> list[Addendum]:
    """The addenda the viewer may see, oldest first: of items within `extent` and the viewer's
    scopes, and for a parent with limited access none about confidential notes or results."""
    kinds = [k for k, part in PART_OF.items() if extent.has(part)]
    if access.RESULTS not in found.scopes:
        kinds = [k for k in kinds if k != "result_comment"]
    query = select(Amendment).where(
        Amendment.patient_id == patient_id,
        or_(Amendment.decision == "accepted", Amendment.disagreement.is_not(None)),
        Amendment.item_kind.in_(kinds),
    )
    if found.adolescent_limited:
        query = query.where(
            Amendment.item_id.not_in(
                select(ClinicalNote.id).where(
                    ClinicalNote.patient_id == patient_id, ClinicalNote.sensitive.is_(True)
                )
            ),
            Amendment.item_id.not_in(
                select(LabResult.id).where(
                    LabResult.patient_id == patient_id,
                    LabResult.category.in_(CONFIDENTIAL_CATEGORIES),
                )
            ),
        )
    rows = session.scalars(query.order_by(Amendment.decided_at)).all()
    out: list[Addendum] = []
    for a in rows:
        parts = (
            (AMENDMENT, a.amendment_text, a.decided_at),
            (DISAGREEMENT, a.disagreement, a.disagreement_at),
            (REBUTTAL, a.rebuttal, a.rebuttal_at),
        )
        for kind, text, at in parts:
            if text and at is not None:
                out.append(
                    Addendum(a.item_kind, a.item_id, a.item_label, kind, text, at, a.request_id)
                )
    return out
