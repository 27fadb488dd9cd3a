"""The waitlist and reminders on both databases, on a frozen clock: a cancellation's slot is
offered to the waiting patients in the order they asked, held while the offer lasts, passed on
when it expires or is declined; the first to accept moves up and their old time is freed; a
reminder goes once per rule even when the runner runs twice, with no clinical detail."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import select

from services.care import booking, reminders, visit_types, waitlist
from services.care.tables import Appointment, AppointmentSlot
from services.core import clock, crypto, db, language
from services.core.access import Actor
from services.core.errors import Conflict, NotFound
from services.core.models import NotificationOutbox, User
from tests.services.care.test_booking import _alex, _me, _search
from tests.support import world


def _patients(n: int) -> list[Actor]:
    """n patients with portal accounts other than Alex."""
    with db.read_only() as s:
        names = s.scalars(
            select(User.username)
            .where(User.username.like("patient%"), User.username != "patient.demo")
            .order_by(User.username)
            .limit(n)
        ).all()
    assert len(names) == n
    return [world.actor_of(name) for name in names]


def _book(actor: Actor, slot: booking.OpenSlot, waitlist_too: bool = False) -> uuid.UUID:
    assert actor.patient_id is not None
    return booking.book(
        actor=actor,
        patient_id=actor.patient_id,
        slot_id=slot.slot_id,
        visit_type="office",
        waitlist=waitlist_too,
    )


def _start(appointment_id: uuid.UUID) -> Appointment:
    with db.read_only() as s:
        found = s.get(Appointment, appointment_id)
        assert found is not None
        return found


@dataclass
class Waiting:
    """Alex holds an early slot; two patients hold later ones with the same provider and asked,
    the first a second before the other, to be offered an earlier time."""

    first: Actor
    second: Actor
    early: booking.OpenSlot
    later: list[booking.OpenSlot]
    holder: uuid.UUID
    a: uuid.UUID
    b: uuid.UUID


def _two_waiting() -> Waiting:
    first, second = _patients(2)
    slots = _search(_me(), _alex(), first=3, days=20)
    early = slots[0]
    later = [s for s in slots if s.provider_id == early.provider_id and s.start_at > early.start_at]
    holder = booking.book(
        actor=_me(), patient_id=_alex(), slot_id=early.slot_id, visit_type="office"
    )
    a = _book(first, later[0], waitlist_too=True)
    with clock.frozen(clock.now() + timedelta(seconds=1)):
        b = _book(second, later[1], waitlist_too=True)
    assert first.patient_id and second.patient_id
    return Waiting(first, second, early, later, holder, a, b)


def test_a_freed_slot_is_offered_in_order_held_and_the_first_to_accept_moves_up(
    seeded_url: str,
) -> None:
    w = _two_waiting()
    first, second, early, later, holder, a, b = (
        w.first,
        w.second,
        w.early,
        w.later,
        w.holder,
        w.a,
        w.b,
    )
    assert waitlist.offer_open_slots() == 0  # nothing has opened
    booking.cancel(actor=_me(), patient_id=_alex(), appointment_id=holder)
    assert waitlist.offer_open_slots() == 1
    assert first.patient_id and second.patient_id
    [offer] = waitlist.my_offers(actor=first, patient_id=first.patient_id)
    assert offer.start_at == early.start_at and offer.instead_of == _start(a).start_at
    assert waitlist.my_offers(actor=second, patient_id=second.patient_id) == []
    # Held: no one else can book it meanwhile, nor is it offered twice.
    assert early.slot_id not in {s.slot_id for s in _search(_me(), _alex(), first=3, days=20)}
    assert waitlist.offer_open_slots() == 0
    # It expires: the next waiting patient is offered it.
    with clock.frozen(clock.now() + timedelta(minutes=visit_types.offer_minutes() + 1)):
        assert waitlist.offer_open_slots() == 1
        with pytest.raises(Conflict, match="ended"):
            waitlist.offer_accept(actor=first, patient_id=first.patient_id, offer_id=offer.offer_id)
        [offer2] = waitlist.my_offers(actor=second, patient_id=second.patient_id)
        moved = waitlist.offer_accept(
            actor=second, patient_id=second.patient_id, offer_id=offer2.offer_id
        )
    assert _start(moved).start_at == early.start_at and _start(b).status == "rescheduled"
    with db.read_only() as s:
        old = s.get(AppointmentSlot, later[1].slot_id)
        assert old is not None and not old.booked  # freed, and offered on in turn


def test_a_declined_offer_goes_to_the_next(seeded_url: str) -> None:
    w = _two_waiting()
    first, second, early, holder = w.first, w.second, w.early, w.holder
    booking.cancel(actor=_me(), patient_id=_alex(), appointment_id=holder)
    waitlist.offer_open_slots()
    assert first.patient_id and second.patient_id
    [offer] = waitlist.my_offers(actor=first, patient_id=first.patient_id)
    with pytest.raises(NotFound):
        waitlist.offer_decline(actor=second, patient_id=second.patient_id, offer_id=offer.offer_id)
    waitlist.offer_decline(actor=first, patient_id=first.patient_id, offer_id=offer.offer_id)
    assert waitlist.offer_open_slots() == 1
    assert [o.start_at for o in waitlist.my_offers(actor=second, patient_id=second.patient_id)] == [
        early.start_at
    ]


def test_cancelling_the_waiting_visit_withdraws_its_offer_for_the_next(seeded_url: str) -> None:
    w = _two_waiting()
    first, second, early, holder, waiting = w.first, w.second, w.early, w.holder, w.a
    booking.cancel(actor=_me(), patient_id=_alex(), appointment_id=holder)
    waitlist.offer_open_slots()
    assert first.patient_id and second.patient_id
    [offer] = waitlist.my_offers(actor=first, patient_id=first.patient_id)
    booking.cancel(actor=first, patient_id=first.patient_id, appointment_id=waiting)
    assert waitlist.my_offers(actor=first, patient_id=first.patient_id) == []
    with pytest.raises(Conflict, match="offer has ended"):
        waitlist.offer_accept(actor=first, patient_id=first.patient_id, offer_id=offer.offer_id)
    assert _start(waiting).status == "cancelled"  # the refusal changed nothing
    # No longer held: the next waiting patient is offered it at once, not when the offer expires.
    assert waitlist.offer_open_slots() == 1
    assert [o.start_at for o in waitlist.my_offers(actor=second, patient_id=second.patient_id)] == [
        early.start_at
    ]


def _reminders() -> list[str]:
    with db.read_only() as s:
        return [
            crypto.decrypt(m.body.encode()).decode()
            for m in s.scalars(
                select(NotificationOutbox).where(NotificationOutbox.subject.like("%visit reminder"))
            )
        ]


def test_reminders_go_once_per_rule_without_clinical_detail(seeded_url: str) -> None:
    slot = _search(_me(), _alex(), first=6, days=12)[0]
    visit = booking.book(
        actor=_me(),
        patient_id=_alex(),
        slot_id=slot.slot_id,
        visit_type="office",
        reason="Private worry",
    )

    def mine() -> int:
        when = language.moment(clock.local(slot.start_at))  # as the patient's language writes it
        return sum(when in b for b in _reminders())

    assert mine() == 0
    with clock.frozen(slot.start_at - timedelta(days=3)):
        reminders.send_reminders()
        reminders.send_reminders()  # the runner twice: nothing more
        assert mine() == 1
    with clock.frozen(slot.start_at - timedelta(days=2)):
        reminders.send_reminders()
        assert mine() == 1
    with clock.frozen(slot.start_at - timedelta(hours=23)):
        reminders.send_reminders()
        reminders.send_reminders()
        assert mine() == 2
    assert not any("Private worry" in b for b in _reminders())
    assert visit


def test_a_visit_booked_late_gets_only_the_nearest_reminder(seeded_url: str) -> None:
    slot = _search(_me(), _alex(), first=2, days=3)[0]
    with clock.frozen(slot.start_at - timedelta(hours=20)):
        fresh = booking.book(
            actor=_me(), patient_id=_alex(), slot_id=slot.slot_id, visit_type="office"
        )
        before = len(_reminders())
        reminders.send_reminders()
        assert len(_reminders()) - before >= 1
        again = len(_reminders())
        reminders.send_reminders()
        assert len(_reminders()) == again
    assert fresh
