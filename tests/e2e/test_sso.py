"""Staff single sign-on in Chromium against a real OpenID Connect provider (node-oidc-provider,
tests/support/oidc_provider.py): clinician.demo, linked by an admin, signs in on the provider's
own pages and lands on the clinician home with the portal's roles; a subject nobody linked comes
back to the sign-in page with the reason; the linked account's password no longer signs it in."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from services.core.config import settings
from services.identity import sso
from tests.e2e.conftest import prepared
from tests.support import world
from tests.support.oidc_provider import oidc_provider
from tests.support.postgres import free_port
from tests.support.served import streamlit_server

pytestmark = pytest.mark.e2e


@pytest.fixture
def sso_portal(e2e_template: Path, tmp_path: Path) -> Iterator[str]:
    """The portal at localhost with single sign-on through a provider started here, and
    clinician.demo linked to the provider's `okta|clinician-7`."""
    port = free_port()
    public = f"http://localhost:{port}"
    with oidc_provider(f"{public}{sso.CALLBACK}") as provider:
        env = {"PORTAL_PUBLIC_URL": public, **provider.env()}
        with prepared(e2e_template, tmp_path) as path, pytest.MonkeyPatch.context() as patch:
            for name, value in env.items():
                patch.setenv(name, value)
            settings.cache_clear()
            sso.sso_link(
                actor=world.actor_of("admin.demo"),
                username="clinician.demo",
                subject="okta|clinician-7",
            )
        settings.cache_clear()
        with streamlit_server(f"duckdb:///{path}", tmp_path, extra_env=env, port=port):
            yield public


def _at_provider(page: Page, base: str, subject: str) -> None:
    page.goto(base)
    page.get_by_role("link", name="Sign in with Lakeside staff sign-in").click()
    expect(page.get_by_role("heading", name="Test identity provider")).to_be_visible()
    page.get_by_label("Login").fill(subject)  # the provider's own sign-in page
    page.get_by_label("Password").fill("any password")
    page.get_by_role("button", name="Sign in").click()


def test_a_linked_clinician_signs_in_through_the_provider(page: Page, sso_portal: str) -> None:
    _at_provider(page, sso_portal, "okta|clinician-7")
    expect(page.get_by_role("heading", name=re.compile("^Clinician"))).to_be_visible()
    expect(page.get_by_role("link", name="Result release")).to_be_visible()
    page.reload()  # the session cookie the finishing route set: a reload stays signed in
    expect(page.get_by_role("heading", name=re.compile("^Clinician"))).to_be_visible()


def test_an_unlinked_subject_and_the_linked_password_are_refused(
    page: Page, sso_portal: str
) -> None:
    _at_provider(page, sso_portal, "okta|stranger-1")
    expect(page.get_by_text("not linked to a portal account")).to_be_visible()
    expect(page.get_by_role("button", name="Sign in", exact=True)).to_be_visible()

    page.get_by_role("textbox", name="Username").fill("clinician.demo")
    page.get_by_role("textbox", name="Password", exact=True).fill(world.DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_text("This account signs in with Lakeside staff sign-in.")).to_be_visible()
