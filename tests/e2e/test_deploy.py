"""The deployment's reverse proxy for real: Caddy runs `deploy/Caddyfile` (as compose.yaml does)
in front of two app servers on one PostgreSQL. TLS with Caddy's own authority (the test trusts
only that), plain HTTP sent to HTTPS, the app's security headers kept and the proxy's own where
the app gave none, bodies over 11 MB refused, and a browser kept on one app process by a cookie,
then carried over to the other, still signed in, when that process stops."""

from __future__ import annotations

import hashlib
import hmac
import http.client
import os
import shutil
import ssl
import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.conftest import sign_in
from tests.support.postgres import free_port
from tests.support.served import ROOT, streamlit_server

pytestmark = pytest.mark.e2e
CADDYFILE = ROOT / "deploy" / "Caddyfile"
ROUTE_COOKIE = "lakeside_route"


@contextmanager
def caddy(folder: Path, apps: list[str]) -> Iterator[tuple[int, int, ssl.SSLContext]]:
    """Caddy serving deploy/Caddyfile for `localhost`; its HTTP and HTTPS ports and a TLS
    context that trusts only the authority Caddy made."""
    program = shutil.which("caddy")
    if program is None:
        pytest.fail("caddy is not installed (make test installs it: apt-get install caddy)")
    http_port, https_port = free_port(), free_port()
    env = {
        **os.environ,
        "HOME": str(folder),
        "XDG_DATA_HOME": str(folder / "data"),
        "XDG_CONFIG_HOME": str(folder / "config"),
        "PORTAL_HOST": "localhost",
        "PORTAL_TLS": "internal",
        "PORTAL_HTTP_PORT": str(http_port),
        "PORTAL_HTTPS_PORT": str(https_port),
        "PORTAL_APPS": " ".join(apps),
    }
    log = (folder / "caddy.log").open("w")
    proc = subprocess.Popen(
        [program, "run", "--config", str(CADDYFILE), "--adapter", "caddyfile"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    root = folder / "data" / "caddy" / "pki" / "authorities" / "local" / "root.crt"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                context = ssl.create_default_context(cafile=str(root))
                _get(https_port, "/_stcore/health", context)
                break
            except (OSError, ssl.SSLError):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"caddy did not start; see {log.name}") from None
                time.sleep(0.5)
        yield http_port, https_port, context
    finally:
        proc.terminate()
        proc.wait(timeout=15)
        log.close()


def _get(port: int, path: str, context: ssl.SSLContext | None = None) -> http.client.HTTPResponse:
    conn: http.client.HTTPConnection = (
        http.client.HTTPSConnection("localhost", port, context=context, timeout=30)
        if context
        else http.client.HTTPConnection("localhost", port, timeout=30)
    )
    conn.request("GET", path)
    response = conn.getresponse()
    response.read()
    return response


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
        page = _get(https_port, "/", tls)
        assert page.status == 200
        headers = {k.lower(): v for k, v in page.getheaders()}
        assert headers["strict-transport-security"].startswith("max-age=31536000")
        assert "script-src" in headers["content-security-policy"]  # the app's own policy
        assert "server" not in headers
        assert ROUTE_COOKIE in headers.get("set-cookie", "")

        plain = _get(http_port, "/")
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
