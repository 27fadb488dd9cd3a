"""The one helper for user text in Markdown places: whatever was typed comes back unchanged once
Markdown's escapes are undone, and nothing in it can start Markdown, HTML or an autolink."""

from __future__ import annotations

import re
import string

from hypothesis import given
from hypothesis import strategies as st

from pages.components.format import WORD_JOINER, plain

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
