"""Records requests in Chromium: patient.demo authorizes a release to a third party; him.demo
fulfils it from the queue; the recipient opens the package through the emailed link; the
patient asks for an accounting, him.demo produces it, and the release appears in it."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from services.core import clock, language
from tests.e2e.conftest import new_tab, serve, sign_in

pytestmark = pytest.mark.e2e
RECIPIENT, EMAIL = "Dr. Ana Ruiz", "ana.ruiz@ortho.example"


def _due(days: int) -> str:
    return language.day(clock.today() + timedelta(days=days))


def _open_request(him: Page, kind: str, days: int) -> None:
    him.get_by_label("Open a request").click()
    him.keyboard.type(f"{kind}, due {_due(days)}")  # the list is long: narrow it by typing
    him.get_by_role("option").filter(has_text="Alex Rivera").first.click()
    expect(him.get_by_role("heading", name=f"{kind} for Alex Rivera")).to_be_visible()


def test_a_release_to_a_third_party_is_fulfilled_and_appears_in_the_accounting(
    browser: Browser, e2e_template: Path, tmp_path: Path
) -> None:
    with serve(e2e_template, tmp_path) as base:
        patient = new_tab(browser)
        sign_in(patient, base, "patient.demo")
        patient.get_by_role("link", name="Records requests").click()
        expect(patient.get_by_role("heading", name="Records requests")).to_be_visible()
        patient.get_by_role("tab", name="Send to someone else").click()
        patient.wait_for_timeout(500)  # the form settles before typing
        form = patient.get_by_test_id("stForm")
        form.get_by_label("Send to (person or organization)").fill(RECIPIENT)
        form.get_by_role("textbox", name="Their email address or postal address").fill(EMAIL)
        form.get_by_role("textbox", name="Purpose").fill("Knee surgery consultation")
        form.get_by_label("…or ends when (an event)").fill("When my knee surgery is done")
        form.get_by_label("Signature: type your full name").fill("Alex Rivera")
        form.get_by_role("button", name="Sign and send the authorization").click()
        expect(patient.get_by_text("Your authorization was received")).to_be_visible()

        him = new_tab(browser)
        sign_in(him, base, "him.demo")
        him.get_by_role("link", name="Records requests").click()
        _open_request(him, "Release to a third party", 30)
        him.mouse.move(0, 0)  # no cell's hover tooltip: the table's own drawing is checked
        expect(him.get_by_text(EMAIL)).to_have_count(0)  # in the canvas table, not as text
        him.get_by_role("button", name="Fulfil", exact=True).click()
        expect(him.get_by_text("Fulfilled: By secure link")).to_be_visible()

        # The accounting covers the six years before it is asked for: asked now, it holds the
        # release just made.
        patient.get_by_role("tab", name="Accounting of disclosures").click()
        patient.get_by_role("button", name="Ask for an accounting of disclosures").click()
        expect(patient.get_by_text("The clinic has 60 days to answer")).to_be_visible()
        him.reload()
        _open_request(him, "Accounting of disclosures", 60)
        him.get_by_role("button", name="Fulfil", exact=True).click()
        expect(him.get_by_text("Fulfilled: In the portal")).to_be_visible()

        admin = new_tab(browser)
        sign_in(admin, base, "admin.demo")
        admin.get_by_role("link", name="Demo inbox").click()
        body = admin.get_by_text(re.compile(r"/shared\?token=")).first.inner_text()
        token = re.search(r"/shared\?token=(\S+)", body).group(1)  # type: ignore[union-attr]
        admin.close()
        recipient = new_tab(browser)
        recipient.goto(f"{base}/shared?token={token}")
        recipient.get_by_label("Your email address").fill(EMAIL)
        recipient.get_by_role("button", name="Open").click()
        with recipient.expect_download() as download:
            recipient.get_by_role("button", name=re.compile("Download records-")).click()
        assert download.value.suggested_filename.endswith(".zip")

        patient.reload()
        patient.get_by_role("link", name="Records requests").click()
        patient.get_by_text(re.compile("^Accounting of disclosures received")).first.click()
        listed = patient.get_by_test_id("stTable")
        expect(
            listed.get_by_text(re.compile("Hennepin County District Court")).first
        ).to_be_visible()
        expect(listed.get_by_text(re.compile(f"^{RECIPIENT}, ana")).first).to_be_visible()
