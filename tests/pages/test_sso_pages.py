"""Single sign-on on the pages (AppTest): the admin's Accounts page links and unlinks a staff
account (shown only when the clinic set a provider); the sign-in page offers the provider's
sign-in and says why one was refused, from the code the server's route gives it and no other
text. The sign-in itself, against a real provider, is proven in tests/e2e/test_sso.py."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from services.core.config import settings
from services.identity import sso
from tests.pages.test_app import APP, signed_in
from tests.support import world

ACCOUNTS = "pages/admin/accounts.py"


@pytest.fixture
def provider_set(seeded_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A provider in the settings (linking reads none of its endpoints)."""
    monkeypatch.setenv("PORTAL_SSO_ISSUER", "https://login.lakeside.example")
    monkeypatch.setenv("PORTAL_SSO_CLIENT_ID", "portal")
    monkeypatch.setenv("PORTAL_SSO_CLIENT_SECRET", "not-used-here")
    monkeypatch.setenv("PORTAL_SSO_NAME", "Lakeside staff sign-in")
    settings.cache_clear()


def _submit(at: AppTest, button: str, username: str, subject: str = "") -> AppTest:
    at.text_input(key="accounts_sso_username").input(username)
    at.text_input(key="accounts_sso_subject").input(subject)
    return at.button(key=f"FormSubmitter:accounts_sso-{button}").click().run()


def test_the_admin_links_and_unlinks_a_staff_account(provider_set: None) -> None:
    at = signed_in("admin.demo")
    at.switch_page(ACCOUNTS).run()
    assert "Single sign-on" in [h.value for h in at.subheader]
    _submit(at, "Link", "patient.demo", "okta|someone")
    assert any("Only staff accounts" in e.value for e in at.error)
    _submit(at, "Link", "clinician.demo", "okta|clinician-7")
    assert [s.value for s in at.success] == ["Linked."]
    links = sso.sso_links(actor=world.actor_of("admin.demo"))
    assert [(k.username, k.subject) for k in links] == [("clinician.demo", "okta|clinician-7")]
    _submit(at, "Unlink", "clinician.demo")
    assert sso.sso_links(actor=world.actor_of("admin.demo")) == []


def test_without_a_provider_the_pages_offer_none(seeded_url: str) -> None:
    at = signed_in("admin.demo")
    at.switch_page(ACCOUNTS).run()
    assert "Single sign-on" not in [h.value for h in at.subheader]
    visitor = AppTest.from_file(APP, default_timeout=60).run()
    assert not [h for h in visitor.get("html") if "sso/start" in str(h.proto)]


@pytest.mark.parametrize(
    ("code", "shown"),
    [("unlinked", sso.REFUSALS["unlinked"]), ("<b>made up</b>", None)],
)
def test_the_sign_in_page_says_why_a_sign_in_was_refused(
    provider_set: None, code: str, shown: str | None
) -> None:
    visitor = AppTest.from_file(APP, default_timeout=60)
    visitor.query_params["sso"] = code
    visitor.run()
    assert [e.value for e in visitor.error] == ([shown] if shown else [])
    assert any("sso/start" in str(h.proto) for h in visitor.get("html"))
