"""Records from other providers (FHIR R4 bundles as Synthea writes them), on both databases:
counts per kind, a second import adds nothing, refusals (invalid, too large, someone else's,
a limited parent), kept apart from the clinic's record and its release rules, and outside
results in the trends beside the clinic's own."""

from __future__ import annotations

import json
import time
import uuid
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle
from sqlalchemy import func, select

from services.core import access, clock, db
from services.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from services.core.models import AuditEvent, Patient
from services.records import outside, results
from services.records.tables import LabResult, OutsideImport, OutsideItem
from tests.conftest import NOW
from tests.support import world

BUNDLES = sorted((Path(__file__).parents[2] / "data" / "fhir").glob("*.json"))
TEMIKA = next(p for p in BUNDLES if p.name.startswith("Temika"))
CHRISTEEN = next(p for p in BUNDLES if p.name.startswith("Christeen"))  # has HbA1c results


def _alex() -> uuid.UUID:
    return world.patient_id("Alex", "Rivera")


def _me() -> Any:
    return world.actor_of("patient.demo")


def _expected(path: Path) -> Counter[str]:
    """Counted straight from the JSON, without the importer: what each kind should get."""
    counts: Counter[str] = Counter()
    for entry in json.loads(path.read_bytes())["entry"]:
        r = entry["resource"]
        kind = r["resourceType"]
        if kind == "Observation":
            categories = {c["code"] for cat in r.get("category", []) for c in cat["coding"]}
            if categories & {"laboratory", "vital-signs"}:
                parts = r.get("component") or [r]
                counts["result"] += sum(
                    1
                    for p in parts
                    if "valueQuantity" in p or "valueCodeableConcept" in p or "valueString" in p
                )
        else:
            simple = {
                "Condition": "condition",
                "MedicationRequest": "medication",
                "Immunization": "immunization",
                "AllergyIntolerance": "allergy",
                "Encounter": "visit",
            }
            if kind in simple:
                counts[simple[kind]] += 1
    return counts


def _bring_in(path: Path, actor: Any = None, patient: uuid.UUID | None = None) -> Any:
    return outside.import_bundle(
        actor=actor or _me(),
        patient_id=patient or _alex(),
        data=path.read_bytes(),
        file_name=path.name,
        source="Riverside Family Medicine",
        confirmed=True,
    )


@pytest.mark.parametrize("path", BUNDLES, ids=lambda p: p.name.split("_")[0])
def test_each_shared_bundle_is_counted_by_kind_and_a_second_import_adds_nothing(
    seeded_url: str, path: Path
) -> None:
    expected = _expected(path)
    shown = outside.preview(actor=_me(), patient_id=_alex(), data=path.read_bytes())
    assert shown.new == {k: expected[k] for k in outside.KINDS if expected[k]}
    assert shown.already_here == 0 and not shown.same_person  # Synthea's people are not Alex
    assert "Claim" in shown.left_out and "Patient" not in shown.left_out
    first = _bring_in(path)
    assert first.added == shown.new and first.already_here == 0
    with db.read_only() as s:
        stored = Counter(
            s.scalars(select(OutsideItem.kind).where(OutsideItem.patient_id == _alex())).all()
        )
        batch = s.get(OutsideImport, first.import_id)
        assert batch is not None and batch.source == "Riverside Family Medicine"
        assert batch.items == sum(expected.values())
    assert stored == expected
    again = _bring_in(path)
    assert (
        again.import_id is None
        and again.added == {}
        and again.already_here == sum(expected.values())
    )
    assert outside.preview(actor=_me(), patient_id=_alex(), data=path.read_bytes()).new == {}
    with db.read_only() as s:
        assert s.scalar(select(func.count()).select_from(OutsideImport)) == 1


