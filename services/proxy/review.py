"""HIM's proxy review: the queue oldest first against the service level, one request with what
it needs and no more (the requester's identity, the patient's identifying details, the
documents; never the clinical record), and the decisions: approve within the age rules, deny
with a reason, or ask for more information. Every decision is audited against the patient and
tells the requester (and the adult patient) without clinical detail."""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass
from datetime import date, datetime

import pypdfium2 as pdfium
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from services.core import access, audit, clock, forms, notify, uploads
from services.core.access import Actor
from services.core.errors import Conflict, NotFound, ValidationError
from services.core.language import N_, t
from services.core.models import Patient, User
from services.core.work import staff_work
from services.proxy import proxy_rules
from services.proxy.requests import (
    APPROVED,
    DENIED,
    FOLDER,
    NEEDS_INFO,
    RECEIVED,
    STATUS_WORDS,
    documents_sent,
)
from services.proxy.tables import ProxyRequest, ProxyRequestDocument

MAX_PAGES = 10  # pages of a PDF shown inline
QUEUE_STATUSES = {RECEIVED: N_("New or answered"), NEEDS_INFO: N_("Waiting for the requester")}
QUEUE_LIMIT = 500


@dataclass(frozen=True)
class QueueItem:
    request_id: uuid.UUID
    kind: str
    requester: str
    patient_name: str
    relationship: str
    status: str
    received_at: datetime
    business_days: int
    overdue: bool
    documents: int


@dataclass(frozen=True)
class Requester:
    name: str
    username: str
    email: str | None
    phone: str | None
    birth_date: date | None
    account_since: datetime
    account_status: str


@dataclass(frozen=True)
class Candidate:
    """A record that may be the patient: identifying details only."""

    patient_id: uuid.UUID
    name: str
    birth_date: date
    age: int
    mrn: str
    has_account: bool


@dataclass(frozen=True)
class DocumentInfo:
    document_id: uuid.UUID
    title: str
    doc_type: str
    content_type: str
    size_bytes: int
    uploaded_at: datetime


@dataclass(frozen=True)
class ReviewDetail:
    request_id: uuid.UUID
    kind: str
    status: str
    relationship: str
    received_at: datetime
    business_days: int
    overdue: bool
    requester: Requester
    given_name: str
    given_birth_date: date | None
    given_mrn: str | None
    note: str
    info_requested: str | None
    matched: Candidate | None
    candidates: list[Candidate]
    documents: list[DocumentInfo]


def _waited(row: ProxyRequest, now: datetime) -> tuple[int, bool]:
    days = clock.business_days(row.received_at, now)
    return days, days > proxy_rules.review_business_days()


def review_queue(
    *, actor: Actor, status: str | None = None, kind: str | None = None
) -> list[QueueItem]:
    """Open requests, oldest first, with their age in business days and the overdue flag."""
    if status is not None and status not in QUEUE_STATUSES:
        raise ValidationError({"status": t("Choose a status from the list.")})
    if kind is not None and kind not in proxy_rules.REQUEST_KINDS:
        raise ValidationError({"kind": t("Choose a kind of request from the list.")})
    with staff_work(actor, "proxy.review.queue", access.HIM) as session:
        docs = documents_sent()
        query = (
            select(ProxyRequest, User.display_name, docs)
            .join(User, User.id == ProxyRequest.requester_user_id)
            .where(ProxyRequest.status.in_([status] if status else list(QUEUE_STATUSES)))
            .order_by(ProxyRequest.received_at)
            .limit(QUEUE_LIMIT)
        )
        if kind:
            query = query.where(ProxyRequest.kind == kind)
        now = clock.now()
        items = []
        for row, requester, count in session.execute(query):
            days, overdue = _waited(row, now)
            items.append(
                QueueItem(
                    row.id,
                    row.kind or "",
                    requester,
                    _given_name(row),
                    row.relationship,
                    row.status,
                    row.received_at,
                    days,
                    overdue,
                    int(count),
                )
            )
        return items


def _given_name(row: ProxyRequest) -> str:
    return f"{row.patient_first_name or ''} {row.patient_last_name or ''}".strip()


def _candidate(session: Session, patient: Patient) -> Candidate:
    accounts = session.scalar(
        select(func.count()).select_from(User).where(User.patient_id == patient.id)
    )
    return Candidate(
        patient.id,
        f"{patient.first_name} {patient.last_name}",
        patient.birth_date,
        access.age_on(patient.birth_date, clock.today()),
        patient.mrn,
        bool(accounts),
    )


