"""A caregiver asks for access to someone's record; an adult who can consent answers it in the
portal, everything else goes to HIM's review (services.proxy.review).

The requester gives the patient's name, date of birth and medical record number if known, the
relationship, and the legal documents (checked by content like every upload). They see the
status (received, waiting for more information, approved, denied) with the reasons, add what
was asked for, or withdraw. Whether a record matched is never told: every request is simply
"received".
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ScalarSelect, func, select
from sqlalchemy.orm import Session

from services.core import access, audit, clock, db, forms, language, notify, uploads
from services.core.access import Actor
from services.core.errors import Conflict, NotFound, PermissionDenied
from services.core.language import N_, t
from services.core.models import Patient, User
from services.core.work import patient_work
from services.identity.registration import birth_date_field, text_field
from services.proxy import proxy_rules
from services.proxy.tables import ProxyRequest, ProxyRequestDocument

FOLDER = "proxy-documents"
MAX_FILES = 5
RECEIVED, NEEDS_INFO, WITH_PATIENT, APPROVED, DENIED, WITHDRAWN = (
    "received",
    "needs_info",
    "with_patient",  # an adult who can consent decides in the portal
    "approved",
    "denied",
    "withdrawn",
)
OPEN = (RECEIVED, NEEDS_INFO, WITH_PATIENT)
# What the requester is told: whether the patient has the request is not theirs to know.
STATUS_WORDS = {
    RECEIVED: N_("Received"),
    WITH_PATIENT: N_("Received"),
    NEEDS_INFO: N_("Waiting for more information from you"),
    APPROVED: N_("Approved"),
    DENIED: N_("Denied"),
    WITHDRAWN: N_("Withdrawn"),
}


@dataclass(frozen=True)
class UploadedFile:
    filename: str
    data: bytes
    doc_type: str


@dataclass(frozen=True)
class AccessRequest:
    """What a caregiver asks for."""

    kind: str
    first_name: str
    last_name: str
    birth_date: date | str | None
    mrn: str
    relationship: str
    note: str
    files: Sequence[UploadedFile] = ()


@dataclass(frozen=True)
class MyRequest:
    request_id: uuid.UUID
    kind: str
    patient_name: str
    relationship: str
    status: str
    status_words: str
    received_at: datetime
    updated_at: datetime | None
    info_requested: str | None
    decision: str | None  # the reason given with a denial, or what was approved
    documents: int


@dataclass(frozen=True)
class RequestForPatient:
    request_id: uuid.UUID
    requester: str
    relationship: str
    note: str
    received_at: datetime


def _files_problems(fields: dict[str, str], files: Sequence[UploadedFile]) -> None:
    problem = uploads.files_problem(files, MAX_FILES)
    if problem:
        fields["files"] = problem
    for number, sent in enumerate(files, start=1):
        if sent.doc_type not in proxy_rules.LEGAL_DOCUMENT_TYPES:
            fields["files"] = t(
                "Document {number}: choose what kind of document it is.", number=number
            )


def _document(
    request_id: uuid.UUID, doc_type: str, kept: uploads.Stored, title: str, at: datetime
) -> ProxyRequestDocument:
    row = ProxyRequestDocument(request_id=request_id, doc_type=doc_type)
    row.keep(kept, title, at)
    return row


def _documents(
    session: Session, request_id: uuid.UUID, stored: list[tuple[UploadedFile, uploads.Stored]]
) -> None:
    now = clock.now()
    for f, kept in stored:
        session.add(_document(request_id, f.doc_type, kept, f.filename or f.doc_type, now))


def _match(session: Session, first: str, last: str, born: date, mrn: str) -> uuid.UUID | None:
    """The one record with this name and date of birth (and MRN, when given), or None."""
    query = select(Patient.id).where(
        func.lower(Patient.first_name) == first.lower(),
        func.lower(Patient.last_name) == last.lower(),
        Patient.birth_date == born,
    )
    if mrn:
        query = query.where(Patient.mrn == mrn)
    found = session.scalars(query.limit(2)).all()
    return found[0] if len(found) == 1 else None


def _checked(request: AccessRequest) -> tuple[str, str, date, str, str, str]:
    fields: dict[str, str] = {}
    if request.kind not in proxy_rules.REQUEST_KINDS:
        fields["kind"] = t("Choose whose record you are asking for.")
    first = text_field(
        fields, "first_name", request.first_name, t("Enter the patient's first name.")
    )
    last = text_field(fields, "last_name", request.last_name, t("Enter the patient's last name."))
    born = birth_date_field(fields, request.birth_date, t("Enter the patient's date of birth."))
    mrn = (request.mrn or "").strip().upper()
    if len(mrn) > 16 or (mrn and not mrn.isalnum()):
        fields["mrn"] = t("A medical record number has at most 16 letters and digits.")
    relationships = proxy_rules.REQUEST_RELATIONSHIPS.get(request.kind, {})
    if request.relationship not in relationships:
        fields["relationship"] = t("Choose your relationship to the patient.")
    note = forms.checked_note(fields, "note", request.note)
    if (
        born is not None
        and "birth_date" not in fields
        and request.kind in proxy_rules.REQUEST_KINDS
    ):
        age = access.age_on(born, clock.today())
        if request.kind == proxy_rules.MINOR and age >= access.adult_age():
            fields["birth_date"] = t(
                "This person is an adult: choose one of the adult options instead."
            )
        elif request.kind != proxy_rules.MINOR and age < access.adult_age():
            fields["birth_date"] = t("This person is under 18: choose the option for a child.")
    if request.kind in (proxy_rules.MINOR, proxy_rules.ADULT_LEGAL) and not request.files:
        fields["files"] = t(
            "Add the legal documents that show your right to this record (for "
            "example a birth certificate, a custody or guardianship order, or a "
            "power of attorney)."
        )
    _files_problems(fields, request.files)
    forms.raise_if(fields)
    assert born is not None
    return first, last, born, mrn, request.relationship, note


def proxy_request_submit(*, actor: Actor, request: AccessRequest) -> uuid.UUID:
    """A signed-in person's request for access; bad input or a bad file changes nothing."""
    if not isinstance(actor, Actor) or not actor.roles & {access.PATIENT, access.PROXY}:
        raise PermissionDenied(t("Sign in with your own portal account to ask for access."))
    first, last, born, mrn, relationship, note = _checked(request)
    with (
        uploads.storing_all(uploads.folder(FOLDER), request.files) as stored,
        db.transaction() as session,
    ):
        open_ = session.scalar(
            select(func.count())
            .select_from(ProxyRequest)
            .where(ProxyRequest.requester_user_id == actor.user_id, ProxyRequest.status.in_(OPEN))
        )
        if (open_ or 0) >= 10:
            raise Conflict(t("You have 10 requests open; wait for an answer before sending more."))
        matched = _match(session, first, last, born, mrn)
        with_patient = (
            request.kind == proxy_rules.ADULT_CONSENT
            and matched is not None
            and matched != actor.patient_id
            and bool(
                session.scalar(
                    select(func.count())
                    .select_from(User)
                    .where(User.patient_id == matched, User.status == "active")
                )
            )
        )
        now = clock.now()
        row = ProxyRequest(
            requester_user_id=actor.user_id,
            patient_id=matched if with_patient else None,
            relationship=relationship,
            status=WITH_PATIENT if with_patient else RECEIVED,
            received_at=now,
            kind=request.kind,
            patient_first_name=first,
            patient_last_name=last,
            patient_birth_date=born,
            patient_mrn=mrn or None,
            requester_note=note or None,
            updated_at=now,
        )
        session.add(row)
        session.flush()
        _documents(session, row.id, stored)
        audit.record(session, actor, "proxy.request.submit", detail=request.kind)
        if with_patient:
            requester = session.get(User, actor.user_id)
            assert requester is not None
            proxy_rules.tell(
                session,
                N_("someone asked to help with your care"),
                N_(
                    "{requester} asked for access to your record in the patient portal. "
                    "Nothing is shared unless you approve it there."
                ),
                patient_id=matched,
                requester=requester.display_name,
            )
        request_id = row.id
    notify.flush()
    return request_id


