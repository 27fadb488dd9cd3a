"""The FHIR export on both databases: the whole bundle validates against fhir.resources, carries
the record with the proper LOINC codes, leaves held results out, and refuses the wrong actor."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from fhir.resources.R4B.bundle import Bundle

from services.core import db
from services.core.errors import NotFound, PermissionDenied
from services.records import fhir_export, results
from services.records.tables import Allergy, Immunization
from tests.conftest import NOW
from tests.services.records.test_results import _alex, _doctor, held_result
from tests.support import world


def _export(username: str = "patient.demo") -> dict:  # type: ignore[type-arg]
    data = fhir_export.fhir_bundle(actor=world.actor_of(username), patient_id=_alex())
    Bundle.model_validate_json(data)  # the whole bundle, every resource
    return json.loads(data)


def _codes(bundle: dict, kind: str) -> set[str]:  # type: ignore[type-arg]
    found = set()
    for entry in bundle["entry"]:
        r = entry["resource"]
        if r["resourceType"] == kind:
            found |= {c["code"] for c in r.get("code", {}).get("coding", [])}
            for comp in r.get("component", []):
                found |= {c["code"] for c in comp["code"]["coding"]}
    return found


def test_the_bundle_validates_and_carries_the_record(seeded_url: str) -> None:
    with db.transaction() as s:
        s.add(
            Immunization(
                patient_id=_alex(),
                vaccine="Influenza, seasonal",
                cvx="141",
                administered_on=NOW.date() - timedelta(days=200),
                lot="FL2026",
            )
        )
        s.add(
            Allergy(
                patient_id=_alex(),
                substance="Penicillin",
                reaction="Hives",
                severity="moderate",
                recorded_at=NOW - timedelta(days=300),
            )
        )
    bundle = _export()
    kinds = {e["resource"]["resourceType"] for e in bundle["entry"]}
    assert {
        "Patient",
        "Observation",
        "DiagnosticReport",
        "Condition",
        "MedicationStatement",
        "AllergyIntolerance",
        "Immunization",
        "Encounter",
    } <= kinds
    vitals = _codes(bundle, "Observation")
    assert {"85354-9", "8480-6", "8462-4", "29463-7", "2339-0"} <= vitals
    patient = next(
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient"
    )
    assert patient["name"][0]["family"] == "Rivera" and patient["birthDate"]


def test_held_results_are_left_out_until_released(seeded_url: str) -> None:
    rid = held_result()
    ids = {e["resource"]["id"] for e in _export()["entry"]}
    assert str(rid) not in ids
    results.results_release(actor=_doctor(), result_ids=[rid])
    assert str(rid) in {e["resource"]["id"] for e in _export()["entry"]}


def test_the_export_refuses_the_wrong_actor(seeded_url: str) -> None:
    with pytest.raises(NotFound):
        fhir_export.fhir_bundle(actor=world.some_patient_user(), patient_id=_alex())
    with pytest.raises(PermissionDenied):
        fhir_export.fhir_bundle(actor=world.actor_of("billing.demo"), patient_id=_alex())
