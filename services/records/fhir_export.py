"""The patient's record as a FHIR R4 JSON Bundle (HIPAA right of access: the form asked for).

Released results only (the same `visible_to` rule as every patient-facing view), notes
released to the patient (confidential adolescent notes left out for a parent with limited
access), problems, medications, allergies, immunizations, visits, released imaging reports,
documents and the home readings as vital-sign Observations with their LOINC codes; amendments,
statements of disagreement and rebuttals as DocumentReferences pointing at their items. A
records package takes the same builder narrowed to the parts and days asked (`Extent`). A CGM
stream is exported for the last 14 days (the clinical window; the full stream is on the metrics
page as CSV). Every resource is checked against the `fhir.resources` models before the bundle
leaves (R4B models: R4's structures for these resources).
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any

from fhir.resources.R4B.bundle import Bundle
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.core import access, clock
from services.core.access import Access, Actor
from services.core.models import Patient, Provider
from services.core.work import patient_work
from services.health import clinical
from services.health.tables import BloodPressureReading, GlucoseReading, WeightReading
from services.records import addenda
from services.records.extent import ALL, WHOLE, Extent
from services.records.records import confidential_visit
from services.records.results import visible_to
from services.records.tables import (
    Allergy,
    ClinicalNote,
    Document,
    Encounter,
    ImagingReport,
    Immunization,
    LabComponent,
    LabResult,
    Medication,
    Problem,
)

LOINC, UCUM = "http://loinc.org", "http://unitsofmeasure.org"
VITALS = {
    "system": "http://terminology.hl7.org/CodeSystem/observation-category",
    "code": "vital-signs",
}
LABORATORY = {
    "system": "http://terminology.hl7.org/CodeSystem/observation-category",
    "code": "laboratory",
}
GENDER = {"F": "female", "M": "male", "X": "other"}
CGM_DAYS = clinical.TIR_WINDOW_DAYS


def _ref(kind: str, rid: uuid.UUID) -> dict[str, str]:
    return {"reference": f"urn:uuid:{rid}", "type": kind}


def _when(moment: datetime) -> str:
    return moment.replace(microsecond=0).isoformat() + "Z"  # stored as UTC


def _quantity(value: float, unit: str, code: str) -> dict[str, Any]:
    return {"value": round(float(value), 2), "unit": unit, "system": UCUM, "code": code}


def _code(system: str, code: str, text: str) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code, "display": text}], "text": text}


class _Builder:
    def __init__(self, patient: Patient) -> None:
        self.patient_ref = _ref("Patient", patient.id)
        self.entries: list[dict[str, Any]] = []

    def add(self, rid: uuid.UUID, resource: dict[str, Any]) -> None:
        resource = {"id": str(rid), **resource}
        self.entries.append({"fullUrl": f"urn:uuid:{rid}", "resource": resource})

    def vital(self, at: datetime, code: str, text: str, **value: Any) -> None:
        self.add(
            uuid.uuid5(uuid.NAMESPACE_URL, f"{self.patient_ref['reference']}/{code}/{at}"),
            {
                "resourceType": "Observation",
                "status": "final",
                "category": [{"coding": [VITALS]}],
                "code": _code(LOINC, code, text),
                "subject": self.patient_ref,
                "effectiveDateTime": _when(at),
                **value,
            },
        )


def _patient(b: _Builder, p: Patient) -> None:
    b.add(
        p.id,
        {
            "resourceType": "Patient",
            "identifier": [{"system": "urn:lakeside:mrn", "value": p.mrn}],
            "name": [
                {
                    "family": p.last_name,
                    "given": [n for n in (p.first_name, p.middle_name) if n],
                }
            ],
            "birthDate": p.birth_date.isoformat(),
            "gender": GENDER.get(p.sex, "unknown"),
            **({"telecom": [{"system": "email", "value": p.email}]} if p.email else {}),
        },
    )


def _results(
    b: _Builder, s: Session, patient_id: uuid.UUID, found: Access, now: datetime, extent: Extent
) -> None:
    for result in s.scalars(
        select(LabResult)
        .where(LabResult.patient_id == patient_id, visible_to(found, now))
        .where(*extent.within(LabResult.collected_at))
        .order_by(LabResult.collected_at)
    ):
        observations = []
        for c in s.scalars(select(LabComponent).where(LabComponent.result_id == result.id)):
            value: dict[str, Any] = (
                {
                    "valueQuantity": {
                        "value": round(c.value, 4),
                        "unit": c.unit or "",
                        **({"system": UCUM, "code": c.unit} if c.unit else {}),
                    }
                }
                if c.value is not None
                else {"valueString": c.value_text or ""}
            )
            reference = {
                k: {"value": v, "unit": c.unit or ""}
                for k, v in (("low", c.ref_low), ("high", c.ref_high))
                if v is not None
            }
            b.add(
                c.id,
                {
                    "resourceType": "Observation",
                    "status": "final",
                    "category": [{"coding": [LABORATORY]}],
                    "code": _code(LOINC, c.loinc, c.name),
                    "subject": b.patient_ref,
                    "effectiveDateTime": _when(result.collected_at),
                    **value,
                    **({"referenceRange": [reference]} if reference else {}),
                    **(
                        {
                            "interpretation": [
                                _code(
                                    "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation",
                                    c.flag,
                                    c.flag,
                                )
                            ]
                        }
                        if c.flag
                        else {}
                    ),
                },
            )
            observations.append(_ref("Observation", c.id))
        b.add(
            result.id,
            {
                "resourceType": "DiagnosticReport",
                "status": "final",
                "category": [
                    _code("http://terminology.hl7.org/CodeSystem/v2-0074", "LAB", "Laboratory")
                ],
                "code": _code(LOINC, result.panel_code, result.panel_name),
                "subject": b.patient_ref,
                "effectiveDateTime": _when(result.collected_at),
                "issued": _when(result.released_at or result.hold_until or now),
                "result": observations,
                **({"conclusion": result.clinician_comment} if result.clinician_comment else {}),
            },
        )


def _vitals(b: _Builder, s: Session, patient_id: uuid.UUID, now: datetime) -> None:
    bp = BloodPressureReading
    for at, systolic, diastolic, pulse in s.execute(
        select(bp.measured_at, bp.systolic, bp.diastolic, bp.pulse).where(
            bp.patient_id == patient_id
        )
    ):
        b.vital(
            at,
            "85354-9",
            "Blood pressure panel",
            component=[
                {
                    "code": _code(LOINC, "8480-6", "Systolic blood pressure"),
                    "valueQuantity": _quantity(systolic, "mmHg", "mm[Hg]"),
                },
                {
                    "code": _code(LOINC, "8462-4", "Diastolic blood pressure"),
                    "valueQuantity": _quantity(diastolic, "mmHg", "mm[Hg]"),
                },
            ],
        )
        if pulse is not None:
            b.vital(at, "8867-4", "Heart rate", valueQuantity=_quantity(pulse, "/min", "/min"))
    w = WeightReading
    for at, kg in s.execute(select(w.measured_at, w.weight_kg).where(w.patient_id == patient_id)):
        b.vital(at, "29463-7", "Body weight", valueQuantity=_quantity(kg, "kg", "kg"))
    g = GlucoseReading
    for at, mg_dl in s.execute(
        select(g.measured_at, g.mg_dl).where(
            g.patient_id == patient_id,
            (g.source != "cgm") | (g.measured_at >= now - timedelta(days=CGM_DAYS)),
        )
    ):
        b.vital(
            at,
            "2339-0",
            "Glucose [Mass/volume] in Blood",
            valueQuantity=_quantity(mg_dl, "mg/dL", "mg/dL"),
        )


def _lists(b: _Builder, s: Session, patient_id: uuid.UUID) -> None:
    """Problems, medications, allergies and immunizations (the whole record only)."""
    for p in s.scalars(select(Problem).where(Problem.patient_id == patient_id)):
        b.add(
            p.id,
            {
                "resourceType": "Condition",
                "clinicalStatus": _code(
                    "http://terminology.hl7.org/CodeSystem/condition-clinical",
                    "active" if p.status == "active" else "resolved",
                    p.status,
                ),
                "code": _code("http://hl7.org/fhir/sid/icd-10-cm", p.code, p.description),
                "subject": b.patient_ref,
                **({"onsetDateTime": p.onset_date.isoformat()} if p.onset_date else {}),
                "recordedDate": _when(p.recorded_at),
            },
        )
    for m in s.scalars(select(Medication).where(Medication.patient_id == patient_id)):
        coding = (
            _code("http://www.nlm.nih.gov/research/umls/rxnorm", m.rxnorm, m.name)
            if m.rxnorm
            else {"text": m.name}
        )
        b.add(
            m.id,
            {
                "resourceType": "MedicationStatement",
                "status": "active" if m.status == "active" else "stopped",
                "medicationCodeableConcept": coding,
                "subject": b.patient_ref,
                "effectivePeriod": {
                    "start": m.start_date.isoformat(),
                    **({"end": m.end_date.isoformat()} if m.end_date else {}),
                },
                "dosage": [{"text": f"{m.dose}, {m.frequency}"}],
            },
        )
    for a in s.scalars(select(Allergy).where(Allergy.patient_id == patient_id)):
        b.add(
            a.id,
            {
                "resourceType": "AllergyIntolerance",
                "patient": b.patient_ref,
                "code": {"text": a.substance},
                "recordedDate": _when(a.recorded_at),
                "reaction": [
                    {
                        "manifestation": [{"text": a.reaction}],
                        "severity": a.severity
                        if a.severity in ("mild", "moderate", "severe")
                        else None,
                    }
                ],
            },
        )
    for i in s.scalars(select(Immunization).where(Immunization.patient_id == patient_id)):
        b.add(
            i.id,
            {
                "resourceType": "Immunization",
                "status": "completed",
                "vaccineCode": _code("http://hl7.org/fhir/sid/cvx", i.cvx, i.vaccine),
                "patient": b.patient_ref,
                "occurrenceDateTime": i.administered_on.isoformat(),
                **({"lotNumber": i.lot} if i.lot else {}),
            },
        )


def _visits(
    b: _Builder, s: Session, patient_id: uuid.UUID, limited: bool, now: datetime, extent: Extent
) -> None:
    for e, provider in s.execute(
        select(Encounter, Provider.name)
        .join(Provider, Provider.id == Encounter.provider_id)
        .where(Encounter.patient_id == patient_id, Encounter.start_at <= now)
        .where(*extent.within(Encounter.start_at))
        .where(*([~confidential_visit()] if limited else []))
    ):
        b.add(
            e.id,
            {
                "resourceType": "Encounter",
                "status": "finished",
                "class": {
                    "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
                    "code": "VR" if e.kind in ("video", "telephone") else "AMB",
                },
                "subject": b.patient_ref,
                "participant": [{"individual": {"display": provider}}],
                "period": {
                    "start": _when(e.start_at),
                    **({"end": _when(e.end_at)} if e.end_at else {}),
                },
                "reasonCode": [{"text": e.reason}],
            },
        )


def _notes(
    b: _Builder, s: Session, patient_id: uuid.UUID, limited: bool, now: datetime, extent: Extent
) -> None:
    notes = select(ClinicalNote).where(
        ClinicalNote.patient_id == patient_id,
        ClinicalNote.released_at.is_not(None),
        ClinicalNote.released_at <= now,
        *extent.within(ClinicalNote.signed_at),
    )
    if limited:
        notes = notes.where(ClinicalNote.sensitive.is_(False))
    for n in s.scalars(notes):
        b.add(
            n.id, _document_reference(b, n.title, n.signed_at, "text/plain", data=n.body.encode())
        )


def _imaging(b: _Builder, s: Session, patient_id: uuid.UUID, now: datetime, extent: Extent) -> None:
    for r in s.scalars(
        select(ImagingReport).where(
            ImagingReport.patient_id == patient_id,
            ImagingReport.released_at.is_not(None),
            ImagingReport.released_at <= now,
            *extent.within(ImagingReport.performed_at),
        )
    ):
        b.add(
            r.id,
            {
                "resourceType": "DiagnosticReport",
                "status": "final",
                "category": [
                    _code("http://terminology.hl7.org/CodeSystem/v2-0074", "RAD", "Radiology")
                ],
                "code": {"text": f"{r.modality} {r.study}"},
                "subject": b.patient_ref,
                "effectiveDateTime": _when(r.performed_at),
                "conclusion": r.report_text,
            },
        )


def _documents(
    b: _Builder, s: Session, patient_id: uuid.UUID, chosen: Collection[uuid.UUID] | None
) -> None:
    """The patient's documents (their metadata), or only those `chosen` for a package."""
    query = select(Document).where(Document.patient_id == patient_id)
    if chosen is not None:
        query = query.where(Document.id.in_(list(chosen)))
    for d in s.scalars(query):
        b.add(
            d.id, _document_reference(b, d.title, d.created_at, d.content_type, size=d.size_bytes)
        )


