"""Keeping the schedule (admins): a provider's weekly templates (weekday, hours in the clinic's
time, site, slot length and kind) turned into slots some weeks ahead by the job runner, correct
across daylight-saving changes; blocks (vacation) that close the slots and cancel the visits in
them, each patient told and invited to book again; and the "request only" visit requests,
scheduled by staff into an open slot."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import partial

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from services.care import booking, visit_types
from services.care.tables import (
    Appointment,
    AppointmentRequest,
    AppointmentSlot,
    ScheduleBlock,
    ScheduleTemplate,
)
from services.core import access, audit, clock, db, forms, language, notify
from services.core.access import Actor
from services.core.config import settings
from services.core.errors import Conflict, NotFound
from services.core.language import N_, t
from services.core.models import Patient, Provider, Site
from services.core.work import staff_work

WEEKS_AHEAD = 6
HHMM = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")
KEEPERS = (access.ADMIN,)


@dataclass(frozen=True)
class Template:
    template_id: uuid.UUID
    provider_name: str
    site_name: str
    weekday: int
    start: str  # HH:MM, clinic time
    end: str
    slot_minutes: int
    slot_kind: str


@dataclass(frozen=True)
class Choices:
    providers: dict[uuid.UUID, str]
    sites: dict[uuid.UUID, str]


def keeping_choices(*, actor: Actor) -> Choices:
    """The providers and sites a template or block may name."""
    with staff_work(actor, "schedule.choices", *KEEPERS) as session:
        return Choices(
            {
                p.id: f"{p.name}, {p.credentials}"
                for p in session.scalars(select(Provider).order_by(Provider.name))
            },
            {s.id: s.name for s in session.scalars(select(Site).order_by(Site.name))},
        )


def _minutes(text: str) -> int | None:
    found = HHMM.fullmatch(text.strip())
    return int(found.group(1)) * 60 + int(found.group(2)) if found else None


def template_add(
    *,
    actor: Actor,
    provider_id: uuid.UUID,
    site_id: uuid.UUID,
    weekday: int,
    start: str,
    end: str,
    slot_minutes: int,
    slot_kind: str,
) -> uuid.UUID:
    """A provider's weekly hours on one weekday; the job makes their slots."""
    fields: dict[str, str] = {}
    begin, finish = _minutes(start), _minutes(end)
    if begin is None:
        fields["start"] = t("Give the start as HH:MM, e.g. 08:30.")
    if finish is None:
        fields["end"] = t("Give the end as HH:MM, e.g. 12:00.")
    if not 0 <= weekday <= 6:
        fields["weekday"] = t("Choose a day of the week.")
    if slot_minutes not in (10, 15, 20, 30, 40, 45, 60):
        fields["slot_minutes"] = t("Slots last 10, 15, 20, 30, 40, 45 or 60 minutes.")
    if slot_kind not in (visit_types.OFFICE, visit_types.VIDEO):
        fields["slot_kind"] = t("Choose office or video.")
    if begin is not None and finish is not None and finish - begin < slot_minutes:
        fields["end"] = t("The end must leave room for at least one slot after the start.")
    forms.raise_if(fields)
    assert begin is not None and finish is not None
    with staff_work(actor, "schedule.template.add", *KEEPERS) as session:
        if session.get(Provider, provider_id) is None or session.get(Site, site_id) is None:
            raise NotFound(t("Choose a provider and a site from the lists."))
        row = ScheduleTemplate(
            id=uuid.uuid4(),
            provider_id=provider_id,
            site_id=site_id,
            weekday=weekday,
            start_minute=begin,
            end_minute=finish,
            slot_minutes=slot_minutes,
            slot_kind=slot_kind,
            active=True,
            created_by=actor.user_id,
            created_at=clock.now(),
        )
        session.add(row)
        return row.id


def templates_list(*, actor: Actor) -> list[Template]:
    with staff_work(actor, "schedule.templates.view", *KEEPERS) as session:
        rows = session.execute(
            select(ScheduleTemplate, Provider.name, Site.name)
            .join(Provider, Provider.id == ScheduleTemplate.provider_id)
            .join(Site, Site.id == ScheduleTemplate.site_id)
            .where(ScheduleTemplate.active.is_(True))
            .order_by(Provider.name, ScheduleTemplate.weekday, ScheduleTemplate.start_minute)
        ).all()
        return [
            Template(
                tpl.id,
                provider,
                site,
                tpl.weekday,
                f"{tpl.start_minute // 60:02d}:{tpl.start_minute % 60:02d}",
                f"{tpl.end_minute // 60:02d}:{tpl.end_minute % 60:02d}",
                tpl.slot_minutes,
                tpl.slot_kind,
            )
            for tpl, provider, site in rows
        ]


