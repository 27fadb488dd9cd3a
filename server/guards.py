"""Guards in front of Streamlit's own routes (issue 9, items 11-13).

- `/media/...` (downloads and images the app made) answer only a browser holding a live portal
  session cookie, or the media pass a share-link recipient is given: a copied media URL is no
  longer a bearer URL.
- `/_stcore/metrics` (server telemetry) answers only an admin's live session, or a monitor
  holding the setting's token (`PORTAL_METRICS_TOKEN`, sent as `Authorization: Bearer`): never
  an anonymous request, wherever it comes from, so a proxy that forgets a header exposes nothing.
- A websocket whose Origin is another site is refused here: it is cross-site websocket hijacking,
  and Streamlit's own origin check would look up this machine's external IP on the internet.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from urllib.parse import urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Receive, Scope, Send

from services.core import access, cookie_handoff
from services.core.config import settings
from services.identity import sessions


def _session_is_live(token: str | None) -> bool:
    return bool(token) and sessions.session_status(token=token or "") > 0


async def media_allowed(cookies: Mapping[str, str]) -> bool:
    if cookie_handoff.pass_is_live(cookies.get(cookie_handoff.PASS_COOKIE)):
        return True
    return await run_in_threadpool(_session_is_live, cookies.get(cookie_handoff.SESSION_COOKIE))


def _admin_session(token: str | None) -> bool:
    return bool(token) and access.ADMIN in sessions.session_roles(token=token or "")


def token_matches(headers: Mapping[str, str], expected: str | None) -> bool:
    """Whether the request carries `Authorization: Bearer <expected>` (no token is set: no)."""
    scheme, _, sent = headers.get("authorization", "").partition(" ")
    return (
        expected is not None
        and scheme.lower() == "bearer"
        and hmac.compare_digest(sent.strip().encode(), expected.encode())
    )


async def metrics_allowed(headers: Mapping[str, str], cookies: Mapping[str, str]) -> bool:
    if token_matches(headers, settings().metrics_token):
        return True
    return await run_in_threadpool(_admin_session, cookies.get(cookie_handoff.SESSION_COOKIE))


def same_origin(headers: Mapping[str, str]) -> bool:
    origin = headers.get("origin")
    if origin is None:
        return True  # not a browser: Streamlit's own checks apply
    return urlsplit(origin).netloc == headers.get("host", "")


class RequestGuards:
    """ASGI middleware applying the rules above before Streamlit sees the request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        request = HTTPConnection(scope)  # Starlette reads the headers and cookies
        path, headers = request.url.path, request.headers
        refused = (
            (scope["type"] == "websocket" and not same_origin(headers))
            or (
                path.startswith("/_stcore/metrics")
                and not await metrics_allowed(headers, request.cookies)
            )
            or (path.startswith("/media/") and not await media_allowed(request.cookies))
        )
        if not refused:
            await self.app(scope, receive, send)
        elif scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
        else:
            await send(
                {
                    "type": "http.response.start",
                    "status": 403,
                    "headers": [(b"content-type", b"text/plain; charset=utf-8")],
                }
            )
            await send({"type": "http.response.body", "body": b"Forbidden"})
