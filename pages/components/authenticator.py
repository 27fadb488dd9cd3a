"""streamlit-authenticator's sign-in form and cookie, with the portal's services behind them.

The library draws the form and keeps the cookie; every decision is made by the services against the
database: credentials, throttling and lock-out (`services.auth`), the second factor, and the
server-side session (`services.sessions`). The library's own credentials dictionary is never built,
and its cookie carries nothing but the opaque session token: a reload resumes the session, while
sign-out, "sign out everywhere", the idle and absolute timeouts and an admin's disable still end it.
"""

from __future__ import annotations

import re
import secrets
from datetime import UTC, timedelta
from email.utils import format_datetime
from typing import Any

import streamlit as st
import streamlit_authenticator as stauth
from streamlit_authenticator.controllers import AuthenticationController, CookieController

from pages.components import state
from services import auth, clock, sessions
from services.access import Actor
from services.config import settings
from services.errors import AuthenticationFailed

COOKIE = "lakeside_session"
PENDING = "sign_in_pending"
FIELDS = {
    "Form name": "Sign in",
    "Username": "Username",
    "Password": "Password",
    "Login": "Sign in",
}
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{20,100}")  # what services.crypto.token makes
_INSTANCE = "authenticator"
_EXPIRES = "session_cookie_expires"


class _SessionCookie(CookieController):
    """The library's cookie controller, holding the portal's session token.

    The cookie is read from the tab's connection (`st.context.cookies`) and written by a one-line
    script in the page. The library's own cookie component is not used: it reruns the page each
    time it first appears, and a rerun arriving just after a click swallows that click.
    """

    def __init__(self) -> None:
        """Nothing to set up: the library's constructor would draw its component."""

    def get_cookie(self) -> str | None:  # type: ignore[override]
        """The browser's session token, read on the first run of a browser session only.

        Streamlit reads cookies once, when the tab connects, so a later run would see a token
        this tab has since signed out of.
        """
        if state.token() is not None or st.session_state.get(state.COOKIE_READ):
            return None
        st.session_state[state.COOKIE_READ] = True
        return _sent_cookie()

    def set_cookie(self) -> None:
        """Write this tab's token (the same script each run, so the page keeps one element)."""
        token = state.token() or ""
        if _sent_cookie() == token or not TOKEN_SHAPE.fullmatch(token):
            return  # the browser already holds it (this tab was opened with it)
        cfg = settings()
        if _EXPIRES not in st.session_state:
            ends = clock.now() + timedelta(hours=cfg.session_lifetime_hours)
            st.session_state[_EXPIRES] = format_datetime(ends.replace(tzinfo=UTC), usegmt=True)
        secure = "; Secure" if cfg.environment == "production" else ""
        _write(f"{COOKIE}={token}; expires={st.session_state[_EXPIRES]}{secure}")

    def delete_cookie(self) -> None:
        _write(f"{COOKIE}=; max-age=0")


def _write(cookie: str) -> None:
    """Set a cookie from the page itself (no component, so no extra rerun).

    The only script on the page (SECURITY.md 16): what reaches it is the cookie's fixed name,
    a session token checked against TOKEN_SHAPE, and a date this module formats; never text a
    user typed.
    """
    st.html(
        f'<script>document.cookie = "{cookie}; path=/; SameSite=Strict";</script>',
        unsafe_allow_javascript=True,
    )


def _sent_cookie() -> str | None:
    """The session cookie as the browser sent it when this tab connected."""
    found = st.context.cookies.get(COOKIE)
    return found if isinstance(found, str) and found else None


class _ServiceSignIn(AuthenticationController):
    """The library's login controller, answered by `services.auth`."""

    def __init__(self) -> None:
        """No credentials dictionary: the database is the only store of accounts."""

    def login(  # type: ignore[override]
        self, username: str | None = None, password: str | None = None, *_: Any, **__: Any
    ) -> bool:
        """Password step: a session (True), or the second step kept for the code form."""
        with state.service_errors():
            try:
                step = auth.sign_in(username=username or "", password=password or "")
            except AuthenticationFailed as exc:
                st.error(exc.message)
                return False
            if isinstance(step, auth.SignedIn):
                finish(step)
                return True
            st.session_state[PENDING] = step
            st.rerun()
        return False


class Authenticator(stauth.Authenticate):
    """The library's view with the portal's controllers plugged in."""

    def __init__(self) -> None:
        # Not the library's constructor, which builds a credentials store and a JWT cookie of
        # usernames; only the attributes its login view reads are set here.
        self.attrs = {"login_sleep_time": 0}  # pacing failures is services.throttle's job
        self.path = None
        self.api_key = None
        self.secret_key = secrets.token_urlsafe(32)  # read only by the library's unused captcha
        self.cookie_controller = _SessionCookie()
        self.authentication_controller = _ServiceSignIn()

    def resume(self) -> Actor | None:
        """This tab's signed-in user: its own session, or the one its browser's cookie names."""
        from_cookie = self.cookie_controller.get_cookie()
        token = state.token() or from_cookie
        if token is None:
            return None
        try:
            view = sessions.session_resume(token=token, acting_for=state.acting_patient())
        except AuthenticationFailed as exc:
            state.signed_out(exc.message)
            return None
        if from_cookie is not None:
            state.signed_in(view.actor, token)
        st.session_state[state.ACTOR] = view.actor
        return view.actor

    def keep_cookie(self, signed_in: bool) -> None:
        """Hold the cookie to the tab's state: the token while signed in, deleted after sign-out."""
        if signed_in:
            self.cookie_controller.set_cookie()
        elif st.session_state.get(state.FORGET_COOKIE):
            self.cookie_controller.delete_cookie()


def frame() -> Actor | None:
    """Start a run: build the authenticator (its hidden cookie reader renders here), find the
    signed-in user, hold the cookie to that, and keep the authenticator for the sign-in page."""
    found = Authenticator()
    current = found.resume()
    found.keep_cookie(signed_in=current is not None)
    notice = st.session_state.get(state.NOTICE)
    if current is None and notice:
        st.info(notice)
    st.session_state[_INSTANCE] = found
    return current


def sign_in_form() -> None:
    """The library's sign-in form; moves on once the services open a session."""
    found = st.session_state.get(_INSTANCE)
    if not isinstance(found, Authenticator):
        st.error(state.GENERIC_ERROR)
        return
    found.login(location="main", fields=FIELDS, key="sign_in")
    if state.token() is not None:
        st.rerun()


def finish(result: auth.SignedIn) -> None:
    """Start the tab's session (the cookie is written on the next run)."""
    state.signed_in(result.actor, result.token)
    if result.recovery_codes:
        st.session_state[state.RECOVERY_CODES] = list(result.recovery_codes)
