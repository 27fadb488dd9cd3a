"""Records requests end to end on both databases, on a frozen clock: what a patient may ask and
how each refusal reads, HIM's queue (order, flags, filters, assignment, status flow), the one
extension, denial with its letter, fulfilment as a package holding what was asked and nothing
else, release by link recorded as a disclosure, revocation, and who may see what."""

from __future__ import annotations

import io
import json
import re
import uuid
import zipfile
from datetime import date, datetime, timedelta

import pypdfium2 as pdfium
import pytest
from sqlalchemy import func, select

from services.core import clock, db
from services.core.access import Actor
from services.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from services.core.models import NotificationOutbox
from services.him import deadlines, package_links, queue, requests
from services.him.authorization import Authorization
from services.him.tables import RecordsRequest
from services.records import documents
from services.records.tables import Disclosure, LabResult
from tests.conftest import NOW
from tests.services.him.test_authorization import ELEMENTS
from tests.services.proxy import support
from tests.services.records.test_results import held_result
from tests.support import world


def _alex() -> uuid.UUID:
    return world.patient_id("Alex", "Rivera")


def _me() -> Actor:
    return world.actor_of("patient.demo")


def _him() -> Actor:
    return world.actor_of("him.demo")


def pdf_text(data: bytes) -> str:
    """A PDF's words, its line breaks as spaces."""
    doc = pdfium.PdfDocument(data)
    return " ".join(" ".join(page.get_textpage().get_text_range().split()) for page in doc)


def _copy(**changes: object) -> uuid.UUID:
    values: dict[str, object] = {"parts": {"all"}, "delivery": "portal"}
    values.update(changes)
    return requests.copy_request(actor=_me(), patient_id=_alex(), **values)  # type: ignore[arg-type]


def authorization(**changes: object) -> Authorization:
    values: dict[str, object] = {
        "recipient_name": "Northside Orthopedics",
        "recipient_address": "records@northside.example",
        "purpose": "Knee surgery consultation",
        "parts": frozenset({"results", "visits"}),
        "ends_on": NOW.date() + timedelta(days=90),
        "end_event": "",
        "signature": "Alex Rivera",
        "signed_on": NOW.date(),
    }
    values.update(changes)
    return Authorization(**values)  # type: ignore[arg-type]


def _release(**changes: object) -> uuid.UUID:
    return requests.release_request(actor=_me(), patient_id=_alex(), form=authorization(**changes))


def _row(request_id: uuid.UUID) -> RecordsRequest:
    with db.read_only() as s:
        row = s.get(RecordsRequest, request_id)
        assert row is not None
        s.expunge(row)
        return row


def _count(model: type, *where: object) -> int:
    with db.read_only() as s:
        return int(s.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def _zip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


# --- asking ----------------------------------------------------------------------------------


def test_a_copy_is_due_by_the_legal_clock_and_a_patients_own_copy_is_free(
    seeded_url: str,
) -> None:
    rid = _copy(parts={"results", "notes"}, date_from=date(2025, 1, 1), date_to=date(2025, 12, 31))
    courier = _copy(delivery="courier")
    mine = {r.request_id: r for r in requests.my_requests(actor=_me(), patient_id=_alex())}
    assert mine[rid].status == "received"
    assert (
        mine[rid].due_at == deadlines.due_at("access", NOW) == datetime(2026, 7, 2, 5, 0)
    )  # July 1, Central
    assert mine[rid].fee_cents == 0
    assert mine[rid].what.startswith("Test results, Clinical notes, from 2025-01-01 to 2025-12-31")
    assert mine[courier].fee_cents == 4500  # the clinic's flat courier fee


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"parts": set()}, "parts"),
        ({"parts": {"genome"}}, "parts"),
        ({"delivery": "fax"}, "delivery"),
        ({"date_from": date(2025, 5, 1), "date_to": date(2025, 4, 1)}, "date_from"),
        ({"date_to": NOW.date() + timedelta(days=1)}, "date_to"),
    ],
)
def test_a_copy_request_that_is_incomplete_is_refused_and_nothing_is_stored(
    seeded_url: str, changes: dict[str, object], field: str
) -> None:
    before = _count(RecordsRequest)
    with pytest.raises(ValidationError) as refused:
        _copy(**changes)
    assert field in refused.value.fields
    assert _count(RecordsRequest) == before


