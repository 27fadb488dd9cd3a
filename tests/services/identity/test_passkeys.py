"""Passkeys and security keys against a software authenticator with real P-256 signatures: adding
(with the password again, and a notice), naming and removing them, a passkey as the whole
sign-in, a security key as the second step, and each refusal, which records an audit event and
changes nothing else."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from services.core import clock, db
from services.core.config import settings
from services.core.errors import AuthenticationFailed, NotFound, RateLimited, ValidationError
from services.core.models import AuditEvent, NotificationOutbox, User
from services.identity import auth, passkeys
from services.identity.tables import UserSession, WebAuthnCredential
from tests.support import world
from tests.support.soft_authenticator import SoftAuthenticator, b64url

PASSWORD = world.DEMO_PASSWORD


def _add(username: str, kind: str = passkeys.PASSKEY, key: SoftAuthenticator | None = None):  # type: ignore[no-untyped-def]
    key = key or SoftAuthenticator()
    actor = world.actor_of(username)
    options = passkeys.add_begin(actor=actor, password=PASSWORD, kind=kind)
    made = passkeys.add_finish(
        actor=actor, response=key.create(options, verified=kind == passkeys.PASSKEY), name="My key"
    )
    return key, made


def _state() -> tuple[list[tuple[object, ...]], int]:
    """What a refusal must leave as it was: every credential's counter and use, and sessions."""
    with db.read_only() as s:
        keys = s.execute(
            select(
                WebAuthnCredential.id,
                WebAuthnCredential.sign_count,
                WebAuthnCredential.last_used_at,
            ).order_by(WebAuthnCredential.id)
        ).all()
        sessions = s.scalar(select(func.count()).select_from(UserSession)) or 0
    return [tuple(k) for k in keys], sessions


def _last_refusal() -> tuple[str, str, str | None]:
    with db.read_only() as s:
        event = s.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1)).one()
    return event.action, event.outcome, event.detail


def _notices(username: str) -> list[str]:
    with db.read_only() as s:
        user = s.scalars(select(User).where(User.username == username)).one()
        return list(
            s.scalars(
                select(NotificationOutbox.subject).where(NotificationOutbox.user_id == user.id)
            )
        )


def test_a_passkey_is_added_and_then_is_the_whole_sign_in(seeded_url: str) -> None:
    key, made = _add("patient.demo")
    assert made.kind == passkeys.PASSKEY and made.name == "My key"
    assert any("passkey was added" in n for n in _notices("patient.demo"))
    listed = passkeys.credentials(actor=world.actor_of("patient.demo"))
    assert [(c.name, c.kind, c.last_used_at) for c in listed] == [("My key", "passkey", None)]
    signed = passkeys.sign_in_finish(response=key.get(passkeys.sign_in_begin()))
    assert signed.actor.username == "patient.demo" and signed.token
    [used] = passkeys.credentials(actor=world.actor_of("patient.demo"))
    assert used.last_used_at == clock.now()
    # the options name the portal as the relying party and ask the device to check the person
    options = json.loads(passkeys.sign_in_begin())
    assert options["rpId"] == "localhost" and options["userVerification"] == "required"


def test_a_security_key_is_the_second_step_after_the_password(seeded_url: str) -> None:
    key, made = _add("patient.demo", passkeys.SECURITY_KEY)
    assert made.kind == passkeys.SECURITY_KEY
    step = auth.sign_in(username="patient.demo", password=PASSWORD)
    assert isinstance(step, auth.CodeNeeded) and step.security_key and not step.authenticator
    options = passkeys.second_step_begin(pending=step.pending)
    assert json.loads(options)["allowCredentials"][0]["id"] == b64url(key.credential_id)
    signed = passkeys.second_step_finish(
        pending=step.pending, response=key.get(options, verified=False)
    )
    assert signed.actor.username == "patient.demo"
    # the password step is spent
    with pytest.raises(AuthenticationFailed):
        passkeys.second_step_begin(pending=step.pending)
    # without the device checking the person, a security key is not a whole sign-in
    before = _state()
    with pytest.raises(AuthenticationFailed, match="did not check that it is you"):
        passkeys.sign_in_finish(response=key.get(passkeys.sign_in_begin(), verified=False))
    assert _state() == before


