"""The waitlist ("fast pass"): a patient who asked, when booking, for an earlier time is offered
a slot that a cancellation opens before their visit, for the same kind of visit and provider.
Offers go to the waiting patients in the order they asked, one at a time: the slot is held for
the offer until it expires (a setting), then offered to the next. The first to accept gets it;
their old time is freed and offered on in turn."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, exists, or_, select, update
from sqlalchemy.orm import Session

from services.care import booking, visit_types
from services.care.tables import Appointment, AppointmentSlot, WaitlistEntry, WaitlistOffer
from services.core import access, audit, clock, db, language, notify
from services.core.access import Actor
from services.core.config import settings
from services.core.errors import Conflict, NotFound
from services.core.language import N_, t
from services.core.models import Provider, Site
from services.core.work import patient_work

OPEN, ACCEPTED, EXPIRED, DECLINED = (
    visit_types.OFFER_OPEN,
    visit_types.OFFER_ACCEPTED,
    visit_types.OFFER_EXPIRED,
    visit_types.OFFER_DECLINED,
)


@dataclass(frozen=True)
class Offer:
    offer_id: uuid.UUID
    start_at: datetime  # the earlier time offered
    instead_of: datetime  # the visit's current time
    provider_name: str
    site_name: str
    expires_at: datetime


def _expire(session: Session, now: datetime) -> int:
    done = session.execute(
        update(WaitlistOffer)
        .where(WaitlistOffer.status == OPEN, WaitlistOffer.expires_at <= now)
        .values(status=EXPIRED)
    )
    return int(done.rowcount)  # type: ignore[attr-defined]


def _next_entry(session: Session, slot: AppointmentSlot) -> WaitlistEntry | None:
    """The first waiting patient this slot would move up, who was not offered it before."""
    return session.scalar(
        select(WaitlistEntry)
        .join(Appointment, Appointment.id == WaitlistEntry.appointment_id)
        .where(
            WaitlistEntry.status == "waiting",
            WaitlistEntry.slot_kind == slot.visit_type,
            or_(WaitlistEntry.provider_id.is_(None), WaitlistEntry.provider_id == slot.provider_id),
            Appointment.status == "booked",
            Appointment.start_at > slot.start_at,
            ~exists().where(
                WaitlistOffer.entry_id == WaitlistEntry.id, WaitlistOffer.slot_id == slot.id
            ),
            ~exists().where(
                WaitlistOffer.entry_id == WaitlistEntry.id, WaitlistOffer.status == OPEN
            ),
        )
        .order_by(WaitlistEntry.created_at, WaitlistEntry.id)
        .limit(1)
    )


def offer_open_slots() -> int:
    """The job: close expired offers, then offer each free slot that a waiting patient could
    move up to, to the first of them; returns how many offers it made."""
    now = clock.now()
    made = 0
    with db.transaction() as session:
        _expire(session, now)
        slots = session.scalars(
            select(AppointmentSlot)
            .where(
                AppointmentSlot.booked.is_(False),
                AppointmentSlot.freed_at.is_not(None),  # opened by a cancellation
                AppointmentSlot.start_at >= now + booking.BOOK_AHEAD,
                or_(AppointmentSlot.blocked.is_(None), AppointmentSlot.blocked.is_(False)),
                or_(AppointmentSlot.held_until.is_(None), AppointmentSlot.held_until <= now),
                exists().where(
                    and_(
                        WaitlistEntry.status == "waiting",
                        WaitlistEntry.slot_kind == AppointmentSlot.visit_type,
                    )
                ),
            )
            .order_by(AppointmentSlot.start_at)
            .limit(200)
        ).all()
        for slot in slots:
            entry = _next_entry(session, slot)
            if entry is None:
                continue
            expires = now + timedelta(minutes=visit_types.offer_minutes())
            session.add(
                WaitlistOffer(
                    id=uuid.uuid4(),
                    entry_id=entry.id,
                    slot_id=slot.id,
                    offered_at=now,
                    expires_at=expires,
                    status=OPEN,
                )
            )
            slot.held_until = expires
            notify.to_patient(
                session,
                entry.patient_id,
                "appointments",
                N_("{clinic}: an earlier visit time is open"),
                N_(
                    "An earlier time for your visit has opened. Sign in to the patient portal "
                    "to take it; it is held for you for {minutes} minutes."
                ),
                clinic=settings().clinic_name,
                minutes=lambda: language.number(visit_types.offer_minutes()),
            )
            audit.record(
                session,
                None,
                "appointments.waitlist.offer",
                patient_id=entry.patient_id,
                username="waitlist",
            )
            made += 1
    return made


def my_offers(*, actor: Actor, patient_id: uuid.UUID) -> list[Offer]:
    """The patient's open offers of an earlier time."""
    with patient_work(actor, patient_id, "appointments.offers", access.APPOINTMENTS) as (
        session,
        found,
    ):
        access.require_patient_side(found, booking.PATIENT_SIDE)
        rows = session.execute(
            select(WaitlistOffer, AppointmentSlot, Appointment.start_at, Provider.name, Site.name)
            .join(WaitlistEntry, WaitlistEntry.id == WaitlistOffer.entry_id)
            .join(AppointmentSlot, AppointmentSlot.id == WaitlistOffer.slot_id)
            .join(Appointment, Appointment.id == WaitlistEntry.appointment_id)
            .join(Provider, Provider.id == AppointmentSlot.provider_id)
            .join(Site, Site.id == AppointmentSlot.site_id)
            .where(
                WaitlistEntry.patient_id == patient_id,
                WaitlistOffer.status == OPEN,
                WaitlistOffer.expires_at > clock.now(),
            )
            .order_by(AppointmentSlot.start_at)
        ).all()
        return [
            Offer(o.id, slot.start_at, current, provider, site, o.expires_at)
            for o, slot, current, provider, site in rows
        ]


