"""Plain-language explanations of common tests (issue 18): one for every panel the seed makes
and the other common ones, short and easy to read, in Spanish too, never a diagnosis."""

from __future__ import annotations

import re

from seed.reference import PANELS
from services.core import language
from services.records import explanations

# Lipid, HbA1c, basic and comprehensive metabolic, CBC, TSH, urine albumin (LOINC panel codes).
COMMON = {"57698-3", "4548-4", "51990-0", "24323-8", "58410-2", "3016-3", "14959-1"}


def _grade(text: str) -> float:
    """The Flesch-Kincaid grade level (Kincaid et al., 1975), syllables counted as vowel groups."""
    words = re.findall(r"[A-Za-z]+", text)
    sentences = max(1, len(re.findall(r"[.!?]", text)))

    def syllables(word: str) -> int:
        groups = len(re.findall(r"[aeiouy]+", word.lower()))
        return max(1, groups - (word.lower().endswith("e") and groups > 1))

    per_word = sum(syllables(w) for w in words) / len(words)
    return 0.39 * len(words) / sentences + 11.8 * per_word - 15.59


def test_every_seeded_test_and_every_common_one_is_explained() -> None:
    seeded = {code for code, *_ in PANELS.values()}
    assert seeded <= set(explanations.EXPLANATIONS)
    assert COMMON <= set(explanations.EXPLANATIONS)
    assert explanations.explanation("0000-0") is None


def test_explanations_are_short_easy_to_read_and_never_a_diagnosis() -> None:
    for code, found in explanations.EXPLANATIONS.items():
        text = " ".join((found.measures, found.high, found.low))
        assert len(re.findall(r"\w+", text)) <= 100, code
        assert _grade(text) <= 9.0, (code, round(_grade(text), 1))  # about 8th grade
        assert not re.search(r"(?<!if )\byou have\b", text, re.IGNORECASE), code  # not told
    assert "care team" in explanations.NOT_A_DIAGNOSIS


def test_an_explanation_is_given_in_the_readers_language() -> None:
    with language.using("es"):
        found = explanations.explanation("4548-4")
    assert found is not None and found.name.startswith("Hemoglobina A1c")
