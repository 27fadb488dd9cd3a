"""The patient's proxies: who can act for them, with what, until when, and when they last did;
change the scopes, renew before the end, revoke at once (the access policy reads the grant on
every call, so the proxy's next click is refused). Grants the clinic set up on a legal basis
(a parent of a minor, a guardian, a power of attorney) are changed by HIM, not here."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from services.core import access, audit, clock, forms, language
from services.core.access import Actor
from services.core.errors import NotFound, PermissionDenied
from services.core.language import N_, t
from services.core.models import AuditEvent, Patient, ProxyGrant, User
from services.core.work import patient_work
from services.proxy import proxy_rules


@dataclass(frozen=True)
class ProxyItem:
    grant_id: uuid.UUID
    name: str
    relationship: str
    basis: str
    scopes: tuple[str, ...]
    granted_at: datetime
    ends_at: datetime | None
    last_used_at: datetime | None
    patient_managed: bool  # the patient may change it here (their own consent)


def proxies_list(*, actor: Actor, patient_id: uuid.UUID) -> list[ProxyItem]:
    """Everyone who can act for this patient now, with what they may see and their last use."""
    with patient_work(actor, patient_id, "proxy.grants.list", access.SUMMARY) as (session, found):
        access.require_basis(found, N_("Only the patient can see who acts for them."), access.SELF)
        now = clock.now()
        last_use = (
            select(func.max(AuditEvent.occurred_at))
            .where(
                AuditEvent.actor_user_id == ProxyGrant.proxy_user_id,
                AuditEvent.patient_id == patient_id,
                AuditEvent.outcome == audit.SUCCESS,
                ~AuditEvent.action.startswith("proxy."),  # accepting is not a use
            )
            .correlate(ProxyGrant)
            .scalar_subquery()
        )
        rows = session.execute(
            select(ProxyGrant, User.display_name, last_use)
            .join(User, User.id == ProxyGrant.proxy_user_id)
            .where(
                ProxyGrant.patient_id == patient_id,
                ProxyGrant.revoked_at.is_(None),
                or_(ProxyGrant.expires_at.is_(None), ProxyGrant.expires_at > now),
            )
            .order_by(User.display_name)
        ).all()
        patient = session.get(Patient, patient_id)
        assert patient is not None
        age = access.age_on(patient.birth_date, clock.today())
        return [
            ProxyItem(
                g.id,
                name,
                g.relationship,
                g.basis,
                tuple(g.scopes.split(",")),
                g.granted_at,
                g.expires_at,
                used,
                g.basis == access.PATIENT_CONSENT,
            )
            for g, name, used in rows
            if not (g.basis == access.PARENT_OF_MINOR and age >= access.adult_age())
        ]


def _managed(session: Session, patient_id: uuid.UUID, grant_id: uuid.UUID) -> ProxyGrant:
    grant = session.get(ProxyGrant, grant_id)
    if grant is None or grant.patient_id != patient_id or grant.revoked_at is not None:
        raise NotFound(t("We could not find that proxy."))
    if grant.basis != access.PATIENT_CONSENT:
        raise PermissionDenied(
            t(
                "This access rests on a legal document or a parent's right; the "
                "clinic's health information office changes it."
            )
        )
    return grant


def _patient_self(found: access.Access) -> None:
    access.require_basis(found, N_("Only the patient can change who acts for them."), access.SELF)


def grant_scopes_change(
    *, actor: Actor, patient_id: uuid.UUID, grant_id: uuid.UUID, scopes: set[str]
) -> None:
    """What a proxy may see, changed from their next click."""
    with patient_work(actor, patient_id, "proxy.grant.change", access.SUMMARY) as (
        session,
        found,
    ):
        _patient_self(found)
        grant = _managed(session, patient_id, grant_id)
        fields: dict[str, str] = {}
        stored = proxy_rules.checked_scopes(fields, scopes)
        forms.raise_if(fields)
        grant.scopes = stored
        proxy_rules.tell(
            session,
            N_("what you can see for someone changed"),
            N_("A patient changed what you can see and do for them in the patient portal."),
            users=(grant.proxy_user_id,),
        )


def grant_renew(
    *, actor: Actor, patient_id: uuid.UUID, grant_id: uuid.UUID, ends_on: date | None
) -> datetime:
    """A new end date (at most the policy's maximum from today); returns it."""
    with patient_work(actor, patient_id, "proxy.grant.renew", access.SUMMARY) as (session, found):
        _patient_self(found)
        grant = _managed(session, patient_id, grant_id)
        patient = session.get(Patient, patient_id)
        assert patient is not None
        fields: dict[str, str] = {}
        ends_at = proxy_rules.grant_end(fields, ends_on, patient.birth_date, grant.basis)
        forms.raise_if(fields)
        grant.expires_at = ends_at
        proxy_rules.tell(
            session,
            N_("your proxy access was renewed"),
            N_("A patient renewed your access to their record until {day}."),
            users=(grant.proxy_user_id,),
            day=partial(language.day, clock.local(ends_at).date()),
        )
        return ends_at


def grant_revoke(*, actor: Actor, patient_id: uuid.UUID, grant_id: uuid.UUID) -> None:
    """End a proxy's access now: their next call is refused."""
    with patient_work(actor, patient_id, "proxy.grant.revoke", access.SUMMARY) as (
        session,
        found,
    ):
        _patient_self(found)
        grant = _managed(session, patient_id, grant_id)
        grant.revoked_at = clock.now()
        proxy_rules.tell(
            session,
            N_("your proxy access has ended"),
            N_("A patient ended your access to their record in the patient portal."),
            users=(grant.proxy_user_id,),
        )
