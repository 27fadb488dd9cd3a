"""A patient invites a delegate: name, email, relationship, scopes and an end date. The invitee
gets a single-use link that expires; they accept it signed in, or register a proxy account
through it. The token is shown only in the email and stored as a keyed hash."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.core import access, audit, clock, crypto, db, forms, language, notify
from services.core.access import Actor
from services.core.config import settings
from services.core.contact import contact_fields
from services.core.errors import NotFound, PermissionDenied
from services.core.language import N_, t
from services.core.models import Patient, User
from services.core.work import patient_work
from services.identity import registration
from services.proxy import proxy_rules
from services.proxy.tables import ProxyInvitation

GONE = N_("This invitation link is not valid: it may have been used, cancelled or have expired.")
MAX_NAME = 120


@dataclass(frozen=True)
class InvitationView:
    """What the invitee sees before accepting (no clinical information)."""

    patient_name: str
    invited_by: str
    relationship: str
    scopes: tuple[str, ...]
    grant_ends_at: datetime
    link_expires_at: datetime


@dataclass(frozen=True)
class PendingInvitation:
    invitation_id: uuid.UUID
    invitee_name: str
    invitee_email: str
    scopes: tuple[str, ...]
    created_at: datetime
    link_expires_at: datetime


def _own_record(actor: Actor, found: access.Access, patient: Patient) -> None:
    """Only the patient manages who acts for them, and only from the policy's age."""
    access.require_basis(found, N_("Only the patient can choose who acts for them."), access.SELF)
    if access.age_on(patient.birth_date, clock.today()) < proxy_rules.invite_min_age():
        raise PermissionDenied(
            t(
                "Patients under {invite_min_age} cannot invite someone to their record; "
                "please ask the clinic.",
                invite_min_age=proxy_rules.invite_min_age(),
            )
        )


def invitation_create(
    *,
    actor: Actor,
    patient_id: uuid.UUID,
    name: str,
    email: str,
    relationship: str,
    scopes: set[str],
    ends_on: date | None = None,
) -> uuid.UUID:
    """Invite a delegate; the link goes to their email. Bad input changes nothing."""
    with patient_work(actor, patient_id, "proxy.invitation.create", access.SUMMARY) as (
        session,
        found,
    ):
        patient = session.get(Patient, patient_id)
        assert patient is not None
        _own_record(actor, found, patient)
        fields: dict[str, str] = {}
        name = forms.checked_note(fields, "name", name, t("Enter the person's name."))
        if len(name) > MAX_NAME or any(ord(ch) < 32 for ch in name):
            fields["name"] = t(
                "Use at most {limit} letters, spaces and punctuation.", limit=MAX_NAME
            )
        email, _ = contact_fields(fields, email, None)
        own = session.scalar(select(User.email).where(User.id == actor.user_id))
        if own and email.lower() == own.lower():
            fields["email"] = t("Invite someone else: this is your own email address.")
        if relationship not in proxy_rules.DELEGATE_RELATIONSHIPS:
            fields["relationship"] = t("Choose how this person is related to you.")
        stored = proxy_rules.checked_scopes(fields, scopes)
        ends_at = proxy_rules.grant_end(fields, ends_on, patient.birth_date, access.PATIENT_CONSENT)
        forms.raise_if(fields)
        token = crypto.token()
        now = clock.now()
        invitation = ProxyInvitation(
            patient_id=patient_id,
            invited_by=actor.user_id,
            invitee_name=name,
            invitee_email=email,
            relationship=relationship,
            scopes=stored,
            grant_ends_at=ends_at,
            token_hash=crypto.code_hash(token),
            created_at=now,
            link_expires_at=now + timedelta(days=proxy_rules.invitation_days()),
        )
        session.add(invitation)
        session.flush()
        clinic = settings().clinic_name
        notify.enqueue(
            session,
            actor.user_id,
            notify.EMAIL,
            "proxy_invitation",
            t(  # in the inviting patient's language: the invitee has no account yet
                notify.CLINIC_SUBJECT,
                clinic=clinic,
                about=t("{name} invites you to their patient portal", name=patient.first_name),
            ),
            t(
                "Hello {name},\n\n{patient} has invited you to help with their care through "
                "the {clinic} patient portal.\nOpen this link to accept (it works once, until "
                "{moment}):\n{link}\n\nIf you did not expect this, you can ignore this message.",
                name=name,
                patient=f"{patient.first_name} {patient.last_name}",
                clinic=clinic,
                moment=language.moment(clock.local(invitation.link_expires_at)),
                link=f"{settings().public_url}/invitation?token={token}",
            ),
            to_address=email,
        )
        return invitation.id


def _live(session: Session, token: str) -> ProxyInvitation:
    found = session.scalars(
        select(ProxyInvitation).where(ProxyInvitation.token_hash == crypto.code_hash(token or "-"))
    ).one_or_none()
    now = clock.now()
    if (
        found is None
        or found.accepted_at is not None
        or found.cancelled_at is not None
        or found.link_expires_at <= now
    ):
        raise NotFound(t(GONE))
    return found