def test_a_release_names_every_missing_element_of_the_authorization(seeded_url: str) -> None:
    before = _count(RecordsRequest)
    with pytest.raises(ValidationError) as refused:
        _release(
            recipient_name="",
            recipient_address="",
            purpose="",
            parts=frozenset(),
            ends_on=None,
            signature="",
            signed_on=None,
        )
    assert set(refused.value.fields) == ELEMENTS
    with pytest.raises(ValidationError) as wrong_signer:
        _release(signature="Dana Larson")
    assert "Alex Rivera" in wrong_signer.value.fields["signature"]
    assert _count(RecordsRequest) == before


# --- who may see what ------------------------------------------------------------------------


def test_patients_see_only_their_own_requests_and_staff_other_than_him_see_none(
    seeded_url: str,
) -> None:
    rid = _copy()
    other = world.some_patient_user()
    assert other.patient_id is not None
    theirs = [r.request_id for r in requests.my_requests(actor=other, patient_id=other.patient_id)]
    assert rid not in theirs
    for call in (requests.request_withdraw, requests.denial_letter, requests.package_download):
        with pytest.raises(NotFound):
            call(actor=other, patient_id=other.patient_id, request_id=rid)
        with pytest.raises(NotFound):  # nor through Alex's record
            call(actor=other, patient_id=_alex(), request_id=rid)
    for staff in ("clinician.demo", "billing.demo", "manager.demo", "admin.demo"):
        with pytest.raises(PermissionDenied):
            queue.records_queue(actor=world.actor_of(staff))
        with pytest.raises(PermissionDenied):
            queue.request_detail(actor=world.actor_of(staff), request_id=rid)
    with pytest.raises(PermissionDenied):  # a clinician of Alex's care team asks nothing for him
        requests.copy_request(
            actor=world.actor_of("clinician.demo"),
            patient_id=_alex(),
            parts={"all"},
            delivery="portal",
        )
    assert rid in {i.request_id for i in queue.records_queue(actor=_him())}


# --- the queue -------------------------------------------------------------------------------


def test_the_queue_orders_by_due_date_and_flags_what_is_due_soon_or_late(seeded_url: str) -> None:
    with clock.frozen(NOW - timedelta(days=26)):
        soon = _copy()
    with clock.frozen(NOW - timedelta(days=40)):
        late = _copy()
    fresh = _copy()
    items = queue.records_queue(actor=_him())
    dues = [i.due_at for i in items]
    assert dues == sorted(dues)
    flags = {i.request_id: i.flag for i in items}
    assert (flags[late], flags[soon], flags[fresh]) == ("overdue", "due_soon", "")
    overdue = {i.request_id for i in queue.records_queue(actor=_him(), flag="overdue")}
    assert late in overdue and soon not in overdue
    assert fresh in {i.request_id for i in queue.records_queue(actor=_him(), kind="access")}
    assert fresh not in {i.request_id for i in queue.records_queue(actor=_him(), kind="roi")}


def test_assignment_and_the_status_flow(seeded_url: str) -> None:
    rid, him = _copy(), _him()
    queue.request_assign(actor=him, request_id=rid, user_id=him.user_id)
    mine = {i.request_id for i in queue.records_queue(actor=him, assigned="me")}
    assert rid in mine
    with pytest.raises(ValidationError):  # only HIM staff take requests
        queue.request_assign(
            actor=him, request_id=rid, user_id=world.actor_of("billing.demo").user_id
        )
    queue.request_move(actor=him, request_id=rid, status="in_review")
    queue.request_move(actor=him, request_id=rid, status="in_progress")
    with pytest.raises(Conflict):
        queue.request_move(actor=him, request_id=rid, status="in_review")  # never backwards
    queue.request_fulfil(actor=him, request_id=rid)
    with pytest.raises(Conflict):
        queue.request_move(actor=him, request_id=rid, status="in_progress")
    with pytest.raises(Conflict):
        requests.request_withdraw(actor=_me(), patient_id=_alex(), request_id=rid)


