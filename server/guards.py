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

from http.cookies import SimpleCookie
from urllib.parse import urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from services.core import cookie_handoff
from services.identity import sessions

LOOPBACK = {"127.0.0.1", "::1"}
FORWARDED = {b"forwarded", b"x-forwarded-for", b"x-real-ip"}


def _headers(scope: Scope) -> dict[bytes, bytes]:
    return {k.lower(): v for k, v in scope.get("headers", [])}


def _cookies(headers: dict[bytes, bytes]) -> dict[str, str]:
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(headers.get(b"cookie", b"").decode("latin-1"))
    except Exception:  # a malformed Cookie header is no cookie at all
        return {}
    return {k: m.value for k, m in jar.items()}


def _session_is_live(token: str | None) -> bool:
    return bool(token) and sessions.session_status(token=token or "") > 0


async def media_allowed(headers: dict[bytes, bytes]) -> bool:
    cookies = _cookies(headers)
    if cookie_handoff.pass_is_live(cookies.get(cookie_handoff.PASS_COOKIE)):
        return True
    return await run_in_threadpool(_session_is_live, cookies.get(cookie_handoff.SESSION_COOKIE))


def metrics_allowed(scope: Scope, headers: dict[bytes, bytes]) -> bool:
    client = scope.get("client") or ("", 0)
    return client[0] in LOOPBACK and not FORWARDED & set(headers)


def same_origin(headers: dict[bytes, bytes]) -> bool:
    origin = headers.get(b"origin")
    if origin is None:
        return True  # not a browser: Streamlit's own checks apply
    return urlsplit(origin.decode("latin-1")).netloc == headers.get(b"host", b"").decode("latin-1")


class RequestGuards:
    """ASGI middleware applying the rules above before Streamlit sees the request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        path: str = scope.get("path", "")
        refused = (
            (scope["type"] == "websocket" and not same_origin(headers))
            or (path.startswith("/_stcore/metrics") and not metrics_allowed(scope, headers))
            or (path.startswith("/media/") and not await media_allowed(headers))
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
