"""A proxy's grant decides appointments like every other part of the record: without the
appointments scope every patient-side appointment service refuses them; with only that scope
they can book, move, check in, take offers, ask for a visit and cancel for the patient."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta

import pytest

from services.care import booking, checkin, visits, waitlist
from services.core import access, clock
from services.core.access import Actor
from services.core.errors import NotFound
from tests.services.care.test_booking import _alex, _me, _search
from tests.support import world

SOME_VISIT = uuid.uuid4()  # refused before any lookup: "that record", never "that visit"
REFUSED = "could not find that record"  # to a person outside the record, as if it were not there
CALLS: dict[str, Callable[[Actor, uuid.UUID], object]] = {
    "choices": lambda a, p: booking.booking_choices(actor=a, patient_id=p),
    "open slots": lambda a, p: booking.open_slots(
        actor=a,
        patient_id=p,
        visit_type="office",
        date_from=clock.today(),
        date_to=clock.today() + timedelta(days=7),
    ),
    "book": lambda a, p: booking.book(
        actor=a, patient_id=p, slot_id=SOME_VISIT, visit_type="office"
    ),
    "cancel": lambda a, p: booking.cancel(actor=a, patient_id=p, appointment_id=SOME_VISIT),
    "reschedule": lambda a, p: booking.reschedule(
        actor=a, patient_id=p, appointment_id=SOME_VISIT, slot_id=SOME_VISIT
    ),
    "request": lambda a, p: booking.request_visit(
        actor=a, patient_id=p, visit_type="new_patient", preferred="mornings"
    ),
    "visits": lambda a, p: visits.my_visits(actor=a, patient_id=p),
    "calendar": lambda a, p: visits.visit_ics(actor=a, patient_id=p, appointment_id=SOME_VISIT),
    "check-in form": lambda a, p: checkin.checkin_form(
        actor=a, patient_id=p, appointment_id=SOME_VISIT
    ),
    "offers": lambda a, p: waitlist.my_offers(actor=a, patient_id=p),
    "take offer": lambda a, p: waitlist.offer_accept(actor=a, patient_id=p, offer_id=SOME_VISIT),
    "keep time": lambda a, p: waitlist.offer_decline(actor=a, patient_id=p, offer_id=SOME_VISIT),
}


@pytest.mark.parametrize("call", list(CALLS))
def test_a_proxy_without_the_appointments_scope_is_refused_everywhere(
    seeded_url: str, call: str
) -> None:
    proxy = world.proxy_of_alex(frozenset(access.SCOPES) - {access.APPOINTMENTS})
    with pytest.raises(NotFound, match=REFUSED):
        CALLS[call](proxy, _alex())


def test_a_proxy_with_the_appointments_scope_keeps_the_visits(seeded_url: str) -> None:
    proxy = world.proxy_of_alex(frozenset({access.APPOINTMENTS}))
    first, second = _search(proxy, _alex(), first=2)[:2]
    booked = booking.book(
        actor=proxy, patient_id=_alex(), slot_id=first.slot_id, visit_type="office", waitlist=True
    )
    moved = booking.reschedule(
        actor=proxy, patient_id=_alex(), appointment_id=booked, slot_id=second.slot_id
    )
    upcoming, _ = visits.my_visits(actor=proxy, patient_id=_alex())
    assert moved in {v.appointment_id for v in upcoming}
    assert visits.visit_ics(actor=proxy, patient_id=_alex(), appointment_id=moved)
    assert waitlist.my_offers(actor=proxy, patient_id=_alex()) == []
    booking.request_visit(
        actor=proxy, patient_id=_alex(), visit_type="new_patient", preferred="mornings"
    )
    booking.cancel(actor=proxy, patient_id=_alex(), appointment_id=moved)
    # Alex sees what the proxy did.
    upcoming, _ = visits.my_visits(actor=_me(), patient_id=_alex())
    assert moved not in {v.appointment_id for v in upcoming}
