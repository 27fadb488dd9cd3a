"""Emails and texts are written in each recipient's language, whoever's work sends them: a
proxy told of a change a patient made, a patient told of a records decision made by staff, a
caregiver who asked for the records, and a result notice."""

from __future__ import annotations

import uuid

from sqlalchemy import select, update

from services.core import crypto, db, language
from services.core.language import t
from services.core.models import NotificationOutbox, User
from services.him import queue, requests
from services.proxy import grants
from services.records import results
from tests.services.records.test_results import held_result
from tests.support import world


def _speaks(username: str, code: str) -> uuid.UUID:
    with db.transaction() as s:
        s.execute(update(User).where(User.username == username).values(language=code))
        return s.scalars(select(User.id).where(User.username == username)).one()


def _last_email(user_id: uuid.UUID, kind: str) -> tuple[str, str]:
    with db.read_only() as s:
        row = s.scalars(
            select(NotificationOutbox)
            .where(NotificationOutbox.user_id == user_id, NotificationOutbox.kind == kind)
            .order_by(NotificationOutbox.id.desc())
        ).first()
        assert row is not None, f"no {kind} message for {user_id}"
        return row.subject, crypto.decrypt(row.body.encode()).decode()


def test_a_proxy_hears_of_a_revocation_in_their_language(seeded_url: str) -> None:
    proxy = _speaks("proxy.demo", "es")
    patient = world.sign_in("patient.demo")  # works in English
    grant = world.grant_of(world.proxy_of_alex(frozenset({"results"})), patient.patient_id)
    grants.grant_revoke(actor=patient, patient_id=patient.patient_id, grant_id=grant)
    subject, body = _last_email(proxy, "proxy")
    assert subject.endswith("terminó su acceso como representante")
    assert "Un paciente terminó su acceso" in body and "Inicie sesión" in body


def test_a_patient_hears_of_a_records_decision_in_their_language(seeded_url: str) -> None:
    patient = world.sign_in("patient.demo")
    me = _speaks("patient.demo", "es")
    rid = requests.copy_request(
        actor=patient, patient_id=patient.patient_id, parts={"all"}, delivery="portal"
    )
    queue.request_deny(actor=world.actor_of("him.demo"), request_id=rid, ground="endanger_life")
    subject, body = _last_email(me, "records")
    assert "una decisión sobre su solicitud de registros" in subject
    assert "No pudimos atender su solicitud" in body


def test_a_result_notice_is_written_in_the_patients_language(seeded_url: str) -> None:
    me = _speaks("patient.demo", "es")
    rid = held_result()
    results.results_release(actor=world.actor_of("clinician.demo"), result_ids=[rid])
    subject, body = _last_email(me, "results")
    with language.using("es"):
        assert subject == t("A new test result is ready") != "A new test result is ready"
        assert body == t("A new test result is ready in your patient portal. Sign in to read it.")
