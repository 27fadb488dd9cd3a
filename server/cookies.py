"""The cookie route: exchanges a page's single-use ticket for an HttpOnly cookie (issue 9,
item 10). The page shows a 1-pixel image at `/_portal/cookie/<ticket>`; no script is involved,
so no script can read the session token."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from services.core import cookie_handoff
from services.core.config import settings

PREFIX = "/_portal/cookie/"
# A transparent 1x1 GIF: what the page's image element receives.
PIXEL = bytes.fromhex(
    "47494638396101000100800000000000ffffff21f90401000000002c00000000010001000002024401003b"
)


async def cookie(request: Request) -> Response:
    found = cookie_handoff.redeem(request.path_params["ticket"])
    if found is None:
        return Response(status_code=404, headers={"Cache-Control": "no-store"})
    response = Response(PIXEL, media_type="image/gif", headers={"Cache-Control": "no-store"})
    response.set_cookie(
        found.name,
        found.value,
        max_age=found.max_age,
        path="/",
        secure=settings().environment == "production",
        httponly=True,
        samesite="strict",
    )
    return response


def routes() -> list[Route]:
    return [Route(PREFIX + "{ticket}", cookie, methods=["GET"])]