def template_end(*, actor: Actor, template_id: uuid.UUID) -> int:
    """End a template's weekly hours: no more slots are made from it and its open future slots
    close; visits already booked in them stay (block the days to cancel them). Returns how many
    booked visits remain in its hours."""
    with staff_work(actor, "schedule.template.end", *KEEPERS) as session:
        ended = session.execute(
            update(ScheduleTemplate)
            .where(ScheduleTemplate.id == template_id, ScheduleTemplate.active.is_(True))
            .values(active=False)
        )
        if ended.rowcount != 1:  # type: ignore[attr-defined]
            raise NotFound(t("We could not find those weekly hours (or they have ended already)."))
        mine = (
            AppointmentSlot.template_id == template_id,
            AppointmentSlot.start_at > clock.now(),
        )
        session.execute(
            update(AppointmentSlot)
            .where(*mine, AppointmentSlot.booked.is_(False))
            .values(blocked=True, held_until=None)
        )
        return len(
            session.scalars(
                select(AppointmentSlot.id).where(*mine, AppointmentSlot.booked.is_(True))
            ).all()
        )


def _blocked(session: Session, provider_id: uuid.UUID, start: datetime, end: datetime) -> bool:
    return (
        session.scalar(
            select(ScheduleBlock.id).where(
                ScheduleBlock.provider_id == provider_id,
                ScheduleBlock.starts_at < end,
                ScheduleBlock.ends_at > start,
            )
        )
        is not None
    )


