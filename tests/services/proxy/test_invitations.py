"""A patient invites a delegate; the link is single-use and expires; the patient manages the
grant: scopes, renewal, revocation effective on the proxy's next call."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from services.core import access, clock, db
from services.core.errors import NotFound, PermissionDenied, ValidationError
from services.core.models import ProxyGrant
from services.identity.acting import acting_choices
from services.proxy import grants, invitations, proxy_rules
from services.records import results
from tests.conftest import NOW
from tests.services.proxy import support
from tests.support import world

ALL = set(access.SCOPES)


def _invite(email: str = "sam.delegate@example.org", **changes: object) -> str:
    """Alex invites someone; returns the link's token from the email."""
    alex = world.sign_in("patient.demo")
    values: dict[str, object] = {
        "name": "Sam Delegate",
        "email": email,
        "relationship": "spouse",
        "scopes": {access.RESULTS, access.APPOINTMENTS},
    }
    values.update(changes)
    invitations.invitation_create(actor=alex, patient_id=alex.patient_id, **values)  # type: ignore[arg-type]
    body = support.inbox(email)[0].body
    return re.search(r"/invitation\?token=(\S+)", body).group(1)  # type: ignore[union-attr]


def test_an_invitation_is_accepted_once_by_a_new_proxy_account(seeded_url: str) -> None:
    token = _invite()
    view = invitations.invitation_view(token=token)
    assert view.patient_name == "Alex Rivera" and set(view.scopes) == {"results", "appointments"}
    default_end = clock.day_start(clock.add_months(NOW.date(), 18) + timedelta(days=1))
    assert view.grant_ends_at == default_end
    email = "sam.delegate@example.org"
    invitations.invitation_register(token=token, details=support.details("sam.delegate", email))
    sam = support.verify("sam.delegate", email)
    assert access.PROXY in sam.roles
    [alex_choice] = [c for c in acting_choices(actor=sam) if c.name == "Alex Rivera"]
    assert alex_choice.scopes == {"results", "appointments", access.SUMMARY}
    results.results_list(actor=sam, patient_id=alex_choice.patient_id)
    with pytest.raises(NotFound):  # single use
        invitations.invitation_view(token=token)
    with pytest.raises(NotFound):
        invitations.invitation_accept(actor=world.sign_in("proxy.demo"), token=token)
    # Alex is told, without clinical detail.
    told = support.inbox("alex.rivera0@example.org")
    assert any("accepted" in m.subject for m in told)


def test_a_signed_in_person_accepts_and_the_link_expires(seeded_url: str) -> None:
    token = _invite("dana.larson@example.org")
    dana = world.sign_in("proxy.demo")
    assert invitations.invitation_accept(actor=dana, token=token) == "Alex Rivera"
    late = _invite("someone@example.org")
    with clock.frozen(NOW + timedelta(days=proxy_rules.invitation_days(), seconds=1)):
        with pytest.raises(NotFound):
            invitations.invitation_accept(actor=dana, token=late)
    with pytest.raises(NotFound):
        invitations.invitation_accept(actor=dana, token="not-a-token")


