"""The server's rules without a server: production headers, the cookie route's cookie, tickets
that work once, and the guards' decisions."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest
from starlette.requests import Request

from server import cookies, guards, headers
from services.core import cookie_handoff


def test_strict_transport_security_only_in_production() -> None:
    assert b"strict-transport-security" in dict(headers.security_headers(production=True))
    assert b"strict-transport-security" not in dict(headers.security_headers(production=False))


def test_streamlits_inline_script_is_allowed_by_its_hash_and_nothing_else_inline() -> None:
    policy = headers.content_security_policy()
    script = policy.split("script-src ")[1].split(";")[0]
    assert "'unsafe-inline'" not in script and "'unsafe-eval'" not in script
    assert script.count("'sha256-") == 1


def _redeem(ticket: str) -> tuple[int, str]:
    request = Request({"type": "http", "path_params": {"ticket": ticket}, "headers": []})
    # Its own thread: the browser tests' Playwright keeps an event loop running in this one.
    with ThreadPoolExecutor(1) as pool:
        response = pool.submit(asyncio.run, cookies.cookie(request)).result()
    return response.status_code, response.headers.get("set-cookie", "")


@pytest.mark.parametrize("environment, secure", [("development", False), ("production", True)])
def test_the_cookie_route_sets_an_httponly_strict_cookie_once(
    monkeypatch: pytest.MonkeyPatch, environment: str, secure: bool
) -> None:
    monkeypatch.setattr(cookies, "settings", lambda: type("S", (), {"environment": environment}))
    ticket = cookie_handoff.ticket_for(cookie_handoff.Cookie("lakeside_session", "tok123", 60))
    assert cookie_handoff.ticket_state(ticket) == cookie_handoff.WAITING
    status, set_cookie = _redeem(ticket)
    assert status == 200 and set_cookie.startswith("lakeside_session=tok123;")
    assert "HttpOnly" in set_cookie and "SameSite=strict" in set_cookie
    assert ("Secure" in set_cookie) == secure
    assert cookie_handoff.ticket_state(ticket) == cookie_handoff.USED
    assert _redeem(ticket) == (404, "")  # single use
    assert _redeem("made-up-ticket") == (404, "")


def test_guards_decide_by_origin_and_by_who_asks() -> None:
    host = {"host": "portal.example:443"}
    assert guards.same_origin(host)  # no Origin: not a browser
    assert guards.same_origin({**host, "origin": "https://portal.example:443"})
    assert not guards.same_origin({**host, "origin": "https://evil.example"})
    assert guards.metrics_allowed("127.0.0.1", {})
    assert not guards.metrics_allowed("127.0.0.1", {"x-forwarded-for": "203.0.113.9"})
    assert not guards.metrics_allowed("203.0.113.9", {})


def test_a_media_pass_works_until_it_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    granted = cookie_handoff.media_pass()
    assert cookie_handoff.pass_is_live(granted.value)
    assert not cookie_handoff.pass_is_live("guessed") and not cookie_handoff.pass_is_live(None)
    later = cookie_handoff.time.monotonic() + cookie_handoff.PASS_SECONDS + 1
    monkeypatch.setattr(cookie_handoff.time, "monotonic", lambda: later)
    assert not cookie_handoff.pass_is_live(granted.value)
