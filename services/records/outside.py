"""Records from other providers, brought in as a FHIR R4 Bundle (JSON) by the patient, a proxy
acting for them, or health-information staff on their behalf.

The file is checked against the fhir.resources models (R4B: R4's structures for these
resources), previewed, then added in one transaction to tables of its own, each item labelled
with its source: never mixed into this clinic's record, its result release rules or its
amendments, and never editable as if ours. An item's key is a hash of the patient and the
resource's full URL, so bringing in the same bundle twice adds nothing. A parent with limited
access to a 12-to-17-year-old sees none of it: nothing marks what in another clinic's record is
confidential.
"""

from __future__ import annotations

import hashlib
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.codeableconcept import CodeableConcept
from pydantic import ValidationError as ModelError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from services.core import access, audit, clock, language
from services.core.access import Access, Actor
from services.core.config import number_setting
from services.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from services.core.language import N_, number, t
from services.core.models import Patient
from services.core.work import patient_work, staff_work
from services.records.tables import OutsideImport, OutsideItem

CONDITION, RESULT, MEDICATION, IMMUNIZATION, ALLERGY, VISIT = (
    "condition",
    "result",
    "medication",
    "immunization",
    "allergy",
    "visit",
)
KINDS = {
    CONDITION: N_("Conditions"),
    RESULT: N_("Results"),
    MEDICATION: N_("Medications"),
    IMMUNIZATION: N_("Immunizations"),
    ALLERGY: N_("Allergies"),
    VISIT: N_("Visits"),
}
RESULT_CATEGORIES = ("laboratory", "vital-signs")  # the observations kept as results
MAX_SOURCE = 200
LIMITED = N_(
    "Records from other clinics are not shown to a parent of a patient aged 12 to 17: they may "
    "hold confidential information."
)


def max_megabytes() -> float:
    """The largest bundle taken (a setting): Synthea's whole-life records are 1 to 2 MB."""
    return number_setting("fhir_import_max_mb", 20)


@dataclass(frozen=True)
class Item:
    """One thing found in the bundle, as it will be kept."""

    kind: str
    url: str  # the resource's full URL (and the component's code for a panel's part)
    name: str
    code: str | None = None
    status: str | None = None
    occurred_at: datetime | None = None
    ended_at: datetime | None = None
    value: float | None = None
    value_text: str | None = None
    unit: str | None = None
    ref_low: float | None = None
    ref_high: float | None = None
    detail: str | None = None


@dataclass(frozen=True)
class Contents:
    """What a bundle holds: whom it is about, where it comes from, and what we keep of it."""

    person: str
    born: date | None
    source: str
    items: list[Item]
    left_out: dict[str, int]  # resource types this portal does not keep from outside
    sha256: str


@dataclass(frozen=True)
class Preview:
    person: str
    born: date | None
    same_person: bool  # name and birth date match the patient's record
    source: str
    new: dict[str, int]  # kind -> items to be added
    already_here: int  # items an earlier import brought in
    left_out: dict[str, int]


@dataclass(frozen=True)
class Imported:
    import_id: uuid.UUID | None  # None when everything was already here
    added: dict[str, int]
    already_here: int


@dataclass(frozen=True)
class FoundPatient:
    patient_id: uuid.UUID
    name: str
    born: date
    mrn: str


@dataclass(frozen=True)
class Shown:
    """One outside item as people see it, with its source."""

    kind: str
    name: str
    code: str | None
    status: str | None
    occurred_at: datetime | None
    value: float | None
    value_text: str | None
    unit: str | None
    detail: str | None
    source: str


@dataclass(frozen=True)
class Batch:
    """One file brought in (and when it was removed, if it was)."""

    import_id: uuid.UUID
    source: str
    file_name: str
    imported_at: datetime
    items: int
    removed_at: datetime | None


@dataclass(frozen=True)
class OutsideRecord:
    """A patient's records from elsewhere, by kind, newest first; `withheld` for a limited
    parent (who sees none of them)."""

    items: dict[str, list[Shown]] = field(default_factory=dict)
    imports: list[Batch] = field(default_factory=list)
    withheld: bool = False


# --- reading a bundle --------------------------------------------------------------------------


