"""Insurance cards on both databases: a new card with pictures of both sides (kept as the
patient's documents) goes on file first and the old one stays; bad input changes nothing and
leaves no file; pictures open only for the patient's side."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from sqlalchemy import func, select

from services.billing import account, insurance
from services.billing.tables import InsuranceCoverage
from services.core import db, uploads
from services.core.errors import NotFound, PermissionDenied, ValidationError
from services.records import documents
from tests.support import world

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _alex() -> uuid.UUID:
    return world.patient_id("Alex", "Rivera")


def _me():  # type: ignore[no-untyped-def]
    return world.actor_of("patient.demo")


def _add(**changes: object) -> uuid.UUID:
    values: dict[str, object] = {
        "payer": "Prairie Health Plan",
        "member_id": "PHP-123456",
        "group_number": "G77",
        "effective_on": date(2026, 6, 1),
        "front": uploads.Upload("front.png", PNG),
        "back": uploads.Upload("back.png", PNG),
    } | changes
    return insurance.insurance_add(actor=_me(), patient_id=_alex(), **values)  # type: ignore[arg-type]


def test_a_new_card_goes_on_file_with_its_pictures(seeded_url: str) -> None:
    before = account.billing_overview(actor=_me(), patient_id=_alex()).coverage
    coverage = _add()
    after = account.billing_overview(actor=_me(), patient_id=_alex()).coverage
    assert after[0].coverage_id == coverage and after[0].sides == ("front", "back")
    assert after[0].member_id == "PHP-123456" and len(after) == len(before) + 1
    name, kind, data = insurance.insurance_card(
        actor=_me(), patient_id=_alex(), coverage_id=coverage, side="back"
    )
    assert (name, kind, data) == ("insurance-card-back.png", "image/png", PNG)
    kinds = {d.doc_type for d in documents.documents_list(actor=_me(), patient_id=_alex())}
    assert insurance.CARD in kinds
    with pytest.raises(NotFound):
        insurance.insurance_card(
            actor=_me(), patient_id=_alex(), coverage_id=before[0].coverage_id, side="front"
        )
    with pytest.raises(NotFound, match="could not find that card"):
        insurance.insurance_card(
            actor=_me(), patient_id=_alex(), coverage_id=coverage, side="inside"
        )


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"payer": " "}, "payer"),
        ({"member_id": "no spaces allowed"}, "member_id"),
        ({"member_id": "ab"}, "member_id"),
        ({"effective_on": date(2030, 1, 1)}, "effective_on"),
        ({"front": uploads.Upload("front.png", b"GIF89a not accepted")}, "card_front"),
        ({"back": uploads.Upload("back.jpg", PNG)}, "card_back"),
    ],
)
def test_bad_cards_are_refused_and_change_nothing(
    seeded_url: str, changes: dict[str, object], field: str
) -> None:
    with db.read_only() as s:
        rows = s.scalar(select(func.count()).select_from(InsuranceCoverage))
    files = set(uploads.folder(documents.FOLDER).iterdir())
    with pytest.raises(ValidationError) as refused:
        _add(**changes)
    assert field in refused.value.fields
    with db.read_only() as s:
        assert s.scalar(select(func.count()).select_from(InsuranceCoverage)) == rows
    assert set(uploads.folder(documents.FOLDER).iterdir()) == files


def test_cards_are_the_patients_side_only(seeded_url: str) -> None:
    coverage = _add(front=None, back=None)
    with pytest.raises(NotFound):  # no picture sent
        insurance.insurance_card(
            actor=_me(), patient_id=_alex(), coverage_id=coverage, side="front"
        )
    with pytest.raises(PermissionDenied):
        insurance.insurance_add(
            actor=world.actor_of("billing.demo"),
            patient_id=_alex(),
            payer="X",
            member_id="ABC123",
            group_number="",
            effective_on=date(2026, 6, 1),
        )
    with pytest.raises(NotFound):
        insurance.insurance_card(
            actor=world.actor_of("teen.demo"),
            patient_id=world.patient_id("Emma", "Larson"),
            coverage_id=coverage,
            side="front",
        )
