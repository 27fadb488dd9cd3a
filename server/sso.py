"""The single sign-on routes (services.identity.sso): `start` sends the browser to the clinic's
identity provider; the provider sends it back to `callback`; `finish` opens the portal session
and hands the browser its HttpOnly session cookie, then the portal's home.

The provider's redirect is a cross-site navigation, on which a browser does not send the
portal's SameSite=Strict cookies, the binding cookie among them. So `callback` answers with a
page of our own that at once moves on to `finish`: that navigation starts on the portal's own
page and carries the cookies, and the sign-in is checked against the browser that began it.
"""

from __future__ import annotations

from html import escape
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from server.cookies import same_origin_request, set_cookie
from services.core import cookie_handoff
from services.core.config import settings
from services.core.errors import RateLimited
from services.identity import sso

START = "/_portal/sso/start"
FINISH = "/_portal/sso/finish"
NO_STORE = {"Cache-Control": "no-store"}


def _binding(request: Request) -> str | None:
    return cookie_handoff.browser_value(request.cookies.get(cookie_handoff.BROWSER_COOKIE))


def _back(code: str) -> Response:
    """To the sign-in page, which says why (a code of sso.REFUSALS, never words)."""
    return RedirectResponse(f"/?{urlencode({'sso': code})}", status_code=303, headers=NO_STORE)


async def start(request: Request) -> Response:
    if not same_origin_request(request.headers):
        return _back("again")
    try:
        url = await run_in_threadpool(lambda: sso.begin(browser=_binding(request)))
    except sso.SsoRefused as exc:
        return _back(exc.code)
    except RateLimited:
        return _back("again")
    return RedirectResponse(url, status_code=303, headers=NO_STORE)


async def callback(request: Request) -> Response:
    kept = {
        k: request.query_params[k] for k in ("state", "code", "error") if k in request.query_params
    }
    onward = escape(f"{FINISH}?{urlencode(kept)}", quote=True)
    page = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="refresh" content="0;url={onward}"><title>Signing in</title></head>'
        f'<body><p><a href="{onward}">Continue</a></p></body></html>'
    )
    return HTMLResponse(page, headers=NO_STORE)


async def finish(request: Request) -> Response:
    if not same_origin_request(request.headers):
        return _back("again")
    query = request.query_params
    try:
        signed = await run_in_threadpool(
            lambda: sso.finish(
                state=query.get("state", ""),
                code=query.get("code"),
                error=query.get("error"),
                browser=_binding(request),
                user_agent=request.headers.get("user-agent", ""),
            )
        )
    except sso.SsoRefused as exc:
        return _back(exc.code)
    response = RedirectResponse("/", status_code=303, headers=NO_STORE)
    lifetime = int(settings().session_lifetime_hours * 3600)
    set_cookie(
        response, cookie_handoff.Cookie(cookie_handoff.SESSION_COOKIE, signed.token, lifetime)
    )
    return response


def routes() -> list[Route]:
    return [
        Route(START, start, methods=["GET"]),
        Route(sso.CALLBACK, callback, methods=["GET"]),
        Route(FINISH, finish, methods=["GET"]),
    ]