def test_adding_needs_the_password_again_and_a_name(seeded_url: str) -> None:
    actor = world.actor_of("patient.demo")
    with pytest.raises(AuthenticationFailed, match="password"):
        passkeys.add_begin(actor=actor, password="not it", kind=passkeys.PASSKEY)
    assert _last_refusal()[:2] == ("auth.passkey.add_started", "denied")
    with pytest.raises(ValidationError):
        passkeys.add_begin(actor=actor, password=PASSWORD, kind="fob")
    key = SoftAuthenticator()
    options = passkeys.add_begin(actor=actor, password=PASSWORD, kind=passkeys.PASSKEY)
    with pytest.raises(ValidationError):
        passkeys.add_finish(actor=actor, response=key.create(options), name="  ")
    with pytest.raises(ValidationError):
        passkeys.add_finish(actor=actor, response="{not json", name="Phone")
    assert _state()[0] == []


@pytest.mark.parametrize(
    "attack",
    ["wrong origin", "wrong challenge", "reused challenge", "unknown credential", "cloned key"],
)
def test_each_refusal_of_a_sign_in_is_audited_and_changes_nothing(
    seeded_url: str, attack: str
) -> None:
    key, _ = _add("patient.demo")
    passkeys.sign_in_finish(response=key.get(passkeys.sign_in_begin()))  # counter now 1
    options = passkeys.sign_in_begin()
    if attack == "wrong origin":
        answer, message = key.get(options, origin="https://lakeside-health.example"), "own page"
    elif attack == "wrong challenge":
        forged = json.dumps({"challenge": b64url(b"x" * 32)})
        answer, message = key.get(forged), "start again"
    elif attack == "reused challenge":
        passkeys.sign_in_finish(response=key.get(options))
        answer, message = key.get(options), "start again"
    elif attack == "unknown credential":
        answer, message = SoftAuthenticator().get(options), "not known"
    else:
        answer, message = key.get(options, count=1), "copied"
    before = _state()
    with pytest.raises(AuthenticationFailed, match=f"(?i){message}"):
        passkeys.sign_in_finish(response=answer)
    assert _state() == before
    assert _last_refusal()[:2] == ("auth.passkey.sign_in", "denied")


def test_a_wrong_site_and_an_answer_for_another_purpose_are_refused(seeded_url: str) -> None:
    key, _ = _add("patient.demo")
    with pytest.raises(AuthenticationFailed, match="own page"):
        passkeys.sign_in_finish(response=key.get(passkeys.sign_in_begin(), rp_id="evil.example"))
    adding = passkeys.add_begin(
        actor=world.actor_of("patient.demo"), password=PASSWORD, kind=passkeys.PASSKEY
    )
    with pytest.raises(AuthenticationFailed, match="start again"):
        passkeys.sign_in_finish(response=key.get(adding))  # a challenge given for adding


def test_a_challenge_ends_after_five_minutes(seeded_url: str) -> None:
    key, _ = _add("patient.demo")
    options = passkeys.sign_in_begin()
    with clock.frozen(clock.now() + timedelta(minutes=5, seconds=1)):
        with pytest.raises(AuthenticationFailed, match="start again"):
            passkeys.sign_in_finish(response=key.get(options))
    with clock.frozen(clock.now() + timedelta(minutes=4)):  # a fresh one within its time works
        passkeys.sign_in_finish(response=key.get(passkeys.sign_in_begin()))


def test_another_accounts_key_is_refused_as_the_second_step(seeded_url: str) -> None:
    theirs, _ = _add("teen.demo", passkeys.SECURITY_KEY)
    _add("patient.demo", passkeys.SECURITY_KEY)
    step = auth.sign_in(username="patient.demo", password=PASSWORD)
    assert isinstance(step, auth.CodeNeeded)
    options = passkeys.second_step_begin(pending=step.pending)
    theirs.rp_id = "localhost"
    before = _state()
    with pytest.raises(AuthenticationFailed, match="another account"):
        passkeys.second_step_finish(pending=step.pending, response=theirs.get(options))
    assert _state() == before
    assert _last_refusal()[:2] == ("auth.passkey.second_step", "denied")


def test_a_key_already_on_an_account_is_not_added_twice(seeded_url: str) -> None:
    key, _ = _add("patient.demo")
    actor = world.actor_of("teen.demo")
    options = passkeys.add_begin(actor=actor, password=PASSWORD, kind=passkeys.PASSKEY)
    with pytest.raises(AuthenticationFailed, match="another account"):
        passkeys.add_finish(actor=actor, response=key.create(options), name="Borrowed")
    assert len(_state()[0]) == 1


