"""Self-scheduling: open slots for a visit type (own care team first, in the clinic's time
zone), booking, cancelling and rescheduling, and "request only" visit types as requests.

Two patients booking one slot at the same moment: the one statement that turns the slot from
free to booked decides; the other is told, with the next open slots. A patient's visits may not
overlap (on PostgreSQL the patient's row is locked for the check). Within the late-cancel window
a visit is not cancelled online: the patient calls."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, and_, exists, func, or_, select, update
from sqlalchemy.orm import Session

from services.care import visit_types
from services.care.tables import (
    Appointment,
    AppointmentRequest,
    AppointmentSlot,
    WaitlistEntry,
    WaitlistOffer,
)
from services.core import access, clock, db, forms, support
from services.core.access import Access, Actor
from services.core.errors import Conflict, NotFound, ValidationError
from services.core.language import N_, number, t
from services.core.models import CareTeamMember, Patient, PatientCareTeam, Provider, Site
from services.core.work import patient_work

PATIENT_SIDE = N_("Visits are booked here by the patient or their proxy.")
BOOK_AHEAD = timedelta(hours=1)  # the soonest a patient may book online
SLOTS_SHOWN = 40
NEXT_SHOWN = 5


def clinic_phone() -> str:
    return support.contacts().clinic_phone


class SlotTaken(Conflict):
    """Someone else booked the slot first; `next_slots` are the next open ones like it."""

    def __init__(self, next_slots: list[OpenSlot]) -> None:
        super().__init__(
            t("Someone else just booked that time. Here are the next open times.")
            if next_slots
            else t("Someone else just booked that time. Please choose another day.")
        )
        self.next_slots = next_slots


@dataclass(frozen=True)
class OpenSlot:
    slot_id: uuid.UUID
    start_at: datetime  # UTC, as stored; shown with clock.local
    minutes: int
    provider_id: uuid.UUID
    provider_name: str
    site_name: str
    own_team: bool


def _own_providers(session: Session, patient_id: uuid.UUID) -> set[uuid.UUID]:
    return set(
        session.scalars(
            select(CareTeamMember.provider_id)
            .join(PatientCareTeam, PatientCareTeam.care_team_id == CareTeamMember.care_team_id)
            .where(PatientCareTeam.patient_id == patient_id)
        )
    )


def _free(now: datetime) -> ColumnElement[bool]:
    """A slot anyone may book now: not booked, not blocked, not held for an offer, not past."""
    return and_(
        AppointmentSlot.booked.is_(False),
        func.coalesce(AppointmentSlot.blocked, False).is_(False),
        or_(AppointmentSlot.held_until.is_(None), AppointmentSlot.held_until < now),
        AppointmentSlot.start_at >= now + BOOK_AHEAD,
    )


def slots_for(
    session: Session,
    patient_id: uuid.UUID,
    kind: str,
    start: datetime,
    end: datetime,
    provider_id: uuid.UUID | None = None,
    site_id: uuid.UUID | None = None,
    limit: int = SLOTS_SHOWN,
) -> list[OpenSlot]:
    own = _own_providers(session, patient_id)
    query = (
        select(AppointmentSlot, Provider.name, Site.name)
        .join(Provider, Provider.id == AppointmentSlot.provider_id)
        .join(Site, Site.id == AppointmentSlot.site_id)
        .where(
            _free(clock.now()),
            AppointmentSlot.visit_type == kind,
            AppointmentSlot.start_at >= start,
            AppointmentSlot.start_at < end,
        )
    )
    if provider_id is not None:
        query = query.where(AppointmentSlot.provider_id == provider_id)
    if site_id is not None:
        query = query.where(AppointmentSlot.site_id == site_id)
    rows = session.execute(
        query.order_by(AppointmentSlot.start_at, AppointmentSlot.provider_id).limit(limit)
    ).all()
    return [
        OpenSlot(s.id, s.start_at, s.minutes, s.provider_id, name, site, s.provider_id in own)
        for s, name, site in rows
    ]


def _visit_type(code: str, bookable: bool = True) -> visit_types.VisitType:
    found = visit_types.VISIT_TYPES.get(code)
    if found is None:
        raise ValidationError({"visit_type": t("Choose a type of visit.")})
    if bookable and not found.self_schedule:
        raise ValidationError(
            {
                "visit_type": t(
                    "A {visit} is requested, not booked online.", visit=found.name.lower()
                )
            }
        )
    return found


def _patient_side(found: Access) -> None:
    access.require_patient_side(found, PATIENT_SIDE)


@dataclass(frozen=True)
class Choices:
    visit_types: list[visit_types.VisitType]
    providers: list[tuple[uuid.UUID, str, bool]]  # (id, name, on the patient's own team)
    sites: list[tuple[uuid.UUID, str]]


def booking_choices(*, actor: Actor, patient_id: uuid.UUID) -> Choices:
    """The visit types, providers (own care team first) and sites to choose from."""
    with patient_work(actor, patient_id, "appointments.choices", access.APPOINTMENTS) as (
        session,
        found,
    ):
        _patient_side(found)
        own = _own_providers(session, patient_id)
        providers = sorted(
            (
                (p.id, f"{p.name}, {p.credentials}", p.id in own)
                for p in session.scalars(
                    select(Provider).where(
                        exists().where(AppointmentSlot.provider_id == Provider.id)
                    )
                )
            ),
            key=lambda x: (not x[2], x[1]),
        )
        sites = [(s.id, s.name) for s in session.scalars(select(Site).order_by(Site.name))]
        return Choices(list(visit_types.VISIT_TYPES.values()), providers, sites)


def open_slots(
    *,
    actor: Actor,
    patient_id: uuid.UUID,
    visit_type: str,
    date_from: date,
    date_to: date,
    provider_id: uuid.UUID | None = None,
    site_id: uuid.UUID | None = None,
) -> list[OpenSlot]:
    """Open slots for a visit type between two days of the clinic's calendar."""
    kind = _visit_type(visit_type).slot_kind
    today = clock.today()
    if date_from < today or date_to < date_from:
        raise ValidationError({"dates": t("Choose days from today on, the first before the last.")})
    if date_to > today + timedelta(days=visit_types.SEARCH_DAYS_MAX):
        raise ValidationError(
            {
                "dates": t(
                    "Look at most {days} days ahead; call us for later.",
                    days=visit_types.SEARCH_DAYS_MAX,
                )
            }
        )
    with patient_work(actor, patient_id, "appointments.search", access.APPOINTMENTS) as (
        session,
        found,
    ):
        _patient_side(found)
        return slots_for(
            session,
            patient_id,
            kind,
            clock.day_start(date_from),
            clock.day_start(date_to + timedelta(days=1)),
            provider_id,
            site_id,
        )


