"""A patient's visits on both databases: upcoming and past with place and instructions, the
video join link only from 15 minutes before to the end, the late-cancel window shown, the
.ics file parsed back (no reason for the visit in it), and a limited parent not seeing a teen's
confidential visit."""

from __future__ import annotations

import uuid
from datetime import UTC, timedelta

import pytest
from icalendar import Calendar

from services.care import booking, visits
from services.core import clock
from services.core.errors import NotFound, PermissionDenied
from tests.services.care.test_booking import _alex, _me, _search
from tests.support import world


def test_upcoming_and_past_visits_with_their_place(seeded_url: str) -> None:
    slot = _search(_me(), _alex(), first=5)[0]
    booked = booking.book(
        actor=_me(), patient_id=_alex(), slot_id=slot.slot_id, visit_type="annual", reason="Check"
    )
    upcoming, past = visits.my_visits(actor=_me(), patient_id=_alex())
    mine = next(v for v in upcoming if v.appointment_id == booked)
    assert (mine.type_name, mine.video, mine.can_change) == ("Annual wellness visit", False, True)
    assert mine.address and "Lakeside" not in mine.address and mine.map_link
    assert mine.map_link.startswith("https://www.openstreetmap.org/search?query=")
    assert [v.start_at for v in upcoming] == sorted(v.start_at for v in upcoming)
    assert past and all(v.start_at < clock.now() for v in past)
    with clock.frozen(slot.start_at - timedelta(hours=2)):
        upcoming, _ = visits.my_visits(actor=_me(), patient_id=_alex())
        late = next(v for v in upcoming if v.appointment_id == booked)
        assert not late.can_change and late.change_note and "call" in late.change_note
        assert late.checkin_open


def test_the_video_link_is_live_from_15_minutes_before_to_the_end(seeded_url: str) -> None:
    slot = _search(_me(), _alex(), "video", first=3)[0]
    booked = booking.book(actor=_me(), patient_id=_alex(), slot_id=slot.slot_id, visit_type="video")

    def link_at(minutes: int) -> str | None:
        with clock.frozen(slot.start_at + timedelta(minutes=minutes)):
            upcoming, _ = visits.my_visits(actor=_me(), patient_id=_alex())
            found = [v for v in upcoming if v.appointment_id == booked]
            return found[0].join_url if found else None

    assert link_at(-16) is None
    assert link_at(-15) and link_at(-15).startswith("https://")  # type: ignore[union-attr]
    assert link_at(slot.minutes - 1)
    assert link_at(slot.minutes) is None


def test_the_calendar_file_parses_back_without_the_reason(seeded_url: str) -> None:
    slot = _search(_me(), _alex(), first=2)[0]
    booked = booking.book(
        actor=_me(),
        patient_id=_alex(),
        slot_id=slot.slot_id,
        visit_type="office",
        reason="Private worry",
    )
    raw = visits.visit_ics(actor=_me(), patient_id=_alex(), appointment_id=booked)
    assert b"Private worry" not in raw
    [event] = Calendar.from_ical(raw).walk("VEVENT")
    assert event.decoded("dtstart") == slot.start_at.replace(tzinfo=UTC)
    assert event.decoded("dtend") - event.decoded("dtstart") == timedelta(minutes=slot.minutes)
    assert str(event.get("summary")).startswith("Office visit with ")
    assert str(event.get("uid")) == f"{booked}@patient-portal"
    with pytest.raises(NotFound):
        visits.visit_ics(actor=_me(), patient_id=_alex(), appointment_id=uuid.uuid4())


def test_a_limited_parent_does_not_see_the_teens_confidential_visit(seeded_url: str) -> None:
    emma = world.patient_id("Emma", "Larson")
    hers = visits.my_visits(actor=world.actor_of("teen.demo"), patient_id=emma)
    parent = visits.my_visits(actor=world.actor_of("proxy.demo"), patient_id=emma)
    assert len(hers[0]) + len(hers[1]) > len(parent[0]) + len(parent[1])
    with pytest.raises(PermissionDenied):
        visits.my_visits(actor=world.actor_of("clinician.demo"), patient_id=emma)
