"""Keeping the schedule on both databases: a weekly template becomes slots at the same wall-clock
time across the end of daylight saving, once however often the job runs; a block closes the
slots and cancels the visits in them with a notice (never offered to the waitlist); "request
only" visits are scheduled by staff from their queue; only admins keep the schedule."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from services.care import booking, schedule, waitlist
from services.care.tables import Appointment, AppointmentSlot
from services.core import clock, crypto, db
from services.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from services.core.models import NotificationOutbox, Provider, Site
from tests.services.care.test_booking import _alex, _me, _search
from tests.support import world


def _admin():  # type: ignore[no-untyped-def]
    return world.actor_of("admin.demo")


def _day(ahead: int) -> date:
    return clock.today() + timedelta(days=ahead)


def _provider_and_site() -> tuple[uuid.UUID, uuid.UUID]:
    with db.read_only() as s:
        provider = s.scalars(select(Provider).order_by(Provider.npi).limit(1)).one()
        return provider.id, provider.site_id


def _saturday_mornings(kind: str) -> uuid.UUID:
    """Weekly hours on Saturdays, 9 to 10 (the seed has no slots then): two slots a week."""
    provider, site = _provider_and_site()
    return schedule.template_add(
        actor=_admin(),
        provider_id=provider,
        site_id=site,
        weekday=5,
        start="09:00",
        end="10:00",
        slot_minutes=30,
        slot_kind=kind,
    )


def test_a_template_makes_its_slots_once_at_the_same_local_time_across_dst(
    seeded_url: str,
) -> None:
    template = _saturday_mornings("video")
    first = date(2026, 10, 26)  # daylight saving ends on November 1
    assert schedule.generate_slots(today=first) >= 2 * schedule.WEEKS_AHEAD  # the seeded ones too
    assert schedule.generate_slots(today=first) == 0
    with db.read_only() as s:
        starts = s.scalars(
            select(AppointmentSlot.start_at)
            .where(AppointmentSlot.template_id == template)
            .order_by(AppointmentSlot.start_at)
        ).all()
    assert len(starts) == 2 * schedule.WEEKS_AHEAD
    local = [clock.local(t) for t in starts]
    assert {(t.hour, t.minute) for t in local} == {(9, 0), (9, 30)}
    assert {t.weekday() for t in local} == {5}
    before, after = starts[0], starts[2]  # October 31 (CDT) and November 7 (CST)
    assert (before.hour, after.hour) == (14, 15)  # UTC moves; the clinic's 9:00 does not
    [listed] = [t for t in schedule.templates_list(actor=_admin()) if t.template_id == template]
    assert (listed.template_id, listed.start, listed.end, listed.weekday) == (
        template,
        "09:00",
        "10:00",
        5,
    )


def test_ended_hours_close_their_open_slots_and_keep_the_booked_visits(seeded_url: str) -> None:
    template = _saturday_mornings("office")
    schedule.generate_slots()

    def saturdays() -> list[booking.OpenSlot]:
        ahead = [d for d in range(1, 7 * schedule.WEEKS_AHEAD) if _day(d).weekday() == 5]
        return [s for d in ahead for s in _search(_me(), _alex(), first=d, days=d)]

    assert len(saturdays()) == 2 * schedule.WEEKS_AHEAD  # two slots each Saturday
    kept = booking.book(
        actor=_me(), patient_id=_alex(), slot_id=saturdays()[0].slot_id, visit_type="office"
    )
    assert schedule.template_end(actor=_admin(), template_id=template) == 1
    assert saturdays() == []
    schedule.generate_slots(today=_day(7))  # a week on: other templates' slots, none of this one
    with db.read_only() as s:
        made = s.scalar(select(func.count()).where(AppointmentSlot.template_id == template))
    assert made == 2 * schedule.WEEKS_AHEAD
    assert template not in {t.template_id for t in schedule.templates_list(actor=_admin())}
    with db.read_only() as s:
        visit = s.get(Appointment, kept)
        assert visit is not None and visit.status == "booked"
    with pytest.raises(NotFound, match="ended already"):
        schedule.template_end(actor=_admin(), template_id=template)
    with pytest.raises(PermissionDenied):
        schedule.template_end(actor=world.actor_of("clinician.demo"), template_id=template)


def test_bad_templates_are_refused(seeded_url: str) -> None:
    provider, site = _provider_and_site()
    kept = schedule.templates_list(actor=_admin())
    for start, end, minutes, kind in (
        ("9am", "10:00", 30, "office"),
        ("10:00", "10:15", 30, "office"),
        ("09:00", "12:00", 25, "office"),
        ("09:00", "12:00", 30, "phone"),
    ):
        with pytest.raises(ValidationError):
            schedule.template_add(
                actor=_admin(),
                provider_id=provider,
                site_id=site,
                weekday=1,
                start=start,
                end=end,
                slot_minutes=minutes,
                slot_kind=kind,
            )
    for who, where in ((uuid.uuid4(), site), (provider, uuid.uuid4())):
        with pytest.raises(NotFound, match="from the lists"):
            schedule.template_add(
                actor=_admin(),
                provider_id=who,
                site_id=where,
                weekday=1,
                start="09:00",
                end="12:00",
                slot_minutes=30,
                slot_kind="office",
            )
    assert schedule.templates_list(actor=_admin()) == kept  # nothing added by a refusal
    with pytest.raises(PermissionDenied):
        schedule.templates_list(actor=world.actor_of("clinician.demo"))
    with pytest.raises(PermissionDenied):
        schedule.block_add(
            actor=_me(),
            provider_id=provider,
            first=date(2026, 6, 2),
            last=date(2026, 6, 2),
            reason="x",
        )


def test_a_block_cancels_the_visits_in_it_with_a_notice_and_closes_the_slots(
    seeded_url: str,
) -> None:
    slot = _search(_me(), _alex(), first=3)[0]
    visit = booking.book(
        actor=_me(), patient_id=_alex(), slot_id=slot.slot_id, visit_type="office", waitlist=True
    )
    day = clock.local(slot.start_at).date()
    cancelled = schedule.block_add(
        actor=_admin(), provider_id=slot.provider_id, first=day, last=day, reason="Conference"
    )
    assert cancelled >= 1
    with db.read_only() as s:
        row = s.get(Appointment, visit)
        assert row is not None and row.status == "cancelled"
        notices = [
            crypto.decrypt(m.body.encode()).decode()
            for m in s.scalars(
                select(NotificationOutbox).where(
                    NotificationOutbox.subject.like("%had to be cancelled")
                )
            )
        ]
        open_that_day = s.scalar(
            select(func.count()).where(
                AppointmentSlot.provider_id == slot.provider_id,
                AppointmentSlot.start_at >= clock.day_start(day),
                AppointmentSlot.start_at < clock.day_start(day + timedelta(days=1)),
                AppointmentSlot.blocked.is_not(True),
            )
        )
    assert len(notices) >= 1 and all("Conference" not in n for n in notices)
    assert open_that_day == 0
    assert slot.slot_id not in {s.slot_id for s in _search(_me(), _alex(), first=3)}
    assert waitlist.offer_open_slots() == 0


def test_request_only_visits_are_scheduled_from_the_queue(seeded_url: str) -> None:
    request = booking.request_visit(
        actor=_me(), patient_id=_alex(), visit_type="procedure", preferred="Mornings"
    )
    [item] = schedule.requests_queue(actor=_admin())
    assert (item.request_id, item.type_name) == (request, "Minor procedure")
    slots = schedule.request_slots(actor=_admin(), request_id=request, first=clock.today())
    visit = schedule.request_schedule(actor=_admin(), request_id=request, slot_id=slots[0].slot_id)
    with db.read_only() as s:
        row = s.get(Appointment, visit)
        assert row is not None and (row.visit_type, row.status) == ("procedure", "booked")
    assert schedule.requests_queue(actor=_admin()) == []
    with pytest.raises(Conflict):
        schedule.request_schedule(actor=_admin(), request_id=request, slot_id=slots[1].slot_id)
    for unknown in (
        lambda: schedule.request_slots(
            actor=_admin(), request_id=uuid.uuid4(), first=clock.today()
        ),
        lambda: schedule.request_schedule(
            actor=_admin(), request_id=uuid.uuid4(), slot_id=slots[1].slot_id
        ),
    ):
        with pytest.raises(NotFound, match="that request"):
            unknown()
    with db.read_only() as s:
        site = s.get(Site, row.site_id)
        assert site is not None and site.address
