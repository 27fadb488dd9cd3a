"""The second factor: TOTP with replay refusal, enrolment, recovery codes, secrets at rest."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from seed import demo
from services.core import clock, db
from services.core.errors import AuthenticationFailed, ValidationError
from services.core.models import AuditEvent, OneTimeCode, User
from services.identity import auth
from tests.conftest import NOW, TEST_OPTIONS
from tests.support import world


def _code(username: str, offset: int = 0, at=None) -> str:  # type: ignore[no-untyped-def]
    return demo.totp_code(username, at or clock.now(), offset, seed=TEST_OPTIONS.seed)


def _pending(username: str) -> str:
    step = auth.sign_in(username=username, password=world.DEMO_PASSWORD)
    assert isinstance(step, auth.CodeNeeded | auth.EnrolmentNeeded)
    return step.pending


def _actions() -> list[str]:
    with db.read_only() as s:
        return list(s.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)))


def test_staff_need_a_code_after_the_password(seeded_url: str) -> None:
    step = auth.sign_in(username="clinician.demo", password=world.DEMO_PASSWORD)
    assert isinstance(step, auth.CodeNeeded)
    signed = auth.sign_in_code(pending=step.pending, code=_code("clinician.demo"))
    assert signed.actor.username == "clinician.demo" and signed.recovery_codes == ()


def test_patients_without_a_second_factor_sign_in_with_the_password(seeded_url: str) -> None:
    assert isinstance(
        auth.sign_in(username="patient.demo", password=world.DEMO_PASSWORD), auth.SignedIn
    )


def test_an_accepted_code_is_refused_the_second_time_and_the_reuse_is_logged(
    seeded_url: str,
) -> None:
    code = _code("clinician.demo")
    auth.sign_in_code(pending=_pending("clinician.demo"), code=code)
    with pytest.raises(AuthenticationFailed) as replay:
        auth.sign_in_code(pending=_pending("clinician.demo"), code=code)
    assert replay.value.message == auth.WRONG_CODE
    assert "mfa.totp_replay" in _actions()
    # An older step than the last accepted one is a replay too, even within the skew window.
    with pytest.raises(AuthenticationFailed):
        auth.sign_in_code(pending=_pending("clinician.demo"), code=_code("clinician.demo", -1))
    auth.sign_in_code(pending=_pending("clinician.demo"), code=_code("clinician.demo", +1))


def test_one_step_of_clock_skew_is_accepted_and_two_are_not(seeded_url: str) -> None:
    with pytest.raises(AuthenticationFailed):
        auth.sign_in_code(pending=_pending("him.demo"), code=_code("him.demo", -2))
    auth.sign_in_code(pending=_pending("him.demo"), code=_code("him.demo", -1))
    with pytest.raises(AuthenticationFailed):
        auth.sign_in_code(pending=_pending("him.demo"), code=_code("him.demo", +2))


def test_the_step_between_password_and_code_expires_and_limits_attempts(seeded_url: str) -> None:
    pending = _pending("admin.demo")
    for _ in range(auth.PENDING_ATTEMPTS):
        with pytest.raises(AuthenticationFailed) as wrong:
            auth.sign_in_code(pending=pending, code="000000")
        assert wrong.value.message == auth.WRONG_CODE
    with pytest.raises(AuthenticationFailed) as spent:
        auth.sign_in_code(pending=pending, code=_code("admin.demo"))
    assert spent.value.message == auth.START_AGAIN
    late = _pending("admin.demo")
    with clock.frozen(NOW + auth.PENDING_LIFETIME + timedelta(seconds=1)):
        with pytest.raises(AuthenticationFailed) as expired:
            auth.sign_in_code(pending=late, code=_code("admin.demo"))
    assert expired.value.message == auth.START_AGAIN
    for bad in ("", "made-up"):
        with pytest.raises((AuthenticationFailed, ValidationError)):
            auth.sign_in_code(pending=bad, code="123456")
    with pytest.raises(ValidationError):
        auth.sign_in_code(pending=_pending("admin.demo"), code="  ")


def test_a_pending_step_is_single_use(seeded_url: str) -> None:
    pending = _pending("manager.demo")
    auth.sign_in_code(pending=pending, code=_code("manager.demo"))
    with pytest.raises(AuthenticationFailed) as again:
        auth.sign_in_code(pending=pending, code=_code("manager.demo", +1))
    assert again.value.message == auth.START_AGAIN


def _new_staff_member() -> str:
    """A clinician account without a second factor yet (staff cannot skip enrolment)."""
    with db.transaction() as s:
        user = s.scalars(
            select(User).where(User.username.like("provider%")).order_by(User.username)
        ).first()
        assert user is not None
        user.password_hash = auth.hash_password(world.DEMO_PASSWORD)
        return user.username


def test_staff_without_a_second_factor_enrol_before_their_first_session(seeded_url: str) -> None:
    import pyotp

    username = _new_staff_member()
    step = auth.sign_in(username=username, password=world.DEMO_PASSWORD)
    assert isinstance(step, auth.EnrolmentNeeded)
    assert step.enrolment.qr_svg.startswith("<svg") and "<path" in step.enrolment.qr_svg
    assert (
        step.enrolment.uri.startswith("otpauth://totp/")
        and step.enrolment.secret in step.enrolment.uri
    )
    totp = pyotp.TOTP(step.enrolment.secret)
    with pytest.raises(AuthenticationFailed):
        auth.sign_in_code(pending=step.pending, code="123456")
    with db.read_only() as s:
        assert (
            s.scalars(select(User.totp_enabled_at).where(User.username == username)).one() is None
        )
    signed = auth.sign_in_code(pending=step.pending, code=totp.at(clock.now()))
    assert len(signed.recovery_codes) == 10 and len(set(signed.recovery_codes)) == 10
    assert "mfa.totp_enabled" in _actions()
    # Next time the code is asked for; a recovery code works once instead.
    code = signed.recovery_codes[3]
    assert isinstance(
        auth.sign_in(username=username, password=world.DEMO_PASSWORD), auth.CodeNeeded
    )
    auth.sign_in_code(pending=_pending(username), code=code.lower())
    with pytest.raises(AuthenticationFailed):
        auth.sign_in_code(pending=_pending(username), code=code)


def test_no_secret_appears_in_the_database_file_in_plain_text(seeded_url: str) -> None:
    if not seeded_url.startswith("duckdb"):
        pytest.skip("reads the DuckDB file's bytes")
    username = _new_staff_member()
    step = auth.sign_in(username=username, password=world.DEMO_PASSWORD)
    assert isinstance(step, auth.EnrolmentNeeded)
    import pyotp

    signed = auth.sign_in_code(
        pending=step.pending, code=pyotp.TOTP(step.enrolment.secret).at(clock.now())
    )
    with db.transaction() as s:
        s.connection().exec_driver_sql("CHECKPOINT")
    db.reset()
    path = seeded_url.removeprefix("duckdb:///")
    content = open(path, "rb").read()
    secrets_in_play = [
        step.enrolment.secret,
        demo.totp_secret("clinician.demo", TEST_OPTIONS.seed),
        world.DEMO_PASSWORD,
        signed.token,
        step.pending,
        *signed.recovery_codes,
        *(c.replace("-", "") for c in signed.recovery_codes),
    ]
    for secret in secrets_in_play:
        assert secret.encode() not in content, "a secret is stored in plain text"
    assert b"clinician.demo" in content  # the check itself can see plain text


def test_disabled_pending_accounts_start_again(seeded_url: str) -> None:
    pending = _pending("clinician.demo")
    with db.transaction() as s:
        s.execute(update(User).where(User.username == "clinician.demo").values(status="disabled"))
    with pytest.raises(AuthenticationFailed) as error:
        auth.sign_in_code(pending=pending, code=_code("clinician.demo"))
    assert error.value.message == auth.START_AGAIN
    with db.read_only() as s:
        assert s.scalars(select(OneTimeCode.used_at)).all() == [None]


def _sent_code(kind: str = "sign_in_code") -> str:
    import re

    from services.core import notify

    body = next(
        m.body for m in notify.demo_inbox(actor=world.actor_of("admin.demo")) if m.kind == kind
    )
    return re.search(r"code is (\d{6})", body).group(1)  # type: ignore[union-attr]


def test_a_code_by_email_is_an_alternative_to_the_authenticator(seeded_url: str) -> None:
    pending = _pending("clinician.demo")
    assert auth.sign_in_send_code(pending=pending, channel="email") == "c***@lakeside.example"
    code = _sent_code()
    signed = auth.sign_in_code(pending=pending, code=code)
    assert signed.actor.username == "clinician.demo"
    with pytest.raises(AuthenticationFailed):  # single use
        auth.sign_in_code(pending=_pending("clinician.demo"), code=code)


def test_sent_codes_expire_are_limited_and_need_an_address(seeded_url: str) -> None:
    from services.core.errors import RateLimited

    pending = _pending("him.demo")
    with pytest.raises(ValidationError):
        auth.sign_in_send_code(pending=pending, channel="sms")  # no mobile number on file
    with pytest.raises(ValidationError):
        auth.sign_in_send_code(pending=pending, channel="pigeon")
    for _ in range(auth.CODE_SENDS):
        auth.sign_in_send_code(pending=pending, channel="email")
    with pytest.raises(RateLimited):
        auth.sign_in_send_code(pending=pending, channel="email")
    code = _sent_code()
    with clock.frozen(NOW + auth.CODE_LIFETIME + timedelta(seconds=1)):
        fresh = _pending("him.demo")
        with pytest.raises(AuthenticationFailed):
            auth.sign_in_code(pending=fresh, code=code)
    with pytest.raises(AuthenticationFailed):
        auth.sign_in_send_code(pending="made-up", channel="email")


def test_accounts_without_a_second_factor_get_no_sent_codes(seeded_url: str) -> None:
    username = _new_staff_member()
    step = auth.sign_in(username=username, password=world.DEMO_PASSWORD)
    assert isinstance(step, auth.EnrolmentNeeded)
    with pytest.raises(AuthenticationFailed):
        auth.sign_in_send_code(pending=step.pending, channel="email")  # staff must enrol TOTP


def test_a_texted_code_goes_out_through_an_sms_gateway(
    seeded_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real local HTTP gateway: JSON with number, text and id, the bearer token; a failing
    gateway is recorded and the message retried."""
    import re

    from services.core import notify
    from services.core.config import settings
    from services.core.models import NotificationOutbox
    from tests.support.sms import sms_gateway

    with db.transaction() as s:
        s.execute(update(User).where(User.username == "him.demo").values(phone="+15555550123"))
    with sms_gateway() as gateway:
        monkeypatch.setenv("PORTAL_SMS_URL", gateway.url)
        monkeypatch.setenv("PORTAL_SMS_TOKEN", "gateway-token")
        settings.cache_clear()
        gateway.status = 503
        pending = _pending("him.demo")
        assert auth.sign_in_send_code(pending=pending, channel="sms").endswith("0123")
        with db.read_only() as s:
            row = s.scalars(
                select(NotificationOutbox).where(NotificationOutbox.channel == "sms")
            ).one()
        assert row.sent_at is None and row.attempts == 1 and "503" in (row.last_error or "")
        gateway.status = 202
        assert notify.deliver().sent == 1
    assert len(gateway.received) == 2  # the refused try, then the delivery
    headers, body = gateway.received[-1]
    assert headers["Authorization"] == "Bearer gateway-token"
    assert body["to"] == "+15555550123" and body["id"] == str(row.id)
    code = re.search(r"code is (\d{6})", body["body"]).group(1)  # type: ignore[union-attr]
    assert auth.sign_in_code(pending=pending, code=code).actor.username == "him.demo"


