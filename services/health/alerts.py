"""The care team's metric-alert queue: readings past the alert policy for a clinician's patients.

Alerts are raised by `services.health.readings` (once per qualifying reading, once per CGM episode);
a clinician on the patient's care team acknowledges each with a note.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select, update
from sqlalchemy.orm import Session

from services.core import access, clock, db
from services.core.access import Actor, clinician_patients
from services.core.errors import Conflict, NotFound, ValidationError
from services.core.language import N_, number, t
from services.core.models import Patient
from services.core.work import patient_work, staff_work
from services.health.tables import MetricAlert

MAX_NOTE = 1000
QUEUE_LIMIT = 500


@dataclass(frozen=True)
class AlertItem:
    alert_id: uuid.UUID
    patient_id: uuid.UUID
    patient_name: str
    mrn: str
    metric: str
    rule: str
    value_text: str
    measured_at: datetime


def open_alerts(provider_user_id: uuid.UUID) -> Select[*tuple[Any, ...]]:
    """Unacknowledged alerts of this clinician's care-team patients (the columns of AlertItem)."""
    return (
        select(
            MetricAlert.id,
            Patient.id,
            Patient.first_name + " " + Patient.last_name,
            Patient.mrn,
            MetricAlert.metric,
            MetricAlert.rule,
            MetricAlert.value_text,
            MetricAlert.measured_at,
        )
        .join(Patient, Patient.id == MetricAlert.patient_id)
        .where(
            MetricAlert.patient_id.in_(clinician_patients(provider_user_id)),
            MetricAlert.acknowledged_at.is_(None),
        )
    )


def items(session: Session, query: Select[*tuple[Any, ...]], limit: int) -> list[AlertItem]:
    return [
        AlertItem(*row)
        for row in session.execute(query.order_by(MetricAlert.measured_at.desc()).limit(limit))
    ]


def alert_queue(*, actor: Actor) -> list[AlertItem]:
    """The clinician's open alerts, newest reading first."""
    with staff_work(actor, "alerts.queue.view", access.CLINICIAN) as session:
        return items(session, open_alerts(actor.user_id), QUEUE_LIMIT)


def alert_acknowledge(*, actor: Actor, alert_id: uuid.UUID, note: str) -> None:
    """Close an alert with what was done; only a clinician on the patient's care team."""
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": t("Write what was done (for example, who was called).")})
    if len(note) > MAX_NOTE:
        raise ValidationError(
            {"note": t("Keep the note under {limit} characters.", limit=number(MAX_NOTE))}
        )
    with db.read_only() as session:
        patient_id = session.scalar(
            select(MetricAlert.patient_id).where(MetricAlert.id == alert_id)
        )
    if patient_id is None:
        raise NotFound(t("That alert was not found."))
    with patient_work(actor, patient_id, "alerts.acknowledge", access.METRICS) as (session, found):
        access.require_basis(
            found, N_("Only a clinician on the patient's care team can do this."), access.CLINICIAN
        )
        # One statement that only an open alert matches: two clinicians at once, one wins.
        done = session.execute(
            update(MetricAlert)
            .where(MetricAlert.id == alert_id, MetricAlert.acknowledged_at.is_(None))
            .values(acknowledged_at=clock.now(), acknowledged_by=actor.user_id, note=note)
        )
        if done.rowcount != 1:  # type: ignore[attr-defined]
            raise Conflict(t("Someone on the care team has already acknowledged this alert."))