def read_bundle(data: bytes) -> Contents:
    """The bundle's contents, or ValidationError saying plainly what is wrong with the file. The
    size is checked before anything is read, so an oversized file is refused at once."""
    limit = max_megabytes()
    if not data:
        raise ValidationError({"file": t("The file is empty.")})
    if len(data) > limit * 1024 * 1024:
        raise ValidationError(
            {
                "file": t(
                    "The file is {size} MB; the largest file the portal takes is {limit} MB.",
                    size=number(len(data) / 1024 / 1024, 1),
                    limit=number(limit),
                )
            }
        )
    try:
        bundle = Bundle.model_validate_json(data)
    except ModelError as exc:
        raise ValidationError({"file": _model_problem(exc)}) from None
    resources = [(e.fullUrl, e.resource) for e in bundle.entry or [] if e.resource is not None]
    people = [r for _, r in resources if r.get_resource_type() == "Patient"]
    if len(people) != 1:
        raise ValidationError(
            {
                "file": t(
                    "The file must hold the records of exactly one person; it names {count}.",
                    count=len(people),
                )
            }
        )
    items: list[Item] = []
    left_out: Counter[str] = Counter()
    for url, resource in resources:
        kind = resource.get_resource_type()
        reader = READERS.get(kind)
        if reader is None:
            if kind not in ("Patient", "Provenance"):
                left_out[kind] += 1
            continue
        found = list(reader(resource, url or f"{kind}/{resource.id}"))
        if not found:
            left_out[kind] += 1
        items.extend(found)
    if not items:
        raise ValidationError(
            {"file": t("The file holds no conditions, results, medications or visits to add.")}
        )
    person: Any = people[0]
    return Contents(
        _person_name(person),
        _day(person.birthDate),
        _source(resources),
        items,
        dict(left_out),
        hashlib.sha256(data).hexdigest(),
    )


def _model_problem(exc: ModelError) -> str:
    """The first problem the FHIR models found, in words (with where in the file it is)."""
    first = exc.errors()[0]
    if first.get("type") == "json_invalid":
        return t("This is not a FHIR file: it is not valid JSON.")
    where = ".".join(str(part) for part in first.get("loc", ()) if part != "__root__")
    return t(
        "This is not a valid FHIR R4 bundle ({where}: {problem}).",
        where=where or "resourceType",
        problem=str(first.get("msg", ""))[:200],
    )


def _text(concept: CodeableConcept | None) -> tuple[str | None, str]:
    """A coded concept's first code and its words."""
    if concept is None:
        return None, ""
    coding = concept.coding[0] if concept.coding else None
    words = concept.text or (coding.display if coding is not None else None) or ""
    code = coding.code if coding is not None else None
    return (str(code)[:32] if code else None), str(words)[:200]


def _first(concepts: list[CodeableConcept] | None) -> CodeableConcept | None:
    return concepts[0] if concepts else None


def _status(concept: CodeableConcept | None) -> str | None:
    code, words = _text(concept)
    return (code or words)[:24] or None


