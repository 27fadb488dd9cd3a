"""Named actors and records of the seeded test world, looked up through the services' models."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from services import access, auth, db
from services.access import Actor
from services.models import Patient, ProxyGrant, User

DEMO_PASSWORD = "Demo-Portal-2026!"


def sign_in(username: str) -> Actor:
    return auth.sign_in(username=username, password=DEMO_PASSWORD).actor


def actor_of(username: str) -> Actor:
    """The actor of any seeded account (most have no password), without signing in."""
    with db.read_only() as s:
        user = s.scalars(select(User).where(User.username == username)).one()
        return access.actor_for(s, user)


def patient_id(first: str, last: str) -> uuid.UUID:
    with db.read_only() as s:
        return s.scalars(
            select(Patient.id).where(Patient.first_name == first, Patient.last_name == last)
        ).one()


def other_patient(*excluding: uuid.UUID) -> uuid.UUID:
    with db.read_only() as s:
        return s.scalars(
            select(Patient.id).where(Patient.id.not_in(excluding)).order_by(Patient.mrn)
        ).first()  # type: ignore[return-value]


def some_patient_user(excluding: str = "patient.demo") -> Actor:
    with db.read_only() as s:
        name = s.scalars(
            select(User.username)
            .where(User.username.like("patient%"), User.username != excluding)
            .order_by(User.username)
        ).first()
    assert name is not None
    return actor_of(name)


def grant_of(proxy: Actor, patient: uuid.UUID) -> uuid.UUID:
    with db.read_only() as s:
        return s.scalars(
            select(ProxyGrant.id).where(
                ProxyGrant.proxy_user_id == proxy.user_id, ProxyGrant.patient_id == patient
            )
        ).one()
