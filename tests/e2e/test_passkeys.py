"""Passkeys in Chromium with the DevTools virtual authenticator (an internal, resident-key
authenticator that verifies the user): `patient.demo` adds one on Your account, and the key
is listed with its name."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import serve, sign_in
from tests.support.postgres import free_port

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def passkey_url(e2e_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The portal at http://localhost:PORT, its public address: WebAuthn takes a host name as
    the relying party (never an IP address), and localhost is a secure context."""
    port = free_port()
    public = f"http://localhost:{port}"
    folder = tmp_path_factory.mktemp("passkeys")
    with serve(e2e_template, folder, port=port, extra_env={"PORTAL_PUBLIC_URL": public}):
        yield public


def _virtual_authenticator(page: Page) -> None:
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )


def test_a_patient_adds_a_passkey_on_the_account_page(page: Page, passkey_url: str) -> None:
    _virtual_authenticator(page)
    sign_in(page, passkey_url, "patient.demo")
    page.get_by_role("link", name="Your account").click()
    expect(page.get_by_role("heading", name="Passkeys and security keys")).to_be_visible()
    page.get_by_label("Its name (so that you can tell it from others)").fill("Test laptop")
    page.get_by_label("Current password (to confirm)").last.fill("Demo-Portal-2026!")
    page.get_by_role("button", name="Add", exact=True).click()
    page.get_by_role("button", name="Create it now").click()
    expect(page.get_by_text(re.compile("^Added. We sent a notice"))).to_be_visible()
    expect(page.get_by_role("table").get_by_text("Test laptop")).to_be_visible()
    expect(page.get_by_role("cell", name="Passkey", exact=True)).to_be_visible()


def _add_on_account_page(page: Page, name: str, kind: str) -> None:
    page.get_by_role("link", name="Your account").click()
    if kind != "Passkey":
        page.get_by_text(kind, exact=True).click()
    page.get_by_label("Its name (so that you can tell it from others)").fill(name)
    page.get_by_label("Current password (to confirm)").last.fill("Demo-Portal-2026!")
    page.get_by_role("button", name="Add", exact=True).click()
    page.get_by_role("button", name="Create it now").click()
    expect(page.get_by_text(re.compile("^Added. We sent a notice"))).to_be_visible()


def _sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out", exact=True).click()
    expect(page.get_by_role("button", name="Sign in", exact=True)).to_be_visible()


def test_a_passkey_alone_signs_in_after_signing_out(page: Page, passkey_url: str) -> None:
    _virtual_authenticator(page)
    sign_in(page, passkey_url, "teen.demo")
    _add_on_account_page(page, "Emma's phone", "Passkey")
    _sign_out(page)
    page.get_by_role("button", name="Sign in with a passkey").click()
    page.get_by_role("button", name="Use it now").click()
    expect(page.get_by_role("heading", name=re.compile("^Welcome, Emma"))).to_be_visible()
