"""Records requests as a patient (or a proxy with the records scope) makes and follows them: a
copy for themselves (164.524), a release to a third party under a signed authorization
(164.508), an accounting of disclosures (164.528). Each is due by the legal clock from its
receipt; a pending request can be withdrawn, and an authorization revoked (releases not yet made
stop; those made stay recorded). Staff work the same requests in `queue`."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from services.core import access, audit, clock, forms, notify
from services.core.access import Access, Actor
from services.core.config import settings
from services.core.errors import Conflict, NotFound, ValidationError
from services.core.language import N_, t
from services.core.models import Patient, User
from services.core.work import patient_work
from services.him import accounting, deadlines, letters, package, request_terms
from services.him.authorization import Authorization, checked
from services.him.request_terms import ACCESS, ACCOUNTING, OPEN, ROI, WITHDRAWN
from services.him.tables import RecordsRequest, ReleaseAuthorization
from services.records.extent import ALL, PARTS, Extent
from services.records.tables import ShareLink

NOTICE_KIND = "records"


@dataclass(frozen=True)
class PatientRequest:
    request_id: uuid.UUID
    kind: str
    what: str
    status: str
    received_at: datetime
    due_at: datetime
    extended: bool
    extension_reason: str | None
    fee_cents: int
    recipient: str | None
    delivery: str | None
    delivered_by: str | None
    completed_at: datetime | None
    denial_ground: str | None
    denial_note: str | None
    revoked_at: datetime | None

    @property
    def is_open(self) -> bool:
        return self.status in OPEN

    @property
    def can_revoke(self) -> bool:
        return self.kind == ROI and self.revoked_at is None and self.status != WITHDRAWN


def patient_side(found: Access) -> None:
    """Only the patient or their representative asks; staff work the queue instead."""
    access.require_patient_side(
        found, N_("Records requests are made by the patient or their proxy.")
    )


def _extent(fields: dict[str, str], parts: set[str], start: date | None, end: date | None) -> str:
    chosen = {ALL} if ALL in parts else set(parts)
    if not chosen:
        fields["parts"] = t("Choose what you want: the whole record, or some parts of it.")
    elif chosen - set(PARTS):
        fields["parts"] = t("Choose from the listed parts of the record.")
    today = clock.today()
    if start is not None and end is not None and start > end:
        fields["date_from"] = t("The first day must be on or before the last day.")
    for name, day in (("date_from", start), ("date_to", end)):
        if day is not None and not date(request_terms.EARLIEST_YEAR, 1, 1) <= day <= today:
            fields[name] = t("Choose a day between 1900 and today.")
    return ",".join(p for p in PARTS if p in chosen)


def new_request(
    session: Session,
    actor: Actor,
    patient_id: uuid.UUID,
    found: Access,
    kind: str,
    details: str,
    **values: object,
) -> RecordsRequest:
    now = clock.now()
    row = RecordsRequest(
        id=uuid.uuid4(),
        patient_id=patient_id,
        kind=kind,
        requested_by=actor.user_id,
        details=details,
        received_at=now,
        due_at=deadlines.due_at(kind, now),
        status=request_terms.RECEIVED,
        limited=found.adolescent_limited,
        updated_at=now,
        **values,
    )
    session.add(row)
    session.flush()
    return row


def copy_request(
    *,
    actor: Actor,
    patient_id: uuid.UUID,
    parts: set[str],
    delivery: str,
    date_from: date | None = None,
    date_to: date | None = None,
) -> uuid.UUID:
    """A copy of the record for the patient, in the form asked for."""
    fields: dict[str, str] = {}
    stored = _extent(fields, parts, date_from, date_to)
    if delivery not in request_terms.COPY_FORMS:
        fields["delivery"] = t("Choose how you want to receive the copy.")
    forms.raise_if(fields)
    with patient_work(actor, patient_id, "records_request.create", access.RECORDS) as (
        session,
        found,
    ):
        patient_side(found)
        extent = Extent(frozenset(stored.split(",")), date_from, date_to)
        row = new_request(
            session,
            actor,
            patient_id,
            found,
            ACCESS,
            f"{extent.words()}; {request_terms.COPY_FORMS[delivery]}",
            parts=stored,
            date_from=date_from,
            date_to=date_to,
            delivery=delivery,
            fee_cents=request_terms.fee_cents(ACCESS, delivery),
        )
        return row.id


def _signer_name(session: Session, actor: Actor, patient_id: uuid.UUID, found: Access) -> str:
    """Whose typed name the signature must be: the patient's, or the representative's own."""
    if found.basis == access.SELF:
        patient = session.get(Patient, patient_id)
        assert patient is not None
        return f"{patient.first_name} {patient.last_name}"
    user = session.get(User, actor.user_id)
    assert user is not None
    return user.display_name


def release_request(
    *,
    actor: Actor,
    patient_id: uuid.UUID,
    form: Authorization,
    date_from: date | None = None,
    date_to: date | None = None,
) -> uuid.UUID:
    """A release to a third party under the authorization signed here; every element a valid
    authorization needs is checked, and each missing one is named."""
    with patient_work(actor, patient_id, "records_request.create", access.RECORDS) as (
        session,
        found,
    ):
        patient_side(found)
        fields: dict[str, str] = {}
        stored = _extent(fields, set(form.parts), date_from, date_to)
        try:
            signed = checked(form, _signer_name(session, actor, patient_id, found), clock.today())
        except ValidationError as exc:  # every problem at once, the authorization's and ours
            raise ValidationError({**exc.fields, **fields}) from None
        forms.raise_if(fields)
        extent = Extent(frozenset(stored.split(",")), date_from, date_to)
        delivery = request_terms.LINK if "@" in signed.recipient_address else request_terms.MAIL
        row = new_request(
            session,
            actor,
            patient_id,
            found,
            ROI,
            f"{extent.words()}; for {signed.purpose}",
            recipient=signed.recipient_name,
            parts=stored,
            date_from=date_from,
            date_to=date_to,
            delivery=delivery,
            fee_cents=request_terms.fee_cents(ROI, delivery),
        )
        session.add(
            ReleaseAuthorization(
                request_id=row.id,
                recipient_name=signed.recipient_name,
                recipient_address=signed.recipient_address,
                purpose=signed.purpose,
                parts=stored,
                ends_on=signed.ends_on,
                end_event=signed.end_event or None,
                signature=signed.signature,
                signed_on=signed.signed_on,
                signed_by=actor.user_id,
                signer_relationship="self" if found.basis == access.SELF else "representative",
            )
        )
        return row.id


def accounting_request(*, actor: Actor, patient_id: uuid.UUID) -> uuid.UUID:
    """An accounting of disclosures over the six years before today; the first in any twelve
    months is free."""
    with patient_work(actor, patient_id, "records_request.create", access.RECORDS) as (
        session,
        found,
    ):
        patient_side(found)
        now = clock.now()
        year_ago = clock.day_start(clock.add_months(clock.local(now).date(), -12))
        earlier = session.scalar(
            select(func.count()).where(
                RecordsRequest.patient_id == patient_id,
                RecordsRequest.kind == ACCOUNTING,
                RecordsRequest.status != WITHDRAWN,
                RecordsRequest.received_at >= year_ago,
            )
        )
        row = new_request(
            session,
            actor,
            patient_id,
            found,
            ACCOUNTING,
            "Accounting of disclosures, six years before the request",
            delivery=request_terms.PORTAL,
            fee_cents=request_terms.fee_cents(ACCOUNTING, None, int(earlier or 0)),
        )
        return row.id


def my_requests(*, actor: Actor, patient_id: uuid.UUID) -> list[PatientRequest]:
    """This patient's requests, newest first, with their due dates and outcomes."""
    with patient_work(actor, patient_id, "records_request.list", access.RECORDS) as (
        session,
        found,
    ):
        patient_side(found)
        query = (
            select(RecordsRequest, ReleaseAuthorization.revoked_at)
            .outerjoin(ReleaseAuthorization, ReleaseAuthorization.request_id == RecordsRequest.id)
            .where(RecordsRequest.patient_id == patient_id)
            .order_by(RecordsRequest.received_at.desc())
        )
        if found.adolescent_limited:  # a parent sees the requests the parent made
            query = query.where(RecordsRequest.requested_by == actor.user_id)
        return [
            PatientRequest(
                request_id=r.id,
                kind=r.kind,
                what=r.details,
                status=r.status,
                received_at=r.received_at,
                due_at=r.extended_due_at or r.due_at,
                extended=r.extended_due_at is not None,
                extension_reason=r.extension_reason,
                fee_cents=r.fee_cents or 0,
                recipient=r.recipient,
                delivery=r.delivery,
                delivered_by=r.delivered_by,
                completed_at=r.completed_at,
                denial_ground=r.denial_ground,
                denial_note=r.denial_note,
                revoked_at=revoked,
            )
            for r, revoked in session.execute(query)
        ]