def test_one_extension_with_its_reason_and_the_patient_is_told(seeded_url: str) -> None:
    rid, him = _copy(), _him()
    first_due = _row(rid).due_at
    last = clock.local(first_due).date() - timedelta(days=1)
    with pytest.raises(ValidationError) as refused:
        queue.request_extend(
            actor=him, request_id=rid, new_last_day=last + timedelta(days=31), reason="Archive"
        )
    assert "new_date" in refused.value.fields
    with pytest.raises(ValidationError) as no_reason:
        queue.request_extend(
            actor=him, request_id=rid, new_last_day=last + timedelta(days=10), reason=" "
        )
    assert "reason" in no_reason.value.fields
    notices = _count(NotificationOutbox, NotificationOutbox.kind == "records")
    new_due = queue.request_extend(
        actor=him,
        request_id=rid,
        new_last_day=last + timedelta(days=30),
        reason="Older records are in off-site storage.",
    )
    assert new_due == clock.day_start(last + timedelta(days=31))
    assert _count(NotificationOutbox, NotificationOutbox.kind == "records") == notices + 1
    [mine] = [
        r for r in requests.my_requests(actor=_me(), patient_id=_alex()) if r.request_id == rid
    ]
    assert (mine.due_at, mine.extended) == (new_due, True)
    assert mine.extension_reason == "Older records are in off-site storage."
    with pytest.raises(Conflict):
        queue.request_extend(
            actor=him, request_id=rid, new_last_day=last + timedelta(days=31), reason="More"
        )


def test_a_denial_states_its_ground_and_the_letter_gives_the_right_to_review(
    seeded_url: str,
) -> None:
    rid, him = _copy(), _him()
    with pytest.raises(ValidationError):
        queue.request_deny(actor=him, request_id=rid, ground="we are busy")
    queue.request_deny(actor=him, request_id=rid, ground="endanger_life", note="Talk to Dr Patel.")
    letter = pdf_text(requests.denial_letter(actor=_me(), patient_id=_alex(), request_id=rid))
    assert "endanger the life" in letter
    assert "You may ask that this denial be reviewed" in letter
    assert "Office for Civil Rights" in letter
    assert "Talk to Dr Patel." in letter
    rid2 = _copy()
    queue.request_deny(actor=him, request_id=rid2, ground="psychotherapy_notes")
    letter2 = pdf_text(requests.denial_letter(actor=_me(), patient_id=_alex(), request_id=rid2))
    assert "does not give a right to have a denial on this ground reviewed" in letter2
    with pytest.raises(Conflict):
        queue.request_fulfil(actor=him, request_id=rid)


# --- fulfilment ------------------------------------------------------------------------------


def test_the_package_holds_what_was_asked_and_never_a_held_result(seeded_url: str) -> None:
    held = held_result()
    with db.read_only() as s:
        released = s.scalars(
            select(LabResult.id).where(
                LabResult.patient_id == _alex(), LabResult.released_at.is_not(None)
            )
        ).all()
    rid = _copy(parts={"results"}, date_from=date(2025, 6, 1))
    done = queue.request_fulfil(actor=_him(), request_id=rid)
    assert done.delivered_by == "portal"
    files = _zip(requests.package_download(actor=_me(), patient_id=_alex(), request_id=rid))
    assert set(files) == {"record.pdf", "record-fhir.json", "contents.txt"}
    bundle = json.loads(files["record-fhir.json"])
    kinds = {e["resource"]["resourceType"] for e in bundle["entry"]}
    assert kinds == {"Patient", "DiagnosticReport", "Observation"}  # results only
    reports = {
        e["resource"]["id"]
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "DiagnosticReport"
    }
    assert str(held) not in reports
    assert reports <= {str(r) for r in released}
    dates = [
        e["resource"]["effectiveDateTime"]
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "DiagnosticReport"
    ]
    assert dates and min(dates) >= "2025-06-01"
    text = pdf_text(files["record.pdf"])
    assert "Test results" in text and "Clinical notes" not in text and "Medications" not in text