def _lock_patient(session: Session, patient_id: uuid.UUID) -> None:
    """One booking of a patient at a time (PostgreSQL; DuckDB's writes are already serial)."""
    if not db.is_duckdb(session.get_bind()):
        session.execute(select(Patient.id).where(Patient.id == patient_id).with_for_update())


def _overlaps(session: Session, patient_id: uuid.UUID, start: datetime, end: datetime) -> bool:
    """Whether a booked visit of the patient overlaps [start, end) (visits last under 12 h)."""
    for begins, minutes in session.execute(
        select(Appointment.start_at, Appointment.minutes).where(
            Appointment.patient_id == patient_id,
            Appointment.status == "booked",
            Appointment.start_at < end,
            Appointment.start_at > start - timedelta(hours=12),
        )
    ):
        if begins + timedelta(minutes=minutes) > start:
            return True
    return False


def take(
    session: Session,
    actor: Actor,
    patient_id: uuid.UUID,
    slot_id: uuid.UUID,
    visit: visit_types.VisitType,
    reason: str,
    replaces: uuid.UUID | None = None,
    offer_slot: bool = False,
) -> Appointment:
    """Book the slot for the patient in the caller's transaction, or raise SlotTaken."""
    slot = session.get(AppointmentSlot, slot_id)
    if slot is None:
        raise NotFound(t("That time is no longer on the schedule."))
    if slot.visit_type != visit.slot_kind:
        raise ValidationError(
            {"slot": t("That time is not for a {visit}.", visit=visit.name.lower())}
        )
    _lock_patient(session, patient_id)
    if _overlaps(
        session, patient_id, slot.start_at, slot.start_at + timedelta(minutes=slot.minutes)
    ):
        raise Conflict(t("You already have a visit at that time. Cancel or move it first."))
    now = clock.now()
    free = (
        and_(AppointmentSlot.booked.is_(False), AppointmentSlot.start_at > now)
        if offer_slot  # a slot held for this patient's offer
        else _free(now)
    )
    done = session.execute(
        update(AppointmentSlot)
        .where(AppointmentSlot.id == slot_id, free)
        .values(booked=True, held_until=None, freed_at=None)
    )
    if done.rowcount != 1:  # type: ignore[attr-defined]
        raise SlotTaken([])
    appointment = Appointment(
        id=uuid.uuid4(),
        patient_id=patient_id,
        provider_id=slot.provider_id,
        site_id=slot.site_id,
        slot_id=slot.id,
        start_at=slot.start_at,
        minutes=slot.minutes,
        visit_type=visit.code,
        reason=reason or visit.name,
        status="booked",
        created_at=now,
        booked_by=actor.user_id,
        rescheduled_from=replaces,
        video_room=secrets.token_urlsafe(18) if visit.slot_kind == visit_types.VIDEO else None,
    )
    session.add(appointment)
    return appointment


