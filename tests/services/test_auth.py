"""Sign-in against the database: one answer for every failure, each failure audited."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from services import auth, db
from services.errors import AuthenticationFailed, ValidationError
from services.models import AuditEvent, User
from tests.support import world


def _last() -> AuditEvent:
    with db.read_only() as s:
        return s.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1)).one()


def test_demo_accounts_sign_in_with_their_roles(seeded_url: str) -> None:
    expected = {
        "patient.demo": "patient",
        "proxy.demo": "proxy",
        "clinician.demo": "clinician",
        "him.demo": "him",
        "billing.demo": "billing",
        "manager.demo": "manager",
        "admin.demo": "admin",
    }
    for username, role in expected.items():
        actor = world.sign_in(username)
        assert actor.roles == {role}
        assert (_last().action, _last().outcome, _last().actor_user_id) == (
            "auth.sign_in",
            "success",
            actor.user_id,
        )
    assert world.sign_in("patient.demo").patient_id is not None
    assert world.sign_in("proxy.demo").patient_id is None


def test_unknown_user_and_wrong_password_get_the_same_answer(seeded_url: str) -> None:
    with pytest.raises(AuthenticationFailed) as wrong:
        auth.sign_in(username="patient.demo", password="Not-The-Password-2026!")
    assert _last().outcome == "failure" and _last().actor_username == "patient.demo"
    with pytest.raises(AuthenticationFailed) as unknown:
        auth.sign_in(username="nobody.here", password="Not-The-Password-2026!")
    assert _last().outcome == "failure" and _last().detail == "unknown user"
    assert wrong.value.message == unknown.value.message == auth.SIGN_IN_FAILED


def test_failures_are_counted_and_success_resets_them(seeded_url: str) -> None:
    for _ in range(2):
        with pytest.raises(AuthenticationFailed):
            auth.sign_in(username="patient.demo", password="wrong-password-123456")
    with db.read_only() as s:
        assert (
            s.scalars(select(User.failed_attempts).where(User.username == "patient.demo")).one()
            == 2
        )
    world.sign_in("patient.demo")
    with db.read_only() as s:
        assert (
            s.scalars(select(User.failed_attempts).where(User.username == "patient.demo")).one()
            == 0
        )


def test_accounts_without_a_password_cannot_sign_in(seeded_url: str) -> None:
    with db.read_only() as s:
        name = s.scalars(select(User.username).where(User.password_hash == "!")).first()
    with pytest.raises(AuthenticationFailed):
        auth.sign_in(username=name, password="!")


def test_disabled_account_is_refused_and_ends_the_running_session(seeded_url: str) -> None:
    actor = world.sign_in("patient.demo")
    with db.transaction() as s:
        s.execute(update(User).where(User.id == actor.user_id).values(status="disabled"))
    with pytest.raises(AuthenticationFailed) as refused:
        world.sign_in("patient.demo")
    assert refused.value.message == auth.SIGN_IN_FAILED
    with pytest.raises(AuthenticationFailed):
        auth.actor_refresh(user_id=actor.user_id, acting_for=actor.patient_id)


@pytest.mark.parametrize("username, password", [("", "x"), ("patient.demo", ""), ("   ", "")])
def test_empty_fields_get_field_messages(seeded_url: str, username: str, password: str) -> None:
    with pytest.raises(ValidationError) as error:
        auth.sign_in(username=username, password=password)
    assert error.value.fields


def test_overlong_input_is_refused_without_hashing(seeded_url: str) -> None:
    with pytest.raises(AuthenticationFailed):
        auth.sign_in(username="x" * 500, password="y" * 10_000)


def test_no_password_or_hash_reaches_the_audit_log(seeded_url: str) -> None:
    with pytest.raises(AuthenticationFailed):
        auth.sign_in(username="patient.demo", password="Secret-Typo-Password-99")
    with db.read_only() as s:
        details = " ".join(
            str(r) for r in s.execute(select(AuditEvent.detail, AuditEvent.actor_username)).all()
        )
    assert "Secret-Typo" not in details and "argon2" not in details
