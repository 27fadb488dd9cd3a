"""Share links on both databases: one recipient, time-limited, revocable, token stored hashed,
each use a disclosure; wrong emails and guessed tokens get one answer and are throttled."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from services.core import clock, db
from services.core.errors import NotFound, PermissionDenied, RateLimited, ValidationError
from services.core.models import Patient
from services.identity import admin
from services.records import sharing
from services.records.tables import Disclosure, ShareLink
from tests.conftest import NOW
from tests.services.records.test_results import _alex
from tests.support import world

CLINIC = "records@northside-clinic.example"


def _me():  # type: ignore[no-untyped-def]
    return world.actor_of("patient.demo")


def _share(what: str = "summary_pdf", days: int = 7) -> str:
    return sharing.share_create(
        actor=_me(),
        patient_id=_alex(),
        recipient_name="Northside Clinic",
        recipient_email=CLINIC,
        what=what,
        days=days,
    )


def test_the_recipient_opens_the_link_and_each_use_is_a_disclosure(seeded_url: str) -> None:
    token = _share()
    with db.read_only() as s:
        stored = s.scalars(select(ShareLink.token_hash)).one()
    assert token not in stored  # only a keyed hash is kept
    name, kind, data = sharing.share_open(token=token, recipient_email=CLINIC.upper())
    assert (name, kind) == ("record-summary.pdf", "application/pdf") and data.startswith(b"%PDF")
    sharing.share_open(token=token, recipient_email=CLINIC)
    with db.read_only() as s:
        disclosures = s.scalars(select(Disclosure).where(Disclosure.patient_id == _alex())).all()
    assert [d.recipient for d in disclosures][-2:] == [f"Northside Clinic <{CLINIC}>"] * 2
    [item] = sharing.shares_list(actor=_me(), patient_id=_alex())
    assert item.uses == 2 and item.revoked_at is None
    fhir = _share("fhir")
    _, kind, data = sharing.share_open(token=fhir, recipient_email=CLINIC)
    assert kind == "application/fhir+json" and json.loads(data)["resourceType"] == "Bundle"


def test_expired_revoked_and_wrong_recipient_links_do_not_work(seeded_url: str) -> None:
    token = _share(days=2)
    for email in ("someone@else.example", ""):
        with pytest.raises(NotFound) as refused:
            sharing.share_open(token=token, recipient_email=email)
        assert refused.value.message == sharing.NOT_AVAILABLE
    with clock.frozen(NOW + timedelta(days=2, seconds=1)), pytest.raises(NotFound):
        sharing.share_open(token=token, recipient_email=CLINIC)
    [item] = sharing.shares_list(actor=_me(), patient_id=_alex())
    sharing.share_revoke(actor=_me(), patient_id=_alex(), share_id=item.share_id)
    with pytest.raises(NotFound):
        sharing.share_open(token=token, recipient_email=CLINIC)
    with pytest.raises(NotFound):
        sharing.share_revoke(actor=_me(), patient_id=_alex(), share_id=item.share_id)


def test_a_link_ends_when_its_owners_account_is_disabled(seeded_url: str) -> None:
    """The probe: a link kept working after the patient's account was disabled."""
    token = _share()
    sharing.share_open(token=token, recipient_email=CLINIC)
    admin.account_deactivate(actor=world.actor_of("admin.demo"), username="patient.demo")
    with pytest.raises(NotFound) as refused:
        sharing.share_open(token=token, recipient_email=CLINIC)
    assert refused.value.message == sharing.NOT_AVAILABLE
    admin.account_reactivate(actor=world.actor_of("admin.demo"), username="patient.demo")
    with pytest.raises(NotFound):  # ended for good, not only while disabled
        sharing.share_open(token=token, recipient_email=CLINIC)
    [item] = sharing.shares_list(actor=_me(), patient_id=_alex())
    assert item.revoked_at is not None


def test_a_link_ends_when_the_patients_death_is_recorded(seeded_url: str) -> None:
    token = _share()
    with db.transaction() as s:
        s.execute(update(Patient).where(Patient.id == _alex()).values(deceased_on=NOW.date()))
    with pytest.raises(NotFound):
        sharing.share_open(token=token, recipient_email=CLINIC)


def test_guessing_is_throttled(seeded_url: str) -> None:
    token = _share()
    for _ in range(5):
        with pytest.raises(NotFound):
            sharing.share_open(token=token, recipient_email="guess@else.example")
    with pytest.raises(RateLimited):  # even the right email waits now
        sharing.share_open(token=token, recipient_email=CLINIC)


def test_only_the_patient_shares_and_bad_input_is_refused(seeded_url: str) -> None:
    with pytest.raises(ValidationError) as refused:
        sharing.share_create(
            actor=_me(),
            patient_id=_alex(),
            recipient_name=" ",
            recipient_email="not-an-email",
            what="everything",
            days=90,
        )
    assert set(refused.value.fields) == {"recipient_name", "email", "what", "days"}
    proxy = world.actor_of("proxy.demo")
    with pytest.raises(PermissionDenied):
        sharing.share_create(
            actor=proxy,
            patient_id=world.patient_id("Mia", "Larson"),
            recipient_name="X",
            recipient_email=CLINIC,
            what="fhir",
            days=3,
        )
    with pytest.raises(NotFound):
        sharing.shares_list(actor=world.some_patient_user(), patient_id=_alex())
