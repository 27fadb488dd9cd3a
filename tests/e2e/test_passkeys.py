"""Passkeys and security keys in Chromium with the DevTools virtual authenticator: a passkey (an
internal, resident-key authenticator that verifies the user) is added on Your account, at 1366
and at phone width, and alone signs in; a security key (USB, no resident key, no user
verification) is the second step after the password; removing one; and the refusals a browser
can bring about: a removed key, and a copied key whose signature counter goes back."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import (
    SECURITY_KEY,
    idle,
    serve_at_localhost,
    sign_in,
    virtual_authenticator,
)

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def passkey_url(e2e_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve_at_localhost(e2e_template, tmp_path_factory.mktemp("passkeys")) as public:
        yield public


@pytest.mark.parametrize(
    ("width", "username", "home"),
    [(1366, "patient.demo", "Welcome, Alex"), (390, "manager.demo", "Portal usage")],
)
def test_a_passkey_is_added_on_the_account_page_and_signs_in(
    page: Page, passkey_url: str, width: int, username: str, home: str
) -> None:
    page.set_viewport_size({"width": width, "height": 900 if width > 1000 else 844})
    virtual_authenticator(page)
    sign_in(page, passkey_url, username)
    _add_on_account_page(page, "Test laptop", "Passkey")
    expect(page.get_by_role("table").get_by_text("Test laptop")).to_be_visible()
    expect(page.get_by_role("cell", name="Passkey", exact=True)).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    _sign_out(page)
    _passkey_sign_in(page)
    expect(page.get_by_role("heading", name=re.compile(f"^{home}"))).to_be_visible()


def _narrow(page: Page) -> bool:
    return (page.viewport_size or {"width": 1366})["width"] < 700


def _menu(page: Page) -> None:
    """Open the sidebar's menu where the page is narrow enough to fold it away."""
    if not _narrow(page):
        return
    page.wait_for_timeout(500)  # the page drawn after the last click
    idle(page)
    opener = page.get_by_test_id("stExpandSidebarButton")
    if opener.is_visible():
        opener.click()
    expect(page.get_by_role("link", name="Your account")).to_be_in_viewport()


def _to_account(page: Page) -> None:
    """Open Your account from the menu (folded again on a phone, where it covers the page)."""
    _menu(page)
    page.get_by_role("link", name="Your account").click()
    if _narrow(page):
        expect(page.get_by_role("heading", name="Passkeys and security keys")).to_be_attached()
        _fold(page)


def _fold(page: Page) -> None:
    """Fold the menu away on a phone, where it stays open over the page (issue 36, item 2)."""
    if not _narrow(page):
        return
    page.wait_for_timeout(500)
    idle(page)
    closer = page.get_by_test_id("stSidebarCollapseButton")
    if closer.count() and closer.is_visible():
        closer.click()
    expect(page.get_by_test_id("stSidebarContent")).not_to_be_in_viewport()


def _add_on_account_page(page: Page, name: str, kind: str) -> None:
    _to_account(page)
    if kind != "Passkey":
        page.get_by_text(kind, exact=True).click()
    page.get_by_label("Its name (so that you can tell it from others)").fill(name)
    page.get_by_label("Current password (to confirm)").last.fill("Demo-Portal-2026!")
    page.get_by_role("button", name="Add", exact=True).click()
    page.get_by_role("button", name="Create it now").click()
    expect(page.get_by_text(re.compile("^Added. We sent a notice"))).to_be_visible()


def _sign_out(page: Page) -> None:
    _menu(page)
    page.get_by_role("button", name="Sign out", exact=True).click()
    expect(page.get_by_role("button", name="Sign in", exact=True)).to_be_attached()
    _fold(page)


def _passkey_sign_in(page: Page) -> None:
    page.get_by_role("button", name="Sign in with a passkey").click()
    page.get_by_role("button", name="Use it now").click()


def _remove_on_account_page(page: Page) -> None:
    _to_account(page)
    page.get_by_label("Current password (to remove it)").fill("Demo-Portal-2026!")
    page.get_by_role("button", name="Remove", exact=True).click()
    expect(page.get_by_text(re.compile("^Removed. We sent a notice"))).to_be_visible()
    expect(page.get_by_text("None yet.")).to_be_visible()


def test_a_passkey_alone_signs_in_and_once_removed_is_refused(page: Page, passkey_url: str) -> None:
    virtual_authenticator(page)
    sign_in(page, passkey_url, "teen.demo")
    _add_on_account_page(page, "Emma's phone", "Passkey")
    _sign_out(page)
    _passkey_sign_in(page)
    expect(page.get_by_role("heading", name=re.compile("^Welcome, Emma"))).to_be_visible()

    _remove_on_account_page(page)
    _sign_out(page)
    _passkey_sign_in(page)  # the phone still holds it; the portal no longer knows it
    expect(
        page.get_by_text("This passkey or security key is not known for any account here.")
    ).to_be_visible()
    expect(page.get_by_role("button", name="Sign in", exact=True)).to_be_visible()


def test_a_security_key_is_the_second_step_after_the_password(page: Page, passkey_url: str) -> None:
    virtual_authenticator(page, SECURITY_KEY)
    sign_in(page, passkey_url, "billing.demo")
    _add_on_account_page(page, "Blue key", "Security key")
    expect(page.get_by_role("cell", name="Security key", exact=True)).to_be_visible()
    _sign_out(page)
    sign_in(page, passkey_url, "billing.demo", code=False)
    page.get_by_role("button", name="Use your passkey or security key").click()
    page.get_by_role("button", name="Use it now").click()
    expect(page.get_by_role("heading", name="Billing", exact=True)).to_be_visible()
    _remove_on_account_page(page)  # staff keep their authenticator app: removing is allowed


def test_a_copied_passkey_whose_counter_went_back_is_refused(page: Page, passkey_url: str) -> None:
    cdp, authenticator = virtual_authenticator(page)
    sign_in(page, passkey_url, "proxy.demo")
    _add_on_account_page(page, "Tablet", "Passkey")
    _sign_out(page)
    _passkey_sign_in(page)
    expect(page.get_by_role("link", name="Your account")).to_be_visible()
    _sign_out(page)
    # A copy of the key made before its last use: the same key, its counter as it was.
    (credential,) = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})[
        "credentials"
    ]
    cdp.send(
        "WebAuthn.removeCredential",
        {"authenticatorId": authenticator, "credentialId": credential["credentialId"]},
    )
    cdp.send(
        "WebAuthn.addCredential",
        {"authenticatorId": authenticator, "credential": {**credential, "signCount": 0}},
    )
    _passkey_sign_in(page)
    expect(page.get_by_text(re.compile("copied|copy", re.IGNORECASE)).first).to_be_visible()
    expect(page.get_by_role("button", name="Sign in", exact=True)).to_be_visible()
