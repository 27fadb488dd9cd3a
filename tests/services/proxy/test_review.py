"""Caregivers ask; HIM reviews (minimum necessary) and decides; an adult answers in the portal."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from services.core import access, clock, db
from services.core.config import settings
from services.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from services.core.models import Patient
from services.health import alerts, metrics
from services.homes.him import him_home
from services.identity.acting import acting_choices, care_team_patients
from services.proxy import requests, review
from services.proxy.requests import AccessRequest, UploadedFile
from services.proxy.tables import ProxyRequest, ProxyRequestDocument
from services.records import records, results
from tests.conftest import NOW
from tests.services.proxy import support
from tests.support import world


def _mia() -> Patient:
    with db.read_only() as s:
        found = s.scalars(select(Patient).where(Patient.first_name == "Mia")).one()
        s.expunge(found)
        return found


def _ask(actor: access.Actor, **changes: object) -> object:
    mia = _mia()
    values: dict[str, object] = {
        "kind": "minor",
        "first_name": "Mia",
        "last_name": "Larson",
        "birth_date": mia.birth_date,
        "mrn": "",
        "relationship": "guardian",
        "note": "I am Mia's guardian since March.",
        "files": (support.legal_pdf(),),
    }
    values.update(changes)
    return requests.proxy_request_submit(actor=actor, request=AccessRequest(**values))  # type: ignore[arg-type]


def _stored_files() -> int:
    folder = Path(settings().data_dir) / requests.FOLDER
    return len(list(folder.iterdir())) if folder.exists() else 0


def test_a_caregiver_asks_for_a_child_and_him_approves(seeded_url: str) -> None:
    jamie = support.caregiver()
    request_id = _ask(jamie)
    [mine] = requests.my_requests(actor=jamie)
    assert (mine.status_words, mine.documents) == ("Received", 1)
    him = world.sign_in("him.demo")
    queue = review.review_queue(actor=him)
    assert queue[0].received_at <= queue[-1].received_at  # oldest first
    item = next(q for q in queue if q.request_id == request_id)
    assert (item.requester, item.patient_name, item.overdue) == ("Jamie Okoro", "Mia Larson", False)
    detail = review.review_detail(actor=him, request_id=request_id)
    assert detail.requester.birth_date is not None and detail.requester.email
    mia = _mia()
    assert [c.patient_id for c in detail.candidates] == [mia.id]
    # Minimum necessary: identifying fields only, no clinical record.
    assert set(review.Candidate.__dataclass_fields__) == {
        "patient_id",
        "name",
        "birth_date",
        "age",
        "mrn",
        "has_account",
    }
    pages = review.review_document_pages(
        actor=him, request_id=request_id, document_id=detail.documents[0].document_id
    )
    assert pages and pages[0].startswith(b"\x89PNG")
    with pytest.raises(Conflict):  # the match comes first
        review.review_approve(actor=him, request_id=request_id, scopes={access.RESULTS})
    review.review_match(actor=him, request_id=request_id, patient_id=mia.id)
    ends = review.review_approve(
        actor=him, request_id=request_id, scopes={access.RESULTS, access.RECORDS}
    )
    birthday18 = mia.birth_date.replace(year=mia.birth_date.year + 18)
    assert ends <= clock.day_start(birthday18)  # never past the 18th birthday
    assert mia.id in {c.patient_id for c in acting_choices(actor=jamie)}
    results.results_list(actor=jamie, patient_id=mia.id)
    with pytest.raises(NotFound):
        metrics.earliest_reading(actor=jamie, patient_id=mia.id)
    [mine] = requests.my_requests(actor=jamie)
    assert mine.status_words == "Approved"
    assert any("approved" in m.subject for m in support.inbox("jamie.okoro@example.org"))
    with pytest.raises(Conflict):  # decided once
        review.review_deny(actor=him, request_id=request_id, reason="other", note="Changed mind")


def test_denial_and_a_request_for_more_information(seeded_url: str) -> None:
    jamie = support.caregiver()
    him = world.sign_in("him.demo")
    first = _ask(jamie)
    with pytest.raises(ValidationError) as refused:
        review.review_deny(actor=him, request_id=first, reason="other")  # type: ignore[arg-type]
    assert "note" in refused.value.fields
    review.review_deny(actor=him, request_id=first, reason="documents_insufficient")  # type: ignore[arg-type]
    second = _ask(jamie)
    review.review_ask_info(actor=him, request_id=second, what="A court order naming you.")  # type: ignore[arg-type]
    denied, waiting = sorted(requests.my_requests(actor=jamie), key=lambda r: r.received_at)
    assert denied.status_words == "Denied" and "documents do not show" in (denied.decision or "")
    assert waiting.status == requests.NEEDS_INFO
    assert waiting.info_requested == "A court order naming you."
    assert [q.request_id for q in review.review_queue(actor=him, status="needs_info")] == [second]
    requests.proxy_request_add_info(
        actor=jamie,
        request_id=waiting.request_id,
        note="Attached.",
        files=(support.legal_pdf("order.pdf"),),
    )
    detail = review.review_detail(actor=him, request_id=waiting.request_id)
    assert detail.status == requests.RECEIVED and len(detail.documents) == 2
    subjects = [m.subject for m in support.inbox("jamie.okoro@example.org")]
    assert any("denied" in s for s in subjects) and any("more information" in s for s in subjects)
    # The notices carry no clinical detail and no patient name.
    bodies = " ".join(m.body for m in support.inbox("jamie.okoro@example.org"))
    assert "Mia" not in bodies


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"files": ()}, "files"),  # legal documents are required
        (
            {"files": (UploadedFile("order.pdf", b"MZ\x90\x00 not a pdf", "Power of attorney"),)},
            "files",
        ),
        ({"files": (UploadedFile("order.png", support.pdf(), "Power of attorney"),)}, "files"),
        ({"files": (UploadedFile("order.pdf", support.pdf(), "A napkin"),)}, "files"),
        ({"birth_date": "1990-01-01"}, "birth_date"),  # an adult is not a child
        ({"relationship": "neighbour"}, "relationship"),
        ({"first_name": ""}, "first_name"),
        ({"mrn": "M-1;DROP"}, "mrn"),
        ({"kind": "pet"}, "kind"),
    ],
)
def test_bad_requests_and_bad_documents_change_nothing(
    seeded_url: str, changes: dict[str, object], field: str
) -> None:
    jamie = support.caregiver()
    files_before = _stored_files()
    with pytest.raises(ValidationError) as refused:
        _ask(jamie, **changes)
    assert field in refused.value.fields
    assert _stored_files() == files_before
    with db.read_only() as s:
        assert not s.scalar(
            select(func.count())
            .select_from(ProxyRequest)
            .where(ProxyRequest.requester_user_id == jamie.user_id)
        )
        assert not s.scalar(select(func.count()).select_from(ProxyRequestDocument))


def test_an_adult_who_can_consent_answers_in_the_portal(seeded_url: str) -> None:
    jamie = support.caregiver()
    alex = world.sign_in("patient.demo")
    with db.read_only() as s:
        me = s.get(Patient, alex.patient_id)
        assert me is not None
    request_id = _ask(
        jamie,
        kind="adult_consent",
        first_name="Alex",
        last_name="Rivera",
        birth_date=me.birth_date,
        relationship="friend",
        files=(),
    )
    assert requests.my_requests(actor=jamie)[0].status_words == "Received"
    him = world.sign_in("him.demo")
    assert request_id not in {q.request_id for q in review.review_queue(actor=him)}
    [asked] = requests.requests_for_patient(actor=alex, patient_id=me.id)
    assert asked.requester == "Jamie Okoro"
    with pytest.raises(ValidationError):
        requests.request_answer(
            actor=alex, patient_id=me.id, request_id=asked.request_id, approve=True, scopes=set()
        )
    requests.request_answer(
        actor=alex,
        patient_id=me.id,
        request_id=asked.request_id,
        approve=True,
        scopes={access.APPOINTMENTS},
        ends_on=NOW.date() + timedelta(days=60),
    )
    [choice] = [c for c in acting_choices(actor=jamie) if c.patient_id == me.id]
    assert choice.scopes == {access.APPOINTMENTS, access.SUMMARY}
    with pytest.raises(NotFound):
        requests.request_answer(
            actor=alex, patient_id=me.id, request_id=asked.request_id, approve=False
        )


def test_an_adult_without_an_account_goes_to_him(seeded_url: str) -> None:
    jamie = support.caregiver()
    with db.read_only() as s:
        ruth = s.scalars(select(Patient).where(Patient.first_name == "Ruth")).one()
    request_id = _ask(
        jamie,
        kind="adult_legal",
        first_name="Ruth",
        last_name="Larson",
        birth_date=ruth.birth_date,
        relationship="health_care_poa",
    )
    him = world.sign_in("him.demo")
    assert request_id in {q.request_id for q in review.review_queue(actor=him, kind="adult_legal")}
    review.review_match(actor=him, request_id=request_id, patient_id=ruth.id)  # type: ignore[arg-type]
    review.review_approve(actor=him, request_id=request_id, scopes=set(access.SCOPES))  # type: ignore[arg-type]
    records.summary(actor=jamie, patient_id=ruth.id)


def test_the_queue_flags_requests_past_the_service_level(seeded_url: str) -> None:
    jamie = support.caregiver()
    request_id = _ask(jamie)
    him = world.sign_in("him.demo")
    # Received on a Monday: five business days later is the next Monday; the sixth is late.
    assert clock.business_days(NOW, NOW + timedelta(days=7)) == 5
    with clock.frozen(NOW + timedelta(days=9)):
        item = next(q for q in review.review_queue(actor=him) if q.request_id == request_id)
        assert item.business_days == 7 and item.overdue


def test_review_is_him_work_and_him_is_refused_clinical_work(seeded_url: str) -> None:
    him = world.sign_in("him.demo")
    home = him_home(actor=him)
    assert home.proxy_requests_pending >= 1
    for username in ("patient.demo", "proxy.demo", "clinician.demo", "billing.demo"):
        with pytest.raises(PermissionDenied):
            review.review_queue(actor=world.actor_of(username))
    alex = world.patient_id("Alex", "Rivera")
    for call in (
        lambda: metrics.earliest_reading(actor=him, patient_id=alex),
        lambda: alerts.alert_queue(actor=him),
        lambda: results.held_results(actor=him),
        lambda: care_team_patients(actor=him),
    ):
        with pytest.raises(PermissionDenied):
            call()


def test_a_requester_sees_only_their_own_requests(seeded_url: str) -> None:
    jamie = support.caregiver()
    request_id = _ask(jamie)
    dana = world.sign_in("proxy.demo")
    assert request_id not in {r.request_id for r in requests.my_requests(actor=dana)}
    with pytest.raises(NotFound):
        requests.proxy_request_withdraw(actor=dana, request_id=request_id)  # type: ignore[arg-type]
    requests.proxy_request_withdraw(actor=jamie, request_id=request_id)  # type: ignore[arg-type]
    with pytest.raises(Conflict):
        requests.proxy_request_withdraw(actor=jamie, request_id=request_id)  # type: ignore[arg-type]


def test_a_requester_may_have_ten_requests_open_at_once(seeded_url: str) -> None:
    jamie = support.caregiver()
    for _ in range(10):
        _ask(jamie)
    with pytest.raises(Conflict):
        _ask(jamie)
    assert len(requests.my_requests(actor=jamie)) == 10
