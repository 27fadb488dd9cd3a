"""Amendments (45 CFR 164.526): a patient (or their proxy) asks to amend one item of the record
with the reason; HIM routes the request to the item's author or another clinician; that
clinician accepts (writes the amendment, which then shows with the item, and the people the
patient named are told) or denies in writing on one of the rule's grounds. After a denial the
patient may file a statement of disagreement and HIM may add a rebuttal; both then travel with
the item (services.records.addenda). Decided within 60 days, with one 30-day extension
(services.him.queue.request_extend)."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.core import access, clock, forms, notify
from services.core.access import Access, Actor
from services.core.config import settings
from services.core.contact import EMAIL_RE
from services.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from services.core.language import N_, t
from services.core.models import Patient, Provider, User
from services.core.work import patient_work, staff_work
from services.him import letters
from services.him.request_terms import AMENDMENT, DENIED, FULFILLED, IN_REVIEW, OPEN
from services.him.requests import audit_patient, new_request, patient_side, tell_patient
from services.him.tables import RecordsRequest
from services.records.results import visible_to
from services.records.tables import Allergy, Amendment, ClinicalNote, LabResult, Medication, Problem

ITEM_KINDS = {
    "note": "A clinical note",
    "problem": "A problem on my list",
    "allergy": "An allergy",
    "medication": "A medication",
    "result_comment": "A comment on a test result",
    "demographics": "My personal details (name, date of birth, sex, contact)",
}
# 164.526(a)(2): the grounds on which an amendment may be denied.
GROUNDS = {
    "not_created_here": N_(
        "The information was not created by the clinic, and its originator is available to act "
        "on the request."
    ),
    "not_in_record_set": N_(
        "The information is not part of the records the clinic keeps about you to make "
        "decisions about you."
    ),
    "not_accessible": N_("The information is not available to you under the right of access."),
    "accurate": N_("The information is accurate and complete."),
}
ACCEPTED = "accepted"
MAX_TEXT = 2000


@dataclass(frozen=True)
class Item:
    kind: str
    item_id: uuid.UUID
    label: str
    author_user_id: uuid.UUID | None  # who wrote it, when that is a clinician with an account


@dataclass(frozen=True)
class AmendmentView:
    request_id: uuid.UUID
    patient_id: uuid.UUID
    item_kind: str
    item_label: str
    change: str
    reason: str
    notify: str | None
    routed_to: str | None
    routed_to_id: uuid.UUID | None
    decision: str | None
    decided_at: datetime | None
    amendment_text: str | None
    denial_ground: str | None
    denial_note: str | None
    disagreement: str | None
    rebuttal: str | None
    status: str
    current: str  # the item as the record has it now


def _items(session: Session, patient_id: uuid.UUID, found: Access) -> list[Item]:
    """What the viewer may ask to amend: the items of the record they can see."""
    now = clock.now()
    author = select(Provider.user_id).where(Provider.id == ClinicalNote.author_provider_id)
    notes = select(
        ClinicalNote.id, ClinicalNote.title, ClinicalNote.signed_at, author.scalar_subquery()
    ).where(
        ClinicalNote.patient_id == patient_id,
        ClinicalNote.released_at.is_not(None),
        ClinicalNote.released_at <= now,
        *([ClinicalNote.sensitive.is_(False)] if found.adolescent_limited else []),
    )
    items = [
        Item("note", nid, f"Note '{title}' of {clock.local(at):%Y-%m-%d}", uid)
        for nid, title, at, uid in session.execute(notes.order_by(ClinicalNote.signed_at.desc()))
    ]
    items += [
        Item("problem", pid, f"Problem: {desc} ({code})", None)
        for pid, desc, code in session.execute(
            select(Problem.id, Problem.description, Problem.code).where(
                Problem.patient_id == patient_id
            )
        )
    ]
    items += [
        Item("allergy", aid, f"Allergy: {substance}", None)
        for aid, substance in session.execute(
            select(Allergy.id, Allergy.substance).where(Allergy.patient_id == patient_id)
        )
    ]
    items += [
        Item("medication", mid, f"Medication: {name} {dose}", None)
        for mid, name, dose in session.execute(
            select(Medication.id, Medication.name, Medication.dose).where(
                Medication.patient_id == patient_id
            )
        )
    ]
    if access.RESULTS in found.scopes:
        orderer = select(Provider.user_id).where(Provider.id == LabResult.ordering_provider_id)
        items += [
            Item("result_comment", rid, f"Comment on {panel} of {clock.local(at):%Y-%m-%d}", uid)
            for rid, panel, at, uid in session.execute(
                select(
                    LabResult.id,
                    LabResult.panel_name,
                    LabResult.collected_at,
                    orderer.scalar_subquery(),
                )
                .where(
                    LabResult.patient_id == patient_id,
                    LabResult.clinician_comment.is_not(None),
                    visible_to(found, now),
                )
                .order_by(LabResult.collected_at.desc())
            )
        ]
    items.append(Item("demographics", patient_id, "Personal details", None))
    return items


def amendable_items(*, actor: Actor, patient_id: uuid.UUID) -> list[Item]:
    with patient_work(actor, patient_id, "amendment.items", access.RECORDS) as (session, found):
        patient_side(found)
        return _items(session, patient_id, found)


def amendment_request(
    *,
    actor: Actor,
    patient_id: uuid.UUID,
    item_kind: str,
    item_id: uuid.UUID | None,
    change: str,
    reason: str,
    notify_people: str = "",
) -> uuid.UUID:
    """Ask to amend one item, saying what should change and why, and whom to tell."""
    fields: dict[str, str] = {}
    if item_kind not in ITEM_KINDS:
        fields["item"] = t("Choose what you want amended.")
    wanted = forms.checked_note(fields, "change", change, t("Say what should change."), MAX_TEXT)
    why = forms.checked_note(
        fields, "reason", reason, t("Say why it is wrong or incomplete."), MAX_TEXT
    )
    people = forms.checked_note(fields, "notify", notify_people, "", MAX_TEXT)
    forms.raise_if(fields)
    with patient_work(actor, patient_id, "amendment.request", access.RECORDS) as (
        session,
        found,
    ):
        patient_side(found)
        chosen = next(
            (
                i
                for i in _items(session, patient_id, found)
                if i.kind == item_kind and (item_kind == "demographics" or i.item_id == item_id)
            ),
            None,
        )
        if chosen is None:
            raise ValidationError({"item": t("Choose an item of your record from the list.")})
        row = new_request(
            session, actor, patient_id, found, AMENDMENT, f"Amend {chosen.label}: {wanted}"
        )
        session.add(
            Amendment(
                request_id=row.id,
                patient_id=patient_id,
                item_kind=chosen.kind,
                item_id=chosen.item_id,
                item_label=chosen.label,
                change=wanted,
                reason=why,
                notify=people or None,
                routed_to=chosen.author_user_id,
            )
        )
        return row.id


def _current(session: Session, a: Amendment) -> str:
    """The item as the record has it now (for whoever decides)."""
    if a.item_kind == "note":
        note = session.get(ClinicalNote, a.item_id)
        return f"{note.title}\n\n{note.body}" if note else ""
    if a.item_kind == "result_comment":
        result = session.get(LabResult, a.item_id)
        return result.clinician_comment or "" if result else ""
    if a.item_kind == "problem":
        problem = session.get(Problem, a.item_id)
        return f"{problem.description} ({problem.code}), {problem.status}" if problem else ""
    if a.item_kind == "allergy":
        allergy = session.get(Allergy, a.item_id)
        return f"{allergy.substance}: {allergy.reaction} ({allergy.severity})" if allergy else ""
    if a.item_kind == "medication":
        med = session.get(Medication, a.item_id)
        return f"{med.name} {med.dose}, {med.frequency} ({med.status})" if med else ""
    patient = session.get(Patient, a.patient_id)
    assert patient is not None
    return (
        f"{patient.first_name} {patient.middle_name or ''} {patient.last_name}, born "
        f"{patient.birth_date:%Y-%m-%d}, sex {patient.sex}, {patient.email or 'no email'}, "
        f"{patient.phone or 'no phone'}"
    )


def _view(session: Session, a: Amendment, row: RecordsRequest) -> AmendmentView:
    routed = session.get(User, a.routed_to) if a.routed_to else None
    return AmendmentView(
        request_id=a.request_id,
        patient_id=a.patient_id,
        item_kind=a.item_kind,
        item_label=a.item_label,
        change=a.change,
        reason=a.reason,
        notify=a.notify,
        routed_to=routed.display_name if routed else None,
        routed_to_id=a.routed_to,
        decision=a.decision,
        decided_at=a.decided_at,
        amendment_text=a.amendment_text,
        denial_ground=a.denial_ground,
        denial_note=a.denial_note,
        disagreement=a.disagreement,
        rebuttal=a.rebuttal,
        status=row.status,
        current=_current(session, a),
    )


def _amendment(session: Session, request_id: uuid.UUID) -> tuple[Amendment, RecordsRequest]:
    a = session.get(Amendment, request_id)
    row = session.get(RecordsRequest, request_id)
    if a is None or row is None:
        raise NotFound(t("We could not find that amendment request."))
    return a, row


def my_amendment(*, actor: Actor, patient_id: uuid.UUID, request_id: uuid.UUID) -> AmendmentView:
    with patient_work(actor, patient_id, "amendment.view", access.RECORDS) as (session, found):
        patient_side(found)
        a, row = _amendment(session, request_id)
        if a.patient_id != patient_id or (
            found.adolescent_limited and row.requested_by != actor.user_id
        ):
            raise NotFound(t("We could not find that amendment request."))
        return _view(session, a, row)


def amendment_detail(*, actor: Actor, request_id: uuid.UUID) -> AmendmentView:
    """For HIM, and for the clinician it is routed to."""
    with staff_work(actor, "amendment.view", access.HIM, access.CLINICIAN) as session:
        a, row = _amendment(session, request_id)
        if access.HIM not in actor.roles and a.routed_to != actor.user_id:
            raise PermissionDenied(t("This amendment request is not routed to you."))
        audit_patient(session, actor, "amendment.view", row)
        return _view(session, a, row)


def clinicians(*, actor: Actor) -> list[tuple[uuid.UUID, str]]:
    """The clinicians an amendment can be routed to."""
    with staff_work(actor, "amendment.clinicians", access.HIM) as session:
        return access.staff_members(session, access.CLINICIAN)


def amendment_route(*, actor: Actor, request_id: uuid.UUID, clinician_id: uuid.UUID) -> None:
    """HIM sends the request to the item's author or another clinician to decide."""
    with staff_work(actor, "amendment.route", access.HIM) as session:
        a, row = _amendment(session, request_id)
        if row.status not in OPEN:
            raise Conflict(t("This amendment request is already decided."))
        if not access.holds_role(session, clinician_id, access.CLINICIAN):
            raise ValidationError({"clinician": t("Choose a clinician.")})
        a.routed_to = clinician_id
        row.status, row.updated_at = IN_REVIEW, clock.now()
        audit_patient(session, actor, "amendment.route", row)


