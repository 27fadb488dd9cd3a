"""Record updates (the clinic's published HIM instructions, seeds/004, and
docs/rules/compliance.md):

- a **deceased notification** needs the patient's first, middle and last name, date of birth,
  medical record number if known, date of death, and the reporter's name, relationship to the
  patient and phone; once HIM confirms it, the patient's accounts are closed and their sessions
  end, every proxy's access ends, live share links stop, and no more notifications go out;
- an **adoption** needs one of three legal documents (an adoption decree, an order on petition
  for adoption, a finding and order for judgment and decree of adoption); each document the
  instructions refuse is refused by name, with what would be accepted instead. Once HIM
  confirms it, the child's new name is recorded and the access of parents other than the one
  who reported it ends.

A proxy reports in the portal for the person they act for; HIM enters reports that arrive by
email, mail or at the registration desk. Either way the details must match the record."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from services.core import access, clock, forms, language, notify, uploads
from services.core.access import Access, Actor
from services.core.contact import phone_field
from services.core.errors import Conflict, NotFound, ValidationError
from services.core.language import N_, t
from services.core.models import NotificationOutbox, Patient, ProxyGrant, User
from services.core.work import patient_work, staff_work
from services.him.request_terms import DENIED, FULFILLED, OPEN, UPDATE
from services.him.requests import audit_patient, new_request, tell_patient
from services.him.tables import RecordsRequest, RecordUpdate
from services.identity import sessions
from services.records.tables import ShareLink

DECEASED, ADOPTION = "deceased", "adoption"
FOLDER = "record_updates"
ACCEPTED_DOCUMENTS = {
    "adoption_decree": N_("Adoption decree (decree of adoption)"),
    "order_on_petition": N_("Order on petition for adoption"),
    "finding_and_order": N_("Finding and order for judgment and decree of adoption"),
}
REFUSED_DOCUMENTS = {
    "birth_certificate": N_("A birth certificate"),
    "certificate_of_adoption": N_("A certificate or application of adoption"),
    "notice_of_filing": N_("A notice of case filing"),
    "clerk_signed": N_("A document signed by the clerk of court"),
    "petition": N_("A petition for adoption"),
    "termination_of_rights": N_("A termination of parental rights"),
    "custody": N_("A custody order"),
    "guardianship": N_("A guardianship order"),
}
DOCUMENT_TYPES = {**ACCEPTED_DOCUMENTS, **REFUSED_DOCUMENTS}
MAX_NAME = 80


def _accepted() -> str:
    """The accepted documents, in the current language, for a refusal's message."""
    return "; ".join(t(w).lower() for w in ACCEPTED_DOCUMENTS.values())


@dataclass(frozen=True)
class Person:
    """The patient as the reporter gives them."""

    first_name: str
    middle_name: str
    last_name: str
    birth_date: date | None
    mrn: str


@dataclass(frozen=True)
class DeathReport:
    patient: Person
    died_on: date | None
    reporter_name: str
    reporter_relationship: str
    reporter_phone: str


@dataclass(frozen=True)
class AdoptionNotice:
    patient: Person
    document_type: str
    filename: str
    data: bytes
    adopted_on: date | None
    new_first_name: str
    new_last_name: str
    adoptive_parents: str


def _text(fields: dict[str, str], name: str, value: str, missing: str, limit: int) -> str:
    return forms.checked_note(fields, name, value, missing, limit)


def _person(fields: dict[str, str], given: Person, record: Patient) -> None:
    """The details must be the record's: each one that is not is named."""
    first = _text(fields, "first_name", given.first_name, t("Give the first name."), MAX_NAME)
    last = _text(fields, "last_name", given.last_name, t("Give the last name."), MAX_NAME)
    middle = _text(fields, "middle_name", given.middle_name, "", MAX_NAME)
    if given.birth_date is None:
        fields["birth_date"] = t("Give the date of birth.")
    mismatch = t("This does not match the patient's record.")
    if first and first.casefold() != record.first_name.casefold():
        fields["first_name"] = mismatch
    if last and last.casefold() != record.last_name.casefold():
        fields["last_name"] = mismatch
    if middle and record.middle_name and middle.casefold() != record.middle_name.casefold():
        fields["middle_name"] = mismatch
    if given.birth_date is not None and given.birth_date != record.birth_date:
        fields["birth_date"] = mismatch
    if given.mrn.strip() and given.mrn.strip() != record.mrn:
        fields["mrn"] = mismatch


def _death_fields(form: DeathReport, record: Patient) -> dict[str, object]:
    fields: dict[str, str] = {}
    _person(fields, form.patient, record)
    today = clock.today()
    if form.died_on is None:
        fields["died_on"] = t("Give the date of death.")
    elif not record.birth_date <= form.died_on <= today:
        fields["died_on"] = t("The date of death must be between the birth date and today.")
    name = _text(fields, "reporter_name", form.reporter_name, t("Give your name."), 160)
    relation = _text(
        fields,
        "reporter_relationship",
        form.reporter_relationship,
        t("Give your relationship to the patient."),
        40,
    )
    phone = phone_field(fields, "reporter_phone", form.reporter_phone)
    if not phone and "reporter_phone" not in fields:
        fields["reporter_phone"] = t("Give a phone number where we can reach you.")
    forms.raise_if(fields)
    return {
        "kind": DECEASED,
        "died_on": form.died_on,
        "reporter_name": name,
        "reporter_relationship": relation,
        "reporter_phone": phone,
    }


