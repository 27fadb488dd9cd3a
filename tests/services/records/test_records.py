"""The medical record on both databases: visits, notes and care plans with search, imaging,
the summary; PDFs read back with pypdf (name and date of birth on every page, the results in
them); the results CSV; and refusals."""

from __future__ import annotations

import io
import uuid
from datetime import timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from services.core import db, language
from services.core.errors import NotFound, PermissionDenied, ValidationError
from services.core.models import Patient, Provider
from services.records import printouts, records, results
from services.records.tables import ClinicalNote, Encounter
from tests.conftest import NOW
from tests.services.records.test_results import _alex, _doctor, _new_result, held_result
from tests.support import world


def _me():  # type: ignore[no-untyped-def]
    return world.actor_of("patient.demo")


def _pages(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def test_visits_notes_and_care_plans_with_search(seeded_url: str) -> None:
    seen = records.visits(actor=_me(), patient_id=_alex())
    assert seen and seen == sorted(seen, key=lambda v: v.start_at, reverse=True)
    assert all(v.start_at <= NOW for v in seen)
    word = seen[0].reason.split()[0]
    assert all(
        word.lower() in (v.reason + (v.summary or "") + v.provider).lower()
        for v in records.visits(actor=_me(), patient_id=_alex(), search=word)
    )
    notes = records.notes(actor=_me(), patient_id=_alex())
    assert notes
    plans = records.notes(actor=_me(), patient_id=_alex(), note_type="care_plan")
    assert all(n.note_type == "care_plan" for n in plans)
    assert records.notes(actor=_me(), patient_id=_alex(), search="no-such-words-anywhere") == []
    with pytest.raises(ValidationError):
        records.notes(actor=_me(), patient_id=_alex(), search="x" * 101)


def test_unreleased_and_confidential_notes_stay_hidden(seeded_url: str) -> None:
    mia = world.patient_id("Mia", "Larson")
    with db.transaction() as s:
        provider = s.scalars(select(Provider.id)).first()
        mia_row = s.get(Patient, mia)
        assert mia_row is not None
        mia_row.birth_date = NOW.date() - timedelta(days=365 * 14)  # now 14: limited access
        for title, sensitive, released in (
            ("Confidential visit note", True, NOW - timedelta(days=1)),
            ("Draft not yet released", False, None),
        ):
            s.add(
                ClinicalNote(
                    patient_id=mia,
                    author_provider_id=provider,
                    note_type="progress",
                    title=title,
                    body="…",
                    sensitive=sensitive,
                    signed_at=NOW - timedelta(days=2),
                    released_at=released,
                )
            )
    titles = {n.title for n in records.notes(actor=world.actor_of("proxy.demo"), patient_id=mia)}
    assert "Confidential visit note" not in titles and "Draft not yet released" not in titles


def test_the_summary_pdf_has_name_and_birth_date_on_every_page(seeded_url: str) -> None:
    rid = _new_result(_alex())
    results.result_finalize(actor=_doctor(), result_id=rid)
    pdf = printouts.summary_pdf(actor=_me(), patient_id=_alex())
    pages = _pages(pdf)
    with db.read_only() as s:
        alex = s.get(Patient, _alex())
        assert alex is not None
    stamp = f"born {language.day(alex.birth_date)}"
    assert all("Alex Rivera" in p and stamp in p for p in pages)
    text = "\n".join(pages)
    assert "Problems" in text and "Medications" in text and "Hemoglobin A1c" in text


def test_a_long_visit_summary_prints_on_several_pages_each_stamped(seeded_url: str) -> None:
    with db.transaction() as s:
        visit = s.scalars(
            select(Encounter).where(Encounter.patient_id == _alex(), Encounter.start_at <= NOW)
        ).first()
        assert visit is not None
        visit.visit_summary = "\n".join(
            f"Line {i}: keep taking your medicines." for i in range(150)
        )
        visit_id = visit.id
    pages = _pages(printouts.visit_pdf(actor=_me(), patient_id=_alex(), encounter_id=visit_id))
    assert len(pages) >= 2 and all("Alex Rivera" in p for p in pages)
    assert "Line 149" in pages[-1]
    with pytest.raises(NotFound):
        printouts.visit_pdf(actor=_me(), patient_id=_alex(), encounter_id=uuid.uuid4())


def test_the_results_csv_has_released_results_only(seeded_url: str) -> None:
    rid = held_result()
    text = printouts.results_csv(actor=_me(), patient_id=_alex()).decode()
    assert text.splitlines()[0].startswith("collected_at,test,component,loinc,value")
    assert ",Hemoglobin A1c,Hemoglobin A1c,4548-4,8.1" not in text  # held
    results.results_release(actor=_doctor(), result_ids=[rid])
    assert (
        "2026-06-01 03:30:00,Hemoglobin A1c,Hemoglobin A1c,4548-4,8.1"
        in printouts.results_csv(actor=_me(), patient_id=_alex()).decode()
    )


def test_records_refuse_the_wrong_actor(seeded_url: str) -> None:
    with pytest.raises(NotFound):
        records.summary(actor=world.some_patient_user(), patient_id=_alex())
    with pytest.raises(PermissionDenied):
        printouts.summary_pdf(actor=world.actor_of("billing.demo"), patient_id=_alex())