def _mine(
    session: Session, actor: Actor, patient_id: uuid.UUID, request_id: uuid.UUID, found: Access
) -> RecordsRequest:
    patient_side(found)
    row = session.get(RecordsRequest, request_id)
    if row is None or row.patient_id != patient_id:
        raise NotFound(t("We could not find that request."))
    if found.adolescent_limited and row.requested_by != actor.user_id:
        raise NotFound(t("We could not find that request."))
    return row


def request_withdraw(*, actor: Actor, patient_id: uuid.UUID, request_id: uuid.UUID) -> None:
    """Withdraw a request that is still being worked."""
    with patient_work(actor, patient_id, "records_request.withdraw", access.RECORDS) as (
        session,
        found,
    ):
        row = _mine(session, actor, patient_id, request_id, found)
        if row.status not in OPEN:
            raise Conflict(t("Only a request still being worked can be withdrawn."))
        row.status, row.updated_at = WITHDRAWN, clock.now()


def authorization_revoke(*, actor: Actor, patient_id: uuid.UUID, request_id: uuid.UUID) -> bool:
    """Revoke the authorization behind a release. A release not yet made stops (the request is
    withdrawn) and the package's link stops working, opened or not, so nothing more goes out;
    releases already made stay recorded. Returns whether anything was stopped."""
    with patient_work(actor, patient_id, "records_request.revoke", access.RECORDS) as (
        session,
        found,
    ):
        row = _mine(session, actor, patient_id, request_id, found)
        signed = session.get(ReleaseAuthorization, request_id)
        if signed is None:
            raise NotFound(t("This request has no authorization to revoke."))
        if signed.revoked_at is not None:
            raise Conflict(t("This authorization was already revoked."))
        now = clock.now()
        signed.revoked_at, signed.revoked_by = now, actor.user_id
        stopped = row.status in OPEN
        if stopped:
            row.status, row.updated_at = WITHDRAWN, now
        links = session.execute(
            update(ShareLink)
            .where(
                ShareLink.request_id == request_id,
                ShareLink.revoked_at.is_(None),
            )
            .values(revoked_at=now)
        )
        return stopped or bool(links.rowcount)  # type: ignore[attr-defined]