def _moment(value: Any) -> datetime | None:
    """A FHIR date or date-time as stored time (naive UTC); a bare date is the clinic's day."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return clock.from_local(value)
        return value.astimezone(UTC).replace(tzinfo=None)
    day = _day(value)
    return clock.day_start(day) if day is not None else None


def _day(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and len(value) >= 4 and value[:4].isdigit():  # a partial date
        parts = [int(p) for p in value.split("-")[:3] if p.isdigit()]
        return date(*(parts + [1, 1])[:3])
    return None


def _number(value: Decimal | float | None) -> float | None:
    return float(value) if value is not None else None


def _person_name(person: Any) -> str:
    name = (person.name or [None])[0]
    if name is None:
        return ""
    if name.text:
        return str(name.text)
    return " ".join([*(name.given or []), name.family or ""]).strip()


def _source(resources: list[tuple[str | None, Any]]) -> str:
    """Where the records come from: the organization the bundle's provenance names, or the one
    most of its visits were at."""
    for _, resource in resources:
        if resource.get_resource_type() == "Provenance":
            for agent in resource.agent or []:
                for party in (agent.onBehalfOf, agent.who):
                    if (
                        party is not None
                        and party.display
                        and "Organization" in (party.reference or "Organization")
                    ):
                        return str(party.display)[:MAX_SOURCE]
    places = Counter(
        str(r.serviceProvider.display)
        for _, r in resources
        if r.get_resource_type() == "Encounter"
        and r.serviceProvider is not None
        and r.serviceProvider.display
    )
    return places.most_common(1)[0][0][:MAX_SOURCE] if places else ""


def _condition(r: Any, url: str) -> Iterator[Item]:
    code, name = _text(r.code)
    yield Item(
        CONDITION,
        url,
        name or t("Condition"),
        code,
        _status(r.clinicalStatus),
        _moment(r.onsetDateTime or r.recordedDate),
        _moment(r.abatementDateTime),
    )


def _observation(r: Any, url: str) -> Iterator[Item]:
    categories = {c.code for concept in r.category or [] for c in concept.coding or []}
    if not categories & set(RESULT_CATEGORIES):
        return
    at = _moment(r.effectiveDateTime or r.issued)
    code, name = _text(r.code)
    parts = [(f"{url}#{_text(c.code)[0]}", c, *_text(c.code)) for c in r.component or []]
    for key, holder, part_code, part_name in parts or [(url, r, code, name)]:
        quantity = holder.valueQuantity
        words = _text(holder.valueCodeableConcept)[1] or holder.valueString
        if quantity is None and not words:
            continue
        low = high = None
        for reference in getattr(holder, "referenceRange", None) or []:
            low = _number(reference.low.value) if reference.low else None
            high = _number(reference.high.value) if reference.high else None
            break
        yield Item(
            RESULT,
            key,
            part_name or name or t("Result"),
            part_code,
            r.status,
            at,
            value=_number(quantity.value) if quantity is not None else None,
            value_text=None if quantity is not None else str(words)[:200],
            unit=str(quantity.unit or quantity.code or "")[:32] or None if quantity else None,
            ref_low=low,
            ref_high=high,
            detail=name if parts else None,
        )


def _medication(r: Any, url: str) -> Iterator[Item]:
    """A MedicationRequest (authored, with dosage instructions) or a MedicationStatement
    (effective, with its dosage)."""
    code, name = _text(r.medicationCodeableConcept)
    if not name and r.medicationReference is not None:
        name = str(r.medicationReference.display or "")
    request = r.get_resource_type() == "MedicationRequest"
    dosage = ((r.dosageInstruction if request else r.dosage) or [None])[0]
    yield Item(
        MEDICATION,
        url,
        name or t("Medication"),
        code,
        r.status,
        _moment(r.authoredOn if request else r.effectiveDateTime),
        detail=str(dosage.text)[:200] if dosage is not None and dosage.text else None,
    )


def _immunization(r: Any, url: str) -> Iterator[Item]:
    code, name = _text(r.vaccineCode)
    yield Item(
        IMMUNIZATION,
        url,
        name or t("Immunization"),
        code,
        r.status,
        _moment(r.occurrenceDateTime),
        detail=str(r.lotNumber)[:200] if r.lotNumber else None,
    )


def _allergy(r: Any, url: str) -> Iterator[Item]:
    code, name = _text(r.code)
    reactions = [_text(m)[1] for reaction in r.reaction or [] for m in reaction.manifestation or []]
    yield Item(
        ALLERGY,
        url,
        name or t("Allergy"),
        code,
        _status(r.clinicalStatus),
        _moment(r.onsetDateTime or r.recordedDate),
        detail=", ".join(w for w in reactions if w)[:200] or None,
    )


def _visit(r: Any, url: str) -> Iterator[Item]:
    code, name = _text(_first(r.type))
    period = r.period
    place = r.serviceProvider.display if r.serviceProvider is not None else None
    yield Item(
        VISIT,
        url,
        name or t("Visit"),
        code,
        r.status,
        _moment(period.start) if period is not None else None,
        _moment(period.end) if period is not None else None,
        detail=str(place)[:200] if place else None,
    )


READERS = {
    "Condition": _condition,
    "Observation": _observation,
    "MedicationRequest": _medication,
    "MedicationStatement": _medication,
    "Immunization": _immunization,
    "AllergyIntolerance": _allergy,
    "Encounter": _visit,
}


# --- previewing and adding ---------------------------------------------------------------------


def _key(patient_id: uuid.UUID, item: Item) -> str:
    return hashlib.sha256(f"{patient_id}|{item.kind}|{item.url}".encode()).hexdigest()


def _may_bring_in(found: Access) -> None:
    if found.adolescent_limited:
        raise PermissionDenied(t(LIMITED))


def _existing(session: Session, keys: Iterable[str]) -> set[str]:
    wanted = list(keys)
    have: set[str] = set()
    for start in range(0, len(wanted), 1000):  # bounded IN lists
        chunk = wanted[start : start + 1000]
        have.update(session.scalars(select(OutsideItem.key).where(OutsideItem.key.in_(chunk))))
    return have


def _same_person(patient: Patient, contents: Contents) -> bool:
    """Does the file name the patient: same birth date and family name, one given name shared."""
    words = {w.strip(".,").casefold() for w in contents.person.split()}
    return (
        contents.born == patient.birth_date
        and patient.last_name.casefold() in words
        and patient.first_name.casefold() in words
    )


def preview(*, actor: Actor, patient_id: uuid.UUID, data: bytes) -> Preview:
    """What importing this file would add to the patient's outside records (nothing is kept)."""
    contents = read_bundle(data)
    with patient_work(actor, patient_id, "outside.preview", access.RECORDS) as (session, found):
        _may_bring_in(found)
        patient = session.get(Patient, patient_id)
        assert patient is not None
        have = _existing(session, (_key(patient_id, i) for i in contents.items))
    new = Counter(i.kind for i in contents.items if _key(patient_id, i) not in have)
    return Preview(
        contents.person,
        contents.born,
        _same_person(patient, contents),
        contents.source,
        {kind: new[kind] for kind in KINDS if new[kind]},
        len(contents.items) - sum(new.values()),
        contents.left_out,
    )