def _wrong_codes_until_stopped(username: str, limit: int) -> int:
    """Wrong codes through fresh password steps, as an attacker with the password would."""
    tried = 0
    while tried < limit:
        try:
            pending = _pending(username)
        except AuthenticationFailed:
            return tried  # the password step itself is refused now
        for _ in range(auth.PENDING_ATTEMPTS):
            with pytest.raises(AuthenticationFailed) as wrong:
                auth.sign_in_code(pending=pending, code="000000")
            tried += 1
            if wrong.value.message != auth.WRONG_CODE:
                return tried
    return tried


def _security_mail(username: str) -> list[str]:
    from services.core import notify

    return [
        m.subject
        for m in notify.demo_inbox(actor=world.actor_of("admin.demo"), limit=500)
        if m.kind == notify.SECURITY and m.to.startswith(username)
    ]


def test_wrong_codes_are_limited_per_account_across_password_steps(seeded_url: str) -> None:
    """The probe: each new password step gave five more tries, without end."""
    spare = _pending("him.demo")  # a step begun before the pause cannot be used during it
    assert _wrong_codes_until_stopped("him.demo", 50) == auth.FACTOR_PAUSE_AFTER
    with pytest.raises(AuthenticationFailed):
        auth.sign_in(username="him.demo", password=world.DEMO_PASSWORD)
    with pytest.raises(AuthenticationFailed) as stale:
        auth.sign_in_code(pending=spare, code=_code("him.demo"))
    assert stale.value.message == auth.START_AGAIN
    assert any("wrong sign-in codes" in s for s in _security_mail("him.demo"))
    later = NOW + auth.FACTOR_FIRST_PAUSE + timedelta(seconds=1)
    with clock.frozen(later):
        auth.sign_in_code(pending=_pending("him.demo"), code=_code("him.demo", at=later))
    with db.read_only() as s:
        user = s.scalars(select(User).where(User.username == "him.demo")).one()
    assert user.second_factor_failures == 0  # a full sign-in starts the count again


