"""Forgot username and forgot password: same answers either way, single-use expiring codes."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from services.core import clock, db, notify
from services.core.errors import AuthenticationFailed, ValidationError
from services.core.models import NotificationOutbox, User
from services.identity import auth, recovery, sessions
from tests.conftest import NOW
from tests.support import world

NEW_PASSWORD = "quiet harbor lantern morning"


def _email_of(username: str) -> str:
    with db.read_only() as s:
        found = s.scalars(select(User.email).where(User.username == username)).one()
    assert found
    return found


def _outbox() -> int:
    with db.read_only() as s:
        return int(s.scalar(select(func.count()).select_from(NotificationOutbox)) or 0)


def _reset_code() -> str:
    body = notify.demo_inbox(actor=world.actor_of("admin.demo"))[0].body
    return re.search(r"code is (\w{5}-\w{5})", body).group(1)  # type: ignore[union-attr]


def test_username_reminder_answers_the_same_and_mails_only_real_accounts(seeded_url: str) -> None:
    assert recovery.username_reminder(email="nobody@nowhere.example") == recovery.SENT
    assert _outbox() == 0
    assert recovery.username_reminder(email=_email_of("patient.demo").upper()) == recovery.SENT
    mail = notify.demo_inbox(actor=world.actor_of("admin.demo"))[0]
    assert "patient.demo" in mail.body and mail.kind == "username_reminder"


@pytest.mark.parametrize("pattern", ["%", "_%", "admin.demo@%%%%lakeside.example", "ADMIN_DEMO@%"])
def test_username_reminder_matches_the_address_exactly_not_as_a_pattern(
    seeded_url: str, pattern: str
) -> None:
    assert recovery.username_reminder(email=pattern) == recovery.SENT
    assert _outbox() == 0


def test_password_reset_end_to_end(seeded_url: str) -> None:
    running = world.signed_in("patient.demo")
    assert recovery.password_reset_request(username="patient.demo") == recovery.SENT
    code = _reset_code()
    with pytest.raises(ValidationError) as weak:
        recovery.password_reset_complete(username="patient.demo", code=code, new_password="short")
    assert "new_password" in weak.value.fields
    recovery.password_reset_complete(username="patient.demo", code=code, new_password=NEW_PASSWORD)
    with pytest.raises(AuthenticationFailed):
        sessions.session_resume(token=running.token, acting_for=None)  # every session ended
    with pytest.raises(AuthenticationFailed):
        world.sign_in("patient.demo")  # the old password no longer works
    assert isinstance(auth.sign_in(username="patient.demo", password=NEW_PASSWORD), auth.SignedIn)
    with pytest.raises(AuthenticationFailed) as reused:
        recovery.password_reset_complete(
            username="patient.demo", code=code, new_password=NEW_PASSWORD + "!"
        )
    assert reused.value.message == recovery.BAD_RESET


def test_unknown_accounts_get_the_same_answer_and_nothing_is_sent(seeded_url: str) -> None:
    assert recovery.password_reset_request(username="no.such.user") == recovery.SENT
    assert _outbox() == 0
    with pytest.raises(AuthenticationFailed) as refused:
        recovery.password_reset_complete(
            username="no.such.user", code="ABCDE-23456", new_password=NEW_PASSWORD
        )
    assert refused.value.message == recovery.BAD_RESET


def test_a_reset_code_expires_in_15_minutes_and_allows_few_tries(seeded_url: str) -> None:
    recovery.password_reset_request(username="patient.demo")
    code = _reset_code()
    with (
        clock.frozen(NOW + recovery.RESET_LIFETIME + timedelta(seconds=1)),
        pytest.raises(AuthenticationFailed),
    ):
        recovery.password_reset_complete(
            username="patient.demo", code=code, new_password=NEW_PASSWORD
        )
    with clock.frozen(NOW + timedelta(minutes=20)):
        recovery.password_reset_request(username="patient.demo")
        fresh = _reset_code()
        for _ in range(recovery.RESET_ATTEMPTS):
            with pytest.raises(AuthenticationFailed):
                recovery.password_reset_complete(
                    username="patient.demo", code="ZZZZZ-99999", new_password=NEW_PASSWORD
                )
        with pytest.raises(AuthenticationFailed):
            recovery.password_reset_complete(
                username="patient.demo", code=fresh, new_password=NEW_PASSWORD
            )


def test_a_reset_never_bypasses_the_second_factor(seeded_url: str) -> None:
    recovery.password_reset_request(username="clinician.demo")
    recovery.password_reset_complete(
        username="clinician.demo", code=_reset_code(), new_password=NEW_PASSWORD
    )
    assert isinstance(
        auth.sign_in(username="clinician.demo", password=NEW_PASSWORD), auth.CodeNeeded
    )


def test_requests_are_throttled_but_answer_the_same(seeded_url: str) -> None:
    for _ in range(8):
        assert recovery.password_reset_request(username="patient.demo") == recovery.SENT
    assert _outbox() == 5  # the sixth and later requests in the window send nothing


@pytest.mark.parametrize("value", ["", " ", "x" * 300])
def test_empty_or_overlong_requests_get_field_messages(seeded_url: str, value: str) -> None:
    with pytest.raises(ValidationError):
        recovery.username_reminder(email=value)
    with pytest.raises(ValidationError):
        recovery.password_reset_request(username=value)
