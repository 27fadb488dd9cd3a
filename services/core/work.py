"""Units of work for service calls: authorize, do the work, audit — all in one transaction.

A refused call rolls its transaction back and then records the refusal in a transaction of its
own, so that every refused access is audited (docs/rules/security.md 20) and nothing else is
written.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session

from services.core import audit, db, usage
from services.core.access import PROXY, SELF, Access, Actor, authorize_patient, require_role
from services.core.errors import NotFound, PermissionDenied


def _record_refusal(
    actor: Actor | None, action: str, patient_id: uuid.UUID | None, exc: Exception
) -> None:
    outcome = audit.NOT_FOUND if isinstance(exc, NotFound) else audit.DENIED
    with db.transaction() as session:
        audit.record(
            session,
            actor if isinstance(actor, Actor) else None,
            action,
            patient_id=patient_id,
            outcome=outcome,
            detail=exc.__class__.__name__,
        )


@contextmanager
def patient_work(
    actor: Actor, patient_id: uuid.UUID, action: str, scope: str
) -> Iterator[tuple[Session, Access]]:
    """Work on one patient's data within one scope; audited whether allowed or refused."""
    try:
        with db.transaction() as session:
            access = authorize_patient(session, actor, patient_id, scope)
            yield session, access
            audit.record(session, actor, action, patient_id=patient_id)
            if access.basis in (SELF, PROXY):  # portal use, for the managers' analytics
                usage.record_use(session, actor.user_id, usage.feature_of(scope), patient_id)
    except (NotFound, PermissionDenied) as exc:
        _record_refusal(actor, action, patient_id, exc)
        raise


@contextmanager
def staff_work(actor: Actor, action: str, *roles: str) -> Iterator[Session]:
    """Work that one of the staff roles needs (queues, dashboards, administration)."""
    try:
        with db.transaction() as session:
            require_role(actor, *roles)
            yield session
            audit.record(session, actor, action)
    except PermissionDenied as exc:
        _record_refusal(actor, action, None, exc)
        raise
