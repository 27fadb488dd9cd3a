"""The cookie route: exchanges a page's single-use ticket for an HttpOnly cookie (issue 9,
item 10; issue 31, item 1). The page shows a 1-pixel image at `/_portal/cookie/<ticket>`; no
script is involved, so no script can read the session token.

A ticket is redeemed only by the browser the page runs in: `BrowserBinding` gives each browser a
random HttpOnly binding cookie with the page itself, and the route hands the cookie over only to
a same-origin request (Sec-Fetch-Site, Origin) that carries the value the ticket was made for.
This is the one place tickets are redeemed: a new cookie a page needs goes through it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.guards import same_origin
from services.core import cookie_handoff
from services.core.config import settings

log = logging.getLogger("portal.server")

PREFIX = "/_portal/cookie/"
# A transparent 1x1 GIF: what the page's image element receives.
PIXEL = bytes.fromhex(
    "47494638396101000100800000000000ffffff21f90401000000002c00000000010001000002024401003b"
)
# Pages a browser reaches from another site, which does not send SameSite=Strict cookies: a new
# binding set there would replace the browser's own (services.identity.sso's callback).
UNBOUND = frozenset({"/_portal/sso/callback"})
BINDING_DAYS = 400  # the longest a browser keeps a cookie; a new value only with a new browser


def same_origin_request(headers: Mapping[str, str]) -> bool:
    """Whether a request comes from this site's own page: a browser says so in Sec-Fetch-Site
    (a link followed from another site, or typed, says otherwise), and any Origin is ours."""
    return headers.get("sec-fetch-site", "same-origin") == "same-origin" and same_origin(headers)


def set_cookie(response: Response, cookie: cookie_handoff.Cookie) -> None:
    response.set_cookie(
        cookie.name,
        cookie.value,
        max_age=cookie.max_age,
        path="/",
        secure=settings().environment == "production",
        httponly=True,
        samesite="strict",
    )


async def cookie(request: Request) -> Response:
    ticket = request.path_params["ticket"]
    if same_origin_request(request.headers):
        found = cookie_handoff.redeem(ticket, request.cookies.get(cookie_handoff.BROWSER_COOKIE))
        if found == cookie_handoff.OTHER_BROWSER:
            log.warning("refused a cookie ticket asked for by another browser")
    else:
        found = cookie_handoff.redeem(ticket, None)  # spent: a ticket carried off site is dead
        if found != cookie_handoff.GONE:
            log.warning("refused a cookie ticket asked for from another site")
    # Unknown and expired tickets are not logged: a page reloaded late asks for one.
    if not isinstance(found, cookie_handoff.Cookie):
        return Response(status_code=404, headers={"Cache-Control": "no-store"})
    response = Response(PIXEL, media_type="image/gif", headers={"Cache-Control": "no-store"})
    set_cookie(response, found)
    return response


def routes() -> list[Route]:
    return [Route(PREFIX + "{ticket}", cookie, methods=["GET"])]


class BrowserBinding:
    """ASGI middleware: a page (an HTML response) sent to a browser without a binding cookie
    sets one, so that the websocket the page opens carries it to the page's script."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in UNBOUND:
            await self.app(scope, receive, send)
            return
        sent = Request(scope).cookies.get(cookie_handoff.BROWSER_COOKIE)
        if cookie_handoff.browser_value(sent) is not None:
            await self.app(scope, receive, send)
            return

        async def binding(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = dict(message.get("headers", []))
                if headers.get(b"content-type", b"").startswith(b"text/html"):
                    holder = Response()
                    value = cookie_handoff.new_browser_value()
                    set_cookie(
                        holder,
                        cookie_handoff.Cookie(
                            cookie_handoff.BROWSER_COOKIE, value, BINDING_DAYS * 86400
                        ),
                    )
                    message["headers"] = [
                        *message.get("headers", []),
                        *[(k, v) for k, v in holder.raw_headers if k == b"set-cookie"],
                    ]
            await send(message)

        await self.app(scope, receive, binding)
