"""Refills on both databases: what may be asked for online (a controlled substance, a stopped
medicine, no refills left and a request already open are each refused with their message and
change nothing), the clinician's queue with the results that bear on the medicine, the
decisions and what the patient then sees, one decision when two clinicians decide at once,
proxies and refusals."""

from __future__ import annotations

import threading
import uuid

import pytest
from sqlalchemy import func, select

from services.care import refill_queue, refills
from services.care.tables import RefillRequest
from services.core import access, crypto, db
from services.core.access import Actor
from services.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from services.core.models import NotificationOutbox, User, UserRole
from services.records.tables import Medication
from tests.support import world


def _me() -> Actor:
    return world.actor_of("patient.demo")


def _alex() -> uuid.UUID:
    return world.patient_id("Alex", "Rivera")


def _clinician() -> Actor:
    return world.actor_of("clinician.demo")


def _medicine(name: str) -> uuid.UUID:
    medicines, _, _ = refills.refill_choices(actor=_me(), patient_id=_alex())
    return next(m.medication_id for m in medicines if m.name == name)


def _pharmacy() -> uuid.UUID:
    _, pharmacies, _ = refills.refill_choices(actor=_me(), patient_id=_alex())
    return pharmacies[0].pharmacy_id


def _ask(name: str = "Cetirizine", actor: Actor | None = None) -> uuid.UUID:
    return refills.refill_request(
        actor=actor or _me(),
        patient_id=_alex(),
        medication_id=_medicine(name),
        pharmacy_id=_pharmacy(),
        note="Running low",
    )


def _requests() -> int:
    with db.read_only() as s:
        return int(s.scalar(select(func.count()).select_from(RefillRequest)) or 0)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("Zolpidem", "controlled substance"),
        ("Amoxicillin", "no longer an active medicine"),
        ("Fluticasone nasal spray", "No refills are left"),
    ],
)
def test_medicines_that_cannot_be_refilled_online_say_why(
    seeded_url: str, name: str, message: str
) -> None:
    medicines, _, _ = refills.refill_choices(actor=_me(), patient_id=_alex())
    [shown] = [m for m in medicines if m.name == name]
    assert shown.refusal and message in shown.refusal
    before = _requests()
    with pytest.raises(Conflict, match=message):
        _ask(name)
    assert _requests() == before


def test_a_refill_is_asked_once_decided_and_its_status_shown(seeded_url: str) -> None:
    request = _ask()
    with pytest.raises(Conflict, match="already requested"):
        _ask()
    [mine] = [
        r for r in refills.my_refills(actor=_me(), patient_id=_alex()) if r.request_id == request
    ]
    assert (mine.status_name, mine.medicine) == ("Requested", "Cetirizine 10 mg tablet")
    [item] = [i for i in refill_queue.refill_queue(actor=_clinician()) if i.request_id == request]
    assert item.patient_name == "Alex Rivera" and item.note == "Running low"
    assert item.last_fill is not None and item.last_visit is not None
    status = refill_queue.refill_decide(
        actor=_clinician(), request_id=request, decision="approve", quantity=90, refills_allowed=1
    )
    assert status == refills.SENT
    [mine] = [
        r for r in refills.my_refills(actor=_me(), patient_id=_alex()) if r.request_id == request
    ]
    assert (mine.status_name, mine.quantity, mine.refills) == ("Sent to the pharmacy", 90, 1)
    with db.read_only() as s:
        left = s.scalar(select(Medication.refills_remaining).where(Medication.name == "Cetirizine"))
        notices = s.scalars(
            select(NotificationOutbox).where(NotificationOutbox.subject.like("%refill request"))
        ).all()
    assert left == 1
    assert notices and all(
        "Cetirizine" not in crypto.decrypt(n.body.encode()).decode() for n in notices
    )
    with pytest.raises(Conflict, match="already decided"):
        refill_queue.refill_decide(
            actor=_clinician(), request_id=request, decision="deny", reason="x"
        )


def test_deny_needs_a_reason_and_a_visit_request_links_to_scheduling(seeded_url: str) -> None:
    request = _ask()
    for bad in (
        {"decision": "deny", "reason": " "},
        {"decision": "approve", "quantity": 0, "refills_allowed": 1},
        {"decision": "approve", "quantity": 30, "refills_allowed": 12},
        {"decision": "shrug"},
    ):
        with pytest.raises(ValidationError):
            refill_queue.refill_decide(actor=_clinician(), request_id=request, **bad)  # type: ignore[arg-type]
    refill_queue.refill_decide(
        actor=_clinician(), request_id=request, decision="visit", reason="Book a yearly check."
    )
    [mine] = [
        r for r in refills.my_refills(actor=_me(), patient_id=_alex()) if r.request_id == request
    ]
    assert (mine.status, mine.note) == (refills.VISIT_NEEDED, "Book a yearly check.")
    again = _ask()  # no longer open: it may be asked again
    refill_queue.refill_decide(
        actor=_clinician(), request_id=again, decision="deny", reason="Take it only in spring."
    )
    [mine] = [
        r for r in refills.my_refills(actor=_me(), patient_id=_alex()) if r.request_id == again
    ]
    assert (mine.status_name, mine.note) == ("Denied", "Take it only in spring.")


