"""The page script portal.py serves (not an entry point of its own): start-up checks, the
sign-in gate, role-based navigation and the sidebar, run again for every page a browser opens."""

from __future__ import annotations

import streamlit as st

from pages.components import authenticator, languages, navigation, state
from pages.components.sidebar import recovery_codes, sidebar
from services.core.errors import ConfigurationError, Unavailable
from services.core.language import t
from services.identity import acting, passkeys


@st.cache_resource(show_spinner=False)
def _ready() -> str | None:
    """Open the database once per process; the one-line reason when it cannot be opened."""
    try:
        acting.startup()
    except ConfigurationError as exc:
        return exc.message
    return None


problem = _ready()
if problem is not None:
    _ready.clear()
    st.error(t("The portal cannot start: {problem}", problem=problem))
    st.stop()


def _frame() -> None:
    """The signed-in user's frame and the chosen page (or the sign-in page)."""
    # Every full rerun re-reads the server-side session: sign-out elsewhere, a disabled account,
    # a password change or a timeout ends this tab here. A new tab or a reload resumes from the
    # cookie.
    languages.start()
    st.set_page_config(page_title=t("Lakeside Health portal"), page_icon="🏥", layout="wide")
    current = authenticator.frame()
    languages.apply(current)

    if current is None:
        specs = list(navigation.PUBLIC_PAGES)
    else:
        sidebar(current)
        choice = state.acting_choice()
        scopes = frozenset() if choice is None else choice.scopes
        if choice is not None and choice.patient_id == current.patient_id:
            scopes |= {navigation.OWN_RECORD}
        specs = navigation.pages_for(current.roles, scopes)
        if passkeys.staff_without_phishing_resistant_factor(actor=current):
            # The clinic requires a passkey or security key of staff: until one is added, the
            # account page (where it is added) and help are all there is.
            st.warning(
                t(
                    "Your clinic asks staff to sign in with a passkey or a security key. Add "
                    "one under Passkeys and security keys below; your other pages open once it "
                    "is added."
                )
            )
            specs = [navigation.ACCOUNT, navigation.HELP]
        recovery_codes(st.session_state.get(state.RECOVERY_CODES))

    # An invitation opened before signing in is the first page after it.
    pending = current is not None and bool(st.session_state.get(state.PENDING_INVITATION))
    pages = [
        st.Page(
            s.path,
            title=t(s.title),
            url_path=s.url_path,
            icon=s.icon,
            visibility="hidden" if s.hidden else "visible",
            default=pending and s is navigation.INVITATION,
        )
        for s in specs
    ]
    # Every page listed: Streamlit would fold a list of more than twelve behind "View more".
    st.navigation(
        pages, position="sidebar" if current is not None else "hidden", expanded=True
    ).run()


state.init()
try:
    _frame()
except Unavailable as exc:  # the database is down or full: say so; the next run tries again
    st.error(exc.message)