def routed_to_me(*, actor: Actor) -> list[tuple[uuid.UUID, str, str, datetime]]:
    """A clinician's open amendment requests: (request, patient, item, due), soonest first."""
    with staff_work(actor, "amendment.queue", access.CLINICIAN) as session:
        rows = session.execute(
            select(
                Amendment.request_id,
                Patient.first_name + " " + Patient.last_name,
                Amendment.item_label,
                RecordsRequest.due_at,
                RecordsRequest.extended_due_at,
            )
            .join(RecordsRequest, RecordsRequest.id == Amendment.request_id)
            .join(Patient, Patient.id == Amendment.patient_id)
            .where(Amendment.routed_to == actor.user_id, RecordsRequest.status.in_(OPEN))
            .order_by(RecordsRequest.due_at)
        ).all()
        return [(rid, name, label, ext or d) for rid, name, label, d, ext in rows]


def amendment_decide(
    *,
    actor: Actor,
    request_id: uuid.UUID,
    accept: bool,
    text: str = "",
    ground: str = "",
    note: str = "",
) -> None:
    """The routed clinician accepts (with the amendment as it will show with the item) or
    denies on one of the rule's grounds; the patient is told, and on acceptance so are the
    people the patient named who have an email address."""
    fields: dict[str, str] = {}
    if accept:
        written = forms.checked_note(fields, "text", text, t("Write the amendment."), MAX_TEXT)
    else:
        written = forms.checked_note(fields, "note", note, "", MAX_TEXT)
        if ground not in GROUNDS:
            fields["ground"] = t("Choose the ground for the denial.")
    forms.raise_if(fields)
    with staff_work(actor, "amendment.decide", access.CLINICIAN) as session:
        a, row = _amendment(session, request_id)
        if a.routed_to != actor.user_id:
            raise PermissionDenied(t("This amendment request is not routed to you."))
        if row.status not in OPEN:
            raise Conflict(t("This amendment request is already decided."))
        now = clock.now()
        a.decided_by, a.decided_at = actor.user_id, now
        row.completed_at, row.assigned_to, row.updated_at = now, actor.user_id, now
        if accept:
            a.decision, a.amendment_text, row.status = ACCEPTED, written, FULFILLED
            _tell_named(session, actor, a)
            tell_patient(
                session,
                row,
                N_("your record was amended"),
                N_(
                    "The clinic accepted your request to amend your record. The amendment now "
                    "shows with the item in the patient portal."
                ),
            )
        else:
            a.decision, a.denial_ground, a.denial_note = DENIED, ground, written or None
            row.status = DENIED
            tell_patient(
                session,
                row,
                N_("a decision on your amendment request"),
                N_(
                    "The clinic did not accept your request to amend your record. The letter in "
                    "the patient portal explains why and how to file a statement of "
                    "disagreement."
                ),
            )
        audit_patient(session, actor, f"amendment.{a.decision}", row)
    notify.flush()


