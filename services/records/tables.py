"""The records tables (one metadata for the whole schema: services.core.models.Base)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Double,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from services.core.models import Base, id_column, patient_fk


class Encounter(Base):
    __tablename__ = "encounters"
    id: Mapped[uuid.UUID] = id_column()
    patient_id: Mapped[uuid.UUID] = patient_fk()
    provider_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("providers.id"))
    site_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("sites.id"))
    kind: Mapped[str] = mapped_column(String(32))  # office, video, telephone, lab
    start_at: Mapped[datetime] = mapped_column(DateTime)
    end_at: Mapped[datetime | None] = mapped_column(DateTime)
    reason: Mapped[str] = mapped_column(String(200))
    visit_summary: Mapped[str | None] = mapped_column(Text)


class ClinicalNote(Base):
    __tablename__ = "clinical_notes"
    id: Mapped[uuid.UUID] = id_column()
    patient_id: Mapped[uuid.UUID] = patient_fk()
    encounter_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("encounters.id"))
    author_provider_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("providers.id"))
    note_type: Mapped[str] = mapped_column(String(40))  # progress, history, care_plan
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    # Confidential adolescent information (reproductive, mental health): hidden from parents.
    sensitive: Mapped[bool] = mapped_column(Boolean, default=False)
    signed_at: Mapped[datetime] = mapped_column(DateTime)
    released_at: Mapped[datetime | None] = mapped_column(DateTime)


class Problem(Base):
    __tablename__ = "problems"
    id: Mapped[uuid.UUID] = id_column()
    patient_id: Mapped[uuid.UUID] = patient_fk()
    code: Mapped[str] = mapped_column(String(16))  # ICD-10-CM
    description: Mapped[str] = mapped_column(String(200))
    onset_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))  # active, resolved
    recorded_at: Mapped[datetime] = mapped_column(DateTime)


class Medication(Base):
    __tablename__ = "medications"
    id: Mapped[uuid.UUID] = id_column()
    patient_id: Mapped[uuid.UUID] = patient_fk()
    name: Mapped[str] = mapped_column(String(120))
    rxnorm: Mapped[str | None] = mapped_column(String(16))
    dose: Mapped[str] = mapped_column(String(60))
    frequency: Mapped[str] = mapped_column(String(60))
    prescriber_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("providers.id"))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))  # active, stopped
    refills_remaining: Mapped[int] = mapped_column(Integer, default=0)
    # Schema v15: the DEA schedule of a controlled substance (II to V), none otherwise. A refill
    # of a controlled substance is never requested online.
    controlled: Mapped[str | None] = mapped_column(String(4))


class Allergy(Base):
    __tablename__ = "allergies"
    id: Mapped[uuid.UUID] = id_column()
    patient_id: Mapped[uuid.UUID] = patient_fk()
    substance: Mapped[str] = mapped_column(String(120))
    reaction: Mapped[str] = mapped_column(String(120))
    severity: Mapped[str] = mapped_column(String(16))  # mild, moderate, severe
    recorded_at: Mapped[datetime] = mapped_column(DateTime)


class Immunization(Base):
    __tablename__ = "immunizations"
    id: Mapped[uuid.UUID] = id_column()
    patient_id: Mapped[uuid.UUID] = patient_fk()
    vaccine: Mapped[str] = mapped_column(String(120))
    cvx: Mapped[str] = mapped_column(String(8))
    administered_on: Mapped[date] = mapped_column(Date)
    lot: Mapped[str | None] = mapped_column(String(32))


class ImagingReport(Base):
    __tablename__ = "imaging_reports"
    id: Mapped[uuid.UUID] = id_column()
    patient_id: Mapped[uuid.UUID] = patient_fk()
    modality: Mapped[str] = mapped_column(String(16))  # XR, CT, MR, US
    study: Mapped[str] = mapped_column(String(160))
    performed_at: Mapped[datetime] = mapped_column(DateTime)
    report_text: Mapped[str] = mapped_column(Text)
    released_at: Mapped[datetime | None] = mapped_column(DateTime)


class LabResult(Base):
    """One resulted panel. Released at once by default; a hold needs reason, clinician, end."""

    __tablename__ = "lab_results"
    id: Mapped[uuid.UUID] = id_column()
    patient_id: Mapped[uuid.UUID] = patient_fk()
    ordering_provider_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("providers.id"))
    panel_code: Mapped[str] = mapped_column(String(16))  # LOINC panel code
    panel_name: Mapped[str] = mapped_column(String(120))
    category: Mapped[str] = mapped_column(String(32))  # chemistry, hematology, sensitive...
    collected_at: Mapped[datetime] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(16))  # preliminary, final
    resulted_at: Mapped[datetime | None] = mapped_column(DateTime)
    held_at: Mapped[datetime | None] = mapped_column(DateTime)
    hold_reason: Mapped[str | None] = mapped_column(String(32))  # preventing_harm, patient_request
    hold_note: Mapped[str | None] = mapped_column(Text)
    hold_until: Mapped[datetime | None] = mapped_column(DateTime)
    held_by_provider_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("providers.id"))
    released_at: Mapped[datetime | None] = mapped_column(DateTime)
    clinician_comment: Mapped[str | None] = mapped_column(Text)
    first_viewed_at: Mapped[datetime | None] = mapped_column(DateTime)


class ResultHoldDecision(Base):
    """Who held a result, changed a hold or released it, why and until when (schema v6).

    Written as new rows: DuckDB cannot update a foreign-key column of a row other tables
    reference, and the decisions' history is worth keeping anyway.
    """

    __tablename__ = "result_hold_decisions"
    id: Mapped[uuid.UUID] = id_column()
    result_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("lab_results.id"), index=True)
    provider_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("providers.id"))
    decision: Mapped[str] = mapped_column(String(16))  # hold, change, release
    reason: Mapped[str | None] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)
    until: Mapped[datetime | None] = mapped_column(DateTime)
    decided_at: Mapped[datetime] = mapped_column(DateTime)


class ResultDelayPreference(Base):
    """A category of results the patient asked to wait for their clinician (schema v6)."""

    __tablename__ = "result_delay_preferences"
    patient_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("patients.id"), primary_key=True)
    category: Mapped[str] = mapped_column(String(32), primary_key=True)


class LabComponent(Base):
    __tablename__ = "lab_components"
    id: Mapped[uuid.UUID] = id_column()
    result_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("lab_results.id"), index=True)
    loinc: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(120))
    value: Mapped[float | None] = mapped_column(Double)  # DOUBLE since schema v8
    value_text: Mapped[str | None] = mapped_column(String(80))
    unit: Mapped[str | None] = mapped_column(String(24))
    ref_low: Mapped[float | None] = mapped_column(Double)
    ref_high: Mapped[float | None] = mapped_column(Double)
    flag: Mapped[str | None] = mapped_column(String(4))  # L, H, LL, HH


# --- health metrics (time series) -----------------------------------------------------------


class Disclosure(Base):
    """A release of the patient's information outside the clinic (164.528), with its legal
    basis (schema v12): services.him.accounting says which bases the accounting leaves out."""

    __tablename__ = "disclosures"
    id: Mapped[uuid.UUID] = id_column()
    patient_id: Mapped[uuid.UUID] = patient_fk()
    disclosed_at: Mapped[datetime] = mapped_column(DateTime)
    recipient: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    purpose: Mapped[str] = mapped_column(String(120))
    request_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("records_requests.id"))
    basis: Mapped[str | None] = mapped_column(String(24))


class Amendment(Base):
    """A patient's request to amend one item of their record (164.526; schema v12), the
    decision, and what then travels with the item: the amendment, or the patient's statement of
    disagreement and the clinic's rebuttal. Worked by services.him.amendments."""

    __tablename__ = "amendments"
    request_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("records_requests.id"), primary_key=True
    )
    patient_id: Mapped[uuid.UUID] = patient_fk()
    # note, problem, allergy, medication, result_comment, demographics (the patient's own id)
    item_kind: Mapped[str] = mapped_column(String(16))
    item_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    item_label: Mapped[str] = mapped_column(String(200))
    change: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    notify: Mapped[str | None] = mapped_column(Text)  # people to tell of an amendment
    routed_to: Mapped[uuid.UUID | None] = mapped_column(Uuid)  # a clinician's user id
    decision: Mapped[str | None] = mapped_column(String(16))  # accepted, denied
    decided_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    amendment_text: Mapped[str | None] = mapped_column(Text)
    denial_ground: Mapped[str | None] = mapped_column(String(32))
    denial_note: Mapped[str | None] = mapped_column(Text)
    disagreement: Mapped[str | None] = mapped_column(Text)
    disagreement_at: Mapped[datetime | None] = mapped_column(DateTime)
    rebuttal: Mapped[str | None] = mapped_column(Text)
    rebuttal_at: Mapped[datetime | None] = mapped_column(DateTime)