def test_renaming_and_removing_with_the_password_and_a_notice(seeded_url: str) -> None:
    _, made = _add("patient.demo")
    actor = world.actor_of("patient.demo")
    passkeys.rename(actor=actor, credential_id=made.credential_id, name="Work laptop")
    assert [c.name for c in passkeys.credentials(actor=actor)] == ["Work laptop"]
    with pytest.raises(NotFound):
        passkeys.rename(
            actor=world.actor_of("teen.demo"), credential_id=made.credential_id, name="x"
        )
    with pytest.raises(AuthenticationFailed):
        passkeys.remove(actor=actor, credential_id=made.credential_id, password="wrong")
    assert len(_state()[0]) == 1
    passkeys.remove(actor=actor, credential_id=made.credential_id, password=PASSWORD)
    assert _state()[0] == []
    assert any("passkey was removed" in n for n in _notices("patient.demo"))


def test_a_staff_accounts_last_second_step_cannot_be_removed(seeded_url: str) -> None:
    _, made = _add("billing.demo", passkeys.SECURITY_KEY)
    actor = world.actor_of("billing.demo")
    with db.transaction() as s:  # an account whose only second step is this key
        user = s.scalars(select(User).where(User.username == "billing.demo")).one()
        user.totp_enabled_at = None
    with pytest.raises(AuthenticationFailed, match="last second step"):
        passkeys.remove(actor=actor, credential_id=made.credential_id, password=PASSWORD)
    assert len(_state()[0]) == 1


def test_a_disabled_account_cannot_sign_in_with_its_passkey(seeded_url: str) -> None:
    key, _ = _add("patient.demo")
    with db.transaction() as s:
        s.scalars(select(User).where(User.username == "patient.demo")).one().status = "disabled"
    before = _state()
    with pytest.raises(AuthenticationFailed, match="cannot sign in"):
        passkeys.sign_in_finish(response=key.get(passkeys.sign_in_begin()))
    assert _state()[1] == before[1]


def test_the_staff_setting_asks_staff_without_a_key_to_add_one(
    seeded_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    clinician = world.actor_of("clinician.demo")
    assert not passkeys.staff_without_phishing_resistant_factor(actor=clinician)
    monkeypatch.setenv("PORTAL_STAFF_REQUIRE_PASSKEY", "true")
    settings.cache_clear()
    assert passkeys.staff_without_phishing_resistant_factor(actor=clinician)
    assert not passkeys.staff_without_phishing_resistant_factor(
        actor=world.actor_of("patient.demo")
    )
    _add("clinician.demo")
    assert not passkeys.staff_without_phishing_resistant_factor(actor=clinician)


@pytest.mark.parametrize(
    "answer",
    [
        "{not json",
        json.dumps({"id": "x", "rawId": "x", "type": "public-key", "response": {}}),
        json.dumps(
            {
                "id": "eA",
                "rawId": "eA",
                "type": "public-key",
                "response": {
                    "clientDataJSON": b64url(b"not the browser's client data"),
                    "authenticatorData": b64url(b"\0" * 37),
                    "signature": b64url(b"\0"),
                },
            }
        ),
    ],
)
def test_a_malformed_answer_is_refused_with_a_message(seeded_url: str, answer: str) -> None:
    _add("patient.demo")
    before = _state()
    with pytest.raises(ValidationError):
        passkeys.sign_in_finish(response=answer)
    with pytest.raises(ValidationError):
        passkeys.add_finish(actor=world.actor_of("patient.demo"), response=answer, name="Phone")
    assert _state() == before


def test_a_wrong_password_to_remove_is_audited(seeded_url: str) -> None:
    _, made = _add("patient.demo")
    with pytest.raises(AuthenticationFailed, match="password"):
        passkeys.remove(
            actor=world.actor_of("patient.demo"), credential_id=made.credential_id, password="x"
        )
    assert _last_refusal() == ("auth.passkey.removed", "denied", "re-authentication failed")
    assert len(_state()[0]) == 1


def test_starting_passkey_sign_ins_is_bounded(
    seeded_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for _ in range(passkeys.SIGN_IN_STARTS):
        passkeys.sign_in_begin(browser="browser-one")
    with pytest.raises(RateLimited):
        passkeys.sign_in_begin(browser="browser-one")
    passkeys.sign_in_begin(browser="browser-two")  # another browser is not held back

    monkeypatch.setattr(passkeys, "MAX_LIVE_SIGN_INS", passkeys.SIGN_IN_STARTS + 1)
    with pytest.raises(RateLimited):
        passkeys.sign_in_begin()  # the unanswered challenges in all reached the bound
    with clock.frozen(clock.now() + passkeys.CHALLENGE_LIFETIME + timedelta(seconds=1)):
        passkeys.sign_in_begin()  # ended challenges no longer count