def _request(session: Session, request_id: uuid.UUID) -> ProxyRequest:
    row = session.get(ProxyRequest, request_id)
    if row is None:
        raise NotFound(t("We could not find that request."))
    return row


def review_detail(*, actor: Actor, request_id: uuid.UUID) -> ReviewDetail:
    """One request with the requester's identity, the possible records and the documents."""
    with staff_work(actor, "proxy.review.open", access.HIM) as session:
        row = _request(session, request_id)
        user = session.get(User, row.requester_user_id)
        assert user is not None
        looks_like = [Patient.mrn == row.patient_mrn] if row.patient_mrn else []
        if row.patient_birth_date is not None and row.patient_last_name:
            looks_like.append(
                (Patient.birth_date == row.patient_birth_date)
                & (func.lower(Patient.last_name) == row.patient_last_name.lower())
            )
        candidates = (
            [
                _candidate(session, p)
                for p in session.scalars(
                    select(Patient).where(or_(*looks_like)).order_by(Patient.last_name).limit(10)
                )
            ]
            if looks_like
            else []
        )
        matched = session.get(Patient, row.patient_id) if row.patient_id else None
        documents = [
            DocumentInfo(d.id, d.title, d.doc_type, d.content_type, d.size_bytes, d.uploaded_at)
            for d in session.scalars(
                select(ProxyRequestDocument)
                .where(ProxyRequestDocument.request_id == request_id)
                .order_by(ProxyRequestDocument.uploaded_at)
            )
        ]
        days, overdue = _waited(row, clock.now())
        audit.record(session, actor, "proxy.review.detail", patient_id=row.patient_id)
        return ReviewDetail(
            row.id,
            row.kind or "",
            row.status,
            row.relationship,
            row.received_at,
            days,
            overdue,
            Requester(
                user.display_name,
                user.username,
                user.email,
                user.phone,
                user.birth_date,
                user.created_at,
                user.status,
            ),
            _given_name(row),
            row.patient_birth_date,
            row.patient_mrn,
            row.requester_note or "",
            row.info_requested,
            _candidate(session, matched) if matched is not None else None,
            candidates,
            documents,
        )


def review_document_pages(
    *, actor: Actor, request_id: uuid.UUID, document_id: uuid.UUID
) -> list[bytes]:
    """A request's document as images to show inline: each PDF page (up to MAX_PAGES) as a
    PNG, or the image itself. Read back only when its stored hash still matches."""
    with staff_work(actor, "proxy.review.document", access.HIM) as session:
        doc = session.get(ProxyRequestDocument, document_id)
        if doc is None or doc.request_id != request_id:
            raise NotFound(t("We could not find that document."))
        data = uploads.read_checked(uploads.folder(FOLDER), doc.storage_name, doc.sha256)
        row = _request(session, request_id)
        audit.record(session, actor, "proxy.review.document_view", patient_id=row.patient_id)
    if data is None:
        raise NotFound(
            t("That document could not be read; please ask the requester to send it again.")
        )
    if doc.content_type != "application/pdf":
        return [data]
    pages = []
    pdf = pdfium.PdfDocument(data)
    try:
        for index in range(min(len(pdf), MAX_PAGES)):
            image = pdf[index].render(scale=1.5).to_pil()
            out = io.BytesIO()
            image.save(out, format="PNG")
            pages.append(out.getvalue())
    finally:
        pdf.close()
    return pages


def _open(row: ProxyRequest) -> None:
    if row.status not in (RECEIVED, NEEDS_INFO):
        raise Conflict(
            t(
                "This request is already {status}.",
                status=t(STATUS_WORDS.get(row.status, row.status)).lower(),
            )
        )


def review_match(*, actor: Actor, request_id: uuid.UUID, patient_id: uuid.UUID) -> None:
    """HIM confirms which record the request is about."""
    with staff_work(actor, "proxy.review.match", access.HIM) as session:
        row = _request(session, request_id)
        _open(row)
        if session.get(Patient, patient_id) is None:
            raise NotFound(t("We could not find that patient record."))
        row.patient_id, row.match_confirmed_by = patient_id, actor.user_id
        row.updated_at = clock.now()
        audit.record(session, actor, "proxy.review.match_confirmed", patient_id=patient_id)


def _decided(session: Session, actor: Actor, row: ProxyRequest, status: str) -> None:
    now = clock.now()
    row.status, row.decided_by, row.decided_at, row.updated_at = status, actor.user_id, now, now
    audit.record(session, actor, f"proxy.review.{status}", patient_id=row.patient_id)