def test_items_keep_their_words_codes_values_and_times(seeded_url: str) -> None:
    _bring_in(TEMIKA)
    record = outside.outside_record(actor=_me(), patient_id=_alex())
    flu = [i for i in record.items["immunization"] if i.code == "140"]
    assert flu and flu[-1].name.startswith("Influenza, seasonal")
    # 2015-02-20T13:34:30-05:00 is 18:34:30 UTC (stored times are naive UTC)
    assert str(flu[-1].occurred_at) == "2015-02-20 18:34:30"
    white_cells = [i for i in record.items["result"] if i.code == "6690-2"]
    assert white_cells and all(i.unit == "10*3/uL" and i.value for i in white_cells)
    pressures = {
        i.code for i in record.items["result"] if i.detail and "Blood pressure" in i.detail
    }
    assert pressures == {"8480-6", "8462-4"}  # a panel's parts are kept as their own values
    assert {i.kind for i in record.items["condition"]} == {"condition"}
    assert record.imports[0].source == "Riverside Family Medicine"


def test_the_source_is_found_in_the_bundle(seeded_url: str) -> None:
    contents = outside.read_bundle(TEMIKA.read_bytes())
    assert contents.person == "Temika453 Wuckert783"
    person = next(
        e["resource"]
        for e in json.loads(TEMIKA.read_bytes())["entry"]
        if e["resource"]["resourceType"] == "Patient"
    )
    assert contents.born is not None and contents.born.isoformat() == person["birthDate"]
    provenance = next(
        e["resource"]
        for e in json.loads(TEMIKA.read_bytes())["entry"]
        if e["resource"]["resourceType"] == "Provenance"
    )
    assert contents.source == provenance["agent"][0]["onBehalfOf"]["display"]


def test_someone_elses_records_need_confirming_and_a_source(seeded_url: str) -> None:
    data = TEMIKA.read_bytes()
    with pytest.raises(ValidationError) as refused:
        outside.import_bundle(
            actor=_me(), patient_id=_alex(), data=data, file_name="x.json", source="Elsewhere"
        )
    assert "Temika453 Wuckert783" in refused.value.fields["file"]
    with pytest.raises(ValidationError) as unnamed:
        outside.import_bundle(
            actor=_me(),
            patient_id=_alex(),
            data=data,
            file_name="x.json",
            source="  ",
            confirmed=True,
        )
    assert "source" in unnamed.value.fields
    with db.read_only() as s:
        assert s.scalar(select(func.count()).select_from(OutsideItem)) == 0


def test_the_same_person_needs_no_confirming(seeded_url: str) -> None:
    with db.read_only() as s:
        alex = s.get(Patient, _alex())
        assert alex is not None
        first, last, born = alex.first_name, alex.last_name, alex.birth_date
    bundle = json.loads(TEMIKA.read_bytes())
    person = next(
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient"
    )
    person["name"] = [{"family": last, "given": [first]}]
    person["birthDate"] = born.isoformat()
    data = json.dumps(bundle).encode()
    assert outside.preview(actor=_me(), patient_id=_alex(), data=data).same_person
    done = outside.import_bundle(
        actor=_me(), patient_id=_alex(), data=data, file_name="mine.json", source="Elsewhere"
    )
    assert done.import_id is not None


