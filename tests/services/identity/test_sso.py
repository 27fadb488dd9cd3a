"""Staff single sign-on against a real OpenID Connect provider (node-oidc-provider, started here):
a linked staff account signs in through it with its portal roles; a subject nobody linked, an
identity the provider disabled, a disabled portal account, a reused or carried-off sign-in are
refused and audited; a linked account's password no longer signs it in; only admins link, and
only staff accounts."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from services.core import db
from services.core.access import CLINICIAN
from services.core.config import settings
from services.core.errors import (
    AuthenticationFailed,
    NotFound,
    PermissionDenied,
    RateLimited,
    ValidationError,
)
from services.core.models import AuditEvent
from services.identity import admin, auth, sessions, sso
from tests.support import world
from tests.support.oidc_provider import Provider, oidc_provider, sign_in_at_provider

BROWSER = "binding-of-the-staff-browser"
LINKED = "okta|clinician-7"


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    with oidc_provider(f"http://localhost:8501{sso.CALLBACK}") as found:
        yield found


@pytest.fixture
def sso_on(seeded_url: str, provider: Provider, monkeypatch: pytest.MonkeyPatch) -> Provider:
    for name, value in provider.env().items():
        monkeypatch.setenv(name, value)
    settings.cache_clear()
    return provider


def _callback(subject: str, browser: str = BROWSER) -> dict[str, str]:
    back = sign_in_at_provider(sso.begin(browser=browser), subject)
    assert back.startswith(f"http://localhost:8501{sso.CALLBACK}?"), back
    return {k: v[0] for k, v in parse_qs(urlsplit(back).query).items()}


def _finish(answer: dict[str, str], browser: str = BROWSER) -> auth.SignedIn:
    return sso.finish(
        state=answer.get("state", ""),
        code=answer.get("code"),
        error=answer.get("error"),
        browser=browser,
        user_agent="Mozilla/5.0 Chrome/131.0",
    )


def _last_refusal() -> tuple[str, str | None]:
    with db.read_only() as s:
        event = s.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1)).one()
    return event.outcome, event.detail


def _link(username: str = "clinician.demo", subject: str = LINKED) -> None:
    sso.sso_link(actor=world.actor_of("admin.demo"), username=username, subject=subject)


def test_a_linked_clinician_signs_in_through_the_provider(sso_on: Provider) -> None:
    _link()
    signed = _finish(_callback(LINKED))
    assert signed.actor.username == "clinician.demo"
    assert CLINICIAN in signed.actor.roles  # the portal's roles, not the provider's claims
    view = sessions.session_resume(token=signed.token, acting_for=None)
    assert view.actor.user_id == signed.actor.user_id
    [link] = sso.sso_links(actor=world.actor_of("admin.demo"))
    assert (link.username, link.subject) == ("clinician.demo", LINKED)
    assert link.last_used_at is not None


def test_a_linked_accounts_password_no_longer_signs_it_in(sso_on: Provider) -> None:
    _link()
    with pytest.raises(AuthenticationFailed, match="Lakeside staff sign-in"):
        auth.sign_in(username="clinician.demo", password=world.DEMO_PASSWORD)
    with pytest.raises(AuthenticationFailed, match="Incorrect"):  # a wrong one learns nothing
        auth.sign_in(username="clinician.demo", password="not the password at all")
    sso.sso_unlink(actor=world.actor_of("admin.demo"), username="clinician.demo")
    assert isinstance(
        auth.sign_in(username="clinician.demo", password=world.DEMO_PASSWORD), auth.CodeNeeded
    )


def test_a_subject_nobody_linked_is_refused(sso_on: Provider) -> None:
    _link()
    with pytest.raises(sso.SsoRefused, match="not linked") as refused:
        _finish(_callback("okta|stranger-1"))
    assert refused.value.code == "unlinked"
    assert _last_refusal() == ("denied", "subject not linked: okta|stranger-1")


def test_an_identity_the_provider_disabled_is_refused(sso_on: Provider) -> None:
    _link(subject="okta|left-2")
    answer = _callback("okta|left-2")  # the provider sends the browser back with a refusal
    assert answer.get("error") == "access_denied" and "code" not in answer
    with pytest.raises(sso.SsoRefused) as refused:
        _finish(answer)
    assert refused.value.code == "provider"
    assert _last_refusal() == ("denied", "provider answered access_denied")


def test_a_disabled_portal_account_is_refused_whatever_the_provider_says(
    sso_on: Provider,
) -> None:
    _link()
    admin.account_deactivate(actor=world.actor_of("admin.demo"), username="clinician.demo")
    with pytest.raises(sso.SsoRefused) as refused:
        _finish(_callback(LINKED))
    assert refused.value.code == "closed"


def test_a_sign_in_is_used_once_and_only_by_the_browser_that_began_it(
    sso_on: Provider,
) -> None:
    _link()
    answer = _callback(LINKED)
    with pytest.raises(sso.SsoRefused) as refused:
        _finish(answer, browser="someone-elses-browser")  # a callback URL carried off
    assert refused.value.code == "again"
    with pytest.raises(sso.SsoRefused):
        _finish(answer)  # spent by the attempt above
    answer = _callback(LINKED)
    _finish(answer)
    with pytest.raises(sso.SsoRefused) as refused:
        _finish(answer)
    assert refused.value.code == "again"
    with pytest.raises(sso.SsoRefused) as refused:
        sso.begin(browser=None)
    assert refused.value.code == "cookies"


def test_a_forged_code_is_refused(sso_on: Provider) -> None:
    _link()
    answer = _callback(LINKED)
    with pytest.raises(sso.SsoRefused) as refused:
        _finish({**answer, "code": "not-the-providers-code"})
    assert refused.value.code == "provider"
    assert (_last_refusal()[1] or "").startswith("token or ID token refused")


def test_only_admins_link_and_only_staff_accounts(sso_on: Provider) -> None:
    with pytest.raises(PermissionDenied):
        sso.sso_link(
            actor=world.actor_of("clinician.demo"), username="clinician.demo", subject=LINKED
        )
    with pytest.raises(ValidationError):
        _link(username="patient.demo")
    with pytest.raises(ValidationError):
        _link(subject="   ")
    _link()
    with pytest.raises(ValidationError, match="another account"):
        _link(username="him.demo")
    assert [k.username for k in sso.sso_links(actor=world.actor_of("admin.demo"))] == [
        "clinician.demo"
    ]


def test_without_a_provider_nothing_is_offered(seeded_url: str) -> None:
    assert sso.offered() is None
    with pytest.raises(sso.SsoRefused):
        sso.begin(browser=BROWSER)


def test_unlinking_an_account_that_is_not_linked_is_refused(sso_on: Provider) -> None:
    with pytest.raises(NotFound):
        sso.sso_unlink(actor=world.actor_of("admin.demo"), username="him.demo")


def test_starting_sign_ins_is_bounded_per_browser(sso_on: Provider) -> None:
    for _ in range(sso.STARTS):
        sso.begin(browser="a-busy-browser")
    with pytest.raises(RateLimited):
        sso.begin(browser="a-busy-browser")
    assert sso.begin(browser="another-browser").startswith(sso_on.issuer)
