"""The server's rules without a server: production headers, the cookie route's cookie, tickets
that work once, and the guards' decisions."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from starlette.requests import Request

from server import cookies, guards, headers, sso
from services.core import cookie_handoff


def test_strict_transport_security_only_in_production() -> None:
    assert b"strict-transport-security" in dict(headers.security_headers(production=True))
    assert b"strict-transport-security" not in dict(headers.security_headers(production=False))


def test_streamlits_inline_script_is_allowed_by_its_hash_and_nothing_else_inline() -> None:
    policy = headers.content_security_policy()
    script = policy.split("script-src ")[1].split(";")[0]
    assert "'unsafe-inline'" not in script and "'unsafe-eval'" not in script
    assert script.count("'sha256-") == 1


BROWSER = "b" * 43  # a binding value of the shape the server makes
SAME_ORIGIN = {"host": "portal.example", "sec-fetch-site": "same-origin"}


def _redeem(
    ticket: str, browser: str | None = BROWSER, headers: dict[str, str] = SAME_ORIGIN
) -> tuple[int, str]:
    sent = {**headers, **({"cookie": f"lakeside_browser={browser}"} if browser else {})}
    request = Request(
        {
            "type": "http",
            "path_params": {"ticket": ticket},
            "headers": [(k.encode(), v.encode()) for k, v in sent.items()],
        }
    )
    # Its own thread: the browser tests' Playwright keeps an event loop running in this one.
    with ThreadPoolExecutor(1) as pool:
        response = pool.submit(asyncio.run, cookies.cookie(request)).result()
    return response.status_code, response.headers.get("set-cookie", "")


def _ticket(browser: str | None = BROWSER) -> str:
    made = cookie_handoff.ticket_for(
        cookie_handoff.Cookie("lakeside_session", "tok123", 60), browser
    )
    assert made is not None
    return made


@pytest.mark.parametrize("environment, secure", [("development", False), ("production", True)])
def test_the_cookie_route_sets_an_httponly_strict_cookie_once(
    monkeypatch: pytest.MonkeyPatch, environment: str, secure: bool
) -> None:
    monkeypatch.setattr(cookies, "settings", lambda: type("S", (), {"environment": environment}))
    ticket = _ticket()
    assert cookie_handoff.ticket_state(ticket) == cookie_handoff.WAITING
    status, set_cookie = _redeem(ticket)
    assert status == 200 and set_cookie.startswith("lakeside_session=tok123;")
    assert "HttpOnly" in set_cookie and "SameSite=strict" in set_cookie
    assert ("Secure" in set_cookie) == secure
    assert cookie_handoff.ticket_state(ticket) == cookie_handoff.USED
    assert _redeem(ticket) == (404, "")  # single use
    assert _redeem("made-up-ticket") == (404, "")


@pytest.mark.parametrize(
    "browser, headers",
    [
        ("c" * 43, SAME_ORIGIN),  # another browser's binding value
        (None, SAME_ORIGIN),  # a browser without one
        (BROWSER, {"host": "portal.example", "sec-fetch-site": "cross-site"}),  # a link elsewhere
        (BROWSER, {"host": "portal.example", "sec-fetch-site": "none"}),  # typed or pasted
        (BROWSER, {**SAME_ORIGIN, "origin": "https://evil.example"}),
    ],
)
def test_a_ticket_is_redeemed_only_by_its_own_browser_from_the_portals_page(
    browser: str | None, headers: dict[str, str]
) -> None:
    """Login CSRF / session fixation (issue 31, item 1): one person's ticket opened in another
    browser, or from another site, hands over nothing, and the ticket is spent."""
    ticket = _ticket()
    assert _redeem(ticket, browser, headers) == (404, "")
    assert cookie_handoff.ticket_state(ticket) == cookie_handoff.GONE  # the page makes another
    assert _redeem(ticket) == (404, "")


def test_only_tickets_carried_to_another_browser_or_site_are_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A late or reloaded page's ticket is routine; one asked for elsewhere is worth a look."""
    cross_site = {"host": "portal.example", "sec-fetch-site": "cross-site"}
    with caplog.at_level(logging.WARNING, logger=cookies.log.name):
        _redeem("made-up-ticket")
        _redeem("made-up-ticket", BROWSER, cross_site)
        assert caplog.messages == []
        _redeem(_ticket(), "c" * 43)
        _redeem(_ticket(), BROWSER, cross_site)
    assert caplog.messages == [
        "refused a cookie ticket asked for by another browser",
        "refused a cookie ticket asked for from another site",
    ]