def test_approved_then_marked_sent(seeded_url: str) -> None:
    request = _ask()
    refill_queue.refill_decide(
        actor=_clinician(),
        request_id=request,
        decision="approve",
        quantity=30,
        refills_allowed=0,
        sent_now=False,
    )
    assert request in {i.request_id for i in refill_queue.approved_waiting(actor=_clinician())}
    refill_queue.refill_mark_sent(actor=_clinician(), request_id=request)
    with pytest.raises(Conflict):
        refill_queue.refill_mark_sent(actor=_clinician(), request_id=request)
    with pytest.raises(NotFound):
        refill_queue.refill_mark_sent(actor=_clinician(), request_id=uuid.uuid4())
    with pytest.raises(NotFound):
        refill_queue.refill_decide(
            actor=_clinician(), request_id=uuid.uuid4(), decision="deny", reason="Unknown"
        )


def test_two_clinicians_deciding_at_once_make_one_decision(seeded_url: str) -> None:
    request = _ask()
    second = world.actor_of_user(next(u for u in _clinicians() if u != _clinician().user_id))
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def decide(actor: Actor, decision: str) -> None:
        start.wait()
        try:
            refill_queue.refill_decide(
                actor=actor,
                request_id=request,
                decision=decision,
                quantity=30,
                refills_allowed=2,
                reason="Needs a visit first",
            )
            outcomes.append(decision)
        except Conflict:
            outcomes.append("refused")

    workers = [
        threading.Thread(target=decide, args=(_clinician(), "approve")),
        threading.Thread(target=decide, args=(second, "deny")),
    ]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert outcomes.count("refused") == 1
    with db.read_only() as s:
        row = s.get(RefillRequest, request)
        assert row is not None
    assert row.status == (refills.SENT if "approve" in outcomes else refills.DENIED)


def _clinicians() -> list[uuid.UUID]:
    with db.read_only() as s:
        return list(s.scalars(select(UserRole.user_id).where(UserRole.role == access.CLINICIAN)))


def test_the_queue_shows_the_results_that_bear_on_the_medicine(seeded_url: str) -> None:
    with db.read_only() as s:
        asked = select(RefillRequest.medication_id).where(RefillRequest.status.in_(refills.OPEN))
        metformin = s.scalars(
            select(Medication)
            .join(User, User.patient_id == Medication.patient_id)  # with a portal account
            .where(
                Medication.rxnorm == "861007",
                Medication.refills_remaining > 0,
                Medication.id.not_in(asked),
            )
            .order_by(Medication.id)
        ).first()
    assert metformin is not None
    owner = world.actor_of_patient(metformin.patient_id)
    request = refills.refill_request(
        actor=owner,
        patient_id=metformin.patient_id,
        medication_id=metformin.id,
        pharmacy_id=_pharmacy(),
    )
    queue = refill_queue.refill_queue(actor=_clinician())
    [item] = [i for i in queue if i.request_id == request]
    assert "Hemoglobin A1c" in {lab.name for lab in item.labs}
    assert [i.requested_at for i in queue] == sorted(i.requested_at for i in queue)  # oldest first


def test_a_proxy_with_the_refills_scope_asks(seeded_url: str) -> None:
    allowed = world.proxy_of_alex(frozenset({access.REFILLS}))
    request = _ask(actor=allowed)
    assert request in {r.request_id for r in refills.my_refills(actor=allowed, patient_id=_alex())}


def test_a_proxy_without_it_and_staff_are_refused(seeded_url: str) -> None:
    refused = world.proxy_of_alex(frozenset(access.SCOPES) - {access.REFILLS})
    for call in (
        lambda: refills.my_refills(actor=refused, patient_id=_alex()),
        lambda: refills.refill_choices(actor=refused, patient_id=_alex()),
        lambda: _ask(actor=refused),
    ):
        with pytest.raises(NotFound, match="could not find that record"):
            call()
    with pytest.raises(PermissionDenied):
        refills.refill_choices(actor=_clinician(), patient_id=_alex())
    for staff in ("billing.demo", "him.demo", "patient.demo"):
        with pytest.raises(PermissionDenied):
            refill_queue.refill_queue(actor=world.actor_of(staff))
    with pytest.raises(ValidationError):
        refills.refill_request(
            actor=_me(),
            patient_id=_alex(),
            medication_id=_medicine("Cetirizine"),
            pharmacy_id=uuid.uuid4(),
        )
    with pytest.raises(NotFound):  # another patient's medicine
        with db.read_only() as s:
            theirs = s.scalars(
                select(Medication.id).where(Medication.patient_id != _alex())
            ).first()
        assert theirs is not None
        refills.refill_request(
            actor=_me(), patient_id=_alex(), medication_id=theirs, pharmacy_id=_pharmacy()
        )
