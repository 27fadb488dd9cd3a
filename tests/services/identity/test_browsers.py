"""Browsers an account signs in from: a new one is told to the account's address with a link that
ends every session and changes the password; a trusted browser skips the second step for 30
days (on a frozen clock), for patients only unless the clinic allows staff; forgetting a browser
or a new password ends the trust."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from services.core import clock, notify
from services.core.config import settings
from services.core.errors import AuthenticationFailed, NotFound, ValidationError
from services.identity import account, auth, browsers, passkeys, recovery, sessions
from services.identity.browsers import Browser
from tests.support import world
from tests.support.soft_authenticator import SoftAuthenticator

PASSWORD = world.DEMO_PASSWORD
LAPTOP = Browser(
    "binding-of-the-laptop",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36",
)
PHONE = Browser(
    "binding-of-the-phone",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
)
NEW_PASSWORD = "quiet harbor lantern morning"


def _notices(username: str) -> list[str]:
    """The bodies of the account's new-sign-in notices."""
    me = world.actor_of(username)
    address = account.account_overview(actor=me).email
    inbox = notify.demo_inbox(actor=world.actor_of("admin.demo"))
    return [m.body for m in inbox if m.to == address and "signed in to from" in m.body]


def _link_token(body: str) -> str:
    found = re.search(r"/secure-account\?token=([A-Za-z0-9_-]+)", body)
    assert found, body
    return found.group(1)


def _with_key(username: str = "patient.demo") -> SoftAuthenticator:
    """A security key on the account, so that its password asks for a second step."""
    key = SoftAuthenticator()
    actor = world.actor_of(username)
    options = passkeys.add_begin(actor=actor, password=PASSWORD, kind=passkeys.SECURITY_KEY)
    passkeys.add_finish(actor=actor, response=key.create(options, verified=False), name="Key")
    return key


def _second_step(
    key: SoftAuthenticator, browser: Browser, trust: bool, username: str = "patient.demo"
) -> auth.SignedIn:
    step = auth.sign_in(username=username, password=PASSWORD, browser=browser)
    assert isinstance(step, auth.CodeNeeded)
    options = passkeys.second_step_begin(pending=step.pending)
    return passkeys.second_step_finish(
        pending=step.pending,
        response=key.get(options, verified=False),
        browser=browser,
        trust=trust,
    )


def _password_only(browser: Browser, username: str = "patient.demo") -> auth.SignInStep:
    return auth.sign_in(username=username, password=PASSWORD, browser=browser)


def test_the_first_browser_is_known_quietly_and_a_second_is_told(seeded_url: str) -> None:
    world.sign_in_with("patient.demo", PASSWORD)  # no browser told: a script, nothing recorded
    _password_only(LAPTOP)
    _password_only(LAPTOP)
    assert _notices("patient.demo") == []
    with clock.frozen(clock.now() + timedelta(minutes=1)):
        _password_only(PHONE)
    (notice,) = _notices("patient.demo")
    assert "Mobile Safari on iOS" in notice and "If this wasn't you" in notice
    me = world.actor_of("patient.demo")
    listed = browsers.browsers_list(actor=me, browser=PHONE)
    assert [(b.description, b.this_browser) for b in listed] == [
        ("Mobile Safari on iOS", True),
        ("Chrome on Windows", False),
    ]


def test_a_browser_without_cookies_is_told_every_time(seeded_url: str) -> None:
    _password_only(LAPTOP)
    _password_only(Browser(None, LAPTOP.user_agent))
    _password_only(Browser(None, LAPTOP.user_agent))
    assert len(_notices("patient.demo")) == 2
    assert browsers.browsers_list(actor=world.actor_of("patient.demo"), browser=None) != []


def test_the_notices_link_ends_every_session_and_changes_the_password(seeded_url: str) -> None:
    _password_only(LAPTOP)
    intruder = _password_only(PHONE)
    assert isinstance(intruder, auth.SignedIn)
    token = _link_token(_notices("patient.demo")[0])

    with pytest.raises(ValidationError):  # a weak password: nothing changes, the link still works
        recovery.secure_account(token=token, new_password="password")
    sessions.session_resume(token=intruder.token, acting_for=None)

    recovery.secure_account(token=token, new_password=NEW_PASSWORD)
    with pytest.raises(AuthenticationFailed):
        sessions.session_resume(token=intruder.token, acting_for=None)
    with pytest.raises(AuthenticationFailed):
        auth.sign_in(username="patient.demo", password=PASSWORD)
    assert isinstance(auth.sign_in(username="patient.demo", password=NEW_PASSWORD), auth.SignedIn)
    with pytest.raises(AuthenticationFailed, match="already used"):
        recovery.secure_account(token=token, new_password="another quiet harbor lantern")
    with pytest.raises(AuthenticationFailed, match="already used"):
        recovery.secure_account(token="not-a-token", new_password=NEW_PASSWORD)


