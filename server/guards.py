"""Guards in front of Streamlit's own routes (issue 9, items 11-13).

- `/media/...` (downloads and images the app made) answer only a browser holding a live portal
  session cookie, or the media pass a share-link recipient is given: a copied media URL is no
  longer a bearer URL.
- `/_stcore/metrics` (server telemetry) answers only a request from this machine that no proxy
  forwarded.
- A websocket whose Origin is another site is refused here: it is cross-site websocket hijacking,
  and Streamlit's own origin check would look up this machine's external IP on the internet.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Receive, Scope, Send

from services.core import cookie_handoff
from services.identity import sessions

LOOPBACK = {"127.0.0.1", "::1"}
FORWARDED = ("forwarded", "x-forwarded-for", "x-real-ip")


def _session_is_live(token: str | None) -> bool:
    return bool(token) and sessions.session_status(token=token or "") > 0


async def media_allowed(cookies: Mapping[str, str]) -> bool:
    if cookie_handoff.pass_is_live(cookies.get(cookie_handoff.PASS_COOKIE)):
        return True
    return await run_in_threadpool(_session_is_live, cookies.get(cookie_handoff.SESSION_COOKIE))


def metrics_allowed(client: str | None, headers: Mapping[str, str]) -> bool:
    return client in LOOPBACK and not any(name in headers for name in FORWARDED)


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
        client = request.client.host if request.client else None
        refused = (
            (scope["type"] == "websocket" and not same_origin(headers))
            or (path.startswith("/_stcore/metrics") and not metrics_allowed(client, headers))
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
