"""HIM's records-request queue: every open request by its due date with the flags (due within 7
days, overdue), filters and assignment; one request with what it needs; the status flow
(received → in review → in progress → fulfilled / denied / withdrawn) and the actions: one
extension with its reason and new date, a denial on a stated ground, and fulfilment (a release
package in the portal, by a single-recipient link, or mailed; a release to a third party is
recorded as a disclosure). Every action is audited against the patient and tells them."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session, aliased

from services.core import access, clock, crypto, language, notify
from services.core.access import Actor
from services.core.config import settings
from services.core.errors import Conflict, NotFound, ValidationError
from services.core.forms import checked_note, raise_if
from services.core.language import N_, t
from services.core.models import Patient, User
from services.core.work import staff_work
from services.him import deadlines, package, request_terms
from services.him.request_terms import (
    ACCESS,
    ACCOUNTING,
    DENIED,
    FULFILLED,
    IN_PROGRESS,
    IN_REVIEW,
    OPEN,
    RECEIVED,
    ROI,
)
from services.him.requests import audit_patient, last_day, tell_patient
from services.him.tables import RecordsRequest, ReleaseAuthorization
from services.records.extent import ALL
from services.records.tables import Disclosure, Document, ShareLink

QUEUE_LIMIT = 500
FLAGS = {"overdue": N_("Overdue"), "due_soon": N_("Due within 7 days")}
# Forward moves a worker makes by hand; fulfilment, denial and withdrawal have their own calls.
MOVES = {RECEIVED: (IN_REVIEW, IN_PROGRESS), IN_REVIEW: (IN_PROGRESS,), IN_PROGRESS: ()}


@dataclass(frozen=True)
class QueueItem:
    request_id: uuid.UUID
    kind: str
    patient_name: str
    mrn: str
    status: str
    received_at: datetime
    due_at: datetime
    flag: str  # overdue, due_soon or ""
    assignee: str | None


@dataclass(frozen=True)
class AuthorizationView:
    recipient_name: str
    recipient_address: str
    purpose: str
    ends: str
    signature: str
    signed_on: date
    signer_relationship: str
    revoked_at: datetime | None


@dataclass(frozen=True)
class RequestDetail:
    request_id: uuid.UUID
    kind: str
    status: str
    patient_id: uuid.UUID
    patient_name: str
    birth_date: date
    mrn: str
    requested_by: str
    what: str
    parts: frozenset[str]
    delivery: str | None
    fee_cents: int
    received_at: datetime
    due_at: datetime
    last_day: date
    extended: bool
    extension_reason: str | None
    flag: str
    assigned_to: uuid.UUID | None
    limited: bool
    authorization: AuthorizationView | None
    documents: list[tuple[uuid.UUID, str]]  # the patient's, to choose for a whole-record package
    delivered_by: str | None
    denial_ground: str | None


def _due() -> ColumnElement[datetime]:
    return func.coalesce(RecordsRequest.extended_due_at, RecordsRequest.due_at)


def _flag(due: datetime, status: str, now: datetime) -> str:
    if status not in OPEN:
        return ""
    if due <= now:
        return "overdue"
    return "due_soon" if due <= now + timedelta(days=request_terms.due_soon_days()) else ""


def records_queue(
    *,
    actor: Actor,
    kind: str | None = None,
    status: str | None = None,
    flag: str | None = None,
    assigned: str | None = None,  # "me", "nobody", or None for everyone's
) -> list[QueueItem]:
    """Open requests (or those of one status), soonest due first."""
    with staff_work(actor, "records_queue.view", access.HIM) as session:
        now, due = clock.now(), _due()
        assignee = aliased(User)
        query = (
            select(
                RecordsRequest.id,
                RecordsRequest.kind,
                Patient.first_name + " " + Patient.last_name,
                Patient.mrn,
                RecordsRequest.status,
                RecordsRequest.received_at,
                due,
                assignee.display_name,
            )
            .join(Patient, Patient.id == RecordsRequest.patient_id)
            .outerjoin(assignee, assignee.id == RecordsRequest.assigned_to)
            .order_by(due, RecordsRequest.received_at)
            .limit(QUEUE_LIMIT)
        )
        query = query.where(
            RecordsRequest.status == status if status else RecordsRequest.status.in_(OPEN)
        )
        if kind:
            query = query.where(RecordsRequest.kind == kind)
        if flag == "overdue":
            query = query.where(due <= now)
        elif flag == "due_soon":
            soon = now + timedelta(days=request_terms.due_soon_days())
            query = query.where(and_(due > now, due <= soon))
        if assigned == "me":
            query = query.where(RecordsRequest.assigned_to == actor.user_id)
        elif assigned == "nobody":
            query = query.where(RecordsRequest.assigned_to.is_(None))
        return [
            QueueItem(rid, k, name, mrn, st, received, due_at, _flag(due_at, st, now), who)
            for rid, k, name, mrn, st, received, due_at, who in session.execute(query)
        ]


def him_staff(*, actor: Actor) -> list[tuple[uuid.UUID, str]]:
    """Who a request can be assigned to."""
    with staff_work(actor, "records_queue.staff", access.HIM) as session:
        return access.staff_members(session, access.HIM)


def _request(session: Session, request_id: uuid.UUID) -> RecordsRequest:
    row = session.get(RecordsRequest, request_id)
    if row is None:
        raise NotFound(t("We could not find that request."))
    return row


def _open(row: RecordsRequest) -> None:
    if row.status not in OPEN:
        raise Conflict(
            t(
                "This request is already {status}.",
                status=t(request_terms.STATUSES[row.status]).lower(),
            )
        )


def request_detail(*, actor: Actor, request_id: uuid.UUID) -> RequestDetail:
    """One request with what working it needs: who asked, what, for whom, by when."""
    with staff_work(actor, "records_request.view", access.HIM) as session:
        row = _request(session, request_id)
        patient = session.get(Patient, row.patient_id)
        assert patient is not None
        asker = session.get(User, row.requested_by) if row.requested_by else None
        signed = session.get(ReleaseAuthorization, row.id)
        documents: list[tuple[uuid.UUID, str]] = []
        if ALL in (row.parts or "").split(",") and row.kind in (ACCESS, ROI):
            documents = [
                (d, f"{title} ({kind}, {created:%Y-%m-%d})")
                for d, title, kind, created in session.execute(
                    select(Document.id, Document.title, Document.doc_type, Document.created_at)
                    .where(Document.patient_id == row.patient_id)
                    .order_by(Document.created_at.desc())
                )
            ]
        audit_patient(session, actor, "records_request.view", row)
        due = row.extended_due_at or row.due_at
        return RequestDetail(
            request_id=row.id,
            kind=row.kind,
            status=row.status,
            patient_id=row.patient_id,
            patient_name=f"{patient.first_name} {patient.last_name}",
            birth_date=patient.birth_date,
            mrn=patient.mrn,
            requested_by=asker.display_name if asker else t("On paper (entered by staff)"),
            what=row.details,
            parts=frozenset((row.parts or "").split(",")) - {""},
            delivery=row.delivery,
            fee_cents=row.fee_cents or 0,
            received_at=row.received_at,
            due_at=due,
            last_day=last_day(due),
            extended=row.extended_due_at is not None,
            extension_reason=row.extension_reason,
            flag=_flag(due, row.status, clock.now()),
            assigned_to=row.assigned_to,
            limited=bool(row.limited),
            authorization=_authorization(signed),
            documents=documents,
            delivered_by=row.delivered_by,
            denial_ground=row.denial_ground,
        )


def _authorization(signed: ReleaseAuthorization | None) -> AuthorizationView | None:
    if signed is None:
        return None
    ends = (
        t("on {day}", day=language.day(signed.ends_on))
        if signed.ends_on
        else (signed.end_event or "")
    )
    return AuthorizationView(
        signed.recipient_name,
        signed.recipient_address,
        signed.purpose,
        ends,
        signed.signature,
        signed.signed_on,
        signed.signer_relationship,
        signed.revoked_at,
    )


def request_assign(*, actor: Actor, request_id: uuid.UUID, user_id: uuid.UUID | None) -> None:
    """Give an open request to a member of HIM staff (or to nobody)."""
    with staff_work(actor, "records_request.assign", access.HIM) as session:
        row = _request(session, request_id)
        _open(row)
        if user_id is not None and not access.holds_role(session, user_id, access.HIM):
            raise ValidationError({"assignee": t("Choose a member of the HIM staff.")})
        row.assigned_to, row.updated_at = user_id, clock.now()
        audit_patient(session, actor, "records_request.assign", row)


def request_move(*, actor: Actor, request_id: uuid.UUID, status: str) -> None:
    """Move an open request forward: received → in review → in progress."""
    with staff_work(actor, "records_request.move", access.HIM) as session:
        row = _request(session, request_id)
        _open(row)
        if status not in MOVES[row.status]:
            raise Conflict(
                t(
                    "A request {status} cannot move to {wanted}.",
                    status=t(request_terms.STATUSES[row.status]).lower(),
                    wanted=t(request_terms.STATUSES.get(status, status)).lower(),
                )
            )
        row.status, row.updated_at = status, clock.now()
        if row.assigned_to is None:
            row.assigned_to = actor.user_id
        audit_patient(session, actor, "records_request.move", row)


def request_extend(
    *, actor: Actor, request_id: uuid.UUID, new_last_day: date | None, reason: str
) -> datetime:
    """The one extension the rule allows: a new last day within its limit, with the reason;
    the patient is told both. Returns the new due time."""
    with staff_work(actor, "records_request.extend", access.HIM) as session:
        row = _request(session, request_id)
        _open(row)
        if new_last_day is None:
            raise ValidationError({"new_date": t("Choose the new last day.")})
        fields: dict[str, str] = {}
        text = checked_note(fields, "reason", reason)
        raise_if(fields)
        new_due = deadlines.extended_due_at(
            row.kind,
            row.due_at,
            clock.day_start(new_last_day),
            row.extended_due_at is not None,
            text,
        )
        row.extended_due_at, row.extension_reason, row.updated_at = new_due, text, clock.now()
        audit_patient(session, actor, "records_request.extend", row)
        tell_patient(
            session,
            row,
            N_("your records request needs more time"),
            N_(
                "We need more time to complete your request ({what}). We expect to finish it by "
                "{day}. The reason is shown on the request in the patient portal."
            ),
            what=lambda: t(request_terms.KINDS[row.kind]).lower(),
            day=partial(language.day, new_last_day),
        )
    notify.flush()
    return new_due


def request_deny(*, actor: Actor, request_id: uuid.UUID, ground: str, note: str = "") -> None:
    """Deny on a stated ground; the patient gets a letter in the portal with the ground, their
    right to have a reviewable denial reviewed, and how to complain."""
    fields: dict[str, str] = {}
    if ground not in request_terms.DENIAL_GROUNDS:
        fields["ground"] = t("Choose the ground for the denial.")
    text = checked_note(fields, "note", note)
    raise_if(fields)
    with staff_work(actor, "records_request.deny", access.HIM) as session:
        row = _request(session, request_id)
        _open(row)
        if row.kind not in (ACCESS, ROI):
            raise Conflict(t("Only a request for records is denied on these grounds."))
        now = clock.now()
        row.status, row.denial_ground, row.denial_note = DENIED, ground, text or None
        row.completed_at, row.assigned_to, row.updated_at = now, actor.user_id, now
        audit_patient(session, actor, "records_request.deny", row)
        tell_patient(
            session,
            row,
            N_("a decision on your records request"),
            N_(
                "We could not fulfil your records request. A letter with the reason and your "
                "rights is in the patient portal under 'Records requests'."
            ),
        )
    notify.flush()


@dataclass(frozen=True)
class Fulfilment:
    delivered_by: str
    files: list[str]
    link_token: str | None  # emailed to the recipient; never stored, never shown on a page


def request_fulfil(
    *, actor: Actor, request_id: uuid.UUID, documents: Collection[uuid.UUID] = ()
) -> Fulfilment:
    """Fulfil: build the package from what was asked (and the documents chosen, for a whole
    record), then deliver it as asked: in the portal, by a link sent to the recipient, or by
    mail (the package is kept for mailing). A release to a third party is recorded as a
    disclosure; an accounting is produced from the disclosures on record."""
    with staff_work(actor, "records_request.fulfil", access.HIM) as session:
        row = _request(session, request_id)
        _open(row)
        now = clock.now()
        chosen = set(documents)
        if chosen and (row.kind not in (ACCESS, ROI) or ALL not in (row.parts or "")):
            raise ValidationError(
                {"documents": t("Documents go only into a copy of the whole record.")}
            )
        token: str | None = None
        files: list[str] = []
        if row.kind == ACCOUNTING:
            delivered = request_terms.PORTAL
        elif row.kind in (ACCESS, ROI):
            signed = session.get(ReleaseAuthorization, row.id)
            recipient = _recipient(session, row, signed, now)
            with language.using(_reader_language(session, row)):
                built = package.build(session, row, recipient, chosen, now)
            row.package_name, row.package_sha256 = package.store(built)
            row.package_bytes, files = len(built.data), built.files
            if row.kind == ACCESS:
                delivered = (
                    request_terms.PORTAL
                    if row.delivery == request_terms.PORTAL
                    else request_terms.MAIL
                )
            else:
                assert signed is not None
                delivered = row.delivery or request_terms.MAIL
                if delivered == request_terms.LINK:
                    token = _send_link(session, actor, row, signed, now)
                session.add(
                    Disclosure(
                        id=uuid.uuid4(),
                        patient_id=row.patient_id,
                        disclosed_at=now,
                        recipient=f"{signed.recipient_name}, {signed.recipient_address}",
                        description=row.details.split(";")[0],
                        purpose=signed.purpose,
                        request_id=row.id,
                        basis="authorization",
                    )
                )
        else:
            raise Conflict(t("Amendments and record updates are decided on their own pages."))
        row.status, row.delivered_by = FULFILLED, delivered
        row.completed_at, row.assigned_to, row.updated_at = now, actor.user_id, now
        audit_patient(session, actor, "records_request.fulfil", row)
        tell_patient(
            session,
            row,
            N_("your records request is complete"),
            _done_words(row),
            recipient=row.recipient or "",
        )
    notify.flush()
    return Fulfilment(delivered, files, token)


def _reader_language(session: Session, row: RecordsRequest) -> str:
    """A copy for the patient is printed in their language; a release to someone else in the
    language of the staff who prepare it."""
    own = session.scalar(select(User.language).where(User.patient_id == row.patient_id))
    return own if row.kind == ACCESS and own else language.current()


def _recipient(
    session: Session, row: RecordsRequest, signed: ReleaseAuthorization | None, now: datetime
) -> str:
    if row.kind == ACCESS:
        return "the patient"
    if signed is None:
        raise Conflict(t("This release has no signed authorization."))
    if signed.revoked_at is not None:
        raise Conflict(t("The patient revoked this authorization; nothing may be released."))
    if signed.ends_on is not None and signed.ends_on < clock.local(now).date():
        raise Conflict(
            t(
                "The authorization ended on {day}. Deny the request on the ground that the "
                "authorization ended.",
                day=language.day(signed.ends_on),
            )
        )
    return signed.recipient_name


def _send_link(
    session: Session,
    actor: Actor,
    row: RecordsRequest,
    signed: ReleaseAuthorization,
    now: datetime,
) -> str:
    """An expiring link for the recipient alone, emailed to them; the token is never stored."""
    token = crypto.token()
    expires = now + timedelta(days=request_terms.link_days())
    session.add(
        ShareLink(
            patient_id=row.patient_id,
            created_by=actor.user_id,
            recipient_name=signed.recipient_name,
            recipient_email=signed.recipient_address.lower(),
            what="package",
            token_hash=crypto.code_hash(token),
            created_at=now,
            expires_at=expires,
            uses=0,
            request_id=row.id,
        )
    )
    cfg = settings()
    notify.enqueue(  # in the language of the person sending it: the recipient has no account
        session,
        actor.user_id,
        notify.EMAIL,
        "records_release",
        t(notify.CLINIC_SUBJECT, clinic=cfg.clinic_name, about=t("records released to you")),
        t(
            "{clinic} has released records to {recipient} under a patient's authorization. Open "
            "{link} and enter this email address to download them. The link works until {day}.",
            clinic=cfg.clinic_name,
            recipient=signed.recipient_name,
            link=f"{cfg.public_url}/shared?token={token}",
            day=language.day(last_day(expires)),
        ),
        to_address=signed.recipient_address,
    )
    return token


def _done_words(row: RecordsRequest) -> str:
    """The notice's body (a catalog message; {recipient} for a release)."""
    if row.kind == ACCOUNTING:
        return N_("Your accounting of disclosures is ready in the patient portal.")
    if row.kind == ROI:
        return N_("Your records were released to {recipient} as you authorized.")
    if row.delivered_by == request_terms.PORTAL:
        return N_("Your copy is ready to download in the patient portal under 'Records requests'.")
    return N_("Your copy has been prepared and will be mailed to you.")


def package_for_staff(*, actor: Actor, request_id: uuid.UUID) -> tuple[str, bytes]:
    """The package as built, for mailing on a CD or on paper."""
    with staff_work(actor, "records_request.package", access.HIM) as session:
        row = _request(session, request_id)
        data = package.load(row)
        audit_patient(session, actor, "records_request.package", row)
        return f"release-{row.id}.zip", data
