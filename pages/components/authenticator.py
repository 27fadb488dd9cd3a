"""streamlit-authenticator's sign-in form and cookie, with the portal's services behind them.

The library draws the form and keeps the cookie; every decision is made by the services against
the database: credentials, throttling and lock-out (`services.identity.auth`), the second factor,
and the server-side session (`services.identity.sessions`). The library's own credentials
dictionary is never built, and its cookie carries nothing but the opaque session token: a reload
resumes the session, while sign-out, "sign out everywhere", the idle and absolute timeouts and an
admin's disable still end it.
"""

from __future__ import annotations

import re
import secrets
from typing import Any

import streamlit as st
import streamlit_authenticator as stauth
from streamlit_authenticator.controllers import AuthenticationController, CookieController

from pages.components import state
from services.core import cookie_handoff
from services.core.access import Actor
from services.core.config import settings
from services.core.errors import AuthenticationFailed
from services.core.language import t
from services.identity import account, auth, browsers, sessions

COOKIE = cookie_handoff.SESSION_COOKIE
PENDING = "sign_in_pending"
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{20,100}")  # what services.core.crypto.token makes
TICKET_SHAPE = re.compile(r"[A-Za-z0-9_-]{32}")  # what cookie_handoff.ticket_for makes
_INSTANCE = "authenticator"
_HANDED = "cookie_handed"  # per cookie name: the cookie and the ticket the page shows for it
COOKIE_ROUTE = "/_portal/cookie/"  # server.cookies serves it


class _SessionCookie(CookieController):
    """The library's cookie controller, holding the portal's session token.

    The cookie is read from the tab's connection (`st.context.cookies`) and set by the server's
    cookie route as HttpOnly (page scripts cannot read it): the page shows a 1-pixel image whose
    URL carries a single-use ticket for it (`services.core.cookie_handoff`). The library's own
    cookie component is not used: it reruns the page each time it first appears, and a rerun
    arriving just after a click swallows that click.
    """

    def __init__(self) -> None:
        """Nothing to set up: the library's constructor would draw its component."""

    def get_cookie(self) -> str | None:
        """The browser's session token, read on the first run of a browser session only.

        Streamlit reads cookies once, when the tab connects, so a later run would see a token
        this tab has since signed out of.
        """
        if state.token() is not None or st.session_state.get(state.COOKIE_READ):
            return None
        st.session_state[state.COOKIE_READ] = True
        return _sent_cookie()

    def set_cookie(self) -> None:
        """Hand this tab's token to the browser (not if the tab was opened with it)."""
        token = state.token() or ""
        if token == _sent_cookie() or not TOKEN_SHAPE.fullmatch(token):
            return
        lifetime = int(settings().session_lifetime_hours * 3600)
        hand_over(cookie_handoff.Cookie(COOKIE, token, lifetime))

    def delete_cookie(self) -> None:
        hand_over(cookie_handoff.Cookie(COOKIE, "", 0))


def hand_over(cookie: cookie_handoff.Cookie) -> None:
    """Have the browser fetch the cookie from the server's route: a 1-pixel image whose URL is a
    single-use ticket (no script on the page; the ticket is URL-safe random text). The image
    stays on every run until the browser has fetched it (a run can be cut short by a rerun
    before the browser asked); a ticket that expired unfetched is replaced."""
    key = f"{_HANDED}:{cookie.name}"
    handed = st.session_state.get(key)
    ticket = handed[1] if isinstance(handed, tuple) and handed[0] == cookie else None
    found = cookie_handoff.ticket_state(ticket) if ticket else cookie_handoff.GONE
    if found == cookie_handoff.USED:
        return
    if found == cookie_handoff.GONE:
        ticket = cookie_handoff.ticket_for(cookie, browser_binding())
        if ticket is None:
            return  # a browser without the binding cookie (cookies off) keeps no cookie
        st.session_state[key] = (cookie, ticket)
    # The page's one raw HTML element (docs/rules/security.md 16): nothing reaches it but a fixed
    # route and a ticket of cookie_handoff's (URL-safe random text), checked here; never text a user
    # typed.
    if not TICKET_SHAPE.fullmatch(ticket or ""):
        raise AssertionError("a cookie ticket is URL-safe random text")
    st.html(f'<img src="{COOKIE_ROUTE}{ticket}" alt="" width="1" height="1">')  # i18n: not shown


def browser_binding() -> str | None:
    """This browser's binding value, as its websocket sent it (the server sets it with the
    page): the cookie route redeems this tab's tickets only for the same browser."""
    return cookie_handoff.browser_value(st.context.cookies.get(cookie_handoff.BROWSER_COOKIE))


def this_browser() -> browsers.Browser:
    """The browser this tab runs in, as a sign-in tells it to the services: its binding and
    what its user agent says."""
    agent = st.context.headers.get("User-Agent")  # i18n: not shown
    return browsers.Browser(browser_binding(), agent or "")


def _sent_cookie() -> str | None:
    """The session cookie as the browser sent it when this tab connected."""
    found = st.context.cookies.get(COOKIE)
    return found if isinstance(found, str) and found else None


class _ServiceSignIn(AuthenticationController):
    """The library's login controller, answered by `services.identity.auth`."""

    def __init__(self) -> None:
        """No credentials dictionary: the database is the only store of accounts."""

    def login(
        self, username: str | None = None, password: str | None = None, *_: Any, **__: Any
    ) -> bool:
        """Password step: a session (True), or the second step kept for the code form."""
        with state.service_errors():
            try:
                step = auth.sign_in(
                    username=username or "", password=password or "", browser=this_browser()
                )
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
        self.attrs = {"login_sleep_time": 0}  # pacing failures is services.core.throttle's job
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
        st.session_state[state.RESUMED] = view
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
        st.error(t(state.GENERIC_ERROR))
        return
    # The library's names for its form's parts are keys, never shown.
    fields = {
        "Form name": t("Sign in"),  # i18n: not shown
        "Username": t("Username"),  # i18n: not shown
        "Password": t("Password"),  # i18n: not shown
        "Login": t("Sign in"),  # i18n: not shown
    }
    found.login(location="main", fields=fields, key="sign_in")
    if state.token() is not None:
        st.rerun()


def finish(result: auth.SignedIn) -> None:
    """Start the tab's session (the cookie is written on the next run); a language chosen on
    the sign-in page becomes the account's."""
    actor = result.actor
    chosen = st.session_state.get(state.LANGUAGE)
    if st.session_state.get(state.LANGUAGE_CHOSEN) and isinstance(chosen, str):
        actor = account.language_update(actor=actor, code=chosen)
    state.signed_in(actor, result.token)
    if result.recovery_codes:
        st.session_state[state.RECOVERY_CODES] = list(result.recovery_codes)
