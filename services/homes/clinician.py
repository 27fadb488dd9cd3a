"""The clinician's home: held results, open alerts, messages, refills and amendments waiting."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from services.care import inbox
from services.care.tables import MessageThread, RefillRequest
from services.core import access
from services.core.access import Actor, clinician_patients
from services.core.models import Patient
from services.core.work import staff_work
from services.health.alerts import AlertItem, open_alerts
from services.health.alerts import items as alert_items
from services.him.request_terms import OPEN
from services.him.tables import RecordsRequest
from services.homes.common import HOME_LIST_LIMIT, count
from services.records.tables import Amendment, LabResult


@dataclass(frozen=True)
class HeldResultItem:
    result_id: uuid.UUID
    patient_name: str
    mrn: str
    panel_name: str
    held_at: datetime | None
    hold_until: datetime | None
    hold_reason: str | None


@dataclass(frozen=True)
class ClinicianHome:
    held_results: int
    held_list: list[HeldResultItem]
    open_alerts: int
    alert_list: list[AlertItem]
    messages_waiting: int
    refills_waiting: int
    amendments_waiting: int  # amendment requests routed to this clinician


def clinician_home(*, actor: Actor) -> ClinicianHome:
    """Held results, open alerts, messages and refills waiting, for the care-team patients;
    amendment requests routed to this clinician."""
    with staff_work(actor, "home.clinician.view", access.CLINICIAN) as s:
        mine = clinician_patients(actor.user_id)
        held = (
            select(
                LabResult.id,
                Patient.first_name + " " + Patient.last_name,
                Patient.mrn,
                LabResult.panel_name,
                LabResult.held_at,
                LabResult.hold_until,
                LabResult.hold_reason,
            )
            .join(Patient, Patient.id == LabResult.patient_id)
            .where(
                LabResult.patient_id.in_(mine),
                LabResult.released_at.is_(None),
                LabResult.held_at.is_not(None),
            )
        )
        alerts = open_alerts(actor.user_id)
        waiting = select(MessageThread.id).where(  # in the pools of the clinician's teams
            MessageThread.pool.in_(inbox.own_pools(s, actor)),
            MessageThread.status == "open",
            MessageThread.waiting_since.is_not(None),
        )
        refills = select(RefillRequest.id).where(
            RefillRequest.patient_id.in_(mine), RefillRequest.status == "requested"
        )
        routed = (
            select(Amendment.request_id)
            .join(RecordsRequest, RecordsRequest.id == Amendment.request_id)
            .where(Amendment.routed_to == actor.user_id, RecordsRequest.status.in_(OPEN))
        )
        return ClinicianHome(
            held_results=count(s, held),
            held_list=[
                HeldResultItem(*r)
                for r in s.execute(held.order_by(LabResult.held_at).limit(HOME_LIST_LIMIT))
            ],
            open_alerts=count(s, alerts),
            alert_list=alert_items(s, alerts, HOME_LIST_LIMIT),
            messages_waiting=count(s, waiting),
            refills_waiting=count(s, refills),
            amendments_waiting=count(s, routed),
        )
