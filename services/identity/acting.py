"""What the app frame needs about the signed-in user: whom they may act for, start-up checks."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from services.core import access, audit, db
from services.core.access import Actor, PatientChoice, clinician_patients, patient_choices
from services.core.config import settings
from services.core.language import t
from services.core.models import Patient
from services.core.work import staff_work


def startup() -> None:
    """Read the settings, open the database and upgrade its schema; ConfigurationError if not."""
    settings()
    db.engine()


def acting_choices(
    *, actor: Actor, previous: Sequence[PatientChoice] | None = None
) -> list[PatientChoice]:
    """The patients the actor may act for (own record, live proxy grants), read afresh on every
    page so a revoked or narrowed grant shows at once; audited when the list is new or changed
    from `previous` (what this tab showed last)."""
    with db.read_only() as session:  # most pages show the same list: no write, no lock
        choices = patient_choices(session, actor)
    if previous is None or list(previous) != choices:
        with db.transaction() as session:
            audit.record(session, actor, "proxy.choices.view", detail=f"{len(choices)} patients")
    return choices


def care_team_patients(*, actor: Actor) -> list[PatientChoice]:
    """The patients on a clinician's care teams, by name (to open their charts)."""
    with staff_work(actor, "care_team.list", access.CLINICIAN) as session:
        rows = session.execute(
            select(Patient.id, Patient.last_name, Patient.first_name, Patient.mrn)
            .where(Patient.id.in_(clinician_patients(actor.user_id)))
            .order_by(Patient.last_name, Patient.first_name)
        ).all()
        return [
            PatientChoice(
                pid,
                t("{last}, {first} (MRN {mrn})", last=last, first=first, mrn=mrn),
                t("care team"),
                frozenset(),
            )
            for pid, last, first, mrn in rows
        ]