def package_download(*, actor: Actor, patient_id: uuid.UUID, request_id: uuid.UUID) -> bytes:
    """The patient's own copy (a zip) as it was released in the portal."""
    with patient_work(actor, patient_id, "records_request.download", access.RECORDS) as (
        session,
        found,
    ):
        row = _mine(session, actor, patient_id, request_id, found)
        if row.kind != ACCESS or row.delivered_by != request_terms.PORTAL:
            raise NotFound(t("This request has no download in the portal."))
        return package.load(row)


def denial_letter(*, actor: Actor, patient_id: uuid.UUID, request_id: uuid.UUID) -> bytes:
    """The letter explaining a denial, with the patient's rights (PDF)."""
    with patient_work(actor, patient_id, "records_request.letter", access.RECORDS) as (
        session,
        found,
    ):
        row = _mine(session, actor, patient_id, request_id, found)
        if row.status != request_terms.DENIED:
            raise NotFound(t("This request was not denied; there is no letter."))
        patient = session.get(Patient, patient_id)
        assert patient is not None
        return letters.denial_letter(row, patient)


def accounting_view(
    *, actor: Actor, patient_id: uuid.UUID, request_id: uuid.UUID
) -> accounting.Accounting:
    """A produced accounting of disclosures, to read in the portal."""
    with patient_work(actor, patient_id, "records_request.accounting", access.RECORDS) as (
        session,
        found,
    ):
        row = _mine(session, actor, patient_id, request_id, found)
        return accounting.accounting_for_request(session, row)


def accounting_document(*, actor: Actor, patient_id: uuid.UUID, request_id: uuid.UUID) -> bytes:
    """A produced accounting of disclosures (PDF)."""
    return accounting.accounting_pdf(
        accounting_view(actor=actor, patient_id=patient_id, request_id=request_id)
    )


def tell_patient(
    session: Session, row: RecordsRequest, subject: str, body: str, **places: notify.Place
) -> None:
    """Tell the patient (and the proxy who asked) that a request moved; never clinical detail.
    `subject` and `body` are catalog messages, written in each recipient's language."""
    clinic = settings().clinic_name
    notify.to_patient(
        session,
        row.patient_id,
        NOTICE_KIND,
        notify.CLINIC_SUBJECT,
        body,
        clinic=clinic,
        about=partial(t, subject),
        **places,
    )
    if row.requested_by is not None:
        asker = session.get(User, row.requested_by)
        if asker is not None and asker.patient_id != row.patient_id and asker.email:
            notify.email_to(session, asker, NOTICE_KIND, subject, body, places)


def audit_patient(session: Session, actor: Actor, action: str, row: RecordsRequest) -> None:
    audit.record(session, actor, action, patient_id=row.patient_id, detail=f"request {row.id}")


def last_day(due: datetime) -> date:
    """The last day to act, on the clinic's calendar."""
    return clock.local(due).date() - timedelta(days=1)
