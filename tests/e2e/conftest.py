"""Browser journeys: Playwright driving Debian's Chromium against a served app."""

from __future__ import annotations

import re
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, CDPSession, Locator, Page, expect, sync_playwright

from seed import demo
from seed.load import seed_database
from services.core import clock, db
from tests.conftest import TEST_OPTIONS
from tests.support import postgres
from tests.support.served import streamlit_server

CHROMIUM = "/usr/bin/chromium"
LOCAL = {"127.0.0.1", "localhost", None}  # the served app; data: and about: URLs have no host
# The whole suite shares two cores: give each page update more than Playwright's 5 seconds.
expect.set_options(timeout=20_000)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def e2e_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small seeded world whose history ends today, so the real clock sees current data."""
    path = tmp_path_factory.mktemp("e2e") / "template.duckdb"
    seed_database(
        f"duckdb:///{path}", replace(TEST_OPTIONS, as_of=date.today()), progress=lambda _: None
    )
    return path


@pytest.fixture(scope="session")
def pg_e2e_template(pg_server: postgres.PostgresServer) -> str:
    """The e2e world (history ending today) on PostgreSQL, copied for each test that needs it."""
    pg_server.psql("CREATE DATABASE portal_e2e_template")
    url = pg_server.url("portal_e2e_template")
    seed_database(url, replace(TEST_OPTIONS, as_of=date.today()), progress=lambda _: None)
    return "portal_e2e_template"


@pytest.fixture
def shared_url(
    pg_server: postgres.PostgresServer, pg_e2e_template: str, configure
) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """A copy of the e2e world on PostgreSQL, for several processes at once (the servers run on
    the real clock)."""
    db.reset()  # the template's connections closed, so it can be copied
    name = f"p_{uuid.uuid4().hex[:12]}"
    pg_server.psql(f"CREATE DATABASE {name} TEMPLATE {pg_e2e_template}")
    url = configure(pg_server.url(name))
    try:
        yield url
    finally:
        db.reset()
        pg_server.psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@contextmanager
def prepared(template: Path, folder: Path) -> Iterator[Path]:
    """A copy of the template in `folder` with the services pointed at it, for a test to write
    what it needs through them before the copy is served (DuckDB has one writer at a time)."""
    path = folder / "portal.duckdb"
    shutil.copy(template, path)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("PORTAL_DATABASE_URL", f"duckdb:///{path}")
        env.setenv("PORTAL_DATA_DIR", str(folder))
        db.reset()
        try:
            yield path
        finally:
            db.reset()


def serve(template: Path, tmp_path: Path, **options: Any):  # type: ignore[no-untyped-def]
    """A copy of the template served; `options` go to streamlit_server (env, flags)."""
    path = tmp_path / "portal.duckdb"
    shutil.copy(template, path)
    return streamlit_server(f"duckdb:///{path}", tmp_path, **options)


@contextmanager
def serve_at_localhost(
    template: Path, folder: Path, extra_env: dict[str, str] | None = None
) -> Iterator[str]:
    """The portal at http://localhost:PORT, its public address: WebAuthn takes a host name as
    the relying party (never an IP address), and localhost is a secure context."""
    port = postgres.free_port()
    public = f"http://localhost:{port}"
    env = {"PORTAL_PUBLIC_URL": public, **(extra_env or {})}
    with serve(template, folder, port=port, extra_env=env):
        yield public


PASSKEY = {"transport": "internal", "hasResidentKey": True, "hasUserVerification": True}
SECURITY_KEY = {"transport": "usb", "hasResidentKey": False, "hasUserVerification": False}


def virtual_authenticator(page: Page, kind: dict[str, object] = PASSKEY) -> tuple[CDPSession, str]:
    """A DevTools virtual authenticator for the page (WebAuthn.addVirtualAuthenticator); its
    DevTools session and id."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    made = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {"options": {"protocol": "ctap2", "isUserVerified": True, **kind}},
    )
    return cdp, made["authenticatorId"]


@pytest.fixture(scope="module")
def app_url(e2e_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve(e2e_template, tmp_path_factory.mktemp("served")) as base:
        yield base


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A tab that must not fetch anything from outside this machine (the portal runs offline)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    outside: list[str] = []
    context.on(
        "request",
        lambda r: outside.append(r.url) if urlsplit(r.url).hostname not in LOCAL else None,
    )
    tab = context.new_page()
    tab.set_default_timeout(30_000)
    yield tab
    context.close()
    assert not outside, f"requests left the machine: {outside}"


def new_tab(browser: Browser) -> Page:
    """A tab in a context of its own (its own cookies: another person)."""
    tab = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    tab.set_default_timeout(30_000)
    return tab


def idle(page: Page) -> None:
    """Wait until the app is not running the page's script (Streamlit's running icon gone)."""
    expect(page.get_by_test_id("stStatusWidgetRunningIcon")).to_have_count(0)


def click_until(target: Locator, settled: Callable[[], bool], wait_ms: int = 500) -> None:
    """Click `target` until `settled()` holds once the app is idle again: a click that lands
    while the page is still rerunning (after another widget's change, or a reloaded page
    resuming its session from the cookie) can be lost when the page is drawn again."""
    for _ in range(10):
        target.click()
        target.page.wait_for_timeout(wait_ms)
        idle(target.page)
        if settled():
            return
    raise AssertionError(f"clicking {target} did not take")


def open_tab(page: Page, name: str) -> None:
    """Open one of a page's tabs once the app is idle (a rerun still under way can draw the
    tabs anew with the one chosen before)."""
    tabs = page.get_by_role("tab", name=name)  # two while a rerun draws the tabs anew
    idle(page)
    click_until(
        tabs.last,
        lambda: tabs.count() == 1 and tabs.get_attribute("aria-selected") == "true",
        300,
    )


def choose(page: Page, label: str, option: str | re.Pattern[str]) -> None:
    """Pick an option of a select box (opened again if a rerun closed it)."""
    options = page.get_by_role("option")
    idle(page)  # a rerun still drawing the page can show the box twice
    click_until(page.get_by_label(label), lambda: options.count() > 0)
    options.filter(has_text=option).first.click()
    page.wait_for_timeout(1000)  # the rerun the choice makes has begun
    idle(page)


def session_cookie(
    page: Page, present: bool = True, name: str = "lakeside_session"
) -> dict[str, object] | None:
    """The browser's session cookie once it is there (or gone, for present=False): it is
    HttpOnly, so only the browser's own store shows it, never document.cookie."""
    deadline = time.monotonic() + 20
    while True:
        found = [c for c in page.context.cookies() if c["name"] == name]
        if bool(found) == present:
            return dict(found[0]) if found else None
        if time.monotonic() > deadline:
            raise AssertionError(f"session cookie present={bool(found)}: {found}")
        page.wait_for_timeout(200)


def sign_in(
    page: Page, base: str, username: str, password: str = demo.DEMO_PASSWORD, code: bool = True
) -> None:
    """Type the username and password; demo staff then type their authenticator code."""
    page.goto(base)
    page.get_by_role("textbox", name="Username").fill(username)
    # A textbox, not a label: the page before (an account page) has a "Password" heading, and
    # while the sign-in page replaces it both can be on the screen.
    page.get_by_role("textbox", name="Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()
    if code and username in demo.DEMO_STAFF_USERNAMES and password == demo.DEMO_PASSWORD:
        field = page.get_by_role(
            "textbox", name="Code from your authenticator app, or a recovery code"
        )
        field.fill(demo.totp_code(username, clock.now(), seed=TEST_OPTIONS.seed))
        page.get_by_role("button", name="Verify").click()