def invitation_view(*, token: str) -> InvitationView:
    """What an invitation offers, for whoever holds its link."""
    with db.transaction() as session:
        try:
            invitation = _live(session, token)
        except NotFound:
            audit.record(session, None, "proxy.invitation.view", outcome=audit.NOT_FOUND)
            raise
        patient = session.get(Patient, invitation.patient_id)
        inviter = session.get(User, invitation.invited_by)
        assert patient is not None and inviter is not None
        audit.record(session, None, "proxy.invitation.view", patient_id=patient.id)
        return InvitationView(
            f"{patient.first_name} {patient.last_name}",
            inviter.display_name,
            t(proxy_rules.DELEGATE_RELATIONSHIPS[invitation.relationship]),
            tuple(invitation.scopes.split(",")),
            invitation.grant_ends_at,
            invitation.link_expires_at,
        )


def _accept(session: Session, invitation: ProxyInvitation, user_id: uuid.UUID) -> None:
    now = clock.now()
    invitation.accepted_at = now
    invitation.accepted_by = user_id
    proxy_rules.new_grant(
        session,
        patient_id=invitation.patient_id,
        proxy_user_id=user_id,
        relationship=invitation.relationship,
        scopes=invitation.scopes,
        basis=access.PATIENT_CONSENT,
        ends_at=invitation.grant_ends_at,
    )
    proxy = session.get(User, user_id)
    assert proxy is not None
    proxy_rules.tell(
        session,
        N_("your invitation was accepted"),
        N_(
            "{name} accepted your invitation and can now help with your care in the patient "
            "portal. You can change or end their access at any time under 'Proxy access'."
        ),
        patient_id=invitation.patient_id,
        name=proxy.display_name,
    )


def invitation_accept(*, actor: Actor, token: str) -> str:
    """The signed-in invitee accepts; returns the patient's name. The link then stops working."""
    with db.transaction() as session:
        try:
            invitation = _live(session, token)
            if invitation.patient_id == actor.patient_id:
                raise PermissionDenied(t("This invitation is for someone else to act for you."))
        except (NotFound, PermissionDenied) as exc:
            audit.record(
                session,
                actor,
                "proxy.invitation.accept",
                outcome=audit.NOT_FOUND if isinstance(exc, NotFound) else audit.DENIED,
            )
            raise
        _accept(session, invitation, actor.user_id)
        audit.record(session, actor, "proxy.invitation.accept", patient_id=invitation.patient_id)
        patient = session.get(Patient, invitation.patient_id)
        assert patient is not None
        name = f"{patient.first_name} {patient.last_name}"
    notify.flush()
    return name


def invitation_register(*, token: str, details: registration.CaregiverDetails) -> None:
    """Register a proxy account through the invitation: it is accepted for the new account,
    which becomes usable once its emailed code is entered (registration_verify)."""
    checked = registration.caregiver_checked(details)
    with db.transaction() as session:
        invitation = _live(session, token)
        user = registration.proxy_account(session, checked)
        _accept(session, invitation, user.id)
        audit.record(
            session,
            access.actor_for(session, user),
            "proxy.invitation.accept",
            patient_id=invitation.patient_id,
        )
    notify.flush()


def invitations_pending(*, actor: Actor, patient_id: uuid.UUID) -> list[PendingInvitation]:
    """The patient's invitations not yet accepted, cancelled or expired."""
    with patient_work(actor, patient_id, "proxy.invitation.list", access.SUMMARY) as (
        session,
        found,
    ):
        access.require_basis(found, N_("Only the patient can see whom they invited."), access.SELF)
        rows = session.scalars(
            select(ProxyInvitation)
            .where(
                ProxyInvitation.patient_id == patient_id,
                ProxyInvitation.accepted_at.is_(None),
                ProxyInvitation.cancelled_at.is_(None),
                ProxyInvitation.link_expires_at > clock.now(),
            )
            .order_by(ProxyInvitation.created_at.desc())
        )
        return [
            PendingInvitation(
                i.id,
                i.invitee_name,
                i.invitee_email,
                tuple(i.scopes.split(",")),
                i.created_at,
                i.link_expires_at,
            )
            for i in rows
        ]


def invitation_cancel(*, actor: Actor, patient_id: uuid.UUID, invitation_id: uuid.UUID) -> None:
    """The patient withdraws an invitation; its link stops working at once."""
    with patient_work(actor, patient_id, "proxy.invitation.cancel", access.SUMMARY) as (
        session,
        found,
    ):
        access.require_basis(
            found, N_("Only the patient can cancel their invitations."), access.SELF
        )
        invitation = session.get(ProxyInvitation, invitation_id)
        if (
            invitation is None
            or invitation.patient_id != patient_id
            or invitation.accepted_at is not None
        ):
            raise NotFound(t("We could not find that invitation."))
        invitation.cancelled_at = invitation.cancelled_at or clock.now()