def test_a_ticket_lasts_seconds_and_needs_a_binding_value(monkeypatch: pytest.MonkeyPatch) -> None:
    assert cookie_handoff.TICKET_SECONDS <= 15
    assert cookie_handoff.ticket_for(cookie_handoff.Cookie("x", "y", 1), None) is None
    assert cookie_handoff.ticket_for(cookie_handoff.Cookie("x", "y", 1), "short") is None
    ticket = _ticket()
    later = cookie_handoff.time.monotonic() + cookie_handoff.TICKET_SECONDS + 1
    monkeypatch.setattr(cookie_handoff.time, "monotonic", lambda: later)
    assert _redeem(ticket) == (404, "")


def test_a_page_sets_the_binding_cookie_once() -> None:
    async def page(
        scope: object, receive: object, send: Callable[[dict[str, object]], Awaitable[None]]
    ) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"text/html")],
            }
        )
        await send({"type": "http.response.body", "body": b"<html></html>"})

    def served(cookie: str | None) -> list[tuple[bytes, bytes]]:
        sent: list[dict[str, object]] = []

        async def send(message: dict[str, object]) -> None:
            sent.append(message)

        headers = [(b"cookie", cookie.encode())] if cookie else []
        scope = {"type": "http", "path": "/", "headers": headers}
        with ThreadPoolExecutor(1) as pool:
            pool.submit(asyncio.run, cookies.BrowserBinding(page)(scope, None, send)).result()  # type: ignore[arg-type]
        return list(sent[0]["headers"])  # type: ignore[call-overload]

    [set_cookie] = [v.decode() for k, v in served(None) if k == b"set-cookie"]
    value = set_cookie.split(";")[0].removeprefix("lakeside_browser=")
    assert cookie_handoff.browser_value(value) == value
    assert "HttpOnly" in set_cookie and "SameSite=strict" in set_cookie
    assert [k for k, _ in served(f"lakeside_browser={value}") if k == b"set-cookie"] == []


def test_guards_decide_by_origin_and_by_who_asks() -> None:
    host = {"host": "portal.example:443"}
    assert guards.same_origin(host)  # no Origin: not a browser
    assert guards.same_origin({**host, "origin": "https://portal.example:443"})
    assert not guards.same_origin({**host, "origin": "https://evil.example"})
    token = "m" * 40
    assert guards.token_matches({"authorization": f"Bearer {token}"}, token)
    assert not guards.token_matches({"authorization": f"Bearer {token}x"}, token)
    assert not guards.token_matches({"authorization": f"Basic {token}"}, token)
    assert not guards.token_matches({}, token)
    assert not guards.token_matches({"authorization": "Bearer "}, None)  # no token set: none works


def test_a_media_pass_works_until_it_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    granted = cookie_handoff.media_pass()
    assert cookie_handoff.pass_is_live(granted.value)
    assert not cookie_handoff.pass_is_live("guessed") and not cookie_handoff.pass_is_live(None)
    later = cookie_handoff.time.monotonic() + cookie_handoff.PASS_SECONDS + 1
    monkeypatch.setattr(cookie_handoff.time, "monotonic", lambda: later)
    assert not cookie_handoff.pass_is_live(granted.value)


def _route(handler: Callable[[Request], Awaitable[object]], path: str, **sent: str) -> object:
    query = sent.pop("query", "")
    request = Request(
        {
            "type": "http",
            "path": path,
            "query_string": query.encode(),
            "headers": [(k.replace("_", "-").encode(), v.encode()) for k, v in sent.items()],
        }
    )
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, handler(request)).result()  # type: ignore[arg-type]


@pytest.mark.parametrize("handler", [sso.start, sso.finish])
def test_single_sign_on_starts_and_finishes_only_from_the_portals_page(
    handler: Callable[[Request], Awaitable[object]],
) -> None:
    answer = _route(handler, "/_portal/sso/x", host="portal.example", sec_fetch_site="cross-site")
    assert answer.status_code == 303  # type: ignore[attr-defined]
    assert answer.headers["location"] == "/?sso=again"  # type: ignore[attr-defined]


def test_the_sso_callback_moves_on_by_its_own_page_and_keeps_the_browsers_binding() -> None:
    answer = _route(sso.callback, "/_portal/sso/callback", query='state=a"><b&code=c&x=dropped')
    page = answer.body.decode()  # type: ignore[attr-defined]
    assert 'content="0;url=/_portal/sso/finish?state=a%22%3E%3Cb&amp;code=c"' in page
    assert "<b" not in page.replace("<body>", "")
    assert "/_portal/sso/callback" in cookies.UNBOUND  # no new binding set over the browser's own