def _next_like(patient_id: uuid.UUID, slot_id: uuid.UUID) -> list[OpenSlot]:
    """The next open slots like a taken one (same provider and kind, from its time on)."""
    with db.read_only() as session:
        slot = session.get(AppointmentSlot, slot_id)
        if slot is None:
            return []
        return slots_for(
            session,
            patient_id,
            slot.visit_type,
            slot.start_at,
            slot.start_at + timedelta(days=visit_types.SEARCH_DAYS_MAX),
            slot.provider_id,
            limit=NEXT_SHOWN,
        )


def _reason(reason: str) -> str:
    fields: dict[str, str] = {}
    text = forms.checked_note(fields, "reason", reason, limit=200)
    forms.raise_if(fields)
    return text


def book(
    *,
    actor: Actor,
    patient_id: uuid.UUID,
    slot_id: uuid.UUID,
    visit_type: str,
    reason: str = "",
    waitlist: bool = False,
) -> uuid.UUID:
    """Book an open slot; with `waitlist`, ask to be offered an earlier one when it opens."""
    visit = _visit_type(visit_type)
    text = _reason(reason)
    try:
        with patient_work(actor, patient_id, "appointments.book", access.APPOINTMENTS) as (
            session,
            found,
        ):
            _patient_side(found)
            appointment = take(session, actor, patient_id, slot_id, visit, text)
            if waitlist:
                session.add(
                    WaitlistEntry(
                        id=uuid.uuid4(),
                        patient_id=patient_id,
                        appointment_id=appointment.id,
                        provider_id=appointment.provider_id,
                        slot_kind=visit.slot_kind,
                        status="waiting",
                        created_at=clock.now(),
                    )
                )
            return appointment.id
    except SlotTaken:
        raise SlotTaken(_next_like(patient_id, slot_id)) from None


def _own_booked(session: Session, patient_id: uuid.UUID, appointment_id: uuid.UUID) -> Appointment:
    appointment = session.get(Appointment, appointment_id)
    if appointment is None or appointment.patient_id != patient_id:
        raise NotFound(t("We could not find that visit."))
    if appointment.status != "booked" or appointment.start_at <= clock.now():
        raise Conflict(t("Only a visit still to come can be changed."))
    hours = visit_types.late_cancel_hours()
    if appointment.start_at - clock.now() < timedelta(hours=hours):
        raise Conflict(
            t(
                "Visits less than {hours} hours away cannot be changed online. Please call the "
                "clinic at {phone}.",
                hours=number(hours),
                phone=clinic_phone(),
            )
        )
    return appointment