def test_a_patient_cannot_accept_their_own_invitation_and_can_cancel_one(seeded_url: str) -> None:
    token = _invite()
    alex = world.sign_in("patient.demo")
    with pytest.raises(PermissionDenied):
        invitations.invitation_accept(actor=alex, token=token)
    [pending] = invitations.invitations_pending(actor=alex, patient_id=alex.patient_id)
    invitations.invitation_cancel(
        actor=alex, patient_id=alex.patient_id, invitation_id=pending.invitation_id
    )
    with pytest.raises(NotFound):
        invitations.invitation_view(token=token)
    assert invitations.invitations_pending(actor=alex, patient_id=alex.patient_id) == []


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": " "}, "name"),
        ({"email": "not-an-address"}, "email"),
        ({"email": "alex.rivera0@example.org"}, "email"),  # their own address
        ({"relationship": "boss"}, "relationship"),
        ({"scopes": set()}, "scopes"),
        ({"scopes": {"everything"}}, "scopes"),
        ({"ends_on": NOW.date()}, "ends_on"),
        ({"ends_on": clock.add_months(NOW.date(), 18) + timedelta(days=1)}, "ends_on"),
    ],
)
def test_bad_invitations_are_refused_and_send_nothing(
    seeded_url: str, changes: dict[str, object], field: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        _invite(**changes)
    assert field in refused.value.fields


def test_only_the_adult_patient_invites(seeded_url: str) -> None:
    dana = world.sign_in("proxy.demo")
    mia = world.patient_id("Mia", "Larson")
    with pytest.raises(PermissionDenied):  # a parent acting for a child
        invitations.invitation_create(
            actor=dana,
            patient_id=mia,
            name="Grandma",
            email="grandma@example.org",
            relationship="other",
            scopes=ALL,
        )
    emma = world.sign_in("teen.demo")  # 15: below the policy's age (a setting)
    with pytest.raises(PermissionDenied):
        invitations.invitation_create(
            actor=emma,
            patient_id=emma.patient_id,
            name="A friend",
            email="friend@example.org",
            relationship="friend",
            scopes={access.RESULTS},
        )


def _sam_for_alex() -> tuple[grants.ProxyItem, access.Actor]:
    token = _invite()
    invitations.invitation_register(
        token=token, details=support.details("sam.delegate", "sam.delegate@example.org")
    )
    sam = support.verify("sam.delegate", "sam.delegate@example.org")
    alex = world.sign_in("patient.demo")
    [item] = [
        p
        for p in grants.proxies_list(actor=alex, patient_id=alex.patient_id)
        if p.name == "Jamie Okoro"
    ]
    return item, sam


def test_my_proxies_shows_last_use_and_changes_take_effect_on_the_next_call(
    seeded_url: str,
) -> None:
    item, sam = _sam_for_alex()
    alex = world.sign_in("patient.demo")
    pid = alex.patient_id
    assert pid is not None and item.patient_managed and item.last_used_at is None
    results.results_list(actor=sam, patient_id=pid)
    [item] = [
        p for p in grants.proxies_list(actor=alex, patient_id=pid) if p.grant_id == item.grant_id
    ]
    assert item.last_used_at is not None
    grants.grant_scopes_change(
        actor=alex, patient_id=pid, grant_id=item.grant_id, scopes={access.APPOINTMENTS}
    )
    with pytest.raises(NotFound):
        results.results_list(actor=sam, patient_id=pid)
    ends = grants.grant_renew(
        actor=alex, patient_id=pid, grant_id=item.grant_id, ends_on=NOW.date() + timedelta(days=90)
    )
    assert ends == clock.day_start(NOW.date() + timedelta(days=91))
    grants.grant_revoke(actor=alex, patient_id=pid, grant_id=item.grant_id)
    assert pid not in {c.patient_id for c in acting_choices(actor=sam)}
    with pytest.raises(NotFound):
        grants.grant_revoke(actor=alex, patient_id=pid, grant_id=item.grant_id)
    assert any("ended" in m.subject for m in support.inbox("sam.delegate@example.org"))


def test_what_a_proxy_opened_shows_in_who_has_opened_your_record(seeded_url: str) -> None:
    from services.identity.account import record_access_log

    _, sam = _sam_for_alex()
    alex = world.sign_in("patient.demo")
    results.results_list(actor=sam, patient_id=alex.patient_id)  # type: ignore[arg-type]
    seen = record_access_log(actor=alex, patient_id=alex.patient_id)  # type: ignore[arg-type]
    assert ("Jamie Okoro", "Proxy", "Test results") in {(i.who, i.role, i.what) for i in seen}


def test_grants_resting_on_a_legal_basis_are_not_the_patients_to_change(seeded_url: str) -> None:
    emma = world.sign_in("teen.demo")
    pid = emma.patient_id
    assert pid is not None
    [parent] = grants.proxies_list(actor=emma, patient_id=pid)
    assert parent.basis == access.PARENT_OF_MINOR and not parent.patient_managed
    with pytest.raises(PermissionDenied):
        grants.grant_revoke(actor=emma, patient_id=pid, grant_id=parent.grant_id)
    dana = world.sign_in("proxy.demo")
    with pytest.raises(PermissionDenied):  # a proxy cannot manage the patient's proxies
        grants.proxies_list(actor=dana, patient_id=pid)
    with db.read_only() as s:
        assert s.get(ProxyGrant, parent.grant_id).revoked_at is None  # type: ignore[union-attr]


def test_the_end_date_is_kept_within_the_maximum(seeded_url: str) -> None:
    assert clock.add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert clock.add_months(date(2024, 8, 31), 18) == date(2026, 2, 28)


def test_registering_through_a_used_link_creates_no_account(seeded_url: str) -> None:
    from services.core.models import User

    token = _invite()
    invitations.invitation_accept(actor=world.sign_in("proxy.demo"), token=token)
    with pytest.raises(NotFound):
        invitations.invitation_register(
            token=token, details=support.details("late.comer", "late.comer@example.org")
        )
    with db.read_only() as s:
        assert s.query(User).filter(User.username == "late.comer").count() == 0