def _mine(session: Session, actor: Actor, request_id: uuid.UUID) -> ProxyRequest:
    row = session.get(ProxyRequest, request_id)
    if row is None or row.requester_user_id != actor.user_id:
        raise NotFound(t("We could not find that request."))
    return row


def documents_sent() -> ScalarSelect[int]:
    """How many documents came with each request (a correlated count, for a query's columns)."""
    return (
        select(func.count())
        .select_from(ProxyRequestDocument)
        .where(ProxyRequestDocument.request_id == ProxyRequest.id)
        .correlate(ProxyRequest)
        .scalar_subquery()
    )


def my_requests(*, actor: Actor) -> list[MyRequest]:
    """The signed-in person's own requests for access, newest first."""
    with db.transaction() as session:
        docs = documents_sent()
        rows = session.execute(
            select(ProxyRequest, docs)
            .where(ProxyRequest.requester_user_id == actor.user_id)
            .order_by(ProxyRequest.received_at.desc())
        ).all()
        audit.record(session, actor, "proxy.request.list_own")
        out = []
        for r, count in rows:
            decision = None
            if r.status == DENIED:
                reason = t(proxy_rules.DENY_REASONS.get(r.deny_reason, "")) if r.deny_reason else ""
                decision = ": ".join(x for x in (reason, r.decision_note or "") if x)
            elif r.status == APPROVED and r.scopes:
                decision = language.listing(
                    t(proxy_rules.SCOPE_WORDS[s]) for s in r.scopes.split(",")
                )
            out.append(
                MyRequest(
                    r.id,
                    r.kind or "",
                    f"{r.patient_first_name or ''} {r.patient_last_name or ''}".strip(),
                    r.relationship,
                    r.status,
                    t(STATUS_WORDS.get(r.status, r.status)),
                    r.received_at,
                    r.updated_at,
                    r.info_requested if r.status == NEEDS_INFO else None,
                    decision,
                    int(count),
                )
            )
        return out


