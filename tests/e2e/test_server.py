"""The server around Streamlit (`portal.py`, st.App), attacked as from outside: security headers
on every response, no framing, media downloads need the session, telemetry stays private, no
cross-site websocket, and nothing leaves the machine at start-up."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, Route, expect
from websockets.exceptions import InvalidStatus, WebSocketException
from websockets.sync.client import connect

from services.records import sharing
from tests.e2e.conftest import prepared, serve, session_cookie, sign_in
from tests.support import world
from tests.support.beacon import Beacon
from tests.support.served import streamlit_server

pytestmark = pytest.mark.e2e


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str]]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}
    except urllib.error.HTTPError as refused:
        return refused.code, {k.lower(): v for k, v in refused.headers.items()}


@pytest.mark.parametrize("path", ["/", "/_stcore/health", "/results", "/media/none.csv"])
def test_every_response_carries_the_security_headers(app_url: str, path: str) -> None:
    _, headers = _get(app_url + path)
    policy = headers["content-security-policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "img-src 'self' data: blob:" in policy  # no image from another site
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    assert "strict-transport-security" not in headers  # production only (plain HTTP here)


def test_another_site_cannot_frame_the_portal(page: Page, app_url: str) -> None:
    page.set_content(f'<iframe id="portal" src="{app_url}" width="800" height="600"></iframe>')
    page.wait_for_timeout(3000)
    framed = page.frame_locator("#portal")
    expect(framed.get_by_role("button", name="Sign in", exact=True)).to_have_count(0)
    assert all(not f.url.startswith(app_url) or f == page.main_frame for f in page.frames[1:])


def test_the_page_breaks_no_rule_of_its_own_policy(page: Page, app_url: str) -> None:
    """Streamlit, Plotly and the portal's own pages work under the policy: no violation."""
    violations: list[str] = []
    page.on(
        "console",
        lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
    )
    sign_in(page, app_url, "patient.demo")
    expect(page.get_by_role("heading", name="Welcome, Alex")).to_be_visible()
    for link, heading in (
        ("Test results", "Test results"),
        ("Medical record", "Medical record"),
        ("Health metrics", "Health metrics"),
    ):
        page.get_by_role("link", name=link).click()
        expect(page.get_by_role("heading", name=heading)).to_be_visible()
    expect(page.locator(".js-plotly-plot").first).to_be_visible()
    assert violations == []


def test_media_downloads_need_the_session_cookie(page: Page, app_url: str) -> None:
    """The probe: a patient's results CSV was served to a client with no cookie at all."""
    sign_in(page, app_url, "patient.demo")
    page.get_by_role("link", name="Test results").click()
    session_cookie(page)
    with page.expect_download() as download:
        page.get_by_role("button", name="Download results (CSV)").click()
    url = download.value.url
    assert urlsplit(url).path.startswith("/media/")
    assert page.context.request.get(url).status == 200  # the signed-in browser
    assert _get(url)[0] == 403  # anyone else holding the URL
    page.get_by_role("button", name="Sign out", exact=True).click()
    session_cookie(page, present=False)
    assert page.context.request.get(url).status == 403  # the session has ended


def test_a_cookie_ticket_signs_in_no_other_browser(
    browser: Browser, page: Page, app_url: str
) -> None:
    """The probe: an attacker signs in, keeps the cookie ticket their page shows unfetched, and
    has a victim's browser open it (a link on another site): the victim was signed in as the
    attacker. Now the ticket works only for the browser it was made for, and only same-origin."""
    tickets: list[str] = []

    def hold(route: Route) -> None:
        tickets.append(route.request.url)
        route.abort()

    page.route("**/_portal/cookie/*", hold)
    sign_in(page, app_url, "patient.demo")
    expect(page.get_by_role("heading", name="Welcome, Alex")).to_be_visible()
    deadline = time.monotonic() + 20
    while not tickets and time.monotonic() < deadline:
        page.wait_for_timeout(200)
    assert tickets, "the page showed no cookie ticket"
    victim = browser.new_context()
    try:
        tab = victim.new_page()
        tab.goto(app_url)  # the victim's browser has its own binding cookie
        expect(tab.get_by_role("button", name="Sign in", exact=True)).to_be_visible()
        assert any(c["name"] == "lakeside_browser" for c in victim.cookies())
        tab.set_content(f'<a id="lure" href="{tickets[0]}">prize</a>')  # another site's page
        tab.click("#lure")
        tab.wait_for_timeout(500)
        assert [c for c in victim.cookies() if c["name"] == "lakeside_session"] == []
        tab.goto(app_url)
        expect(tab.get_by_role("button", name="Sign in", exact=True)).to_be_visible()
        # The same URL fetched by the victim's browser as if from the portal's own page.
        answer = victim.request.get(tickets[0], headers={"Sec-Fetch-Site": "same-origin"})
        assert answer.status == 404
    finally:
        victim.close()
    # The attacker's own browser, now fetching normally, is handed a cookie by a new ticket.
    page.unroute("**/_portal/cookie/*")
    page.get_by_role("link", name="Test results").click()
    assert session_cookie(page) is not None


CLINIC = "records@northside.example"