def test_a_hundred_wrong_codes_lock_the_account_for_review(seeded_url: str) -> None:
    at, tried = NOW, 0
    while tried < auth.FACTOR_REVIEW_AFTER:
        with clock.frozen(at):
            tried += _wrong_codes_until_stopped("him.demo", auth.FACTOR_REVIEW_AFTER - tried)
        at += auth.MAX_LOCK + timedelta(seconds=1)
    with db.read_only() as s:
        user = s.scalars(select(User).where(User.username == "him.demo")).one()
    assert user.status == "disabled"
    with clock.frozen(at + timedelta(days=1)):  # no pause ends this one by itself
        with pytest.raises(AuthenticationFailed):
            auth.sign_in(username="him.demo", password=world.DEMO_PASSWORD)
    assert any("locked" in s for s in _security_mail("him.demo"))
    from services.identity import admin

    admin.account_reactivate(actor=world.actor_of("admin.demo"), username="him.demo")
    with clock.frozen(at + timedelta(days=1)):
        step = auth.sign_in(username="him.demo", password=world.DEMO_PASSWORD)
        assert isinstance(step, auth.CodeNeeded)
        code = _code("him.demo", at=at + timedelta(days=1))
        auth.sign_in_code(pending=step.pending, code=code)


def test_factor_pauses_grow_but_never_beyond_the_cap() -> None:
    assert auth.factor_pause(auth.FACTOR_PAUSE_AFTER - 1) is None
    assert auth.factor_pause(auth.FACTOR_PAUSE_AFTER) == auth.FACTOR_FIRST_PAUSE
    assert auth.factor_pause(auth.FACTOR_PAUSE_AFTER + 1) == 2 * auth.FACTOR_FIRST_PAUSE
    assert auth.factor_pause(99) == auth.MAX_LOCK
