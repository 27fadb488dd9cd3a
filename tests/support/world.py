"""Named actors and records of the seeded test world, looked up through the services' models."""

from __future__ import annotations

import calendar
import uuid
from datetime import timedelta

from sqlalchemy import select

from seed import demo
from services.core import access, clock, db
from services.core.access import Actor
from services.core.models import Patient, ProxyGrant, User
from services.identity import auth
from tests.conftest import TEST_OPTIONS

DEMO_PASSWORD = demo.DEMO_PASSWORD


def demo_code(username: str) -> str:
    """The next authenticator code a demo staff member may use now (skew allows three a step)."""
    with db.read_only() as s:
        last = s.scalars(select(User.totp_last_step).where(User.username == username)).one()
    now = clock.now()
    step_now = calendar.timegm(now.timetuple()) // 30
    for offset in (-1, 0, 1):
        if last is None or step_now + offset > last:
            return demo.totp_code(username, now, offset, seed=TEST_OPTIONS.seed)
    raise AssertionError(f"no unused code left for {username} in this 30-second step")


def signed_in(username: str) -> auth.SignedIn:
    """Sign a demo account in, through the second factor when it has one."""
    step = auth.sign_in(username=username, password=DEMO_PASSWORD)
    if isinstance(step, auth.SignedIn):
        return step
    return auth.sign_in_code(pending=step.pending, code=demo_code(username))


def sign_in(username: str) -> Actor:
    return signed_in(username).actor


def sign_in_with(username: str, password: str) -> Actor:
    """Sign in an account without a second factor (a patient or caregiver made in a test)."""
    step = auth.sign_in(username=username, password=password)
    assert isinstance(step, auth.SignedIn), "this account has a second factor"
    return step.actor


def actor_of(username: str) -> Actor:
    """The actor of any seeded account (most have no password), without signing in."""
    with db.read_only() as s:
        user = s.scalars(select(User).where(User.username == username)).one()
        return access.actor_for(s, user)


def actor_of_user(user_id: uuid.UUID) -> Actor:
    with db.read_only() as s:
        user = s.get(User, user_id)
        assert user is not None
        return access.actor_for(s, user)


def actor_of_patient(patient: uuid.UUID) -> Actor:
    """The actor of a patient's own portal account."""
    with db.read_only() as s:
        user = s.scalars(select(User).where(User.patient_id == patient)).one()
        return access.actor_for(s, user)


def patient_id(first: str, last: str) -> uuid.UUID:
    with db.read_only() as s:
        return s.scalars(
            select(Patient.id).where(Patient.first_name == first, Patient.last_name == last)
        ).one()


def other_patient(*excluding: uuid.UUID) -> uuid.UUID:
    with db.read_only() as s:
        found = s.scalars(
            select(Patient.id).where(Patient.id.not_in(excluding)).order_by(Patient.mrn)
        ).first()
    assert found is not None
    return found


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


def proxy_of_alex(scopes: frozenset[str]) -> Actor:
    """proxy.demo, given a live grant to Alex Rivera's record covering exactly these scopes."""
    proxy = actor_of("proxy.demo")
    alex = patient_id("Alex", "Rivera")
    now = clock.now()
    with db.transaction() as s:
        s.add(
            ProxyGrant(
                patient_id=alex,
                proxy_user_id=proxy.user_id,
                relationship="spouse",
                scopes=",".join(sorted(scopes)),
                basis="patient_consent",
                granted_at=now - timedelta(days=1),
                expires_at=now + timedelta(days=30),
                revoked_at=None,
            )
        )
    return proxy.acting_as(alex)
