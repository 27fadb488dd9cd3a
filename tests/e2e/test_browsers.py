"""Trusted browsers and new-sign-in notices in Chromium, with the portal's mail going to a real
local SMTP server: patient.demo adds a security key, ticks "Trust this browser for 30 days" at
the second step and then signs in with the password alone; another browser is asked for the
second step, and once it signs in the account's address gets a "new sign-in" email whose link
ends every session (the first browser's too) and changes the password. The 30 days' end is
proven on a frozen clock in tests/services/identity/test_browsers.py."""

from __future__ import annotations

import re
from collections.abc import Iterator
from email.message import Message
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import (
    SECURITY_KEY,
    new_tab,
    serve_at_localhost,
    sign_in,
    virtual_authenticator,
)
from tests.support.smtp import Mailbox, smtp_server

pytestmark = pytest.mark.e2e
NEW_PASSWORD = "quiet harbor lantern morning"


@pytest.fixture
def mailed_portal(e2e_template: Path, tmp_path: Path) -> Iterator[tuple[str, Mailbox]]:
    """The portal at localhost, sending its mail to a local SMTP server."""
    with smtp_server() as (mailbox, port):
        smtp = {
            "PORTAL_SMTP_HOST": "127.0.0.1",
            "PORTAL_SMTP_PORT": str(port),
            "PORTAL_SMTP_STARTTLS": "false",
        }
        with serve_at_localhost(e2e_template, tmp_path, smtp) as base:
            yield base, mailbox


def _text(message: Message) -> str:
    payload = message.get_payload(decode=True)
    return payload.decode() if isinstance(payload, bytes) else str(message.get_payload())


def _second_step_with_key(page: Page, trust: bool) -> None:
    if trust:
        page.get_by_text("Trust this browser for 30 days").click()
    page.get_by_role("button", name="Use your passkey or security key").click()
    page.get_by_role("button", name="Use it now").click()
    expect(page.get_by_role("heading", name="Welcome, Alex")).to_be_visible()


def _sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out", exact=True).click()
    expect(page.get_by_role("button", name="Sign in", exact=True)).to_be_visible()


def test_a_trusted_browser_skips_the_second_step_and_a_new_one_is_told(
    page: Page, browser: Browser, mailed_portal: tuple[str, Mailbox]
) -> None:
    base, mailbox = mailed_portal
    cdp, authenticator = virtual_authenticator(page, SECURITY_KEY)
    sign_in(page, base, "patient.demo")  # the first browser the account is seen with: no email
    page.get_by_role("link", name="Your account").click()
    page.get_by_text("Security key", exact=True).click()
    page.get_by_label("Its name (so that you can tell it from others)").fill("Blue key")
    page.get_by_label("Current password (to confirm)").last.fill("Demo-Portal-2026!")
    page.get_by_role("button", name="Add", exact=True).click()
    page.get_by_role("button", name="Create it now").click()
    expect(page.get_by_text(re.compile("^Added. We sent a notice"))).to_be_visible()
    _sign_out(page)

    sign_in(page, base, "patient.demo")
    _second_step_with_key(page, trust=True)
    _sign_out(page)
    sign_in(page, base, "patient.demo")  # trusted: the password is enough
    expect(page.get_by_role("heading", name="Welcome, Alex")).to_be_visible()
    page.get_by_role("link", name="Your account").click()
    row = page.get_by_role("row").filter(has_text="(this browser)")
    expect(row).to_contain_text("Chrome")
    expect(row).not_to_contain_text("Not trusted")
    assert not [m for m in mailbox.messages if "new sign-in" in str(m["Subject"])]

    # Another browser holding the same key (copied into its own virtual authenticator).
    other = new_tab(browser)
    (key,) = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})["credentials"]
    other_cdp, other_authenticator = virtual_authenticator(other, SECURITY_KEY)
    other_cdp.send(
        "WebAuthn.addCredential", {"authenticatorId": other_authenticator, "credential": key}
    )
    sign_in(other, base, "patient.demo")
    expect(other.get_by_role("heading", name="Two-step verification")).to_be_visible()
    _second_step_with_key(other, trust=False)

    (notice,) = [m for m in mailbox.messages if "new sign-in" in str(m["Subject"])]
    body = _text(notice)
    assert "If this wasn't you" in body and re.search(r"Chrome on Linux", body), body
    link = re.search(r"http://localhost:\d+/secure-account\?token=[\w-]+", body)
    assert link is not None, body
    owner = new_tab(browser)
    owner.goto(link.group(0))
    expect(owner.get_by_role("heading", name="Secure your account")).to_be_visible()
    owner.get_by_role("textbox", name="New password").fill(NEW_PASSWORD)
    owner.get_by_role("button", name="End every session and change my password").click()
    expect(owner.get_by_text(re.compile("^Done. Every session was signed out"))).to_be_visible()

    page.get_by_role("link", name="Home").click()  # the first browser's session has ended
    expect(page.get_by_role("button", name="Sign in", exact=True)).to_be_visible()
    sign_in(page, base, "patient.demo", NEW_PASSWORD)  # and its trust too: the key again
    expect(page.get_by_role("heading", name="Two-step verification")).to_be_visible()
