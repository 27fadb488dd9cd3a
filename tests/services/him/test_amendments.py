"""Amendments on both databases: asked for one item with the reason, routed by HIM, accepted
(the amendment shows with the item and the people named are told) or denied in writing; the
statement of disagreement and the rebuttal travel with the item into the record page, the PDF,
the FHIR export and a later records package."""

from __future__ import annotations

import io
import json
import uuid
import zipfile

import pytest
from sqlalchemy import select

from services.core import db
from services.core.access import Actor
from services.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from services.core.models import NotificationOutbox
from services.him import amendments, queue, requests
from services.records import fhir_export, printouts, records
from services.records.tables import Problem
from tests.services.him.test_records_requests import _alex, _him, _me, pdf_text
from tests.support import world


def _doctor() -> Actor:
    return world.actor_of("clinician.demo")


def _problem() -> uuid.UUID:
    with db.read_only() as s:
        return s.scalars(
            select(Problem.id).where(Problem.patient_id == _alex()).order_by(Problem.code)
        ).first()  # type: ignore[return-value]


def _ask(**changes: object) -> uuid.UUID:
    values: dict[str, object] = {
        "item_kind": "problem",
        "item_id": _problem(),
        "change": "The onset was in 2019, not 2021.",
        "reason": "I was diagnosed at my previous clinic in 2019.",
        "notify_people": "Dr. Lee at Northside, lee@northside.example",
    }
    values.update(changes)
    return amendments.amendment_request(actor=_me(), patient_id=_alex(), **values)  # type: ignore[arg-type]


def _routed() -> uuid.UUID:
    rid = _ask()
    amendments.amendment_route(actor=_him(), request_id=rid, clinician_id=_doctor().user_id)
    return rid


