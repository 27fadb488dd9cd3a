"""Home selectors over the seeded world, on DuckDB and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from services.care import visit_types
from services.core import clock, db
from services.core.access import Actor
from services.core.models import ProxyGrant
from services.homes.billing import billing_home
from services.homes.clinician import clinician_home
from services.homes.common import HOME_LIST_LIMIT
from services.homes.him import him_home
from services.homes.patient import patient_home
from services.identity.admin import admin_home
from tests.conftest import NOW
from tests.support import world


def test_patient_home_shows_what_is_new_and_next(seeded_url: str) -> None:
    actor = world.sign_in("patient.demo")
    view = patient_home(actor=actor, patient_id=actor.patient_id)
    assert view.patient_name == "Alex Rivera"
    assert view.upcoming_appointments and all(a.start_at >= NOW for a in view.upcoming_appointments)
    names = {v.name for v in visit_types.VISIT_TYPES.values()}
    assert all(a.visit_type in names for a in view.upcoming_appointments)  # names, not codes
    assert view.unread_messages and view.unread_messages >= 1
    assert view.new_results, "the demo patient has newly released results"
    assert all(r.released_at <= NOW for r in view.new_results)
    assert view.balance_due_cents is not None and view.balance_due_cents >= 0


def test_held_results_never_reach_the_patient_home(seeded_url: str) -> None:
    actor = world.sign_in("patient.demo")
    clinician = clinician_home(actor=world.sign_in("clinician.demo"))
    held = {r.result_id for r in clinician.held_list if r.patient_name == "Alex Rivera"}
    assert held, "the demo patient has held results"
    view = patient_home(actor=actor, patient_id=actor.patient_id)
    assert held.isdisjoint({r.result_id for r in view.new_results or []})


def test_proxy_acts_for_child_and_for_parent_within_scope(seeded_url: str) -> None:
    proxy = world.sign_in("proxy.demo")
    child = world.patient_id("Mia", "Larson")
    parent = world.patient_id("Ruth", "Larson")
    child_view = patient_home(actor=proxy.acting_as(child), patient_id=child)
    assert child_view.patient_name == "Mia Larson"
    assert child_view.balance_due_cents is not None
    parent_view = patient_home(actor=proxy.acting_as(parent), patient_id=parent)
    # The parent's consent covers clinical scopes but not billing: that section is absent.
    assert parent_view.balance_due_cents is None
    assert parent_view.upcoming_appointments is not None


def test_clinician_home_counts_care_team_work(seeded_url: str) -> None:
    view = clinician_home(actor=world.sign_in("clinician.demo"))
    assert view.held_results >= 2 and len(view.held_list) == min(view.held_results, HOME_LIST_LIMIT)
    assert view.open_alerts >= 1
    assert view.amendments_waiting >= 1  # the seed routes some to the demo clinician
    assert [r.held_at for r in view.held_list] == sorted(r.held_at for r in view.held_list)


def test_him_billing_admin_homes(seeded_url: str) -> None:
    him = him_home(actor=world.sign_in("him.demo"))
    assert him.proxy_requests_pending >= 3
    assert [r.due_at for r in him.next_due] == sorted(r.due_at for r in him.next_due)
    billing = billing_home(actor=world.sign_in("billing.demo"))
    assert billing.open_statements >= 0 and billing.outstanding_cents >= 0
    admin = admin_home(actor=world.sign_in("admin.demo"))
    assert admin.audit.ok and admin.audit.entries >= 5
    assert admin.accounts_by_role["clinician"] >= 1


def test_expired_or_revoked_grant_stops_at_once(seeded_url: str) -> None:
    proxy: Actor = world.sign_in("proxy.demo")
    parent = world.patient_id("Ruth", "Larson")
    patient_home(actor=proxy, patient_id=parent)
    with db.transaction() as s:
        s.execute(
            update(ProxyGrant).where(ProxyGrant.patient_id == parent).values(revoked_at=clock.now())
        )
    import pytest

    from services.core.errors import NotFound

    with pytest.raises(NotFound):
        patient_home(actor=proxy, patient_id=parent)
    with db.transaction() as s:
        s.execute(
            update(ProxyGrant)
            .where(ProxyGrant.patient_id == parent)
            .values(revoked_at=None, expires_at=clock.now() - timedelta(minutes=1))
        )
    with pytest.raises(NotFound):
        patient_home(actor=proxy, patient_id=parent)