def _tell_named(session: Session, actor: Actor, a: Amendment) -> None:
    """Tell the people the patient named (those with an email address) that the record was
    amended; they ask the clinic for the amendment itself."""
    clinic = settings().clinic_name
    words = re.split(r"[\s,;]+", a.notify or "")
    addresses = {w.strip("<>()[].").lower() for w in words}
    for address in sorted(w for w in addresses if EMAIL_RE.match(w)):
        notify.enqueue(
            session,
            actor.user_id,
            notify.EMAIL,
            "amendment_notice",
            t(
                notify.CLINIC_SUBJECT,
                clinic=clinic,
                about=t("an amendment to records you received"),
            ),
            t(
                "{clinic} amended a patient's record that you received earlier, at the patient's "
                "request. Contact the clinic's health information office for the amendment.",
                clinic=clinic,
            ),
            to_address=address,
        )


def disagreement_file(
    *, actor: Actor, patient_id: uuid.UUID, request_id: uuid.UUID, statement: str
) -> None:
    """After a denial, the patient's statement of disagreement, which then travels with the
    item."""
    fields: dict[str, str] = {}
    text = forms.checked_note(
        fields, "statement", statement, t("Write why you disagree with the denial."), MAX_TEXT
    )
    forms.raise_if(fields)
    with patient_work(actor, patient_id, "amendment.disagreement", access.RECORDS) as (
        session,
        found,
    ):
        patient_side(found)
        a, row = _amendment(session, request_id)
        if a.patient_id != patient_id:
            raise NotFound(t("We could not find that amendment request."))
        if a.decision != DENIED:
            raise Conflict(t("A statement of disagreement follows a denial."))
        if a.disagreement is not None:
            raise Conflict(t("A statement of disagreement was already filed for this item."))
        a.disagreement, a.disagreement_at = text, clock.now()