def _addenda(b: _Builder, s: Session, patient_id: uuid.UUID, found: Access, extent: Extent) -> None:
    """Amendments, statements of disagreement and rebuttals, each a DocumentReference whose
    context points at the item it travels with (when that item is in the bundle)."""
    present = {e["fullUrl"]: e["resource"]["resourceType"] for e in b.entries}
    for n, a in enumerate(addenda.addenda(s, patient_id, found, extent)):
        target = f"urn:uuid:{a.item_id}"
        if target not in present:
            continue
        text = f"{addenda.TITLES[a.kind]} to {a.item_label}: {a.text}"
        reference = _document_reference(
            b, addenda.TITLES[a.kind], a.at, "text/plain", data=text.encode()
        )
        reference["context"] = {"related": [_ref(present[target], a.item_id)]}
        b.add(uuid.uuid5(a.request_id, f"{a.kind}-{n}"), reference)


def _document_reference(
    b: _Builder,
    title: str,
    at: datetime,
    content_type: str,
    data: bytes | None = None,
    size: int | None = None,
) -> dict[str, Any]:
    attachment: dict[str, Any] = {
        "contentType": content_type,
        "title": title,
        "creation": _when(at),
    }
    if data is not None:
        attachment["data"] = base64.b64encode(data).decode()
    if size is not None:
        attachment["size"] = size
    return {
        "resourceType": "DocumentReference",
        "status": "current",
        "subject": b.patient_ref,
        "date": _when(at),
        "description": title,
        "content": [{"attachment": attachment}],
    }


