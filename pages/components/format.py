"""Small display helpers shared by pages (text only: user-written text is never HTML)."""

from __future__ import annotations

import html
import re
import string
from datetime import datetime, timedelta

import pandas as pd

from services.core import clock, language
from services.core.language import t
from services.core.money import dollars as money

# Every ASCII punctuation mark may start Markdown, HTML, a link or image, LaTeX ($) or a
# Streamlit directive (:red[...]); CommonMark lets a backslash make each one a plain character.
_MARKUP = re.compile(f"([{re.escape(string.punctuation)}])")
# GitHub's autolinks (http://..., www...., name@host) are found in the text after escapes are
# undone, so an invisible word joiner (U+2060) goes where each would start.
_AUTOLINK = re.compile(r"(?i)(https?|ftp|www|mailto|xmpp)(?=[:.])|(?=@)")
WORD_JOINER = "\u2060"


def plain(text: object) -> str:
    """Text for any place Streamlit reads Markdown (markdown, write, captions, alerts, titles,
    labels, expander titles, metric labels, radio options): it shows exactly as typed, never as
    a link, an image, HTML or formatting (docs/rules/security.md 16). Tables, st.text and st.code,
    and selectbox/multiselect options, show text as it is and need no escaping (use st.text where
    someone may copy the text: the word joiners that stop autolinks would be copied too)."""
    unlinked = _AUTOLINK.sub(lambda m: (m.group(1) or "") + WORD_JOINER, str(text))
    return _MARKUP.sub(r"\\\1", unlinked)


def chart_text(text: object) -> str:
    """Text for a Plotly label (a trace's name, hover text): Plotly reads a few HTML tags (links,
    bold, styles) and entities there, so < > & become entities and show as written."""
    return html.escape(str(text), quote=False)


def fee(cents: int) -> str:
    return t("Free") if cents == 0 else money(cents)


def when(moment: datetime | None) -> str:
    """A stored (UTC) time as people read it: the clinic's wall clock, with its zone."""
    return language.moment(clock.local(moment)) if moment else "—"


def last_day(end: datetime | None) -> str:
    """The last whole day before an end that falls at the clinic's midnight (access "until")."""
    if end is None:
        return "—"
    return language.day((clock.local(end) - timedelta(microseconds=1)).date())


def local_times(values: pd.Series) -> pd.Series:
    """Stored (UTC) times as the clinic's wall-clock times, for charts and tables."""
    stamps = pd.to_datetime(values)
    return stamps.dt.tz_localize("UTC").dt.tz_convert(clock.zone()).dt.tz_localize(None)


def count(value: int | None) -> str:
    """A suppressed count (1 to 10 people) shows as a range, never as its value."""
    return "1–10" if value is None else language.number(value)
