"""Server-side sessions: new on every sign-in, idle and absolute timeouts, sign-out everywhere."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from services.core import clock, db
from services.core.errors import AuthenticationFailed
from services.core.models import AuditEvent, User
from services.identity import auth, sessions
from services.identity.tables import UserSession
from tests.conftest import NOW
from tests.support import world


def _sign_in(username: str = "patient.demo") -> auth.SignedIn:
    return world.signed_in(username)


def test_every_sign_in_makes_a_new_session_and_stores_only_a_hash(seeded_url: str) -> None:
    first, second = _sign_in(), _sign_in()
    assert first.token != second.token and len(first.token) >= 40
    with db.read_only() as s:
        hashes = set(s.scalars(select(UserSession.token_hash)))
    assert first.token not in hashes and second.token not in hashes and len(hashes) == 2
    resumed = sessions.session_resume(token=first.token, acting_for=first.actor.patient_id)
    assert resumed.actor == first.actor


def test_idle_timeout_ends_the_session_and_activity_keeps_it(seeded_url: str) -> None:
    signed = _sign_in()
    with clock.frozen(NOW + timedelta(minutes=14)):
        sessions.session_resume(token=signed.token, acting_for=None)  # activity at 14 min
    with clock.frozen(NOW + timedelta(minutes=28)):
        view = sessions.session_resume(token=signed.token, acting_for=None)
        assert view.seconds_left(clock.now()) == pytest.approx(15 * 60)  # this rerun was activity
    with clock.frozen(NOW + timedelta(minutes=28 + 15)), pytest.raises(AuthenticationFailed):
        sessions.session_resume(token=signed.token, acting_for=None)
    with db.read_only() as s:
        assert s.scalars(select(UserSession.end_reason)).one() == "idle"
        last = s.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1)).one()
    assert (last.action, last.detail, last.actor_user_id) == (
        "auth.session_end",
        "idle",
        signed.actor.user_id,
    )
    with pytest.raises(AuthenticationFailed):  # ended for good, even back in time
        sessions.session_resume(token=signed.token, acting_for=None)


def test_the_timer_does_not_count_as_activity(seeded_url: str) -> None:
    signed = _sign_in()
    for minute in (5, 10, 14):
        with clock.frozen(NOW + timedelta(minutes=minute)):
            assert sessions.session_status(token=signed.token) == pytest.approx((15 - minute) * 60)
    with clock.frozen(NOW + timedelta(minutes=15)):
        assert sessions.session_status(token=signed.token) == 0


def test_absolute_lifetime_ends_even_an_active_session(seeded_url: str) -> None:
    signed = _sign_in()
    for minutes in range(10, 12 * 60, 10):
        with clock.frozen(NOW + timedelta(minutes=minutes)):
            sessions.session_resume(token=signed.token, acting_for=None)
    with clock.frozen(NOW + timedelta(hours=12)), pytest.raises(AuthenticationFailed):
        sessions.session_resume(token=signed.token, acting_for=None)


def test_sign_out_ends_this_session_only(seeded_url: str) -> None:
    here, there = _sign_in(), _sign_in()
    sessions.session_end(actor=here.actor, token=here.token)
    with pytest.raises(AuthenticationFailed):
        sessions.session_resume(token=here.token, acting_for=None)
    sessions.session_resume(token=there.token, acting_for=None)


def test_sign_out_everywhere_ends_every_session_of_that_user_only(seeded_url: str) -> None:
    mine = [_sign_in(), _sign_in()]
    other = _sign_in("clinician.demo")
    assert sessions.sessions_end_all(actor=mine[0].actor) == 2
    for signed in mine:
        with pytest.raises(AuthenticationFailed):
            sessions.session_resume(token=signed.token, acting_for=None)
    sessions.session_resume(token=other.token, acting_for=None)


def test_disabling_an_account_ends_its_sessions_on_the_next_rerun(seeded_url: str) -> None:
    signed = _sign_in()
    with db.transaction() as s:
        s.execute(update(User).where(User.id == signed.actor.user_id).values(status="disabled"))
    with pytest.raises(AuthenticationFailed):
        sessions.session_resume(token=signed.token, acting_for=None)


@pytest.mark.parametrize("token", ["", "made-up", "x" * 5000])
def test_unknown_tokens_are_refused(seeded_url: str, token: str) -> None:
    with pytest.raises(AuthenticationFailed):
        sessions.session_resume(token=token, acting_for=None)
    assert sessions.session_status(token=token) == 0
