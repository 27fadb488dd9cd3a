"""The medical record as patients (and their proxies) read it: visits with their summaries,
notes (care plans among them), problems, medications, allergies, immunizations and imaging
reports. Notes and imaging reports appear once released; a parent with limited access to a
12-17 year old does not see confidential adolescent notes.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, exists, or_, select
from sqlalchemy.orm import Session

from services.core import access, clock
from services.core.access import Actor
from services.core.errors import ValidationError
from services.core.language import t
from services.core.models import Patient, Provider
from services.core.work import patient_work
from services.records import addenda
from services.records.tables import (
    Allergy,
    ClinicalNote,
    Encounter,
    ImagingReport,
    Immunization,
    Medication,
    Problem,
)

MAX_SEARCH = 100


@dataclass(frozen=True)
class Visit:
    encounter_id: uuid.UUID
    start_at: datetime
    kind: str
    provider: str
    reason: str
    summary: str | None


@dataclass(frozen=True)
class Note:
    note_id: uuid.UUID
    signed_at: datetime
    note_type: str  # progress, history, care_plan
    title: str
    author: str
    body: str


@dataclass(frozen=True)
class Imaging:
    report_id: uuid.UUID
    performed_at: datetime
    modality: str
    study: str
    report: str


@dataclass(frozen=True)
class Summary:
    """The printable record summary."""

    patient_name: str
    birth_date: date
    mrn: str
    problems: list[tuple[str, str, date | None, str]]  # code, description, onset, status
    medications: list[tuple[str, str, str, date, str]]  # name, dose, frequency, start, status
    allergies: list[tuple[str, str, str]]  # substance, reaction, severity
    immunizations: list[tuple[str, date, str | None]]  # vaccine, date, lot


def _search(text: str | None, *columns: Any) -> Any | None:
    if not text or not text.strip():
        return None
    if len(text) > MAX_SEARCH:
        raise ValidationError(
            {"search": t("Search for at most {limit} characters.", limit=MAX_SEARCH)}
        )
    needle = f"%{text.strip()}%"
    return or_(*(c.ilike(needle) for c in columns))


def confidential_visit() -> ColumnElement[bool]:
    """A visit with a confidential adolescent note: hidden, with the note, from a parent whose
    access is limited."""
    return exists().where(
        ClinicalNote.encounter_id == Encounter.id, ClinicalNote.sensitive.is_(True)
    )


def visits(*, actor: Actor, patient_id: uuid.UUID, search: str | None = None) -> list[Visit]:
    """Past visits, newest first, with the summary the patient was given."""
    with patient_work(actor, patient_id, "records.visits.view", access.RECORDS) as (
        session,
        granted,
    ):
        query = (
            select(
                Encounter.id,
                Encounter.start_at,
                Encounter.kind,
                Provider.name,
                Encounter.reason,
                Encounter.visit_summary,
            )
            .join(Provider, Provider.id == Encounter.provider_id)
            .where(Encounter.patient_id == patient_id, Encounter.start_at <= clock.now())
            .order_by(Encounter.start_at.desc())
        )
        if granted.adolescent_limited:
            query = query.where(~confidential_visit())
        found = _search(search, Encounter.reason, Encounter.visit_summary, Provider.name)
        if found is not None:
            query = query.where(found)
        return [Visit(*row) for row in session.execute(query)]


def notes(
    *,
    actor: Actor,
    patient_id: uuid.UUID,
    note_type: str | None = None,
    search: str | None = None,
) -> list[Note]:
    """Released notes, newest first; `note_type="care_plan"` gives the care plans."""
    with patient_work(actor, patient_id, "records.notes.view", access.RECORDS) as (
        session,
        found,
    ):
        now = clock.now()
        query = (
            select(
                ClinicalNote.id,
                ClinicalNote.signed_at,
                ClinicalNote.note_type,
                ClinicalNote.title,
                Provider.name,
                ClinicalNote.body,
            )
            .join(Provider, Provider.id == ClinicalNote.author_provider_id)
            .where(
                ClinicalNote.patient_id == patient_id,
                ClinicalNote.released_at.is_not(None),
                ClinicalNote.released_at <= now,
            )
            .order_by(ClinicalNote.signed_at.desc())
        )
        if found.adolescent_limited:
            query = query.where(ClinicalNote.sensitive.is_(False))
        if note_type:
            query = query.where(ClinicalNote.note_type == note_type)
        matched = _search(search, ClinicalNote.title, ClinicalNote.body)
        if matched is not None:
            query = query.where(matched)
        return [Note(*row) for row in session.execute(query)]


def imaging(*, actor: Actor, patient_id: uuid.UUID) -> list[Imaging]:
    with patient_work(actor, patient_id, "records.imaging.view", access.RECORDS) as (session, _):
        now = clock.now()
        rows = session.execute(
            select(
                ImagingReport.id,
                ImagingReport.performed_at,
                ImagingReport.modality,
                ImagingReport.study,
                ImagingReport.report_text,
            )
            .where(
                ImagingReport.patient_id == patient_id,
                ImagingReport.released_at.is_not(None),
                ImagingReport.released_at <= now,
            )
            .order_by(ImagingReport.performed_at.desc())
        )
        return [Imaging(*row) for row in rows]


def record_addenda(*, actor: Actor, patient_id: uuid.UUID) -> list[addenda.Addendum]:
    """Amendments, statements of disagreement and rebuttals, with the items they belong to."""
    with patient_work(actor, patient_id, "records.addenda.view", access.RECORDS) as (
        session,
        found,
    ):
        return addenda.addenda(session, patient_id, found)


def summary(*, actor: Actor, patient_id: uuid.UUID) -> Summary:
    """Problems, medications, allergies and immunizations (the printable summary)."""
    with patient_work(actor, patient_id, "records.summary.view", access.RECORDS) as (session, _):
        return _summary(session, patient_id)


def _summary(session: Session, patient_id: uuid.UUID) -> Summary:
    patient = session.get(Patient, patient_id)
    assert patient is not None

    def rows(query: Any) -> list[Any]:
        return [tuple(r) for r in session.execute(query)]

    return Summary(
        patient_name=f"{patient.first_name} {patient.last_name}",
        birth_date=patient.birth_date,
        mrn=patient.mrn,
        problems=rows(
            select(Problem.code, Problem.description, Problem.onset_date, Problem.status)
            .where(Problem.patient_id == patient_id)
            .order_by(Problem.status, Problem.description)
        ),
        medications=rows(
            select(
                Medication.name,
                Medication.dose,
                Medication.frequency,
                Medication.start_date,
                Medication.status,
            )
            .where(Medication.patient_id == patient_id)
            .order_by(Medication.status, Medication.name)
        ),
        allergies=rows(
            select(Allergy.substance, Allergy.reaction, Allergy.severity)
            .where(Allergy.patient_id == patient_id)
            .order_by(Allergy.substance)
        ),
        immunizations=rows(
            select(Immunization.vaccine, Immunization.administered_on, Immunization.lot)
            .where(Immunization.patient_id == patient_id)
            .order_by(Immunization.administered_on.desc())
        ),
    )