def fhir_bundle(*, actor: Actor, patient_id: uuid.UUID) -> bytes:
    """The whole record the actor may see, as FHIR JSON; validated before it is returned."""
    with patient_work(actor, patient_id, "records.fhir_export", access.RECORDS) as (session, found):
        return bundle_json(session, patient_id, found, clock.now())


def bundle_json(
    session: Session,
    patient_id: uuid.UUID,
    found: Access,
    now: datetime,
    extent: Extent = WHOLE,
    documents: Collection[uuid.UUID] | None = None,
) -> bytes:
    """What `found` opens of the record within `extent`, as a validated FHIR R4 Bundle."""
    patient = session.get(Patient, patient_id)
    assert patient is not None
    limited = found.adolescent_limited
    builder = _Builder(patient)
    _patient(builder, patient)
    if access.RESULTS in found.scopes and extent.has("results"):
        _results(builder, session, patient_id, found, now, extent)
    if access.METRICS in found.scopes and extent.has(ALL):
        _vitals(builder, session, patient_id, now)
    if extent.has(ALL):
        _lists(builder, session, patient_id)
    if extent.has("visits"):
        _visits(builder, session, patient_id, limited, now, extent)
    if extent.has("notes"):
        _notes(builder, session, patient_id, limited, now, extent)
    if extent.has("imaging"):
        _imaging(builder, session, patient_id, now, extent)
    if access.DOCUMENTS in found.scopes and extent.has(ALL):
        _documents(builder, session, patient_id, documents)
    _addenda(builder, session, patient_id, found, extent)
    bundle = Bundle.model_validate(
        {
            "resourceType": "Bundle",
            "type": "collection",
            "timestamp": _when(now),
            "entry": builder.entries,
        }
    )
    return bundle.model_dump_json(exclude_none=True).encode()