def proxy_request_add_info(
    *,
    actor: Actor,
    request_id: uuid.UUID,
    note: str,
    files: Sequence[UploadedFile] = (),
) -> None:
    """Answer HIM's question (a note and/or documents); the request goes back to review."""
    fields: dict[str, str] = {}
    note = forms.checked_note(fields, "note", note)
    if not note and not files:
        fields["note"] = t("Add a note or a document with what was asked for.")
    _files_problems(fields, files)
    forms.raise_if(fields)
    with (
        uploads.storing_all(uploads.folder(FOLDER), files) as stored,
        db.transaction() as session,
    ):
        row = _mine(session, actor, request_id)
        if row.status != NEEDS_INFO:
            raise Conflict(t("This request is not waiting for more information."))
        _documents(session, row.id, stored)
        if note:
            row.requester_note = f"{row.requester_note or ''}\n\n{note}".strip()
        row.status = RECEIVED
        row.updated_at = clock.now()
        audit.record(session, actor, "proxy.request.add_info")


def proxy_request_withdraw(*, actor: Actor, request_id: uuid.UUID) -> None:
    with db.transaction() as session:
        row = _mine(session, actor, request_id)
        if row.status not in OPEN:
            raise Conflict(t("Only an open request can be withdrawn."))
        row.status = WITHDRAWN
        row.updated_at = clock.now()
        audit.record(session, actor, "proxy.request.withdraw")


# --- the adult patient's answer ---------------------------------------------------------------


def requests_for_patient(*, actor: Actor, patient_id: uuid.UUID) -> list[RequestForPatient]:
    """Requests for access to this adult's record waiting for their answer."""
    with patient_work(actor, patient_id, "proxy.request.list_for_patient", access.SUMMARY) as (
        session,
        found,
    ):
        access.require_basis(
            found, N_("Only the patient can answer requests for their record."), access.SELF
        )
        rows = session.execute(
            select(ProxyRequest, User.display_name)
            .join(User, User.id == ProxyRequest.requester_user_id)
            .where(ProxyRequest.patient_id == patient_id, ProxyRequest.status == WITH_PATIENT)
            .order_by(ProxyRequest.received_at)
        ).all()
        return [
            RequestForPatient(
                r.id,
                name,
                t(proxy_rules.DELEGATE_RELATIONSHIPS.get(r.relationship, r.relationship)),
                r.requester_note or "",
                r.received_at,
            )
            for r, name in rows
        ]


def request_answer(
    *,
    actor: Actor,
    patient_id: uuid.UUID,
    request_id: uuid.UUID,
    approve: bool,
    scopes: set[str] | None = None,
    ends_on: date | None = None,
) -> None:
    """The adult patient approves (with scopes and an end) or declines a request."""
    with patient_work(actor, patient_id, "proxy.request.answer", access.SUMMARY) as (
        session,
        found,
    ):
        access.require_basis(
            found, N_("Only the patient can answer requests for their record."), access.SELF
        )
        row = session.get(ProxyRequest, request_id)
        if row is None or row.patient_id != patient_id or row.status != WITH_PATIENT:
            raise NotFound(t("We could not find that request."))
        now = clock.now()
        if approve:
            patient = session.get(Patient, patient_id)
            assert patient is not None
            fields: dict[str, str] = {}
            stored = proxy_rules.checked_scopes(fields, scopes or set())
            ends_at = proxy_rules.grant_end(
                fields, ends_on, patient.birth_date, access.PATIENT_CONSENT
            )
            forms.raise_if(fields)
            proxy_rules.new_grant(
                session,
                patient_id=patient_id,
                proxy_user_id=row.requester_user_id,
                relationship=row.relationship,
                scopes=stored,
                basis=access.PATIENT_CONSENT,
                ends_at=ends_at,
            )
            row.status, row.scopes, row.grant_ends_at = APPROVED, stored, ends_at
        else:
            row.status, row.deny_reason = DENIED, "patient_declined"
        row.decided_by, row.decided_at, row.updated_at = actor.user_id, now, now
        proxy_rules.tell(
            session,
            N_("your request for access was answered"),
            N_("The patient approved your request for access to their record.")
            if row.status == APPROVED
            else N_("The patient declined your request for access to their record."),
            users=(row.requester_user_id,),
        )