def rebuttal_add(*, actor: Actor, request_id: uuid.UUID, rebuttal: str) -> None:
    """HIM's rebuttal of a statement of disagreement; the patient gets a copy in the portal."""
    fields: dict[str, str] = {}
    text = forms.checked_note(fields, "rebuttal", rebuttal, t("Write the rebuttal."), MAX_TEXT)
    forms.raise_if(fields)
    with staff_work(actor, "amendment.rebuttal", access.HIM) as session:
        a, row = _amendment(session, request_id)
        if a.disagreement is None:
            raise Conflict(t("A rebuttal answers a statement of disagreement; none was filed."))
        if a.rebuttal is not None:
            raise Conflict(t("A rebuttal was already added."))
        a.rebuttal, a.rebuttal_at = text, clock.now()
        audit_patient(session, actor, "amendment.rebuttal", row)
        tell_patient(
            session,
            row,
            N_("a response to your statement of disagreement"),
            N_(
                "The clinic added a response to your statement of disagreement. It is in the "
                "patient portal with your amendment request."
            ),
        )
    notify.flush()


def amendment_denial_letter(*, actor: Actor, patient_id: uuid.UUID, request_id: uuid.UUID) -> bytes:
    """The written denial: the ground, the right to file a statement of disagreement, how to
    complain (PDF)."""
    view = my_amendment(actor=actor, patient_id=patient_id, request_id=request_id)
    if view.decision != DENIED:
        raise NotFound(t("This amendment request was not denied; there is no letter."))
    with patient_work(actor, patient_id, "amendment.letter", access.RECORDS) as (session, _):
        patient = session.get(Patient, patient_id)
        row = session.get(RecordsRequest, request_id)
        assert patient is not None and row is not None
        return letters.amendment_denial_letter(
            patient,
            row,
            view.item_label,
            t(GROUNDS[view.denial_ground]) if view.denial_ground in GROUNDS else "",
            view.denial_note,
        )