def _adoption_fields(form: AdoptionNotice, record: Patient) -> dict[str, object]:
    fields: dict[str, str] = {}
    _person(fields, form.patient, record)
    if form.document_type in REFUSED_DOCUMENTS:
        fields["document_type"] = t(
            "{document} is not accepted for an adoption. Send one of these instead: {accepted}.",
            document=t(REFUSED_DOCUMENTS[form.document_type]),
            accepted=_accepted(),
        )
    elif form.document_type not in ACCEPTED_DOCUMENTS:
        fields["document_type"] = t(
            "Choose the kind of document; accepted are: {accepted}.", accepted=_accepted()
        )
    problem = uploads.file_problem(form.filename, form.data)
    if problem:
        fields["file"] = problem
    if form.adopted_on is None or form.adopted_on > clock.today():
        fields["adopted_on"] = t("Give the date of the adoption (today or earlier).")
    new_first = _text(fields, "new_first_name", form.new_first_name, "", MAX_NAME)
    new_last = _text(fields, "new_last_name", form.new_last_name, "", MAX_NAME)
    parents = _text(
        fields, "adoptive_parents", form.adoptive_parents, t("Name the adoptive parents."), 200
    )
    forms.raise_if(fields)
    return {
        "kind": ADOPTION,
        "document_type": form.document_type,
        "adopted_on": form.adopted_on,
        "new_first_name": new_first or None,
        "new_last_name": new_last or None,
        "adoptive_parents": parents,
    }


@contextmanager
def _stored(data: bytes | None) -> Iterator[uploads.Stored | None]:
    if data is None:
        yield None
        return
    with uploads.storing(uploads.folder(FOLDER), data) as stored:
        yield stored


def _file(
    session: Session,
    actor: Actor,
    record: Patient,
    found: Access,
    given: Person,
    values: dict[str, object],
    stored: uploads.Stored | None,
) -> RecordsRequest:
    what = t("Deceased notification") if values["kind"] == DECEASED else t("Adoption")
    row = new_request(session, actor, record.id, found, UPDATE, what)
    session.add(
        RecordUpdate(
            request_id=row.id,
            first_name=given.first_name.strip(),
            middle_name=given.middle_name.strip() or None,
            last_name=given.last_name.strip(),
            birth_date=given.birth_date,
            mrn=given.mrn.strip() or None,
            storage_name=stored.storage_name if stored else None,
            sha256=stored.sha256 if stored else None,
            content_type=stored.content_type if stored else None,
            **values,
        )
    )
    return row


def _check(form: DeathReport | AdoptionNotice, record: Patient) -> dict[str, object]:
    if isinstance(form, DeathReport):
        return _death_fields(form, record)
    return _adoption_fields(form, record)


def update_report(
    *, actor: Actor, patient_id: uuid.UUID, form: DeathReport | AdoptionNotice
) -> uuid.UUID:
    """A proxy reports for the person they act for: a death, or (a parent) an adoption."""
    with patient_work(actor, patient_id, "record_update.report", access.SUMMARY) as (
        session,
        found,
    ):
        access.require_basis(
            found, N_("Only someone who acts for the patient can report this here."), access.PROXY
        )
        record = session.get(Patient, patient_id)
        assert record is not None
        values = _check(form, record)
        data = form.data if isinstance(form, AdoptionNotice) else None
        with _stored(data) as stored:
            return _file(session, actor, record, found, form.patient, values, stored).id


def update_enter(*, actor: Actor, form: DeathReport | AdoptionNotice) -> uuid.UUID:
    """HIM enters a report that came by email, mail or to the registration desk; the MRN
    finds the record."""
    with staff_work(actor, "record_update.enter", access.HIM) as session:
        record = session.scalar(select(Patient).where(Patient.mrn == form.patient.mrn.strip()))
        if record is None:
            raise ValidationError({"mrn": t("No patient has this medical record number.")})
        values = _check(form, record)
        data = form.data if isinstance(form, AdoptionNotice) else None
        found = Access("him", frozenset())
        with _stored(data) as stored:
            row = _file(session, actor, record, found, form.patient, values, stored)
        audit_patient(session, actor, "record_update.enter", row)
        return row.id


@dataclass(frozen=True)
class UpdateView:
    request_id: uuid.UUID
    kind: str
    given: str  # the patient as reported
    facts: dict[str, str]
    has_document: bool
    status: str


