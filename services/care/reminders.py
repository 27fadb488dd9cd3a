"""Visit reminders by the job runner: for each booked visit, one reminder per rule (e.g. 3 days
and 1 day before; a setting), by the channels the patient chose, never twice (each sent rule is
a row keyed by the visit and the rule). A visit booked inside a rule's window gets only the
nearest rule's reminder. No clinical detail: the day and time, and where to see the rest."""

from __future__ import annotations

from datetime import timedelta
from functools import partial

from sqlalchemy import select

from services.care import visit_types
from services.care.tables import Appointment, ReminderSent
from services.core import clock, db, language, notify
from services.core.config import settings
from services.core.language import N_


def send_reminders() -> int:
    """The job: reminders now due; returns how many visits were reminded."""
    rules = visit_types.reminder_days()
    if not rules:
        return 0
    now = clock.now()
    sent = 0
    with db.transaction() as session:
        due = session.execute(
            select(Appointment.id, Appointment.patient_id, Appointment.start_at).where(
                Appointment.status == "booked",
                Appointment.start_at > now,
                Appointment.start_at <= now + timedelta(days=max(rules)),
            )
        ).all()
        done = {
            (a, d)
            for a, d in session.execute(
                select(ReminderSent.appointment_id, ReminderSent.days_before).where(
                    ReminderSent.appointment_id.in_([a for a, _, _ in due])
                )
            )
        }
        for appointment_id, patient_id, start_at in due:
            reached = [d for d in rules if start_at - timedelta(days=d) <= now]
            fresh = [d for d in reached if (appointment_id, d) not in done]
            if not fresh:
                continue
            for d in fresh:  # the nearer rule covers the ones passed while booking
                session.add(ReminderSent(appointment_id=appointment_id, days_before=d, sent_at=now))
            if min(reached) not in fresh:
                continue
            local = clock.local(start_at)
            notify.to_patient(
                session,
                patient_id,
                "appointments",
                N_("{clinic}: visit reminder"),
                N_(
                    "You have a visit on {when}. Sign in to the patient portal to see the "
                    "details, check in, or change it."
                ),
                clinic=settings().clinic_name,
                when=partial(language.moment, local),  # in the patient's language
            )
            sent += 1
    return sent
