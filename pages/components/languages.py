"""The language a tab is shown in: the signed-in person's own (kept in the account), else the one
chosen on the sign-in page, kept while the tab moves between the public pages and after sign-out;
laid out right to left for a language written that way."""

from __future__ import annotations

import streamlit as st

from pages.components import state
from services.core import language
from services.core.access import Actor
from services.core.language import t

CHOICE = "language_choice"  # the picker's own key (Streamlit drops it when the picker is not shown)
# Streamlit has no right-to-left mode: the main area and the sidebar are turned with CSS. Fixed
# text (no user input reaches it); Streamlit sends a <style>-only st.html to the page's head.
RIGHT_TO_LEFT = (
    "<style>"
    "[data-testid='stMain'], [data-testid='stSidebar'] {direction: rtl; text-align: right;}"
    "</style>"
)


def start() -> None:
    """Begin the run in the tab's language (messages about the session may come first)."""
    language.use(st.session_state.get(state.LANGUAGE))


def apply(current: Actor | None) -> None:
    """Do the rest of the run in the signed-in person's language, or the tab's."""
    if current is not None:
        st.session_state[state.LANGUAGE] = current.language
    start()
    if language.right_to_left():
        st.html(RIGHT_TO_LEFT)


def chooser() -> None:
    """The sign-in page's picker; each language is named in itself."""
    codes = list(language.LANGUAGES)
    st.selectbox(
        t("Language"),
        codes,
        index=codes.index(language.current()),
        format_func=language.LANGUAGES.__getitem__,
        key=CHOICE,
        on_change=_chosen,
    )


def _chosen() -> None:
    """The picker's change. Streamlit may call this after the picker has left the page (a
    rerun the browser asked for while the sign-in page was still drawn, seen right after
    signing in), when its key is gone: then there is nothing to do."""
    chosen = st.session_state.get(CHOICE)
    if chosen in language.LANGUAGES:
        st.session_state[state.LANGUAGE] = chosen
        st.session_state[state.LANGUAGE_CHOSEN] = True
