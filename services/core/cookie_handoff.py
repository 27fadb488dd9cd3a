"""Hand-off of HttpOnly cookies from a page to the browser (docs/rules/security.md 7; issue: the
session cookie must be unreadable by page scripts).

A page cannot send `Set-Cookie`: it runs over Streamlit's websocket. So it asks for a ticket
here and shows a tiny image whose URL carries it; the server's cookie route redeems the ticket
and answers with the cookie (HttpOnly, SameSite=Strict). A ticket is random, works once, expires
in seconds, and is bound to the browser that asked for it: the server gives every browser a
random binding cookie with the page itself (`BROWSER_COOKIE`, HttpOnly), the page's websocket
carries it, and the route redeems a ticket only for a request carrying the same value. A ticket
URL opened in another browser (a link on another site: login CSRF, session fixation) is refused
and spent. Tickets live in this process only: the route and the page's websocket reach the same
process (one process, or sticky sessions behind the proxy).

The same route hands out a media pass: a short-lived cookie that lets a browser without a
portal session (the recipient of a share link) fetch the download it was just given.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
import time
from dataclasses import dataclass

TICKET_SECONDS = 15  # the page's image is fetched at once; a late one gets a new ticket
PASS_SECONDS = 15 * 60
SESSION_COOKIE = "lakeside_session"
PASS_COOKIE = "lakeside_pass"
BROWSER_COOKIE = "lakeside_browser"  # the binding value, set with the page (server.cookies)
BROWSER_SHAPE = re.compile(r"[A-Za-z0-9_-]{43}")  # what new_browser_value makes


@dataclass(frozen=True)
class Cookie:
    name: str
    value: str  # empty: delete the cookie
    max_age: int


WAITING, USED, GONE = "waiting", "used", "gone"
OTHER_BROWSER = "another browser"  # why a ticket was refused, beside GONE

_lock = threading.Lock()
_tickets: dict[str, tuple[Cookie, str, float]] = {}  # ticket: cookie, browser, expiry
_used: dict[str, float] = {}  # redeemed tickets, remembered a while so pages can stop asking
_passes: dict[str, float] = {}


def _key(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _sweep(now: float) -> None:
    for key in [k for k, (_, _, expires) in _tickets.items() if expires < now]:
        del _tickets[key]
    for table in (_used, _passes):
        for key in [k for k, expires in table.items() if expires < now]:
            del table[key]


def new_browser_value() -> str:
    """A new browser's binding value (random, URL-safe)."""
    return secrets.token_urlsafe(32)


def browser_value(found: object) -> str | None:
    """A binding value as a request or a websocket sent it; None when absent or malformed."""
    return found if isinstance(found, str) and BROWSER_SHAPE.fullmatch(found) else None


def ticket_for(cookie: Cookie, browser: str | None) -> str | None:
    """A single-use ticket the cookie route exchanges for this cookie, in this browser only;
    None for a browser without a binding value (it cannot be handed a cookie)."""
    if browser_value(browser) is None:
        return None
    ticket = secrets.token_urlsafe(24)
    now = time.monotonic()
    with _lock:
        _sweep(now)
        _tickets[_key(ticket)] = (cookie, _key(browser or ""), now + TICKET_SECONDS)
    return ticket


def redeem(ticket: str, browser: str | None) -> Cookie | str:
    """The ticket's cookie, once, for the browser it was made for; else why not: GONE (unknown,
    used or expired) or OTHER_BROWSER (asked for by another browser; then it is spent, and the
    page makes another)."""
    now = time.monotonic()
    with _lock:
        found = _tickets.pop(_key(ticket or "-"), None)
        if found is None or found[2] < now:
            return GONE
        cookie, bound, _ = found
        if not hmac.compare_digest(bound, _key(browser_value(browser) or "-")):
            return OTHER_BROWSER
        _used[_key(ticket)] = now + 10 * TICKET_SECONDS
    return cookie


def ticket_state(ticket: str) -> str:
    """WAITING to be fetched, USED, or GONE (expired unused, or unknown)."""
    key, now = _key(ticket), time.monotonic()
    with _lock:
        if key in _used:
            return USED
        found = _tickets.get(key)
    return WAITING if found is not None and found[2] >= now else GONE


def media_pass() -> Cookie:
    """A new media pass for a browser without a session (registered here, checked by the
    media guard)."""
    value = secrets.token_urlsafe(32)
    with _lock:
        _passes[_key(value)] = time.monotonic() + PASS_SECONDS
    return Cookie(PASS_COOKIE, value, PASS_SECONDS)


def pass_is_live(value: str | None) -> bool:
    if not value:
        return False
    with _lock:
        expires = _passes.get(_key(value))
    return expires is not None and expires >= time.monotonic()