def release(session: Session, appointment: Appointment, by: uuid.UUID | None, why: str) -> None:
    """Cancel a visit in the caller's transaction and free its slot (offered on by the waitlist
    job); its own waitlist entry ends, and an offer open to it is withdrawn, its slot no longer
    held."""
    appointment.status = "cancelled"
    appointment.cancelled_at, appointment.cancelled_by = clock.now(), by
    appointment.cancel_reason = why[:200] or None
    if appointment.slot_id is not None:
        session.execute(
            update(AppointmentSlot)
            .where(AppointmentSlot.id == appointment.slot_id)
            .values(booked=False, held_until=None, freed_at=clock.now())
        )
    session.execute(
        update(WaitlistEntry)
        .where(WaitlistEntry.appointment_id == appointment.id, WaitlistEntry.status == "waiting")
        .values(status="ended")
    )
    offered = session.execute(
        select(WaitlistOffer.id, WaitlistOffer.slot_id)
        .join(WaitlistEntry, WaitlistEntry.id == WaitlistOffer.entry_id)
        .where(
            WaitlistEntry.appointment_id == appointment.id,
            WaitlistOffer.status == visit_types.OFFER_OPEN,
        )
    ).all()
    for offer_id, slot_id in offered:  # one at most (one open offer per waiting visit)
        session.execute(
            update(AppointmentSlot).where(AppointmentSlot.id == slot_id).values(held_until=None)
        )
        session.execute(
            update(WaitlistOffer)
            .where(WaitlistOffer.id == offer_id)
            .values(status=visit_types.OFFER_WITHDRAWN)
        )


def cancel(
    *, actor: Actor, patient_id: uuid.UUID, appointment_id: uuid.UUID, reason: str = ""
) -> None:
    """Cancel a visit (not within the late-cancel window: the patient calls)."""
    text = _reason(reason)
    with patient_work(actor, patient_id, "appointments.cancel", access.APPOINTMENTS) as (
        session,
        found,
    ):
        _patient_side(found)
        release(session, _own_booked(session, patient_id, appointment_id), actor.user_id, text)


def reschedule(
    *, actor: Actor, patient_id: uuid.UUID, appointment_id: uuid.UUID, slot_id: uuid.UUID
) -> uuid.UUID:
    """Move a visit to another open slot: the new one is booked and the old one freed, at once."""
    try:
        with patient_work(actor, patient_id, "appointments.reschedule", access.APPOINTMENTS) as (
            session,
            found,
        ):
            _patient_side(found)
            old = _own_booked(session, patient_id, appointment_id)
            visit = _visit_type(old.visit_type, bookable=False)
            release(session, old, actor.user_id, "rescheduled")
            session.flush()  # the old time no longer counts as an overlap
            new = take(session, actor, patient_id, slot_id, visit, old.reason, replaces=old.id)
            old.status = "rescheduled"
            session.execute(
                update(WaitlistEntry)
                .where(WaitlistEntry.appointment_id == old.id, WaitlistEntry.status == "ended")
                .values(appointment_id=new.id, status="waiting")
            )
            return new.id
    except SlotTaken:
        raise SlotTaken(_next_like(patient_id, slot_id)) from None


def request_visit(
    *,
    actor: Actor,
    patient_id: uuid.UUID,
    visit_type: str,
    preferred: str,
    note: str = "",
    provider_id: uuid.UUID | None = None,
) -> uuid.UUID:
    """Ask for a "request only" visit: staff call back and schedule it."""
    visit = _visit_type(visit_type, bookable=False)
    fields: dict[str, str] = {}
    if visit.self_schedule:
        fields["visit_type"] = t(
            "A {visit} is booked online: choose a time.", visit=visit.name.lower()
        )
    wanted = forms.checked_note(fields, "preferred", preferred, t("Say which days and times suit."))
    text = forms.checked_note(fields, "note", note)
    forms.raise_if(fields)
    with patient_work(actor, patient_id, "appointments.request", access.APPOINTMENTS) as (
        session,
        found,
    ):
        _patient_side(found)
        row = AppointmentRequest(
            id=uuid.uuid4(),
            patient_id=patient_id,
            visit_type=visit.code,
            provider_id=provider_id,
            preferred=wanted,
            note=text or None,
            status="requested",
            requested_by=actor.user_id,
            requested_at=clock.now(),
        )
        session.add(row)
        return row.id
