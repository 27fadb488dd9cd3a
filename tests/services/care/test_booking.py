"""Self-scheduling on both databases: open slots by visit type in the clinic's time zone,
booking, two patients racing for one slot (exactly one wins, the other is shown the next
times), no overlapping visits for one patient, the late-cancel window, rescheduling, "request
only" visit types, and the refusals."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from services.care import booking, visit_types
from services.care.tables import Appointment, AppointmentRequest, AppointmentSlot
from services.core import clock, db
from services.core.access import Actor
from services.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from tests.support import world


def _me() -> Actor:
    return world.actor_of("patient.demo")


def _alex() -> uuid.UUID:
    return world.patient_id("Alex", "Rivera")


def _search(  # type: ignore[no-untyped-def]
    actor: Actor, patient: uuid.UUID, kind: str = "office", days: int = 28, first: int = 0
):
    today = clock.today()
    return booking.open_slots(
        actor=actor,
        patient_id=patient,
        visit_type=kind,
        date_from=today + timedelta(days=first),
        date_to=today + timedelta(days=days),
    )


def _slot(slot_id: uuid.UUID) -> AppointmentSlot:
    with db.read_only() as s:
        found = s.get(AppointmentSlot, slot_id)
        assert found is not None
        return found


def _visit(appointment_id: uuid.UUID) -> Appointment:
    with db.read_only() as s:
        found = s.get(Appointment, appointment_id)
        assert found is not None
        return found


def test_open_slots_are_of_the_visit_types_kind_and_from_an_hour_on(seeded_url: str) -> None:
    office = _search(_me(), _alex())
    video = _search(_me(), _alex(), "video")
    assert office and video
    assert [s.start_at for s in office] == sorted(s.start_at for s in office)
    assert all(s.start_at >= clock.now() + booking.BOOK_AHEAD for s in office + video)
    assert {_slot(s.slot_id).visit_type for s in office} == {visit_types.OFFICE}
    assert {_slot(s.slot_id).visit_type for s in video} == {visit_types.VIDEO}
    assert any(s.own_team for s in office)
    choices = booking.booking_choices(actor=_me(), patient_id=_alex())
    assert choices.providers[0][2]  # the patient's own care team first
    with pytest.raises(ValidationError):
        _search(_me(), _alex(), "new_patient")  # request only
    with pytest.raises(ValidationError):
        _search(_me(), _alex(), days=visit_types.SEARCH_DAYS_MAX + 1)


def test_booking_takes_the_slot_and_a_second_try_is_shown_the_next_times(
    seeded_url: str,
) -> None:
    slot = _search(_me(), _alex(), "video")[0]
    visit = booking.book(
        actor=_me(), patient_id=_alex(), slot_id=slot.slot_id, visit_type="video", reason="Rash"
    )
    booked = _visit(visit)
    assert (booked.start_at, booked.visit_type, booked.status) == (slot.start_at, "video", "booked")
    assert booked.video_room and len(booked.video_room) >= 20
    assert _slot(slot.slot_id).booked
    other = world.some_patient_user()
    assert other.patient_id is not None
    with pytest.raises(booking.SlotTaken) as taken:
        booking.book(
            actor=other, patient_id=other.patient_id, slot_id=slot.slot_id, visit_type="video"
        )
    assert taken.value.next_slots
    assert all(s.provider_id == slot.provider_id for s in taken.value.next_slots)
    assert all(s.start_at >= slot.start_at for s in taken.value.next_slots)


def test_two_patients_racing_for_one_slot_one_wins(seeded_url: str) -> None:
    slot = _search(_me(), _alex())[3]
    other = world.some_patient_user()
    assert other.patient_id is not None
    outcomes: list[object] = []

    def take(actor: Actor, patient: uuid.UUID) -> None:
        try:
            outcomes.append(
                booking.book(
                    actor=actor, patient_id=patient, slot_id=slot.slot_id, visit_type="office"
                )
            )
        except booking.SlotTaken as exc:
            outcomes.append(exc)
        except Conflict as exc:  # PostgreSQL may stop the loser at its commit instead
            outcomes.append(exc)

    threads = [
        threading.Thread(target=take, args=(_me(), _alex())),
        threading.Thread(target=take, args=(other, other.patient_id)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    won = [o for o in outcomes if isinstance(o, uuid.UUID)]
    lost = [o for o in outcomes if isinstance(o, Conflict)]
    assert len(won) == 1 and len(lost) == 1, outcomes
    with db.read_only() as s:
        holders = s.scalars(
            select(Appointment.patient_id).where(
                Appointment.slot_id == slot.slot_id, Appointment.status == "booked"
            )
        ).all()
    assert len(holders) == 1


def test_a_patient_cannot_be_in_two_visits_at_once(seeded_url: str) -> None:
    office = _search(_me(), _alex())
    first = office[0]
    booking.book(actor=_me(), patient_id=_alex(), slot_id=first.slot_id, visit_type="office")
    same_time = [s for s in _search(_me(), _alex(), "video") if s.start_at == first.start_at] + [
        s for s in office[1:] if s.start_at == first.start_at
    ]
    assert same_time, "the seeded schedule has parallel slots"
    kind = "video" if _slot(same_time[0].slot_id).visit_type == visit_types.VIDEO else "office"
    with pytest.raises(Conflict, match="already have a visit"):
        booking.book(actor=_me(), patient_id=_alex(), slot_id=same_time[0].slot_id, visit_type=kind)


def test_cancelling_frees_the_slot_but_not_within_the_late_cancel_window(
    seeded_url: str,
) -> None:
    soon = _search(_me(), _alex(), days=10)[0]
    later = _search(_me(), _alex(), days=10, first=4)[0]
    early = booking.book(actor=_me(), patient_id=_alex(), slot_id=soon.slot_id, visit_type="office")
    visit = booking.book(
        actor=_me(), patient_id=_alex(), slot_id=later.slot_id, visit_type="office"
    )
    if soon.start_at - clock.now() < timedelta(hours=visit_types.late_cancel_hours()):
        with pytest.raises(Conflict, match="call the clinic"):
            booking.cancel(actor=_me(), patient_id=_alex(), appointment_id=early)
    with clock.frozen(later.start_at - timedelta(hours=23)):
        with pytest.raises(Conflict, match=r"less than 24 hours away.*\(555\)"):
            booking.cancel(actor=_me(), patient_id=_alex(), appointment_id=visit)
    booking.cancel(actor=_me(), patient_id=_alex(), appointment_id=visit, reason="Feeling better")
    cancelled = _visit(visit)
    assert (cancelled.status, cancelled.cancel_reason) == ("cancelled", "Feeling better")
    assert not _slot(later.slot_id).booked
    with pytest.raises(Conflict):
        booking.cancel(actor=_me(), patient_id=_alex(), appointment_id=visit)


def test_rescheduling_books_the_new_time_and_frees_the_old(seeded_url: str) -> None:
    slots = _search(_me(), _alex())
    old_slot, new_slot = slots[-1], slots[-2]
    old = booking.book(
        actor=_me(), patient_id=_alex(), slot_id=old_slot.slot_id, visit_type="office"
    )
    new = booking.reschedule(
        actor=_me(), patient_id=_alex(), appointment_id=old, slot_id=new_slot.slot_id
    )
    assert _visit(old).status == "rescheduled" and _visit(new).rescheduled_from == old
    assert _visit(new).start_at == new_slot.start_at
    assert not _slot(old_slot.slot_id).booked and _slot(new_slot.slot_id).booked


def test_request_only_visits_go_to_a_request(seeded_url: str) -> None:
    slot = _search(_me(), _alex())[0]
    with pytest.raises(ValidationError, match="Please correct"):
        booking.book(actor=_me(), patient_id=_alex(), slot_id=slot.slot_id, visit_type="procedure")
    with pytest.raises(ValidationError):
        booking.request_visit(actor=_me(), patient_id=_alex(), visit_type="office", preferred="x")
    with pytest.raises(ValidationError):
        booking.request_visit(actor=_me(), patient_id=_alex(), visit_type="procedure", preferred="")
    request = booking.request_visit(
        actor=_me(),
        patient_id=_alex(),
        visit_type="procedure",
        preferred="Weekday mornings",
        note="Mole on my back",
    )
    with db.read_only() as s:
        row = s.get(AppointmentRequest, request)
        assert row is not None and (row.status, row.visit_type) == ("requested", "procedure")


def test_others_are_refused(seeded_url: str) -> None:
    slot = _search(_me(), _alex())[0]
    other = world.other_patient(_alex())
    with pytest.raises(NotFound):
        booking.book(actor=_me(), patient_id=other, slot_id=slot.slot_id, visit_type="office")
    with pytest.raises(PermissionDenied):
        booking.book(
            actor=world.actor_of("clinician.demo"),
            patient_id=_alex(),
            slot_id=slot.slot_id,
            visit_type="office",
        )
    visit = booking.book(actor=_me(), patient_id=_alex(), slot_id=slot.slot_id, visit_type="office")
    someone = world.some_patient_user()
    assert someone.patient_id is not None
    with pytest.raises(NotFound):
        booking.cancel(actor=someone, patient_id=someone.patient_id, appointment_id=visit)
