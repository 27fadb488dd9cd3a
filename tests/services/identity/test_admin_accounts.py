"""Admins manage accounts: staff creation, deactivation, forced resets, lost second factors."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from services.core import notify
from services.core.errors import AuthenticationFailed, NotFound, PermissionDenied, ValidationError
from services.core.models import AuditEvent
from services.identity import admin, auth, recovery, sessions
from tests.support import world

NEW = "quiet harbor lantern morning"
ADMIN_ACTIONS = (
    admin.account_deactivate,
    admin.account_reactivate,
    admin.password_reset_force,
    admin.second_factor_reset,
    admin.account_unlock,
)


def _admin():  # type: ignore[no-untyped-def]
    return world.actor_of("admin.demo")


def _last_mail(kind: str) -> str:
    return next(m.body for m in notify.demo_inbox(actor=_admin()) if m.kind == kind)


@pytest.mark.parametrize("action", ADMIN_ACTIONS, ids=lambda f: f.__name__)
def test_only_admins_manage_accounts(seeded_url: str, action) -> None:  # type: ignore[no-untyped-def]
    for username in ("patient.demo", "clinician.demo", "him.demo", "manager.demo"):
        with pytest.raises(PermissionDenied):
            action(actor=world.actor_of(username), username="billing.demo")
    with pytest.raises(NotFound):
        action(actor=_admin(), username="nobody.at.all")


def test_a_new_staff_member_sets_a_password_then_enrols_at_first_sign_in(seeded_url: str) -> None:
    with pytest.raises(ValidationError) as bad:
        admin.staff_create(
            actor=_admin(), username="X", display_name="", email="nope", role="wizard"
        )
    assert set(bad.value.fields) == {"username", "display_name", "email", "role"}
    admin.staff_create(
        actor=_admin(),
        username="nurse.new",
        display_name="Pat New, RN",
        email="pat@lakeside.example",
        role="clinician",
    )
    with pytest.raises(ValidationError):
        admin.staff_create(
            actor=_admin(),
            username="nurse.new",
            display_name="Again",
            email="a@b.example",
            role="him",
        )
    code = re.search(r"code: (\w{5}-\w{5})", _last_mail("security")).group(1)  # type: ignore[union-attr]
    with pytest.raises(AuthenticationFailed):
        auth.sign_in(username="nurse.new", password="!")
    recovery.password_reset_complete(username="nurse.new", code=code, new_password=NEW)
    assert isinstance(auth.sign_in(username="nurse.new", password=NEW), auth.EnrolmentNeeded)


def test_deactivation_ends_sessions_and_reactivation_restores_sign_in(seeded_url: str) -> None:
    running = world.signed_in("patient.demo")
    with pytest.raises(ValidationError):
        admin.account_deactivate(actor=_admin(), username="admin.demo")  # not oneself
    admin.account_deactivate(actor=_admin(), username="patient.demo")
    with pytest.raises(AuthenticationFailed):
        sessions.session_resume(token=running.token, acting_for=None)
    with pytest.raises(AuthenticationFailed):
        world.sign_in("patient.demo")
    admin.account_reactivate(actor=_admin(), username="patient.demo")
    world.sign_in("patient.demo")
    with pytest.raises(ValidationError):
        admin.account_reactivate(actor=_admin(), username="patient.demo")


def test_a_forced_reset_stops_the_old_password_and_mails_a_code(seeded_url: str) -> None:
    admin.password_reset_force(actor=_admin(), username="patient.demo")
    with pytest.raises(AuthenticationFailed):
        world.sign_in("patient.demo")
    code = re.search(r"code: (\w{5}-\w{5})", _last_mail("security")).group(1)  # type: ignore[union-attr]
    recovery.password_reset_complete(username="patient.demo", code=code, new_password=NEW)
    assert isinstance(auth.sign_in(username="patient.demo", password=NEW), auth.SignedIn)


def test_resetting_a_lost_second_factor_is_recorded_and_the_person_told(seeded_url: str) -> None:
    admin.second_factor_reset(actor=_admin(), username="clinician.demo")
    step = auth.sign_in(username="clinician.demo", password=world.DEMO_PASSWORD)
    assert isinstance(step, auth.EnrolmentNeeded), "staff must enrol again"
    assert "reset the two-step verification" in _last_mail("security")
    with __import__("services.core.db", fromlist=["db"]).read_only() as s:
        actions = s.scalars(
            select(AuditEvent.action).where(AuditEvent.action.like("account.%"))
        ).all()
    assert "account.second_factor_reset" in actions


def test_accounts_list_searches_by_username_or_name(seeded_url: str) -> None:
    rows = admin.accounts_list(actor=_admin(), search="demo")
    names = {r.username for r in rows}
    assert {"patient.demo", "clinician.demo", "admin.demo"} <= names
    clinician = next(r for r in rows if r.username == "clinician.demo")
    assert clinician.roles == "clinician" and clinician.second_factor
    assert (
        admin.accounts_list(actor=_admin(), search="Jordan Patel")[0].username == "clinician.demo"
    )


def test_only_admins_list_and_create_accounts(seeded_url: str) -> None:
    for username in ("patient.demo", "clinician.demo", "him.demo", "billing.demo", "manager.demo"):
        actor = world.actor_of(username)
        with pytest.raises(PermissionDenied):
            admin.accounts_list(actor=actor, search="demo")
        with pytest.raises(PermissionDenied):
            admin.staff_create(
                actor=actor,
                username="x.new",
                display_name="X",
                email="x@lakeside.example",
                role="him",
            )
        with pytest.raises(PermissionDenied):
            notify.demo_inbox(actor=actor)


def test_the_demo_inbox_is_closed_in_production(
    seeded_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from services.core.config import settings

    monkeypatch.setenv("PORTAL_ENVIRONMENT", "production")
    monkeypatch.setenv("PORTAL_AUDIT_KEY", "p" * 40)
    monkeypatch.setenv("PORTAL_SECRET_KEY", "q" * 40)
    settings.cache_clear()
    with pytest.raises(PermissionDenied, match="only in the demo"):
        notify.demo_inbox(actor=_admin())