def test_a_whole_record_package_has_every_part_and_the_chosen_documents_only(
    seeded_url: str,
) -> None:
    for title in ("Outside MRI report", "Vaccination card"):
        documents.document_upload(
            actor=_me(),
            patient_id=_alex(),
            filename="scan.pdf",
            data=support.pdf(title),
            title=title,
            doc_type="Outside record",
        )
    rid = _copy(parts={"all"})
    detail = queue.request_detail(actor=_him(), request_id=rid)
    assert len(detail.documents) == 2
    chosen = detail.documents[0][0]
    with pytest.raises(ValidationError):  # documents go only into a whole-record copy
        queue.request_fulfil(actor=_him(), request_id=_copy(parts={"notes"}), documents=[chosen])
    done = queue.request_fulfil(actor=_him(), request_id=rid, documents=[chosen])
    files = _zip(requests.package_download(actor=_me(), patient_id=_alex(), request_id=rid))
    assert {"imaging-reports.pdf", "billing.csv"} <= set(files)
    assert len([f for f in files if f.startswith("documents/")]) == 1
    assert files["billing.csv"].startswith(b"statement_date,service_date")
    assert set(done.files) <= set(files)


def test_a_parents_limited_request_leaves_the_teens_confidential_information_out(
    seeded_url: str,
) -> None:
    dana, emma = world.actor_of("proxy.demo"), world.patient_id("Emma", "Larson")
    rid = requests.copy_request(actor=dana, patient_id=emma, parts={"all"}, delivery="portal")
    queue.request_fulfil(actor=_him(), request_id=rid)
    files = _zip(requests.package_download(actor=dana, patient_id=emma, request_id=rid))
    everything = pdf_text(files["record.pdf"]) + files["record-fhir.json"].decode()
    assert "Confidential" not in everything and "Chlamydia" not in everything
    teen = world.actor_of("teen.demo")
    own = requests.copy_request(actor=teen, patient_id=emma, parts={"all"}, delivery="portal")
    queue.request_fulfil(actor=_him(), request_id=own)
    hers = _zip(requests.package_download(actor=teen, patient_id=emma, request_id=own))
    assert "Confidential" in pdf_text(hers["record.pdf"])
    # The parent sees the parent's requests, not the teen's own.
    assert [r.request_id for r in requests.my_requests(actor=dana, patient_id=emma)] == [rid]


def test_a_release_by_link_is_recorded_as_a_disclosure_and_opens_for_the_recipient_only(
    seeded_url: str,
) -> None:
    rid = _release()
    assert _row(rid).fee_cents == 0
    before = _count(Disclosure, Disclosure.patient_id == _alex())
    done = queue.request_fulfil(actor=_him(), request_id=rid)
    assert done.delivered_by == "link" and done.link_token
    with db.read_only() as s:
        disclosure = s.scalars(select(Disclosure).where(Disclosure.request_id == rid)).one()
        assert (disclosure.basis, disclosure.purpose) == (
            "authorization",
            "Knee surgery consultation",
        )
        sent = s.scalars(
            select(NotificationOutbox).where(
                NotificationOutbox.to_address == "records@northside.example"
            )
        ).one()
    assert _count(Disclosure, Disclosure.patient_id == _alex()) == before + 1
    assert sent.kind == "records_release"
    with pytest.raises(NotFound):
        package_links.shared_open(token=done.link_token, recipient_email="someone@else.example")
    name, kind, data = package_links.shared_open(
        token=done.link_token, recipient_email="Records@Northside.example"
    )
    assert (kind, set(_zip(data))) == (
        "application/zip",
        {"record.pdf", "record-fhir.json", "contents.txt"},
    )
    assert _count(Disclosure, Disclosure.patient_id == _alex()) == before + 1  # recorded once
    with pytest.raises(NotFound):  # the patient downloads their own copies, not releases
        requests.package_download(actor=_me(), patient_id=_alex(), request_id=rid)