@pytest.mark.parametrize(
    "data, words",
    [
        (b"", "empty"),
        (b"{not json", "not valid JSON"),
        (b'{"resourceType": "Patient", "id": "x"}', "bundle"),
        (
            b'{"resourceType": "Bundle", "type": "collection", "entry": [{"resource": '
            b'{"resourceType": "Observation", "status": "final", "code": {"text": "x"}, '
            b'"effectiveDateTime": "yesterday"}}]}',
            "not a valid FHIR R4 bundle",
        ),
        (b'{"resourceType": "Bundle", "type": "collection", "entry": []}', "exactly one person"),
        (
            b'{"resourceType": "Bundle", "type": "collection", "entry": [{"resource": '
            b'{"resourceType": "Patient", "id": "p"}}]}',
            "no conditions",
        ),
    ],
)
def test_an_invalid_bundle_is_refused_with_a_clear_message(
    seeded_url: str, data: bytes, words: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        outside.preview(actor=_me(), patient_id=_alex(), data=data)
    assert words in refused.value.fields["file"]


def test_a_50_mb_file_is_refused_before_it_is_read(
    seeded_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def never(*_: object, **__: object) -> None:
        raise AssertionError("an oversized file must be refused before parsing")

    monkeypatch.setattr(Bundle, "model_validate_json", never)
    huge = b'{"resourceType": "Bundle", "entry": [' + b" " * (50 * 1024 * 1024) + b"]}"
    started = time.perf_counter()
    with pytest.raises(ValidationError) as refused:
        _bring_in_bytes(huge)
    assert "50.0 MB" in refused.value.fields["file"] and "20 MB" in refused.value.fields["file"]
    assert time.perf_counter() - started < 5  # generous: parsing it is what takes long


def _bring_in_bytes(data: bytes) -> Any:
    return outside.import_bundle(
        actor=_me(), patient_id=_alex(), data=data, file_name="big.json", source="X"
    )


def test_outside_results_join_the_trend_marked_with_their_source(seeded_url: str) -> None:
    ours = results.result_trend(actor=_me(), patient_id=_alex(), loinc="4548-4")
    _bring_in(CHRISTEEN)
    both = results.result_trend(actor=_me(), patient_id=_alex(), loinc="4548-4")
    added = both[both["source"] != ""]
    assert len(added) == _expected_values(CHRISTEEN, "4548-4") > 0
    assert set(added["source"]) == {"Riverside Family Medicine"}
    assert (both["source"] == "").sum() == len(ours)
    assert both["collected_at"].is_monotonic_increasing
    # an outside-only test has a trend of its own
    assert len(results.result_trend(actor=_me(), patient_id=_alex(), loinc="8867-4")) > 1


def _expected_values(path: Path, loinc: str) -> int:
    return sum(
        1
        for e in json.loads(path.read_bytes())["entry"]
        if e["resource"]["resourceType"] == "Observation"
        and e["resource"]["code"]["coding"][0]["code"] == loinc
        and "valueQuantity" in e["resource"]
    )


def test_kept_apart_from_the_clinics_record_and_its_release_rules(seeded_url: str) -> None:
    doctor = world.actor_of("clinician.demo")
    with db.read_only() as s:
        lab_results = s.scalar(select(func.count()).select_from(LabResult))
    held = len(results.held_results(actor=doctor))
    listed = len(results.results_list(actor=_me(), patient_id=_alex()))
    _bring_in(TEMIKA)
    with db.read_only() as s:
        assert s.scalar(select(func.count()).select_from(LabResult)) == lab_results
    assert len(results.held_results(actor=doctor)) == held
    assert len(results.results_list(actor=_me(), patient_id=_alex())) == listed


def test_health_information_staff_bring_records_in_for_a_patient_and_it_is_audited(
    seeded_url: str,
) -> None:
    him = world.actor_of("him.demo")
    done = _bring_in(TEMIKA, actor=him)
    assert done.import_id is not None
    with db.read_only() as s:
        batch = s.get(OutsideImport, done.import_id)
        assert batch is not None and batch.imported_by == him.user_id
        actions = set(
            s.scalars(select(AuditEvent.action).where(AuditEvent.patient_id == _alex())).all()
        )
    assert {"outside.import", "outside.import.added"} <= actions
    assert outside.outside_record(actor=_me(), patient_id=_alex()).items["visit"]


def test_who_may_not_see_or_bring_in_outside_records(seeded_url: str) -> None:
    _bring_in(TEMIKA)
    stranger = world.some_patient_user()
    with pytest.raises(NotFound):
        outside.outside_record(actor=stranger, patient_id=_alex())
    with pytest.raises(NotFound):
        _bring_in(TEMIKA, actor=stranger)
    billing = world.actor_of("billing.demo")
    with pytest.raises(PermissionDenied):
        outside.outside_record(actor=billing, patient_id=_alex())
    only_metrics = world.proxy_of_alex(frozenset({access.METRICS}))
    with pytest.raises(NotFound):
        outside.outside_record(actor=only_metrics, patient_id=_alex())


def test_a_limited_parent_neither_sees_nor_brings_in_outside_records(seeded_url: str) -> None:
    parent = world.sign_in("proxy.demo")
    child = world.patient_id("Mia", "Larson")
    _bring_in(TEMIKA, actor=parent, patient=child)
    assert outside.outside_record(actor=parent, patient_id=child).items  # 9 years old: all
    with_trend = results.result_trend(actor=parent, patient_id=child, loinc="8867-4")
    assert len(with_trend) > 0
    with clock.frozen(NOW + timedelta(days=365 * 4)):  # 13: limited
        record = outside.outside_record(actor=parent, patient_id=child)
        assert record.withheld and not record.items
        assert results.result_trend(actor=parent, patient_id=child, loinc="8867-4").empty
        with pytest.raises(PermissionDenied):
            _bring_in(TEMIKA, actor=parent, patient=child)


def test_a_files_records_can_be_taken_out_again_and_brought_back(seeded_url: str) -> None:
    first = _bring_in(TEMIKA)
    count = sum(first.added.values())
    assert outside.remove_import(actor=_me(), patient_id=_alex(), import_id=first.import_id) == (
        count
    )
    record = outside.outside_record(actor=_me(), patient_id=_alex())
    assert record.items == {} and record.imports[0].removed_at is not None
    with pytest.raises(Conflict):
        outside.remove_import(actor=_me(), patient_id=_alex(), import_id=first.import_id)
    stranger = world.some_patient_user()
    with pytest.raises(NotFound):
        outside.remove_import(actor=stranger, patient_id=_alex(), import_id=first.import_id)
    again = _bring_in(TEMIKA)  # nothing of it is left, so all of it comes in again
    assert sum(again.added.values()) == count
    with pytest.raises(NotFound):  # another patient's file, through this patient's record
        outside.remove_import(
            actor=stranger, patient_id=stranger.patient_id, import_id=again.import_id
        )


def test_allergies_and_medication_statements_are_read_too(seeded_url: str) -> None:
    """Synthea's bundles hold neither: a small bundle made here does."""
    entries = [
        {"resourceType": "Patient", "id": "p", "name": [{"family": "Doe", "given": ["Ann"]}]},
        {
            "resourceType": "AllergyIntolerance",
            "id": "a",
            "patient": {"reference": "Patient/p"},
            "code": {"text": "Penicillin"},
            "clinicalStatus": {"coding": [{"code": "active"}]},
            "reaction": [{"manifestation": [{"text": "Hives"}]}],
            "recordedDate": "2024-03-02",
        },
        {
            "resourceType": "MedicationStatement",
            "id": "m",
            "status": "active",
            "subject": {"reference": "Patient/p"},
            "medicationCodeableConcept": {"text": "Metformin 500 mg"},
            "effectiveDateTime": "2025-01-10T09:00:00Z",
            "dosage": [{"text": "One tablet twice a day"}],
        },
    ]
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"fullUrl": f"urn:uuid:{r['id']}", "resource": r} for r in entries],
    }
    done = outside.import_bundle(
        actor=_me(),
        patient_id=_alex(),
        data=json.dumps(bundle).encode(),
        file_name="small.json",
        source="Elsewhere",
        confirmed=True,
    )
    assert done.added == {"medication": 1, "allergy": 1}
    record = outside.outside_record(actor=_me(), patient_id=_alex())
    allergy, medication = record.items["allergy"][0], record.items["medication"][0]
    assert (allergy.name, allergy.status, allergy.detail) == ("Penicillin", "active", "Hives")
    assert (medication.detail, str(medication.occurred_at)) == (
        "One tablet twice a day",
        "2025-01-10 09:00:00",
    )


def test_staff_find_the_patient_by_record_number_and_others_are_refused(seeded_url: str) -> None:
    him = world.actor_of("him.demo")
    with db.read_only() as s:
        alex = s.get(Patient, _alex())
        assert alex is not None
    found = outside.patient_by_mrn(actor=him, mrn=f" {alex.mrn} ")
    assert found.patient_id == _alex() and found.name == f"{alex.first_name} {alex.last_name}"
    for wrong in ("", "12a", "99999999"):
        with pytest.raises(ValidationError) as refused:
            outside.patient_by_mrn(actor=him, mrn=wrong)
        assert "mrn" in refused.value.fields
    for other in ("clinician.demo", "billing.demo", "patient.demo"):
        with pytest.raises(PermissionDenied):
            outside.patient_by_mrn(actor=world.actor_of(other), mrn=alex.mrn)
