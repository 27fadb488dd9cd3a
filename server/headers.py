"""Security headers on every HTTP response (issue 9, item 9; OWASP ASVS V3.4).

The Content-Security-Policy allows this origin only: no other site's scripts, images, styles,
frames or connections, and no framing by any site (clickjacking). Streamlit's own page has one
inline script; it is allowed by its hash, computed from the installed Streamlit's index.html.
Styles stay 'unsafe-inline' because Streamlit's components set element styles at run time.
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

import streamlit
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.core.config import settings

_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.S)


def _inline_script_hashes() -> list[str]:
    index = Path(streamlit.__file__).parent / "static" / "index.html"
    found = _INLINE_SCRIPT.findall(index.read_text(encoding="utf-8"))
    return [
        "'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'"
        for s in found
    ]


def content_security_policy() -> str:
    rules = {
        "default-src": "'self'",
        # blob: for the portal's own component scripts (the passkey ceremony), which Streamlit
        # loads from blob URLs it makes from the page's code; no other site's script.
        "script-src": " ".join(["'self'", "blob:", *_inline_script_hashes()]),
        "style-src": "'self' 'unsafe-inline'",
        "img-src": "'self' data: blob:",
        "font-src": "'self' data:",
        "connect-src": "'self'",
        "media-src": "'self' data: blob:",
        "worker-src": "'self' blob:",
        "frame-src": "'self' blob: data:",
        "frame-ancestors": "'none'",
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
    }
    return "; ".join(f"{k} {v}" for k, v in rules.items())


def security_headers(production: bool) -> list[tuple[bytes, bytes]]:
    headers = {
        "Content-Security-Policy": content_security_policy(),
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",  # share links carry their key in the URL
        "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
        "Cross-Origin-Opener-Policy": "same-origin",
    }
    if production:
        headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    return [(k.lower().encode(), v.encode()) for k, v in headers.items()]


class SecurityHeaders:
    """ASGI middleware: the headers above on every HTTP response (replacing any of the same
    name), whoever made the response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.headers = security_headers(settings().environment == "production")
        self.names = {name for name, _ in self.headers}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                kept = [h for h in message.get("headers", []) if h[0].lower() not in self.names]
                message["headers"] = kept + self.headers
            await send(message)

        await self.app(scope, receive, with_headers)