class ShareLink(Base):
    """A patient's time-limited download link for one recipient (schema v7); token hashed."""

    __tablename__ = "share_links"
    id: Mapped[uuid.UUID] = id_column()
    patient_id: Mapped[uuid.UUID] = patient_fk()
    created_by: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id"))
    recipient_name: Mapped[str] = mapped_column(String(200))
    recipient_email: Mapped[str] = mapped_column(String(254))
    what: Mapped[str] = mapped_column(String(16))  # summary_pdf, fhir, package
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)
    uses: Mapped[int] = mapped_column(Integer, default=0)
    # A records package's link: the records request it delivers (schema v12; a plain id).
    request_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)


class Document(Base):
    __tablename__ = "documents"
    id: Mapped[uuid.UUID] = id_column()
    patient_id: Mapped[uuid.UUID] = patient_fk()
    uploaded_by: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id"))
    title: Mapped[str] = mapped_column(String(200))
    doc_type: Mapped[str] = mapped_column(String(40))
    content_type: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    storage_name: Mapped[str] = mapped_column(String(64), unique=True)
    sha256: Mapped[str] = mapped_column(String(64))
    shared_by_staff: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class OutsideImport(Base):
    """One FHIR bundle brought in from another provider (schema v21): who brought it, when, from
    where (the source label every item carries), and the file's hash."""

    __tablename__ = "outside_imports"
    id: Mapped[uuid.UUID] = id_column()
    patient_id: Mapped[uuid.UUID] = patient_fk()
    source: Mapped[str] = mapped_column(String(200))
    file_name: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    imported_by: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id"))
    imported_at: Mapped[datetime] = mapped_column(DateTime)
    items: Mapped[int] = mapped_column(Integer)
    # Removed by the person who brought it in (or HIM): its items are deleted, this row stays.
    removed_at: Mapped[datetime | None] = mapped_column(DateTime)
    removed_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)


