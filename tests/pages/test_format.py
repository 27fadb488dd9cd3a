"""The one helper for user text in Markdown places: whatever was typed comes back unchanged once
Markdown's escapes are undone, and nothing in it can start Markdown, HTML or an autolink."""

from __future__ import annotations

import html
import re
import string

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from pages.components import result_view
from pages.components.format import WORD_JOINER, chart_text, plain

UNESCAPE = re.compile(f"\\\\([{re.escape(string.punctuation)}])")


@given(st.text())
def test_plain_text_reads_back_as_typed_with_every_mark_escaped(text: str) -> None:
    shown = plain(text)
    assert UNESCAPE.sub(r"\1", shown).replace(WORD_JOINER, "") == text.replace(WORD_JOINER, "")
    bare = UNESCAPE.sub("", shown)
    assert not any(mark in bare for mark in string.punctuation)


def test_autolink_starts_are_broken_by_a_word_joiner() -> None:
    shown = plain("http://a.example www.b.example c@d.example").replace("\\", "")
    assert "http://" not in shown and "www." not in shown and "c@" not in shown


@given(st.text())
def test_chart_text_reads_back_as_typed_and_holds_no_tag(text: str) -> None:
    shown = chart_text(text)
    assert html.unescape(shown) == text
    assert "<" not in shown and ">" not in shown


def test_an_outside_records_source_is_a_plain_legend_entry() -> None:
    """A source (typed by whoever brought the file in, or read from it) never becomes a link or
    formatting in a trend's legend."""
    frame = pd.DataFrame(
        {
            "collected_at": pd.to_datetime(["2026-01-05", "2026-03-05", "2026-05-05"]),
            "value": [6.1, 6.4, 6.0],
            "unit": ["%", "%", "%"],
            "ref_low": [4.0, None, 4.0],
            "ref_high": [5.6, None, 5.6],
            "flag": ["H", None, "H"],
            "source": ["", '<a href="https://evil.example">Clinic</a>', ""],
        }
    )
    figure = result_view.trend_chart(frame, "HbA1c <b>")
    names = [trace.name for trace in figure.data]
    assert "HbA1c &lt;b&gt;" in names
    assert any(n.startswith('&lt;a href="https://evil.example"&gt;Clinic') for n in names)
    assert not any("<" in n for n in names)