def review_approve(
    *,
    actor: Actor,
    request_id: uuid.UUID,
    scopes: set[str],
    ends_on: date | None = None,
) -> datetime:
    """Approve for the confirmed record, within the age rules; returns when the access ends."""
    with staff_work(actor, "proxy.review.decide", access.HIM) as session:
        row = _request(session, request_id)
        _open(row)
        if row.patient_id is None or row.match_confirmed_by is None:
            raise Conflict(t("Confirm which patient record this request is about first."))
        patient = session.get(Patient, row.patient_id)
        assert patient is not None
        age = access.age_on(patient.birth_date, clock.today())
        if row.kind == proxy_rules.MINOR:
            if age >= access.adult_age():
                raise Conflict(
                    t(
                        "This patient is now an adult: a parent's access needs the patient's "
                        "consent or a legal document. Deny it, or ask for more information."
                    )
                )
            basis = access.PARENT_OF_MINOR
        elif age < access.adult_age():
            raise Conflict(t("This patient is a minor: use a request for a child."))
        else:
            basis = (
                access.LEGAL_DOCUMENT
                if row.kind == proxy_rules.ADULT_LEGAL
                else access.PATIENT_CONSENT
            )
        fields: dict[str, str] = {}
        stored = proxy_rules.checked_scopes(fields, scopes)
        ends_at = proxy_rules.grant_end(fields, ends_on, patient.birth_date, basis)
        forms.raise_if(fields)
        proxy_rules.new_grant(
            session,
            patient_id=patient.id,
            proxy_user_id=row.requester_user_id,
            relationship=row.relationship,
            scopes=stored,
            basis=basis,
            ends_at=ends_at,
        )
        row.scopes, row.grant_ends_at = stored, ends_at
        _decided(session, actor, row, APPROVED)
        proxy_rules.tell(
            session,
            N_("your request for access was approved"),
            N_(
                "Your request for access to a patient's record was approved. Sign in and choose "
                "them in the sidebar."
            ),
            users=(row.requester_user_id,),
        )
        if age >= access.adult_age():
            proxy_rules.tell(
                session,
                N_("someone now has access to your record"),
                N_(
                    "The clinic's health information office gave a representative access to "
                    "your record. You can see who under 'Proxy access'."
                ),
                patient_id=patient.id,
            )
    notify.flush()
    return ends_at


def review_deny(*, actor: Actor, request_id: uuid.UUID, reason: str, note: str = "") -> None:
    """Deny with a reason from the list (and free text; required for "other")."""
    with staff_work(actor, "proxy.review.decide", access.HIM) as session:
        row = _request(session, request_id)
        _open(row)
        fields: dict[str, str] = {}
        if reason not in proxy_rules.DENY_REASONS:
            fields["reason"] = t("Choose a reason from the list.")
        text = forms.checked_note(
            fields,
            "note",
            note,
            t("Explain the reason to the requester.") if reason == "other" else "",
        )
        forms.raise_if(fields)
        row.deny_reason, row.decision_note = reason, text or None
        _decided(session, actor, row, DENIED)
        proxy_rules.tell(
            session,
            N_("your request for access was denied"),
            N_(
                "Your request for access to a patient's record was not approved. The reason is "
                "shown in the portal under 'Request access'."
            ),
            users=(row.requester_user_id,),
        )
        if row.patient_id is not None and row.kind != proxy_rules.MINOR:
            proxy_rules.tell(
                session,
                N_("a request for access to your record"),
                N_("Someone asked for access to your record; the clinic did not approve it."),
                patient_id=row.patient_id,
            )
    notify.flush()


def review_ask_info(*, actor: Actor, request_id: uuid.UUID, what: str) -> None:
    """Tell the requester what is missing; the request waits for their answer."""
    with staff_work(actor, "proxy.review.decide", access.HIM) as session:
        row = _request(session, request_id)
        _open(row)
        fields: dict[str, str] = {}
        text = forms.checked_note(fields, "what", what, t("Say what the requester should send."))
        forms.raise_if(fields)
        row.info_requested = text
        _decided(session, actor, row, NEEDS_INFO)
        row.decided_by = row.decided_at = None
        proxy_rules.tell(
            session,
            N_("more information is needed for your request"),
            N_(
                "The clinic needs more information about your request for access. See what is "
                "missing, and add it, under 'Request access' in the portal."
            ),
            users=(row.requester_user_id,),
        )
    notify.flush()