def import_bundle(
    *,
    actor: Actor,
    patient_id: uuid.UUID,
    data: bytes,
    file_name: str,
    source: str,
    confirmed: bool = False,
) -> Imported:
    """Add the file's new items in one transaction, labelled with `source`. A file about someone
    whose name or birth date differs from the record needs `confirmed` (the person said it is
    theirs, e.g. after a change of name)."""
    contents = read_bundle(data)
    label = " ".join(source.split())
    if not label:
        raise ValidationError({"source": t("Say where these records come from.")})
    if len(label) > MAX_SOURCE:
        raise ValidationError(
            {"source": t("Keep the source under {limit} characters.", limit=MAX_SOURCE)}
        )
    with patient_work(actor, patient_id, "outside.import", access.RECORDS) as (session, found):
        _may_bring_in(found)
        patient = session.get(Patient, patient_id)
        assert patient is not None
        if not confirmed and not _same_person(patient, contents):
            raise ValidationError(
                {
                    "file": t(
                        "The file is about {person}, born {born}, which does not match the "
                        "record. Confirm that these records belong to this patient.",
                        person=contents.person,
                        born=language.day(contents.born) if contents.born else "?",
                    )
                }
            )
        keyed = {_key(patient_id, i): i for i in contents.items}
        have = _existing(session, keyed)
        new = {key: item for key, item in keyed.items() if key not in have}
        if not new:
            return Imported(None, {}, len(keyed))
        batch = OutsideImport(
            id=uuid.uuid4(),
            patient_id=patient_id,
            source=label,
            file_name=(file_name or "bundle.json")[:200],
            sha256=contents.sha256,
            imported_by=actor.user_id,
            imported_at=clock.now(),
            items=len(new),
        )
        session.add(batch)
        session.flush()
        session.add_all(
            OutsideItem(
                id=uuid.uuid4(),
                import_id=batch.id,
                patient_id=patient_id,
                key=key,
                kind=item.kind,
                code=item.code,
                name=item.name,
                status=item.status,
                occurred_at=item.occurred_at,
                ended_at=item.ended_at,
                value=item.value,
                value_text=item.value_text,
                unit=item.unit,
                ref_low=item.ref_low,
                ref_high=item.ref_high,
                detail=item.detail,
            )
            for key, item in new.items()
        )
        audit.record(
            session,
            actor,
            "outside.import.added",
            patient_id=patient_id,
            detail=f"import {batch.id}: {len(new)} items",
        )
        counts = Counter(item.kind for item in new.values())
        return Imported(batch.id, {kind: counts[kind] for kind in KINDS if counts[kind]}, len(have))