def _bundle_texts() -> list[tuple[str, list[str]]]:
    bundle = json.loads(fhir_export.fhir_bundle(actor=_me(), patient_id=_alex()))
    found = []
    for entry in bundle["entry"]:
        r = entry["resource"]
        if r["resourceType"] == "DocumentReference" and "context" in r:
            related = [x["reference"] for x in r["context"]["related"]]
            found.append((r["description"], related))
    return found


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"change": " "}, "change"),
        ({"reason": ""}, "reason"),
        ({"item_kind": "horoscope"}, "item"),
        ({"item_id": uuid.uuid4()}, "item"),
    ],
)
def test_an_amendment_request_needs_an_item_of_ones_own_record_a_change_and_a_reason(
    seeded_url: str, changes: dict[str, object], field: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        _ask(**changes)
    assert field in refused.value.fields


def test_accepted_the_amendment_travels_with_the_item_and_the_people_named_are_told(
    seeded_url: str,
) -> None:
    rid = _routed()
    with pytest.raises(PermissionDenied):  # not routed to them
        amendments.amendment_decide(
            actor=world.actor_of("him.demo"), request_id=rid, accept=True, text="x"
        )
    with pytest.raises(ValidationError):
        amendments.amendment_decide(actor=_doctor(), request_id=rid, accept=True, text=" ")
    view = amendments.amendment_detail(actor=_doctor(), request_id=rid)
    assert view.current and view.change.startswith("The onset was in 2019")
    amendments.amendment_decide(
        actor=_doctor(), request_id=rid, accept=True, text="Onset corrected to 2019 per patient."
    )
    with pytest.raises(Conflict):
        amendments.amendment_decide(
            actor=_doctor(), request_id=rid, accept=False, ground="accurate"
        )
    [shown] = records.record_addenda(actor=_me(), patient_id=_alex())
    assert (shown.kind, shown.item_id) == ("amendment", _problem())
    assert "Amendment" in shown.line() and "Onset corrected to 2019" in shown.line()
    text = pdf_text(printouts.summary_pdf(actor=_me(), patient_id=_alex()))
    assert "Onset corrected to 2019 per patient." in text
    assert ("Amendment", [f"urn:uuid:{_problem()}"]) in _bundle_texts()
    with db.read_only() as s:
        told = s.scalars(
            select(NotificationOutbox.kind).where(
                NotificationOutbox.to_address == "lee@northside.example"
            )
        ).all()
    assert told == ["amendment_notice"]
    mine = {r.request_id: r.status for r in requests.my_requests(actor=_me(), patient_id=_alex())}
    assert mine[rid] == "fulfilled"


def test_denied_the_disagreement_and_rebuttal_travel_into_pdf_fhir_and_later_packages(
    seeded_url: str,
) -> None:
    rid = _routed()
    with pytest.raises(ValidationError):
        amendments.amendment_decide(actor=_doctor(), request_id=rid, accept=False, ground="")
    amendments.amendment_decide(
        actor=_doctor(), request_id=rid, accept=False, ground="accurate", note="Per 2021 records."
    )
    letter = pdf_text(
        amendments.amendment_denial_letter(actor=_me(), patient_id=_alex(), request_id=rid)
    )
    assert "accurate and complete" in letter and "statement of disagreement" in letter
    assert records.record_addenda(actor=_me(), patient_id=_alex()) == []  # nothing yet
    with pytest.raises(Conflict):  # a rebuttal answers a statement
        amendments.rebuttal_add(actor=_him(), request_id=rid, rebuttal="No.")
    amendments.disagreement_file(
        actor=_me(), patient_id=_alex(), request_id=rid, statement="My old clinic has proof."
    )
    with pytest.raises(Conflict):
        amendments.disagreement_file(
            actor=_me(), patient_id=_alex(), request_id=rid, statement="Again."
        )
    amendments.rebuttal_add(
        actor=_him(), request_id=rid, rebuttal="Our 2021 visit note records the onset."
    )
    kinds = [a.kind for a in records.record_addenda(actor=_me(), patient_id=_alex())]
    assert kinds == ["disagreement", "rebuttal"]
    text = pdf_text(printouts.summary_pdf(actor=_me(), patient_id=_alex()))
    assert "My old clinic has proof." in text and "Our 2021 visit note" in text
    related = dict(_bundle_texts())
    assert related["Patient's statement of disagreement"] == [f"urn:uuid:{_problem()}"]
    assert related["Clinic's rebuttal"] == [f"urn:uuid:{_problem()}"]
    copy = requests.copy_request(actor=_me(), patient_id=_alex(), parts={"all"}, delivery="portal")
    queue.request_fulfil(actor=_him(), request_id=copy)
    data = requests.package_download(actor=_me(), patient_id=_alex(), request_id=copy)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        record = pdf_text(archive.read("record.pdf"))
        fhir = archive.read("record-fhir.json").decode()
    assert "My old clinic has proof." in record and "Our 2021 visit note" in record
    assert "My old clinic has proof." not in fhir  # base64 in the attachment, so decode it
    bundle = json.loads(fhir)
    described = {
        e["resource"]["description"]
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "DocumentReference"
    }
    assert {"Patient's statement of disagreement", "Clinic's rebuttal"} <= described
    # A package of results only does not carry a problem's statements.
    results_only = requests.copy_request(
        actor=_me(), patient_id=_alex(), parts={"results"}, delivery="portal"
    )
    queue.request_fulfil(actor=_him(), request_id=results_only)
    data = requests.package_download(actor=_me(), patient_id=_alex(), request_id=results_only)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert "My old clinic has proof." not in pdf_text(archive.read("record.pdf"))


def test_who_may_route_decide_and_read(seeded_url: str) -> None:
    rid = _ask()
    for staff in ("billing.demo", "clinician.demo"):
        with pytest.raises(PermissionDenied):
            amendments.amendment_route(
                actor=world.actor_of(staff), request_id=rid, clinician_id=_doctor().user_id
            )
    with pytest.raises(ValidationError):  # routed to a clinician only
        amendments.amendment_route(
            actor=_him(), request_id=rid, clinician_id=world.actor_of("billing.demo").user_id
        )
    with pytest.raises(PermissionDenied):  # not yet routed to the doctor
        amendments.amendment_detail(actor=_doctor(), request_id=rid)
    other = world.some_patient_user()
    assert other.patient_id is not None
    with pytest.raises(NotFound):
        amendments.my_amendment(actor=other, patient_id=other.patient_id, request_id=rid)
    amendments.amendment_route(actor=_him(), request_id=rid, clinician_id=_doctor().user_id)
    assert rid in [r[0] for r in amendments.routed_to_me(actor=_doctor())]
    with pytest.raises(Conflict):  # decided on the clinician's page, not fulfilled by HIM
        queue.request_fulfil(actor=_him(), request_id=rid)


def test_a_limited_parent_does_not_see_what_travels_with_a_confidential_note(
    seeded_url: str,
) -> None:
    teen, emma = world.actor_of("teen.demo"), world.patient_id("Emma", "Larson")
    note = next(
        i
        for i in amendments.amendable_items(actor=teen, patient_id=emma)
        if i.kind == "note" and "Confidential" in i.label
    )
    dana = world.actor_of("proxy.demo")
    assert note.item_id not in {
        i.item_id for i in amendments.amendable_items(actor=dana, patient_id=emma)
    }
    rid = amendments.amendment_request(
        actor=teen,
        patient_id=emma,
        item_kind="note",
        item_id=note.item_id,
        change="I was seen for a sore throat too.",
        reason="It is missing.",
    )
    view = amendments.amendment_detail(actor=_him(), request_id=rid)
    doctor = view.routed_to_id or _doctor().user_id
    amendments.amendment_route(actor=_him(), request_id=rid, clinician_id=doctor)
    amendments.amendment_decide(
        actor=world.actor_of_user(doctor), request_id=rid, accept=True, text="Sore throat added."
    )
    assert [a.kind for a in records.record_addenda(actor=teen, patient_id=emma)] == ["amendment"]
    assert records.record_addenda(actor=dana, patient_id=emma) == []
