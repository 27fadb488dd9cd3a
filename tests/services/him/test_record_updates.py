"""Record updates on both databases: a deceased notification with exactly the facts the clinic
asks for, which once confirmed closes the patient's accounts, ends sessions and proxies and
stops notifications; an adoption that needs one of three legal documents, each other document
refused by name with what would be accepted instead."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from services.core import access, db, notify
from services.core.errors import AuthenticationFailed, PermissionDenied, ValidationError
from services.core.models import NotificationOutbox, Patient, ProxyGrant, User
from services.him import queue, updates
from services.identity import sessions
from services.proxy import proxy_rules
from tests.conftest import NOW
from tests.services.him.test_records_requests import _him
from tests.services.proxy import support
from tests.support import world


def _patient(first: str, last: str) -> Patient:
    with db.read_only() as s:
        found = s.scalars(
            select(Patient).where(Patient.first_name == first, Patient.last_name == last)
        ).one()
        s.expunge(found)
        return found


def _person(p: Patient, **changes: object) -> updates.Person:
    person = updates.Person(p.first_name, p.middle_name or "", p.last_name, p.birth_date, p.mrn)
    return replace(person, **changes)  # type: ignore[arg-type]


def _death(p: Patient, **changes: object) -> updates.DeathReport:
    report = updates.DeathReport(
        _person(p), NOW.date() - timedelta(days=2), "Dana Larson", "daughter", "+1 612 555 0142"
    )
    return replace(report, **changes)  # type: ignore[arg-type]


def _adoption(p: Patient, **changes: object) -> updates.AdoptionNotice:
    notice = updates.AdoptionNotice(
        _person(p),
        "adoption_decree",
        "decree.pdf",
        support.pdf("Decree of adoption"),
        NOW.date() - timedelta(days=20),
        "",
        "Larson-Reyes",
        "Dana Larson and Luis Reyes",
    )
    return replace(notice, **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "change, field",
    [
        ({"patient": "first_name"}, "first_name"),
        ({"patient": "last_name"}, "last_name"),
        ({"patient": "birth_date"}, "birth_date"),
        ({"died_on": None}, "died_on"),
        ({"reporter_name": ""}, "reporter_name"),
        ({"reporter_relationship": " "}, "reporter_relationship"),
        ({"reporter_phone": ""}, "reporter_phone"),
        ({"reporter_phone": "12"}, "reporter_phone"),
    ],
)
def test_a_death_report_needs_each_fact_the_clinic_lists(
    seeded_url: str, change: dict[str, object], field: str
) -> None:
    ruth = _patient("Ruth", _patient_last("Ruth"))
    if "patient" in change:
        blank = (
            {"birth_date": None} if change["patient"] == "birth_date" else {change["patient"]: ""}
        )
        report = _death(ruth, patient=_person(ruth, **blank))
    else:
        report = _death(ruth, **change)
    with pytest.raises(ValidationError) as refused:
        updates.update_report(actor=world.actor_of("proxy.demo"), patient_id=ruth.id, form=report)
    assert field in refused.value.fields


def _patient_last(first: str) -> str:
    with db.read_only() as s:
        return s.scalars(select(Patient.last_name).where(Patient.first_name == first)).first()  # type: ignore[return-value]


def test_details_that_do_not_match_the_record_are_named(seeded_url: str) -> None:
    ruth = _patient("Ruth", _patient_last("Ruth"))
    wrong = _person(ruth, birth_date=ruth.birth_date + timedelta(days=1), mrn="99999999")
    with pytest.raises(ValidationError) as refused:
        updates.update_report(
            actor=world.actor_of("proxy.demo"), patient_id=ruth.id, form=_death(ruth, patient=wrong)
        )
    assert set(refused.value.fields) == {"birth_date", "mrn"}
    with pytest.raises(ValidationError):  # not before birth, not in the future
        updates.update_report(
            actor=world.actor_of("proxy.demo"),
            patient_id=ruth.id,
            form=_death(ruth, died_on=NOW.date() + timedelta(days=1)),
        )


def test_a_confirmed_death_closes_accounts_ends_sessions_and_proxies_and_stops_notices(
    seeded_url: str,
) -> None:
    alex = _patient("Alex", "Rivera")
    signed = world.signed_in("patient.demo")
    dana = world.actor_of("proxy.demo")
    with db.transaction() as s:
        proxy_rules.new_grant(
            s,
            patient_id=alex.id,
            proxy_user_id=dana.user_id,
            relationship="spouse",
            scopes="results",
            basis=access.PATIENT_CONSENT,
            ends_at=None,
        )
        notify.to_patient(s, alex.id, "results", "queued before", "A result is ready.")
    with pytest.raises(PermissionDenied):  # the patient does not report their own death
        updates.update_report(actor=signed.actor, patient_id=alex.id, form=_death(alex))
    rid = updates.update_report(actor=dana, patient_id=alex.id, form=_death(alex))
    view = updates.update_detail(actor=_him(), request_id=rid)
    assert view.facts["Reported by"] == "Dana Larson" and view.facts["Phone"] == "+16125550142"
    assert rid in {i.request_id for i in queue.records_queue(actor=_him(), kind="update")}
    updates.update_decide(actor=_him(), request_id=rid, confirm=True)
    with db.read_only() as s:
        assert s.get(Patient, alex.id).deceased_on == NOW.date() - timedelta(days=2)  # type: ignore[union-attr]
        assert s.scalars(select(User.status).where(User.patient_id == alex.id)).all() == [
            "disabled"
        ]
        live = s.scalar(
            select(func.count())
            .select_from(ProxyGrant)
            .where(ProxyGrant.patient_id == alex.id, ProxyGrant.revoked_at.is_(None))
        )
        waiting = s.scalar(
            select(func.count())
            .select_from(NotificationOutbox)
            .join(User, User.id == NotificationOutbox.user_id)
            .where(User.patient_id == alex.id, NotificationOutbox.attempts < notify.MAX_ATTEMPTS)
        )
    assert live == 0 and waiting == 0
    with pytest.raises(AuthenticationFailed):
        sessions.session_resume(token=signed.token, acting_for=alex.id)
    with db.transaction() as s:  # and nothing new is queued for the patient
        notify.to_patient(s, alex.id, "results", "after", "A result is ready.")
    with db.read_only() as s:
        after = s.scalar(
            select(func.count())
            .select_from(NotificationOutbox)
            .where(NotificationOutbox.subject == "after")
        )
    assert after == 0


@pytest.mark.parametrize("document", list(updates.REFUSED_DOCUMENTS))
def test_each_unacceptable_adoption_document_is_refused_by_name(
    seeded_url: str, document: str
) -> None:
    mia = _patient("Mia", "Larson")
    with pytest.raises(ValidationError) as refused:
        updates.update_report(
            actor=world.actor_of("proxy.demo"),
            patient_id=mia.id,
            form=_adoption(mia, document_type=document),
        )
    message = refused.value.fields["document_type"]
    assert message.startswith(updates.REFUSED_DOCUMENTS[document])
    for accepted in updates.ACCEPTED_DOCUMENTS.values():
        assert accepted.lower() in message


@pytest.mark.parametrize("document", list(updates.ACCEPTED_DOCUMENTS))
def test_each_accepted_adoption_document_is_taken_and_confirmed(
    seeded_url: str, document: str
) -> None:
    mia = _patient("Mia", "Larson")
    dana = world.actor_of("proxy.demo")
    other = world.some_patient_user()
    with db.transaction() as s:  # a birth parent who still had access
        s.add(
            ProxyGrant(
                id=uuid.uuid4(),
                patient_id=mia.id,
                proxy_user_id=other.user_id,
                relationship="parent",
                scopes="results",
                basis=access.PARENT_OF_MINOR,
                granted_at=NOW - timedelta(days=400),
            )
        )
    rid = updates.update_report(
        actor=dana, patient_id=mia.id, form=_adoption(mia, document_type=document)
    )
    kind, data = updates.update_document(actor=_him(), request_id=rid)
    assert kind == "application/pdf" and data.startswith(b"%PDF")
    updates.update_decide(actor=_him(), request_id=rid, confirm=True)
    with db.read_only() as s:
        assert s.get(Patient, mia.id).last_name == "Larson-Reyes"  # type: ignore[union-attr]
        holders = s.scalars(
            select(ProxyGrant.proxy_user_id).where(
                ProxyGrant.patient_id == mia.id, ProxyGrant.revoked_at.is_(None)
            )
        ).all()
    assert holders == [dana.user_id]


def test_an_adoption_needs_a_readable_document_and_him_may_decline_with_a_reason(
    seeded_url: str,
) -> None:
    mia = _patient("Mia", "Larson")
    dana = world.actor_of("proxy.demo")
    with pytest.raises(ValidationError) as refused:
        updates.update_report(
            actor=dana,
            patient_id=mia.id,
            form=_adoption(mia, document_type="", filename="decree.exe", data=b"MZ..."),
        )
    assert {"document_type", "file"} <= set(refused.value.fields)
    rid = updates.update_enter(actor=_him(), form=_adoption(mia))
    with pytest.raises(ValidationError):
        updates.update_decide(actor=_him(), request_id=rid, confirm=False, note="")
    updates.update_decide(actor=_him(), request_id=rid, confirm=False, note="Decree unreadable.")
    with db.read_only() as s:
        assert s.get(Patient, mia.id).last_name == "Larson"  # type: ignore[union-attr]
    for staff in ("billing.demo", "clinician.demo"):
        with pytest.raises(PermissionDenied):
            updates.update_detail(actor=world.actor_of(staff), request_id=rid)
