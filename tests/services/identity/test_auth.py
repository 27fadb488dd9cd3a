"""Sign-in against the database: one answer for every failure, each failure audited."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select, update

from services.core import audit, db
from services.core.errors import AuthenticationFailed, ValidationError
from services.core.models import AuditEvent, User
from services.identity import auth, sessions
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
    signed = world.signed_in("patient.demo")
    actor, token = signed.actor, signed.token
    with db.transaction() as s:
        s.execute(update(User).where(User.id == actor.user_id).values(status="disabled"))
    with pytest.raises(AuthenticationFailed) as refused:
        world.sign_in("patient.demo")
    assert refused.value.message == auth.SIGN_IN_FAILED
    with pytest.raises(AuthenticationFailed):
        sessions.session_resume(token=token, acting_for=actor.patient_id)


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


def _fail_times(n: int) -> None:
    for _ in range(n):
        with pytest.raises(AuthenticationFailed):
            auth.sign_in(username="patient.demo", password="wrong-password-123456")


def _locked_until():  # type: ignore[no-untyped-def]
    with db.read_only() as s:
        return s.scalars(select(User.locked_until).where(User.username == "patient.demo")).one()


def test_repeated_failures_pause_the_account_then_it_reopens_by_itself(seeded_url: str) -> None:
    from datetime import timedelta

    from services.core import clock
    from tests.conftest import NOW

    _fail_times(auth.LOCK_AFTER - 1)
    assert _locked_until() is None
    _fail_times(1)
    assert _locked_until() == NOW + timedelta(minutes=1)
    assert _last().action == "auth.sign_in" and _last().detail == "bad password"
    # While paused, even the right password gets the same answer as any failure.
    with pytest.raises(AuthenticationFailed) as paused:
        world.sign_in("patient.demo")
    assert paused.value.message == auth.SIGN_IN_FAILED and _last().detail == "locked"
    with clock.frozen(NOW + timedelta(minutes=1, seconds=1)):
        assert world.sign_in("patient.demo").username == "patient.demo"
    assert _locked_until() is None


def test_pauses_grow_but_never_beyond_the_cap() -> None:
    from datetime import timedelta

    assert [auth.lock_for(n) for n in (1, 4)] == [None, None]
    assert [auth.lock_for(n) for n in (5, 6, 7)] == [timedelta(minutes=m) for m in (1, 2, 4)]
    assert auth.lock_for(50) == auth.MAX_LOCK


def test_lockout_is_audited(seeded_url: str) -> None:
    _fail_times(auth.LOCK_AFTER)
    with db.read_only() as s:
        actions = s.scalars(
            select(AuditEvent.action).where(AuditEvent.action == "auth.lockout")
        ).all()
    assert actions == ["auth.lockout"]


def test_admin_can_lift_a_pause_and_others_cannot(seeded_url: str) -> None:
    from services.core.errors import NotFound, PermissionDenied
    from services.identity import admin

    _fail_times(auth.LOCK_AFTER)
    with pytest.raises(PermissionDenied):
        admin.account_unlock(actor=world.actor_of("clinician.demo"), username="patient.demo")
    with pytest.raises(NotFound):
        admin.account_unlock(actor=world.actor_of("admin.demo"), username="nobody")
    assert admin.admin_home(actor=world.actor_of("admin.demo")).locked[0].username == "patient.demo"
    admin.account_unlock(actor=world.actor_of("admin.demo"), username="patient.demo")
    assert _locked_until() is None
    world.sign_in("patient.demo")


def test_a_long_password_is_never_truncated(seeded_url: str) -> None:
    long = "a sentence that is well beyond seventy-two bytes of text, " * 2 + "ending-A"
    hashed = auth.hash_password(long)
    user = User(password_hash=hashed)
    assert auth.password_matches(user, long)
    assert not auth.password_matches(user, long[:-1] + "B")


def test_the_slow_password_check_holds_no_lock_others_wait_for(
    seeded_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While one person's password hash is being checked, another person's write goes through
    (on DuckDB a transaction holds the process's one write lock)."""
    checking, finish = threading.Event(), threading.Event()
    real = auth.hash_matches

    def slow(stored: str | None, password: str) -> bool:
        checking.set()
        finish.wait(20)
        return real(stored, password)

    monkeypatch.setattr(auth, "hash_matches", slow)
    signing_in = threading.Thread(
        target=auth.sign_in, kwargs={"username": "patient.demo", "password": world.DEMO_PASSWORD}
    )
    signing_in.start()
    assert checking.wait(20)
    written = threading.Event()

    def other_write() -> None:
        with db.transaction() as s:
            audit.record(s, None, "test.meanwhile", username="someone else")
        written.set()

    writer = threading.Thread(target=other_write)
    writer.start()
    try:
        assert written.wait(10)  # not after the hash
    finally:
        finish.set()
        signing_in.join(30)
        writer.join(30)
