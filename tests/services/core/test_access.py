"""Every service function refuses the wrong actor, and every refusal is audited."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from typing import Any

import pytest
from sqlalchemy import func, select

from seed import demo
from services.analytics import dashboard, periods
from services.analytics.cube import Filters
from services.core import access, clock, db
from services.core.access import Actor
from services.core.errors import NotFound, PermissionDenied
from services.core.models import AuditEvent, PatientCareTeam
from services.homes.billing import billing_home
from services.homes.clinician import clinician_home
from services.homes.him import him_home
from services.homes.patient import patient_home
from services.identity import admin
from tests.conftest import NOW
from tests.support import world

STAFF_SERVICES: dict[str, tuple[Callable[..., Any], str, str]] = {
    "clinician_home": (clinician_home, access.CLINICIAN, "home.clinician.view"),
    "him_home": (him_home, access.HIM, "home.him.view"),
    "billing_home": (billing_home, access.BILLING, "home.billing.view"),
    "manager_dashboard": (
        partial(dashboard.dashboard, period=periods.ending(30, NOW.date()), filters=Filters()),
        access.MANAGER,
        "analytics.dashboard.view",
    ),
    "manager_filters": (dashboard.filter_choices, access.MANAGER, "analytics.filters.view"),
    "admin_home": (admin.admin_home, access.ADMIN, "home.admin.view"),
    "audit_verify": (admin.audit_verify, access.ADMIN, "audit.verify"),
}


def _last_audit() -> AuditEvent:
    with db.read_only() as s:
        return s.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1)).one()


def _audit_count() -> int:
    with db.read_only() as s:
        return int(s.scalar(select(func.count()).select_from(AuditEvent)) or 0)


def _refused(call: Callable[[], Any], error: type[Exception]) -> AuditEvent:
    """Run a call that must be refused; return the one audit row the refusal wrote."""
    before = _audit_count()
    with pytest.raises(error):
        call()
    assert _audit_count() == before + 1, "a refusal writes exactly one audit row and nothing else"
    return _last_audit()


@pytest.mark.parametrize("service", list(STAFF_SERVICES))
def test_staff_services_refuse_every_other_role(seeded_url: str, service: str) -> None:
    function, role, action = STAFF_SERVICES[service]
    for username in demo.DEMO_USERNAMES:
        actor = world.actor_of(username)
        if role in actor.roles:
            function(actor=actor)
            assert _last_audit().action == action and _last_audit().outcome == "success"
            continue
        row = _refused(lambda a=actor: function(actor=a), PermissionDenied)
        assert (row.action, row.outcome, row.actor_user_id) == (action, "denied", actor.user_id)


@pytest.mark.parametrize("service", list(STAFF_SERVICES))
def test_staff_services_refuse_a_call_without_an_actor(seeded_url: str, service: str) -> None:
    function, _, action = STAFF_SERVICES[service]
    row = _refused(lambda: function(actor=None), PermissionDenied)
    assert (row.action, row.outcome, row.actor_user_id) == (action, "denied", None)


def test_patient_guessing_another_patients_id_gets_not_found(seeded_url: str) -> None:
    me = world.sign_in("patient.demo")
    other = world.other_patient(me.patient_id)
    for target in (other, uuid.uuid4()):
        row = _refused(lambda t=target: patient_home(actor=me, patient_id=t), NotFound)
        assert (row.outcome, row.patient_id, row.actor_user_id) == ("not_found", target, me.user_id)
    # The same wording whether or not the record exists: nothing to learn from guessing.
    with pytest.raises(NotFound) as real:
        patient_home(actor=me, patient_id=other)
    with pytest.raises(NotFound) as made_up:
        patient_home(actor=me, patient_id=uuid.uuid4())
    assert real.value.message == made_up.value.message


def test_another_patient_and_an_unrelated_proxy_are_refused(seeded_url: str) -> None:
    me = world.sign_in("patient.demo")
    stranger = world.some_patient_user()
    _refused(lambda: patient_home(actor=stranger, patient_id=me.patient_id), NotFound)
    proxy = world.sign_in("proxy.demo")
    _refused(lambda: patient_home(actor=proxy, patient_id=me.patient_id), NotFound)


@pytest.mark.parametrize(
    "username", ["clinician.demo", "him.demo", "billing.demo", "manager.demo", "admin.demo"]
)
def test_staff_cannot_open_the_patient_home(seeded_url: str, username: str) -> None:
    patient = world.sign_in("patient.demo").patient_id
    row = _refused(
        lambda: patient_home(actor=world.actor_of(username), patient_id=patient),
        PermissionDenied,
    )
    assert row.outcome == "denied" and row.patient_id == patient


def test_patient_home_without_an_actor_is_refused(seeded_url: str) -> None:
    patient = world.sign_in("patient.demo").patient_id
    _refused(lambda: patient_home(actor=None, patient_id=patient), PermissionDenied)  # type: ignore[arg-type]


def test_policy_minimum_necessary_per_role(seeded_url: str) -> None:
    patient = world.sign_in("patient.demo").patient_id
    with db.read_only() as s:
        clinician = access.patient_access(s, world.actor_of("clinician.demo"), patient)
        assert clinician is not None and access.RESULTS in clinician.scopes
        assert (
            access.BILLING_SCOPE not in clinician.scopes and access.SUMMARY not in clinician.scopes
        )
        billing = access.patient_access(s, world.actor_of("billing.demo"), patient)
        assert billing is not None and billing.scopes == {access.BILLING_SCOPE}
        him = access.patient_access(s, world.actor_of("him.demo"), patient)
        assert him is not None and access.METRICS not in him.scopes
        assert access.patient_access(s, world.actor_of("manager.demo"), patient) is None
        assert access.patient_access(s, world.actor_of("admin.demo"), patient) is None


def test_clinician_outside_the_care_team_is_refused(seeded_url: str) -> None:
    clinician = world.actor_of("clinician.demo")
    with db.read_only() as s:
        mine = set(s.scalars(access.clinician_patients(clinician.user_id)))
        outsider = s.scalars(
            select(PatientCareTeam.patient_id).where(PatientCareTeam.patient_id.not_in(mine))
        ).first()
    assert outsider is not None
    with db.transaction() as s, pytest.raises(PermissionDenied):
        access.authorize_patient(s, clinician, outsider, access.RESULTS)


def test_parent_access_narrows_at_12_and_ends_at_18(seeded_url: str) -> None:
    proxy = world.sign_in("proxy.demo")
    child = world.patient_id("Mia", "Larson")  # 9 years old at NOW
    with db.read_only() as s:
        now_access = access.patient_access(s, proxy, child)
        assert now_access is not None and not now_access.adolescent_limited
    with clock.frozen(NOW + timedelta(days=365 * 4)), db.read_only() as s:
        teen = access.patient_access(s, proxy, child)
        assert teen is not None and teen.adolescent_limited
    with clock.frozen(NOW + timedelta(days=365 * 10)):
        with db.read_only() as s:
            assert access.patient_access(s, proxy, child) is None
        _refused(lambda: patient_home(actor=proxy, patient_id=child), NotFound)


def test_acting_choices_list_own_record_and_live_grants(seeded_url: str) -> None:
    from services.identity.acting import acting_choices

    proxy: Actor = world.sign_in("proxy.demo")
    names = {c.name: c.relationship for c in acting_choices(actor=proxy)}
    assert names == {"Mia Larson": "parent", "Emma Larson": "parent", "Ruth Larson": "child"}
    me = world.sign_in("patient.demo")
    assert [c.relationship for c in acting_choices(actor=me)] == ["self"]


def test_acting_choices_are_audited_when_new_or_changed_and_otherwise_write_nothing(
    seeded_url: str,
) -> None:
    from services.identity.acting import acting_choices

    proxy: Actor = world.sign_in("proxy.demo")

    def listed() -> int:
        with db.read_only() as s:
            return (
                s.scalar(
                    select(func.count())
                    .select_from(AuditEvent)
                    .where(AuditEvent.action == "proxy.choices.view")
                )
                or 0
            )

    before = listed()
    first = acting_choices(actor=proxy)
    assert listed() == before + 1  # a new tab: the list shown is recorded
    assert acting_choices(actor=proxy, previous=first) == first
    assert listed() == before + 1  # the same list on the next page: nothing written
    assert acting_choices(actor=proxy, previous=first[:1]) == first
    assert listed() == before + 2  # the list changed since this tab last showed it