def generate_slots(today: date | None = None) -> int:
    """The job: the active templates' slots for the coming weeks (each made once; wall-clock
    times of the clinic, so a 9:00 slot stays at 9:00 across a daylight-saving change)."""
    first = today or clock.today()
    made = 0
    with db.transaction() as session:
        templates = session.scalars(
            select(ScheduleTemplate).where(ScheduleTemplate.active.is_(True))
        ).all()
        for tpl in templates:
            existing = set(
                session.scalars(
                    select(AppointmentSlot.start_at).where(
                        AppointmentSlot.provider_id == tpl.provider_id,
                        AppointmentSlot.start_at >= clock.day_start(first),
                    )
                )
            )
            for offset in range(WEEKS_AHEAD * 7):
                day = first + timedelta(days=offset)
                if day.weekday() != tpl.weekday:
                    continue
                for minute in range(
                    tpl.start_minute, tpl.end_minute - tpl.slot_minutes + 1, tpl.slot_minutes
                ):
                    wall = datetime.combine(day, time(minute // 60, minute % 60))
                    start = clock.from_local(wall)
                    if start in existing or start <= clock.now():
                        continue
                    end = start + timedelta(minutes=tpl.slot_minutes)
                    session.add(
                        AppointmentSlot(
                            id=uuid.uuid4(),
                            provider_id=tpl.provider_id,
                            site_id=tpl.site_id,
                            start_at=start,
                            minutes=tpl.slot_minutes,
                            visit_type=tpl.slot_kind,
                            booked=False,
                            template_id=tpl.id,
                            blocked=_blocked(session, tpl.provider_id, start, end) or None,
                        )
                    )
                    existing.add(start)
                    made += 1
    return made


def block_add(*, actor: Actor, provider_id: uuid.UUID, first: date, last: date, reason: str) -> int:
    """The provider is away from `first` to `last` (clinic days): their slots close and the
    visits booked in them are cancelled, each patient told and invited to book again.
    Returns how many visits were cancelled."""
    fields: dict[str, str] = {}
    text = forms.checked_note(
        fields, "reason", reason, t("Say why (patients are not told it)."), 200
    )
    if last < first:
        fields["last"] = t("The last day must not be before the first.")
    forms.raise_if(fields)
    starts, ends = clock.day_start(first), clock.day_start(last + timedelta(days=1))
    with staff_work(actor, "schedule.block.add", *KEEPERS) as session:
        if session.get(Provider, provider_id) is None:
            raise NotFound(t("Choose a provider from the list."))
        session.add(
            ScheduleBlock(
                id=uuid.uuid4(),
                provider_id=provider_id,
                starts_at=starts,
                ends_at=ends,
                reason=text,
                created_by=actor.user_id,
                created_at=clock.now(),
            )
        )
        in_block = (
            AppointmentSlot.provider_id == provider_id,
            AppointmentSlot.start_at >= starts,
            AppointmentSlot.start_at < ends,
        )
        session.execute(update(AppointmentSlot).where(*in_block).values(blocked=True))
        visits = session.scalars(
            select(Appointment).where(
                Appointment.provider_id == provider_id,
                Appointment.status == "booked",
                Appointment.start_at >= starts,
                Appointment.start_at < ends,
            )
        ).all()
        for visit in visits:
            booking.release(session, visit, actor.user_id, "The clinician is away")
            notify.to_patient(
                session,
                visit.patient_id,
                "appointments",
                N_("{clinic}: a visit had to be cancelled"),
                N_(
                    "Your visit on {when} had to be cancelled because the clinician is away. We "
                    "are sorry. Sign in to the patient portal to book a new time, or call "
                    "{phone}."
                ),
                clinic=settings().clinic_name,
                when=partial(language.moment, clock.local(visit.start_at)),
                phone=booking.clinic_phone(),
            )
            audit.record(
                session, actor, "appointments.cancelled.by_clinic", patient_id=visit.patient_id
            )
        # Freed by the block, these slots are closed: never offered to the waitlist.
        session.execute(update(AppointmentSlot).where(*in_block).values(freed_at=None))
        return len(visits)


# --- "request only" visits --------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    request_id: uuid.UUID
    patient_id: uuid.UUID
    patient_name: str
    mrn: str
    type_name: str
    preferred: str
    note: str | None
    requested_at: datetime


def requests_queue(*, actor: Actor) -> list[Request]:
    """Visit requests waiting to be scheduled, oldest first."""
    with staff_work(actor, "appointments.requests.view", *KEEPERS) as session:
        rows = session.execute(
            select(AppointmentRequest, Patient)
            .join(Patient, Patient.id == AppointmentRequest.patient_id)
            .where(AppointmentRequest.status == "requested")
            .order_by(AppointmentRequest.requested_at)
        ).all()
        return [
            Request(
                r.id,
                p.id,
                f"{p.first_name} {p.last_name}",
                p.mrn,
                visit_types.type_name(r.visit_type),
                r.preferred,
                r.note,
                r.requested_at,
            )
            for r, p in rows
        ]


def request_slots(
    *, actor: Actor, request_id: uuid.UUID, first: date, days: int = 14
) -> list[booking.OpenSlot]:
    """Open slots that fit a request (its kind of visit, its wished provider if any)."""
    with staff_work(actor, "appointments.request.slots", *KEEPERS) as session:
        row = session.get(AppointmentRequest, request_id)
        if row is None:
            raise NotFound(t("We could not find that request."))
        return booking.slots_for(
            session,
            row.patient_id,
            visit_types.VISIT_TYPES[row.visit_type].slot_kind,
            clock.day_start(first),
            clock.day_start(first + timedelta(days=days)),
            row.provider_id,
        )


def request_schedule(*, actor: Actor, request_id: uuid.UUID, slot_id: uuid.UUID) -> uuid.UUID:
    """Book the requested visit into a slot; the patient is told."""
    with staff_work(actor, "appointments.request.schedule", *KEEPERS) as session:
        row = session.get(AppointmentRequest, request_id)
        if row is None:
            raise NotFound(t("We could not find that request."))
        if row.status != "requested":
            raise Conflict(t("This request was already handled."))
        visit = visit_types.VISIT_TYPES[row.visit_type]
        appointment = booking.take(
            session, actor, row.patient_id, slot_id, visit, row.note or visit.name
        )
        row.status, row.handled_by, row.handled_at = "scheduled", actor.user_id, clock.now()
        row.appointment_id = appointment.id
        notify.to_patient(
            session,
            row.patient_id,
            "appointments",
            N_("{clinic}: your visit is booked"),
            N_(
                "The visit you asked for is booked on {when}. Sign in to the patient portal to "
                "see the details."
            ),
            clinic=settings().clinic_name,
            when=partial(language.moment, clock.local(appointment.start_at)),
        )
        audit.record(session, actor, "appointments.request.scheduled", patient_id=row.patient_id)
        return appointment.id
