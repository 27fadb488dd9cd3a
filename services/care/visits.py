"""A patient's visits as they (or a proxy with the appointments scope) see them: upcoming and
past, each with provider, place (address and a map link as text), type, instructions, whether
it can still be changed online, e-check-in and, for a video visit, the join link from 15 minutes
before; and an `.ics` file to add a visit to a calendar (no clinical detail in it: calendars are
often shared). A parent with limited access does not see a teen's confidential visits."""

from __future__ import annotations

import urllib.parse
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from icalendar import Calendar, Event
from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from services.care import visit_types
from services.care.booking import PATIENT_SIDE, clinic_phone
from services.care.tables import Appointment, CheckIn, WaitlistEntry
from services.core import access, clock
from services.core.access import Access, Actor
from services.core.config import settings, text_setting
from services.core.errors import NotFound
from services.core.language import number, t
from services.core.models import Provider, Site
from services.core.work import patient_work

PAST_SHOWN = 50


@dataclass(frozen=True)
class Visit:
    appointment_id: uuid.UUID
    start_at: datetime  # UTC, as stored
    minutes: int
    status: str
    visit_type: str
    type_name: str
    provider_name: str
    site_name: str
    address: str | None
    map_link: str | None  # shown as text
    reason: str
    instructions: str
    video: bool
    join_url: str | None  # a video visit's link, only while it can be joined
    can_change: bool  # cancel or reschedule online
    change_note: str | None  # why not, when not
    checkin_open: bool
    checked_in: bool
    waitlisted: bool


def video_link(room: str) -> str:
    """The video room's address (the clinic's video service; a setting)."""
    template = text_setting("video_room_url", "https://meet.jit.si/lakeside-{room}")
    return template.replace("{room}", room)


def map_link(address: str | None) -> str | None:
    if not address:
        return None
    return "https://www.openstreetmap.org/search?query=" + urllib.parse.quote_plus(address)


def _visit(
    a: Appointment, provider: str, site: Site, checked_in: bool, waitlisted: bool, now: datetime
) -> Visit:
    kind = visit_types.VISIT_TYPES.get(a.visit_type)
    video = a.video_room is not None
    upcoming = a.status == "booked" and a.start_at > now
    late = upcoming and a.start_at - now < timedelta(hours=visit_types.late_cancel_hours())
    live = (
        video
        and a.status == "booked"
        and a.start_at - visit_types.JOIN_EARLY <= now < a.start_at + timedelta(minutes=a.minutes)
    )
    opens = a.start_at - timedelta(days=visit_types.checkin_days())
    return Visit(
        appointment_id=a.id,
        start_at=a.start_at,
        minutes=a.minutes,
        status=a.status,
        visit_type=a.visit_type,
        type_name=visit_types.type_name(a.visit_type),
        provider_name=provider,
        site_name=site.name,
        address=None if video else site.address,
        map_link=None if video else map_link(site.address),
        reason=a.reason,
        instructions=t(kind.instructions) if kind else "",
        video=video,
        join_url=video_link(a.video_room) if live and a.video_room else None,
        can_change=upcoming and not late,
        change_note=(
            t(
                "Less than {hours} hours away: call {phone} to change it.",
                hours=number(visit_types.late_cancel_hours()),
                phone=clinic_phone(),
            )
            if late
            else None
        ),
        checkin_open=upcoming and opens <= now and not checked_in,
        checked_in=checked_in,
        waitlisted=waitlisted,
    )


def _rows(
    session: Session, patient_id: uuid.UUID, found: Access, *conditions: object
) -> list[Visit]:
    now = clock.now()
    query = (
        select(
            Appointment,
            Provider.name + ", " + Provider.credentials,
            Site,
            exists().where(CheckIn.appointment_id == Appointment.id),
            exists().where(
                WaitlistEntry.appointment_id == Appointment.id, WaitlistEntry.status == "waiting"
            ),
        )
        .join(Provider, Provider.id == Appointment.provider_id)
        .join(Site, Site.id == Appointment.site_id)
        .where(Appointment.patient_id == patient_id, *conditions)  # type: ignore[arg-type]
    )
    if found.adolescent_limited:
        query = query.where(Appointment.sensitive.is_not(True))
    return [
        _visit(a, provider, site, bool(checked), bool(waiting), now)
        for a, provider, site, checked, waiting in session.execute(query)
    ]


def my_visits(*, actor: Actor, patient_id: uuid.UUID) -> tuple[list[Visit], list[Visit]]:
    """(upcoming soonest first, past newest first)."""
    with patient_work(actor, patient_id, "appointments.view", access.APPOINTMENTS) as (
        session,
        found,
    ):
        access.require_patient_side(found, PATIENT_SIDE)
        now = clock.now()
        upcoming = _rows(
            session,
            patient_id,
            found,
            Appointment.status == "booked",
            Appointment.start_at > now - timedelta(hours=2),
        )
        past = _rows(
            session,
            patient_id,
            found,
            Appointment.start_at <= now,
            Appointment.status.in_(("completed", "no_show", "booked")),
        )
        upcoming.sort(key=lambda v: v.start_at)
        past = sorted(
            (v for v in past if v.start_at + timedelta(minutes=v.minutes) <= now),
            key=lambda v: v.start_at,
            reverse=True,
        )[:PAST_SHOWN]
        return [v for v in upcoming if v.start_at + timedelta(minutes=v.minutes) > now], past


def visit_ics(*, actor: Actor, patient_id: uuid.UUID, appointment_id: uuid.UUID) -> bytes:
    """An iCalendar file of one booked visit: when, where, with whom; no reason for the visit."""
    with patient_work(actor, patient_id, "appointments.ics", access.APPOINTMENTS) as (
        session,
        found,
    ):
        access.require_patient_side(found, PATIENT_SIDE)
        visits = _rows(session, patient_id, found, Appointment.id == appointment_id)
    if not visits or visits[0].status != "booked":
        raise NotFound(t("We could not find that visit."))
    v = visits[0]
    calendar = Calendar()
    calendar.add(
        "prodid",
        f"-//{settings().clinic_name}//Patient portal//EN",  # i18n: not shown
    )
    calendar.add("version", "2.0")
    event = Event()
    event.add("uid", f"{v.appointment_id}@patient-portal")
    event.add("dtstamp", clock.now().replace(tzinfo=UTC))
    event.add("dtstart", v.start_at.replace(tzinfo=UTC))
    event.add("dtend", (v.start_at + timedelta(minutes=v.minutes)).replace(tzinfo=UTC))
    event.add(
        "summary",
        t("{type_name} with {provider_name}", type_name=v.type_name, provider_name=v.provider_name),
    )
    event.add(
        "location",
        t("Video visit: join from the patient portal")
        if v.video
        else f"{v.site_name}, {v.address}",
    )
    event.add(
        "description",
        t(
            "{instructions}\nTo change this visit, use the patient portal or call {clinic_phone}.",
            instructions=v.instructions,
            clinic_phone=clinic_phone(),
        ),
    )
    calendar.add_component(event)
    return bytes(calendar.to_ical())