def test_the_notices_link_lasts_seven_days(seeded_url: str) -> None:
    _password_only(LAPTOP)
    _password_only(PHONE)
    token = _link_token(_notices("patient.demo")[0])
    with clock.frozen(clock.now() + browsers.SECURE_LIFETIME + timedelta(minutes=1)):
        with pytest.raises(AuthenticationFailed, match="expired"):
            recovery.secure_account(token=token, new_password=NEW_PASSWORD)


def test_a_trusted_browser_skips_the_second_step_for_thirty_days(seeded_url: str) -> None:
    key = _with_key()
    start = clock.now()
    step = _password_only(LAPTOP)
    assert isinstance(step, auth.CodeNeeded) and step.trust_days == 30
    _second_step(key, LAPTOP, trust=True)
    assert isinstance(_password_only(LAPTOP), auth.SignedIn)  # the password is enough
    assert isinstance(_password_only(PHONE), auth.CodeNeeded)  # another browser is not trusted
    _second_step(key, PHONE, trust=False)
    assert isinstance(_password_only(PHONE), auth.CodeNeeded)  # not ticked: not trusted
    with clock.frozen(start + timedelta(days=29, hours=23)):
        assert isinstance(_password_only(LAPTOP), auth.SignedIn)
    with clock.frozen(start + timedelta(days=30, minutes=1)):
        assert isinstance(_password_only(LAPTOP), auth.CodeNeeded)
    with pytest.raises(AuthenticationFailed):  # trust never stands in for the password
        auth.sign_in(username="patient.demo", password="wrong", browser=LAPTOP)


def test_forgetting_and_a_new_password_end_the_trust(seeded_url: str) -> None:
    key = _with_key()
    me = world.actor_of("patient.demo")
    _second_step(key, LAPTOP, trust=True)
    _second_step(key, PHONE, trust=True)
    laptop = next(b for b in browsers.browsers_list(actor=me, browser=LAPTOP) if b.this_browser)
    assert laptop.trusted_until is not None
    browsers.browser_forget(actor=me, browser_id=laptop.browser_id)
    assert isinstance(_password_only(LAPTOP), auth.CodeNeeded)
    assert isinstance(_password_only(PHONE), auth.SignedIn)
    with pytest.raises(NotFound):  # another account's browser, or one forgotten already
        browsers.browser_forget(actor=me, browser_id=laptop.browser_id)

    signed = _password_only(PHONE)
    assert isinstance(signed, auth.SignedIn)
    account.password_change(actor=me, token=signed.token, current=PASSWORD, new=NEW_PASSWORD)
    step = auth.sign_in(username="patient.demo", password=NEW_PASSWORD, browser=PHONE)
    assert isinstance(step, auth.CodeNeeded)
    assert browsers.browsers_forget_all(actor=me) == 1  # the phone: the laptop was forgotten
    assert browsers.browsers_list(actor=me, browser=PHONE) == []


def test_staff_are_not_offered_trust_unless_the_clinic_allows_it(
    seeded_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    step = _password_only(LAPTOP, "clinician.demo")
    assert isinstance(step, auth.CodeNeeded) and step.trust_days == 0
    auth.sign_in_code(
        pending=step.pending, code=world.demo_code("clinician.demo"), browser=LAPTOP, trust=True
    )
    assert isinstance(_password_only(LAPTOP, "clinician.demo"), auth.CodeNeeded)  # ignored

    monkeypatch.setenv("PORTAL_STAFF_MAY_TRUST_BROWSER", "true")
    monkeypatch.setenv("PORTAL_TRUST_BROWSER_DAYS", "7")
    settings.cache_clear()
    step = _password_only(LAPTOP, "clinician.demo")
    assert isinstance(step, auth.CodeNeeded) and step.trust_days == 7
    with clock.frozen(clock.now() + timedelta(seconds=31)):  # the next authenticator code
        auth.sign_in_code(
            pending=step.pending, code=world.demo_code("clinician.demo"), browser=LAPTOP, trust=True
        )
        assert isinstance(_password_only(LAPTOP, "clinician.demo"), auth.SignedIn)


@pytest.mark.parametrize(
    ("agent", "described"),
    [
        (LAPTOP.user_agent, "Chrome on Windows"),
        (PHONE.user_agent, "Mobile Safari on iOS"),
        ("", "An unknown browser"),
        ("x" * 5000, "An unknown browser"),
    ],
)
def test_a_browser_is_described_from_its_user_agent(agent: str, described: str) -> None:
    assert browsers.describe(agent) == described