@pytest.fixture
def shared_link(e2e_template: Path, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A served world in which patient.demo has shared the record summary; (URL, token)."""
    with prepared(e2e_template, tmp_path) as path:
        token = sharing.share_create(
            actor=world.actor_of("patient.demo"),
            patient_id=world.patient_id("Alex", "Rivera"),
            recipient_name="Northside Clinic",
            recipient_email=CLINIC,
            what="summary_pdf",
            days=7,
        )
    with streamlit_server(f"duckdb:///{path}", tmp_path) as base:
        yield base, token


def test_a_share_recipient_downloads_with_a_media_pass_and_the_url_alone_fails(
    page: Page, shared_link: tuple[str, str]
) -> None:
    base, token = shared_link
    # A fresh server's first request for a page other than the main one shows Streamlit's
    # "Page not found" notice over it (Streamlit learns the page list on its first run).
    page.goto(base)
    expect(page.get_by_role("button", name="Sign in", exact=True)).to_be_visible()
    page.goto(f"{base}/shared?token={token}")
    page.get_by_label("Your email address").fill(CLINIC)
    page.get_by_role("button", name="Open").click()
    expect(page.get_by_text("Ready. This download has been recorded")).to_be_visible()
    granted = session_cookie(page, name="lakeside_pass")
    assert granted is not None and granted["httpOnly"] is True and granted["sameSite"] == "Strict"
    with page.expect_download() as download:
        page.get_by_role("button", name="Download record-summary.pdf").click()
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF")
    assert _get(download.value.url)[0] == 403


METRICS_TOKEN = "t" * 40


@pytest.fixture(scope="module")
def metrics_url(e2e_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A served world whose monitor token is set."""
    folder = tmp_path_factory.mktemp("metrics")
    with serve(e2e_template, folder, extra_env={"PORTAL_METRICS_TOKEN": METRICS_TOKEN}) as base:
        yield base


def test_server_metrics_answer_only_an_admin_or_the_monitors_token(
    browser: Browser, metrics_url: str
) -> None:
    """The probe: /_stcore/metrics answered an anonymous request from this machine (a reverse
    proxy that forgets its forwarding header would have exposed it)."""
    url = f"{metrics_url}/_stcore/metrics"
    assert _get(url)[0] == 403  # anonymous, from this very machine
    assert _get(url, {"Authorization": "Bearer " + "x" * 40})[0] == 403
    assert _get(url, {"Authorization": f"Bearer {METRICS_TOKEN}"})[0] == 200
    for username, status in (("patient.demo", 403), ("admin.demo", 200)):
        context = browser.new_context()
        try:
            tab = context.new_page()
            sign_in(tab, metrics_url, username)
            session_cookie(tab)
            assert context.request.get(url).status == status, username
        finally:
            context.close()


def test_a_websocket_from_another_site_is_refused(app_url: str) -> None:
    stream = app_url.replace("http://", "ws://") + "/_stcore/stream"
    with pytest.raises((InvalidStatus, WebSocketException, OSError)):
        with connect(stream, origin="http://evil.example", open_timeout=10) as ws:  # type: ignore[arg-type]
            ws.recv(timeout=5)
    with connect(stream, origin=app_url, open_timeout=10):  # type: ignore[arg-type]
        pass  # the portal's own origin connects


@pytest.fixture
def outside() -> Iterator[Beacon]:
    """Stands in for the internet: the served process's HTTP(S) proxy, recording each try."""
    found = Beacon()
    yield found
    found.close()


def test_nothing_leaves_the_machine_at_start_up(
    e2e_template: Path, tmp_path: Path, page: Page, outside: Beacon
) -> None:
    """Started as `make run` starts it (no address on the command line), the server does not
    look up its external IP (checkip.amazonaws.com), not even when another site's page opens a
    websocket to it."""
    proxy = dict.fromkeys(("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"), outside.url)
    with serve(
        e2e_template, tmp_path, extra_env={**proxy, "NO_PROXY": "", "no_proxy": ""}, flags=()
    ) as base:
        page.goto(base)
        expect(page.get_by_role("button", name="Sign in", exact=True)).to_be_visible()
        stream = base.replace("http://", "ws://") + "/_stcore/stream"
        with pytest.raises((InvalidStatus, WebSocketException, OSError)):
            with connect(stream, origin="http://evil.example", open_timeout=10) as ws:  # type: ignore[arg-type]
                ws.recv(timeout=5)
        page.wait_for_timeout(1500)
    log = "".join(p.read_text() for p in tmp_path.glob("streamlit-*.log"))
    assert outside.hits == [] and "external IP" not in log


def test_the_job_runner_starts_once_per_server_process(
    e2e_template: Path, tmp_path: Path, browser: Browser
) -> None:
    """Started by the server's lifespan, not by sessions: three browsers, one runner."""
    with serve(e2e_template, tmp_path, extra_env={"PORTAL_JOBS_TICK_SECONDS": "1"}) as base:
        contexts = [browser.new_context() for _ in range(3)]
        for context in contexts:
            tab = context.new_page()
            tab.goto(base)
            expect(tab.get_by_role("button", name="Sign in", exact=True)).to_be_visible()
        contexts[0].pages[0].wait_for_timeout(2500)
        for context in contexts:
            context.close()
    log = "".join(p.read_text() for p in tmp_path.glob("streamlit-*.log"))
    assert log.count("job runner started") == 1, log
    assert "job release_ended_holds: success" in log and "job deliver_notifications: success" in log