def patient_by_mrn(*, actor: Actor, mrn: str) -> FoundPatient:
    """Health-information staff find the patient whose outside records they bring in."""
    wanted = mrn.strip()
    if not wanted.isdigit() or len(wanted) > 16:
        raise ValidationError({"mrn": t("Give the patient's medical record number (digits).")})
    with staff_work(actor, "outside.find_patient", access.HIM) as session:
        patient = session.scalar(select(Patient).where(Patient.mrn == wanted.zfill(8)))
        if patient is None:
            raise ValidationError({"mrn": t("No patient has this medical record number.")})
        audit.record(session, actor, "outside.find_patient", patient_id=patient.id)
        return FoundPatient(
            patient.id,
            f"{patient.first_name} {patient.last_name}",
            patient.birth_date,
            patient.mrn,
        )


# --- reading them back -------------------------------------------------------------------------


def outside_record(*, actor: Actor, patient_id: uuid.UUID) -> OutsideRecord:
    """The patient's records from elsewhere, by kind (newest first), and the imports."""
    with patient_work(actor, patient_id, "outside.view", access.RECORDS) as (session, found):
        if found.adolescent_limited:
            return OutsideRecord(withheld=True)
        rows = session.execute(
            select(OutsideItem, OutsideImport.source)
            .join(OutsideImport, OutsideImport.id == OutsideItem.import_id)
            .where(OutsideItem.patient_id == patient_id)
            .order_by(OutsideItem.occurred_at.desc().nulls_last(), OutsideItem.name)
        ).all()
        imports = session.scalars(
            select(OutsideImport)
            .where(OutsideImport.patient_id == patient_id)
            .order_by(OutsideImport.imported_at.desc())
        ).all()
        batches = [
            Batch(i.id, i.source, i.file_name, i.imported_at, i.items, i.removed_at)
            for i in imports
        ]
    by_kind: dict[str, list[Shown]] = {}
    for item, source in rows:
        by_kind.setdefault(item.kind, []).append(
            Shown(
                item.kind,
                item.name,
                item.code,
                item.status,
                item.occurred_at,
                item.value,
                item.value_text,
                item.unit,
                item.detail,
                source,
            )
        )
    return OutsideRecord({k: by_kind[k] for k in KINDS if k in by_kind}, batches)


def remove_import(*, actor: Actor, patient_id: uuid.UUID, import_id: uuid.UUID) -> int:
    """Take out everything one file brought in (a wrong file, or someone else's); the file's
    row stays, marked removed, for the record of what happened. Returns how many items went."""
    with patient_work(actor, patient_id, "outside.remove", access.RECORDS) as (session, found):
        _may_bring_in(found)
        batch = session.get(OutsideImport, import_id)
        if batch is None or batch.patient_id != patient_id:
            raise NotFound(t("We could not find that file."))
        if batch.removed_at is not None:
            raise Conflict(t("This file's records were already removed."))
        mine = OutsideItem.import_id == import_id
        gone = int(session.scalar(select(func.count()).select_from(OutsideItem).where(mine)) or 0)
        session.execute(delete(OutsideItem).where(mine))
        batch.removed_at, batch.removed_by = clock.now(), actor.user_id
        audit.record(
            session,
            actor,
            "outside.import.removed",
            patient_id=patient_id,
            detail=f"import {import_id}: {gone} items",
        )
        return gone


def outside_results(
    session: Session, found: Access, patient_id: uuid.UUID, loinc: str
) -> list[tuple[Any, ...]]:
    """One test's outside values (with their source), for a trend beside the clinic's own; none
    for a limited parent."""
    if found.adolescent_limited:
        return []
    rows = session.execute(
        select(
            OutsideItem.occurred_at,
            OutsideItem.value,
            OutsideItem.unit,
            OutsideItem.ref_low,
            OutsideItem.ref_high,
            OutsideImport.source,
        )
        .join(OutsideImport, OutsideImport.id == OutsideItem.import_id)
        .where(
            OutsideItem.patient_id == patient_id,
            OutsideItem.kind == RESULT,
            OutsideItem.code == loinc,
            OutsideItem.value.is_not(None),
            OutsideItem.occurred_at.is_not(None),
        )
    ).all()
    return [tuple(r) for r in rows]
