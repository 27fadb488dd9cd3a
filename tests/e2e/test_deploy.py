"""The deployment's reverse proxy for real: Caddy runs `deploy/Caddyfile` (as compose.yaml does)
in front of two app servers on one PostgreSQL. TLS with Caddy's own authority (the test trusts
only that), plain HTTP sent to HTTPS, the app's security headers kept and the proxy's own where
the app gave none, bodies over 11 MB refused, and a browser kept on one app process by a cookie,
then carried over to the other, still signed in, when that process stops."""

from __future__ import annotations

import hashlib
import hmac
import http.client
import ssl
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.conftest import sign_in
from tests.support.caddy import caddy, get
from tests.support.served import streamlit_server

pytestmark = pytest.mark.e2e
ROUTE_COOKIE = "lakeside_route"


def _announcing(port: int, context: ssl.SSLContext, length: int) -> http.client.HTTPResponse:
    """A PUT that says its body is `length` bytes, then waits for the answer without sending it."""
    conn = http.client.HTTPSConnection("localhost", port, context=context, timeout=30)
    conn.putrequest("PUT", "/_stcore/upload_file/session/file")
    conn.putheader("Content-Length", str(length))
    conn.endheaders()
    response = conn.getresponse()
    response.read()
    return response


def _dial(base: str) -> str:
    return urlsplit(base).netloc


def _route_of(dial: str) -> str:
    """Caddy's cookie policy names an upstream by the HMAC-SHA256 of its address (no secret)."""
    return hmac.new(b"", dial.encode(), hashlib.sha256).hexdigest()


def test_the_proxy_serves_tls_headers_limits_and_keeps_a_browser_on_one_process(
    browser: Browser, shared_url: str, tmp_path: Path
) -> None:
    data = tmp_path / "data"  # shared by both app processes, as the Compose volume is
    data.mkdir(exist_ok=True)
    stops: dict[str, ExitStack] = {}  # each app server, to stop on its own
    try:
        for _ in range(2):
            stack = ExitStack()
            stops[_dial(stack.enter_context(streamlit_server(shared_url, data)))] = stack
        _check_proxy(browser, tmp_path, stops)
    finally:
        for stack in stops.values():
            stack.close()


def _check_proxy(browser: Browser, folder: Path, stops: dict[str, ExitStack]) -> None:
    with caddy(folder, list(stops)) as (http_port, https_port, tls):
        page = get(https_port, "/", tls)
        assert page.status == 200
        headers = {k.lower(): v for k, v in page.getheaders()}
        assert headers["strict-transport-security"].startswith("max-age=31536000")
        assert "script-src" in headers["content-security-policy"]  # the app's own policy
        assert "server" not in headers
        set_cookies = [v for k, v in page.getheaders() if k.lower() == "set-cookie"]
        assert any(c.startswith(f"{ROUTE_COOKIE}=") for c in set_cookies)

        plain = get(http_port, "/")
        assert plain.status in (301, 308)
        # to HTTPS on its standard port (443 in production; the test's Caddy listens elsewhere)
        assert plain.getheader("Location", "").startswith("https://localhost")

        too_big = _announcing(https_port, tls, 12 << 20)
        assert too_big.status == 413  # before a byte of the body was sent
        assert too_big.getheader("X-Frame-Options") == "DENY"  # the proxy's own answer too

        context = browser.new_context(ignore_https_errors=True)
        try:
            tab = context.new_page()
            base = f"https://localhost:{https_port}"
            sign_in(tab, base, "patient.demo")
            welcome = tab.get_by_role("heading", name="Welcome, Alex")
            expect(welcome).to_be_visible()
            [route] = [c["value"] for c in context.cookies() if c["name"] == ROUTE_COOKIE]
            kept_on = next(d for d in stops if hmac.compare_digest(route, _route_of(d)))
            stops[kept_on].close()  # that app process stops; the browser moves to the other
            tab.reload()
            expect(welcome).to_be_visible(timeout=60_000)
            [moved] = [c["value"] for c in context.cookies() if c["name"] == ROUTE_COOKIE]
            assert moved != route
        finally:
            context.close()