def test_revoking_an_authorization_stops_a_pending_release_and_keeps_what_was_made(
    seeded_url: str,
) -> None:
    pending = _release()
    assert requests.authorization_revoke(actor=_me(), patient_id=_alex(), request_id=pending)
    assert _row(pending).status == "withdrawn"
    with pytest.raises(Conflict):
        queue.request_fulfil(actor=_him(), request_id=pending)
    with pytest.raises(Conflict):
        requests.authorization_revoke(actor=_me(), patient_id=_alex(), request_id=pending)
    sent = _release(recipient_name="Dr. Ana Ruiz")
    link = queue.request_fulfil(actor=_him(), request_id=sent).link_token
    assert link is not None
    requests.authorization_revoke(actor=_me(), patient_id=_alex(), request_id=sent)
    assert _row(sent).status == "fulfilled"  # made, and stays recorded
    assert _count(Disclosure, Disclosure.request_id == sent) == 1
    with pytest.raises(NotFound):  # the link not yet used stops working
        package_links.shared_open(token=link, recipient_email="records@northside.example")


def test_revoking_stops_a_link_already_opened_too(seeded_url: str) -> None:
    rid = _release(recipient_name="Dr. Lee")
    link = queue.request_fulfil(actor=_him(), request_id=rid).link_token
    assert link is not None
    package_links.shared_open(token=link, recipient_email="records@northside.example")
    assert requests.authorization_revoke(actor=_me(), patient_id=_alex(), request_id=rid)
    with pytest.raises(NotFound):
        package_links.shared_open(token=link, recipient_email="records@northside.example")


def test_closed_requests_refuse_assignment_and_a_request_without_a_package_has_none(
    seeded_url: str,
) -> None:
    rid = _copy()
    queue.request_deny(actor=_him(), request_id=rid, ground="not_held")
    with pytest.raises(Conflict):
        queue.request_assign(actor=_him(), request_id=rid, user_id=_him().user_id)
    with pytest.raises(NotFound):
        queue.package_for_staff(actor=_him(), request_id=rid)
    with pytest.raises(NotFound):
        queue.request_detail(actor=_him(), request_id=uuid.uuid4())


def test_an_ended_authorization_is_not_released(seeded_url: str) -> None:
    rid = _release(ends_on=NOW.date() + timedelta(days=5))
    with clock.frozen(NOW + timedelta(days=7)), pytest.raises(Conflict) as refused:
        queue.request_fulfil(actor=_him(), request_id=rid)
    assert "ended" in refused.value.message
    with clock.frozen(NOW + timedelta(days=7)):
        queue.request_deny(actor=_him(), request_id=rid, ground="authorization_ended")
    assert _row(rid).status == "denied"


def test_a_mailed_copy_is_kept_for_staff_to_mail(seeded_url: str) -> None:
    rid = _copy(delivery="cd_mail", parts={"imaging"})
    assert queue.request_fulfil(actor=_him(), request_id=rid).delivered_by == "mail"
    name, data = queue.package_for_staff(actor=_him(), request_id=rid)
    assert "imaging-reports.pdf" in _zip(data)
    with pytest.raises(NotFound):
        requests.package_download(actor=_me(), patient_id=_alex(), request_id=rid)
    assert re.match(r"release-.*\.zip", name)
