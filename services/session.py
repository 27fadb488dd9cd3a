"""What the app frame needs about the signed-in user: whom they may act for, start-up checks."""

from __future__ import annotations

from services import audit, db
from services.access import Actor, PatientChoice, patient_choices
from services.config import settings


def startup() -> None:
    """Read the settings, open the database and upgrade its schema; ConfigurationError if not."""
    settings()
    db.engine()


def acting_choices(*, actor: Actor) -> list[PatientChoice]:
    """The patients the actor may act for (own record, live proxy grants); audited."""
    with db.transaction() as session:
        choices = patient_choices(session, actor)
        audit.record(session, actor, "proxy.choices.view", detail=f"{len(choices)} patients")
        return choices
