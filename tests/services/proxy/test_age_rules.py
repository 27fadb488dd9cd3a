"""The age rules on a frozen clock (the day before and the day of the 12th and 18th birthdays,
29 February birthdays), the notices the job sends once, and the scope matrix: every scope ×
every patient-side service."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from services.core import access, clock, db
from services.core.errors import NotFound
from services.core.models import Patient, ProxyGrant
from services.health import metrics
from services.homes.patient import patient_home
from services.proxy import age_rules, proxy_rules
from services.proxy.tables import ProxyNotice
from services.records import documents, fhir_export, printouts, records, results
from tests.conftest import NOW
from tests.support import world


@pytest.mark.parametrize(
    ("birth", "age", "day"),
    [
        (date(2014, 7, 3), 12, date(2026, 7, 3)),
        (date(2012, 2, 29), 12, date(2024, 2, 29)),  # a leap year: the day itself
        (date(2012, 2, 29), 18, date(2030, 3, 1)),  # otherwise 1 March
        (date(2008, 2, 29), 18, date(2026, 3, 1)),
    ],
)
def test_birthdays_turn_on_the_day_and_29_february_on_1_march(
    birth: date, age: int, day: date
) -> None:
    assert proxy_rules.birthday(birth, age) == day
    assert access.age_on(birth, day) == age
    assert access.age_on(birth, day - timedelta(days=1)) == age - 1


def _set_birth(patient_id: uuid.UUID, birth: date) -> None:
    with db.transaction() as s:
        s.execute(update(Patient).where(Patient.id == patient_id).values(birth_date=birth))


def _at(day: date) -> datetime:
    return clock.day_start(day) + timedelta(hours=10)  # mid-morning in the clinic


def _view(patient_id: uuid.UUID) -> access.Access | None:
    dana = world.actor_of("proxy.demo")
    with db.read_only() as s:
        return access.patient_access(s, dana, patient_id)


@pytest.mark.parametrize("birth", [date(2014, 6, 20), date(2012, 2, 29)])
def test_a_parents_access_narrows_at_12_and_ends_at_18(seeded_url: str, birth: date) -> None:
    mia = world.patient_id("Mia", "Larson")
    _set_birth(mia, birth)
    twelve, eighteen = proxy_rules.birthday(birth, 12), proxy_rules.birthday(birth, 18)
    with clock.frozen(_at(twelve - timedelta(days=1))):
        found = _view(mia)
        assert found is not None and not found.adolescent_limited
    with clock.frozen(_at(twelve)):
        found = _view(mia)
        assert found is not None and found.adolescent_limited
    with clock.frozen(_at(eighteen - timedelta(days=1))):
        found = _view(mia)
        assert found is not None and found.adolescent_limited
    with clock.frozen(_at(eighteen)):
        assert _view(mia) is None
        with pytest.raises(NotFound):
            patient_home(actor=world.actor_of("proxy.demo"), patient_id=mia)


def _notices(grant_id: uuid.UUID) -> list[str]:
    with db.read_only() as s:
        return sorted(s.scalars(select(ProxyNotice.kind).where(ProxyNotice.grant_id == grant_id)))


def _grant(patient_id: uuid.UUID) -> uuid.UUID:
    with db.read_only() as s:
        return s.scalars(
            select(ProxyGrant.id).where(
                ProxyGrant.patient_id == patient_id, ProxyGrant.revoked_at.is_(None)
            )
        ).one()


def test_both_sides_are_told_30_days_before_and_on_the_day_once(seeded_url: str) -> None:
    emma = world.patient_id("Emma", "Larson")
    birth = date(2008, 7, 1)  # 18 on 1 July 2026, 30 days after NOW
    _set_birth(emma, birth)
    grant = _grant(emma)
    with clock.frozen(_at(date(2026, 5, 31))):  # 31 days before: nothing yet
        age_rules.send_proxy_notices()
        assert "adult_soon" not in _notices(grant)
    with clock.frozen(_at(date(2026, 6, 1))):
        assert age_rules.send_proxy_notices() >= 1
        assert _notices(grant) == ["adult_soon"]
        assert age_rules.send_proxy_notices() == 0  # each notice once
    with clock.frozen(_at(date(2026, 7, 1))):
        age_rules.send_proxy_notices()
        assert _notices(grant) == ["adult_soon", "adult_today"]
    dana_mail = [m for m in _inbox("dana.larson@example.org") if "18" in m.subject]
    assert len(dana_mail) == 2
    assert len([m for m in _inbox_of_patient("teen.demo") if "18" in m.subject]) == 2


def test_an_adults_grant_ends_on_its_end_date_with_a_reminder(seeded_url: str) -> None:
    ruth = world.patient_id("Ruth", "Larson")
    grant = _grant(ruth)
    end = clock.day_start(NOW.date() + timedelta(days=20))
    with db.transaction() as s:
        s.execute(update(ProxyGrant).where(ProxyGrant.id == grant).values(expires_at=end))
    age_rules.send_proxy_notices()
    assert _notices(grant) == ["ends_soon"]
    with clock.frozen(end - timedelta(seconds=1)):
        assert _view(ruth) is not None
    with clock.frozen(end):
        assert _view(ruth) is None
        age_rules.send_proxy_notices()
        assert _notices(grant) == ["ends_soon", "ends_today"]


def _inbox(to: str) -> list[Any]:
    from tests.services.proxy.support import inbox

    return inbox(to)


def _inbox_of_patient(username: str) -> list[Any]:
    from services.core.models import User

    with db.read_only() as s:
        email = s.scalars(select(User.email).where(User.username == username)).one()
    return _inbox(email)


def test_confidential_teen_information_is_hidden_from_the_parent_only(seeded_url: str) -> None:
    emma = world.patient_id("Emma", "Larson")
    teen, parent = world.sign_in("teen.demo"), world.sign_in("proxy.demo")

    def seen(actor: access.Actor) -> dict[str, Any]:
        home = patient_home(actor=actor, patient_id=emma)
        return {
            "notes": {n.title for n in records.notes(actor=actor, patient_id=emma)},
            "results": {r.panel_name for r in results.results_list(actor=actor, patient_id=emma)},
            "visits": {v.reason for v in records.visits(actor=actor, patient_id=emma)},
            "appointments": {a.reason for a in home.upcoming_appointments or []},
            "unread": home.unread_messages,
            "csv": printouts.results_csv(actor=actor, patient_id=emma).decode(),
            "fhir": fhir_export.fhir_bundle(actor=actor, patient_id=emma).decode(),
        }

    mine, theirs = seen(teen), seen(parent)
    assert "Confidential: reproductive health visit" in mine["notes"]
    assert "Chlamydia trachomatis rRNA, NAA" in mine["results"]
    assert "Confidential adolescent visit" in mine["visits"]
    assert "Confidential follow-up" in mine["appointments"] and mine["unread"] == 1
    assert "Chlamydia" in mine["csv"] and "Chlamydia" in mine["fhir"]
    assert not theirs["notes"] & {"Confidential: reproductive health visit"}
    assert "Chlamydia trachomatis rRNA, NAA" not in theirs["results"]
    assert "Confidential adolescent visit" not in theirs["visits"]
    assert "Sports physical" in theirs["appointments"]
    assert "Confidential follow-up" not in theirs["appointments"] and theirs["unread"] == 0
    assert "Chlamydia" not in theirs["csv"] and "Chlamydia" not in theirs["fhir"]
    assert "reproductive" not in theirs["fhir"]


# --- every scope × every patient-side service ---------------------------------------------------

SERVICES: dict[str, tuple[str, Callable[[access.Actor, uuid.UUID], Any]]] = {
    "results_list": (access.RESULTS, lambda a, p: results.results_list(actor=a, patient_id=p)),
    "results_csv": (access.RESULTS, lambda a, p: printouts.results_csv(actor=a, patient_id=p)),
    "result_trend": (
        access.RESULTS,
        lambda a, p: results.result_trend(actor=a, patient_id=p, loinc="4548-4"),
    ),
    "visits": (access.RECORDS, lambda a, p: records.visits(actor=a, patient_id=p)),
    "notes": (access.RECORDS, lambda a, p: records.notes(actor=a, patient_id=p)),
    "summary": (access.RECORDS, lambda a, p: records.summary(actor=a, patient_id=p)),
    "summary_pdf": (access.RECORDS, lambda a, p: printouts.summary_pdf(actor=a, patient_id=p)),
    "fhir": (access.RECORDS, lambda a, p: fhir_export.fhir_bundle(actor=a, patient_id=p)),
    "metrics": (access.METRICS, lambda a, p: metrics.earliest_reading(actor=a, patient_id=p)),
    "documents": (access.DOCUMENTS, lambda a, p: documents.documents_list(actor=a, patient_id=p)),
}
HOME_SECTIONS = {
    access.APPOINTMENTS: "upcoming_appointments",
    access.MESSAGES: "unread_messages",
    access.RESULTS: "new_results",
    access.BILLING_SCOPE: "balance_due_cents",
}


@pytest.mark.parametrize("scope", [*access.SCOPES])
def test_each_scope_opens_its_services_and_no_other(seeded_url: str, scope: str) -> None:
    alex = world.patient_id("Alex", "Rivera")
    dana = world.actor_of("proxy.demo")
    with db.transaction() as s:
        proxy_rules.new_grant(
            s,
            patient_id=alex,
            proxy_user_id=dana.user_id,
            relationship="friend",
            scopes=scope,
            basis=access.PATIENT_CONSENT,
            ends_at=NOW + timedelta(days=30),
        )
    for needs, call in SERVICES.values():
        if needs == scope:
            call(dana, alex)
        else:
            with pytest.raises(NotFound):
                call(dana, alex)
    home = patient_home(actor=dana, patient_id=alex)
    for section_scope, field in HOME_SECTIONS.items():
        shown = getattr(home, field) is not None
        assert shown == (section_scope == scope), (scope, field)
