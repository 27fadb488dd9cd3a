"""Sharing the record with another clinic: a time-limited link for one recipient.

The patient names the recipient (name and email) and what to share (the record summary PDF or
the FHIR record); the link's token is shown once and stored only as a keyed hash. Opening it
needs the token and the recipient's email address; it works until it expires, the patient
revokes it, or the patient's account is disabled (or their death recorded). Each use is
recorded as a disclosure (45 CFR 164.528) and audited; failed tries are throttled like sign-in.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from services.core import access, audit, clock, crypto, db, throttle
from services.core.access import Actor
from services.core.contact import contact_fields
from services.core.errors import NotFound, ValidationError
from services.core.language import N_, t
from services.core.models import Patient, User
from services.core.work import patient_work
from services.records.fhir_export import fhir_bundle
from services.records.printouts import summary_pdf
from services.records.tables import Disclosure, ShareLink

WHAT = {"summary_pdf": N_("Record summary (PDF)"), "fhir": N_("Full record (FHIR R4 JSON)")}
MAX_DAYS = 30
NOT_AVAILABLE = N_(
    "This link does not work: it may have expired or been revoked, or the email does not match."
)


@dataclass(frozen=True)
class ShareItem:
    share_id: uuid.UUID
    recipient: str
    what: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    uses: int


def share_create(
    *,
    actor: Actor,
    patient_id: uuid.UUID,
    recipient_name: str,
    recipient_email: str,
    what: str,
    days: int,
) -> str:
    """A new link; returns its token (shown once, never stored)."""
    fields: dict[str, str] = {}
    email, _ = contact_fields(fields, recipient_email, None)
    if not recipient_name.strip() or len(recipient_name) > 200:
        fields["recipient_name"] = t(
            "Enter who receives it (a clinic or a person), up to 200 characters."
        )
    if what not in WHAT:
        fields["what"] = t("Choose what to share.")
    if not 1 <= days <= MAX_DAYS:
        fields["days"] = t("A link can last from 1 to {days} days.", days=MAX_DAYS)
    if fields:
        raise ValidationError(fields)
    token = crypto.token()
    with patient_work(actor, patient_id, "share.create", access.RECORDS) as (session, found):
        access.require_basis(found, N_("Only the patient can share their record."), access.SELF)
        now = clock.now()
        session.add(
            ShareLink(
                patient_id=patient_id,
                created_by=actor.user_id,
                recipient_name=recipient_name.strip(),
                recipient_email=email.lower(),
                what=what,
                token_hash=crypto.code_hash(token),
                created_at=now,
                expires_at=now + timedelta(days=days),
                uses=0,
            )
        )
    return token


def shares_list(*, actor: Actor, patient_id: uuid.UUID) -> list[ShareItem]:
    with patient_work(actor, patient_id, "share.list", access.RECORDS) as (session, _):
        rows = session.execute(
            select(
                ShareLink.id,
                ShareLink.recipient_name + " <" + ShareLink.recipient_email + ">",
                ShareLink.what,
                ShareLink.created_at,
                ShareLink.expires_at,
                ShareLink.revoked_at,
                ShareLink.uses,
            )
            .where(ShareLink.patient_id == patient_id)
            .order_by(ShareLink.created_at.desc())
        ).all()
        return [ShareItem(*r) for r in rows]


def share_revoke(*, actor: Actor, patient_id: uuid.UUID, share_id: uuid.UUID) -> None:
    with patient_work(actor, patient_id, "share.revoke", access.RECORDS) as (session, found):
        access.require_basis(found, N_("Only the patient can revoke a link."), access.SELF)
        done = session.execute(
            update(ShareLink)
            .where(
                ShareLink.id == share_id,
                ShareLink.patient_id == patient_id,
                ShareLink.revoked_at.is_(None),
            )
            .values(revoked_at=clock.now())
        )
        if done.rowcount != 1:  # type: ignore[attr-defined]
            raise NotFound(t("That link was not found or is already revoked."))


def checked_link(*, token: str, recipient_email: str) -> ShareLink:
    """The live link this token opens for this recipient, or NotFound. Any mismatch gets the
    same answer, and repeated failures pause the link."""
    email = (recipient_email or "").strip().lower()
    tried = throttle.key("share", token or "-")
    with db.transaction() as session:
        throttle.check(session, tried)
        now = clock.now()
        found = session.execute(
            select(ShareLink, User.status, Patient.deceased_on)
            .join(User, User.id == ShareLink.created_by)
            .join(Patient, Patient.id == ShareLink.patient_id)
            .where(ShareLink.token_hash == crypto.code_hash(token or "-"))
        ).first()
        link = found[0] if found is not None else None
        valid = (
            found is not None
            and link is not None
            and link.revoked_at is None
            and link.expires_at > now
            and link.recipient_email == email
            # A link lives only as long as its owner's account and the patient.
            and found[1] == "active"
            and found[2] is None
        )
        if not valid:
            throttle.fail(session, tried)  # also for a disabled owner: the same answer
            patient_id = link.patient_id if link is not None else None
            audit.record(
                session,
                None,
                "share.open",
                patient_id=patient_id,
                outcome=audit.DENIED,
                detail="invalid, expired, revoked or wrong email",
            )
        elif link is not None:
            session.expunge(link)
    if not valid or link is None:
        raise NotFound(t(NOT_AVAILABLE))
    return link


def share_open(*, token: str, recipient_email: str) -> tuple[str, str, bytes]:
    """What a patient's link gives its recipient: (file name, content type, bytes), recorded
    as a disclosure. Records packages open through services.him.package_links."""
    return deliver(checked_link(token=token, recipient_email=recipient_email))


def deliver(link: ShareLink) -> tuple[str, str, bytes]:
    """A checked patient's link's file, recorded as a disclosure."""
    if link.what not in WHAT:
        raise NotFound(t(NOT_AVAILABLE))
    owner = _owner(link.created_by)
    if link.what == "fhir":
        data, name, kind = (
            fhir_bundle(actor=owner, patient_id=link.patient_id),
            "record.json",
            "application/fhir+json",
        )
    else:
        data, name, kind = (
            summary_pdf(actor=owner, patient_id=link.patient_id),
            "record-summary.pdf",
            "application/pdf",
        )
    with db.transaction() as session:
        session.add(
            Disclosure(
                patient_id=link.patient_id,
                disclosed_at=clock.now(),
                recipient=f"{link.recipient_name} <{link.recipient_email}>",
                description=f"{WHAT[link.what]} by share link {link.id}",  # kept as written
                purpose="At the patient's request",
                basis="patient",
            )
        )
        link_used(session, link)
    return name, kind, data


def link_used(session: Session, link: ShareLink) -> None:
    """Count and audit one download through a link."""
    session.execute(
        update(ShareLink).where(ShareLink.id == link.id).values(uses=ShareLink.uses + 1)
    )
    audit.record(
        session,
        None,
        "share.open",
        patient_id=link.patient_id,
        detail=f"link {link.id} to {link.recipient_email}",
    )


def links_end_with_account(session: Session, user_id: uuid.UUID) -> int:
    """End every live link a user made (their account is disabled); returns how many."""
    done = session.execute(
        update(ShareLink)
        .where(ShareLink.created_by == user_id, ShareLink.revoked_at.is_(None))
        .values(revoked_at=clock.now())
    )
    return int(done.rowcount)  # type: ignore[attr-defined]


def _owner(user_id: uuid.UUID) -> Actor:
    """The patient who made the link: the export is made with exactly their own access."""
    with db.read_only() as session:
        user = session.get(User, user_id)
        assert user is not None
        return access.actor_for(session, user)