class OutsideItem(Base):
    """One condition, result, medication, immunization, allergy or visit from another provider,
    kept apart from this clinic's record (schema v21). `key` is a hash of the patient and the
    resource's full URL, so a second import of the same bundle adds nothing."""

    __tablename__ = "outside_items"
    id: Mapped[uuid.UUID] = id_column()
    import_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("outside_imports.id"), index=True)
    patient_id: Mapped[uuid.UUID] = patient_fk()
    key: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    code: Mapped[str | None] = mapped_column(String(32))  # LOINC, SNOMED CT, RxNorm, CVX
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str | None] = mapped_column(String(24))
    occurred_at: Mapped[datetime | None] = mapped_column(DateTime)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)
    value: Mapped[float | None] = mapped_column(Double)
    value_text: Mapped[str | None] = mapped_column(String(200))
    unit: Mapped[str | None] = mapped_column(String(32))
    ref_low: Mapped[float | None] = mapped_column(Double)
    ref_high: Mapped[float | None] = mapped_column(Double)
    detail: Mapped[str | None] = mapped_column(String(200))


# --- notifications, usage, audit ------------------------------------------------------------


# PostgreSQL only: DuckDB turns an update of an indexed column into delete + insert, which its
# foreign keys refuse while lab_components reference the row (releasing would fail).
Index("ix_lab_results_status", LabResult.patient_id, LabResult.released_at).ddl_if(
    dialect="postgresql"
)