def update_detail(*, actor: Actor, request_id: uuid.UUID) -> UpdateView:
    with staff_work(actor, "record_update.view", access.HIM) as session:
        u, row = _update(session, request_id)
        audit_patient(session, actor, "record_update.view", row)
        given = " ".join(n for n in (u.first_name, u.middle_name, u.last_name) if n)
        facts = {t("Date of birth"): language.day(u.birth_date), t("MRN given"): u.mrn or "—"}
        if u.kind == DECEASED:
            facts |= {
                t("Date of death"): language.day(u.died_on) if u.died_on else "—",
                t("Reported by"): u.reporter_name or "",
                t("Relationship"): u.reporter_relationship or "",
                t("Phone"): u.reporter_phone or "",
            }
        else:
            facts |= {
                t("Document"): t(DOCUMENT_TYPES.get(u.document_type or "", "—")),
                t("Adopted on"): language.day(u.adopted_on) if u.adopted_on else "—",
                t("New name"): " ".join(n for n in (u.new_first_name, u.new_last_name) if n) or "—",
                t("Adoptive parents"): u.adoptive_parents or "",
            }
        return UpdateView(row.id, u.kind, given, facts, u.storage_name is not None, row.status)


def update_document(*, actor: Actor, request_id: uuid.UUID) -> tuple[str, bytes]:
    """The adoption document as sent: (content type, bytes)."""
    with staff_work(actor, "record_update.document", access.HIM) as session:
        u, row = _update(session, request_id)
        data = (
            uploads.read_checked(uploads.folder(FOLDER), u.storage_name, u.sha256 or "")
            if u.storage_name
            else None
        )
        if data is None or u.content_type is None:
            raise NotFound(t("The document is missing or damaged."))
        audit_patient(session, actor, "record_update.document", row)
        return u.content_type, data


def _update(session: Session, request_id: uuid.UUID) -> tuple[RecordUpdate, RecordsRequest]:
    u = session.get(RecordUpdate, request_id)
    row = session.get(RecordsRequest, request_id)
    if u is None or row is None:
        raise NotFound(t("We could not find that record update."))
    return u, row


def update_decide(*, actor: Actor, request_id: uuid.UUID, confirm: bool, note: str = "") -> None:
    """Confirm (and apply) or decline a reported update, with a note for a decline."""
    fields: dict[str, str] = {}
    text = forms.checked_note(
        fields, "note", note, "" if confirm else t("Say why it cannot be confirmed.")
    )
    forms.raise_if(fields)
    with staff_work(actor, "record_update.decide", access.HIM) as session:
        u, row = _update(session, request_id)
        if row.status not in OPEN:
            raise Conflict(t("This record update is already decided."))
        patient = session.get(Patient, row.patient_id)
        assert patient is not None
        now = clock.now()
        if confirm and u.kind == DECEASED:
            _deceased(session, patient, u)
        elif confirm:
            _adopted(session, patient, u, row)
        else:
            tell_patient(
                session,
                row,
                N_("about the record update you sent"),
                N_(
                    "The clinic could not confirm the record update you sent. The health "
                    "information office will contact you."
                ),
            )
        row.status = FULFILLED if confirm else DENIED
        row.completed_at, row.assigned_to, row.updated_at = now, actor.user_id, now
        u.decided_note = text or None
        audit_patient(session, actor, f"record_update.{'confirm' if confirm else 'decline'}", row)
    notify.flush()


def _deceased(session: Session, patient: Patient, u: RecordUpdate) -> None:
    """The record shows the death; accounts close, sessions and proxies end, links stop, and
    nothing more is sent."""
    if patient.deceased_on is not None:
        raise Conflict(t("This patient's death is already recorded."))
    now = clock.now()
    patient.deceased_on = u.died_on
    accounts = select(User.id).where(User.patient_id == patient.id)
    for user in session.scalars(select(User).where(User.patient_id == patient.id)):
        user.status = "disabled"  # row by row: DuckDB refused the set-based update here
    sessions.end_sessions(session, accounts, "patient_deceased")
    session.execute(
        update(ProxyGrant)
        .where(ProxyGrant.patient_id == patient.id, ProxyGrant.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    session.execute(
        update(ShareLink)
        .where(ShareLink.patient_id == patient.id, ShareLink.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    session.execute(
        update(NotificationOutbox)
        .where(NotificationOutbox.user_id.in_(accounts), NotificationOutbox.sent_at.is_(None))
        .values(attempts=notify.MAX_ATTEMPTS, last_error="patient deceased: not sent")
    )


def _adopted(session: Session, patient: Patient, u: RecordUpdate, row: RecordsRequest) -> None:
    """The new name goes on the record; parents other than the one who reported lose access."""
    if u.new_first_name:
        patient.first_name = u.new_first_name
    if u.new_last_name:
        patient.last_name = u.new_last_name
    session.execute(
        update(ProxyGrant)
        .where(
            ProxyGrant.patient_id == patient.id,
            ProxyGrant.basis == access.PARENT_OF_MINOR,
            ProxyGrant.revoked_at.is_(None),
            ProxyGrant.proxy_user_id != row.requested_by,
        )
        .values(revoked_at=clock.now())
    )