def _own_offer(
    session: Session, patient_id: uuid.UUID, offer_id: uuid.UUID
) -> tuple[WaitlistOffer, WaitlistEntry]:
    offer = session.get(WaitlistOffer, offer_id)
    entry = session.get(WaitlistEntry, offer.entry_id) if offer else None
    if offer is None or entry is None or entry.patient_id != patient_id:
        raise NotFound(t("We could not find that offer."))
    return offer, entry


def offer_accept(*, actor: Actor, patient_id: uuid.UUID, offer_id: uuid.UUID) -> uuid.UUID:
    """Take the earlier time: the visit moves there and its old time is freed."""
    with patient_work(actor, patient_id, "appointments.offer.accept", access.APPOINTMENTS) as (
        session,
        found,
    ):
        access.require_patient_side(found, booking.PATIENT_SIDE)
        offer, entry = _own_offer(session, patient_id, offer_id)
        done = session.execute(
            update(WaitlistOffer)
            .where(
                WaitlistOffer.id == offer_id,
                WaitlistOffer.status == OPEN,
                WaitlistOffer.expires_at > clock.now(),
            )
            .values(status=ACCEPTED)
        )
        if done.rowcount != 1:  # type: ignore[attr-defined]
            raise Conflict(t("This offer has ended; your visit keeps its time."))
        old = session.get(Appointment, entry.appointment_id)
        if old is None or old.status != "booked":
            raise Conflict(t("The visit this offer would move is no longer booked."))
        visit = visit_types.VISIT_TYPES[old.visit_type]
        booking.release(session, old, actor.user_id, "moved to an earlier time")
        old.status = "rescheduled"
        session.flush()
        new = booking.take(
            session, actor, patient_id, offer.slot_id, visit, old.reason, old.id, offer_slot=True
        )
        entry.status = "moved"
        return new.id


def offer_decline(*, actor: Actor, patient_id: uuid.UUID, offer_id: uuid.UUID) -> None:
    """Keep the current time; the slot goes to the next waiting patient."""
    with patient_work(actor, patient_id, "appointments.offer.decline", access.APPOINTMENTS) as (
        session,
        found,
    ):
        access.require_patient_side(found, booking.PATIENT_SIDE)
        offer, _ = _own_offer(session, patient_id, offer_id)
        if offer.status != OPEN:
            raise Conflict(t("This offer has already ended."))
        offer.status = DECLINED
        session.execute(
            update(AppointmentSlot)
            .where(AppointmentSlot.id == offer.slot_id)
            .values(held_until=None)
        )
