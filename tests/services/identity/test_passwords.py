"""Password policy (docs/rules/security.md 1): length, blocklist, context words; no composition
rules."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from services.identity import passwords


@pytest.mark.parametrize(
    "password",
    [
        "correct horse battery staple",  # spaces, no digits or capitals: fine
        "Zwölf Boxkämpfer jagen Viktor",  # Unicode
        "大きな木の下で猫が昼寝をしている午後",  # no Latin letters at all
        "plum-river-hat\u00e9",  # exactly 15 characters
        ("seven blue herons " * 15)[:255] + "!",  # the longest accepted
    ],
)
def test_long_passphrases_of_any_characters_are_accepted(password: str) -> None:
    assert passwords.password_problem(password) is None


@pytest.mark.parametrize(
    "password, says",
    [
        ("short-one", "at least 15"),
        ("", "at least 15"),
        ("y" * 257, "at most 256"),
        ("1qaz2wsx3edc4rfv", "too common"),
        ("123456789012345", "simple sequence"),
        ("zyxwvutsrqponmlk", "simple sequence"),
        ("aaaaaaaaaaaaaaaa", "repeats itself"),
        ("abcd1abcd1abcd1abcd1", "repeats itself"),
        ("alex rivera 2026 forever", "your name"),
        ("my lakeside health password!", "your name"),
    ],
)
def test_refusals_say_why(password: str, says: str) -> None:
    problem = passwords.password_problem(password, context=("Alex Rivera", "patient.demo"))
    assert problem is not None and says in problem


def test_the_whole_password_is_checked_against_the_blocklist() -> None:
    common = sorted(w for w in passwords._blocklist() if len(w) >= passwords.MIN_LENGTH)
    assert common, "the list has long common passwords too"
    assert "too common" in (passwords.password_problem(common[0]) or "")
    assert passwords.password_problem(common[0] + " but then a lot more words") is None


def test_context_words_include_the_username() -> None:
    problem = passwords.password_problem("my handle is patientdemo okay", context=("patient.demo",))
    assert problem is not None


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_any_input_is_accepted_or_refused_with_a_message(password: str) -> None:
    problem = passwords.password_problem(password, context=("Ruth Larson",))
    assert problem is None or (isinstance(problem, str) and problem.endswith("."))
    if problem is None:
        assert passwords.MIN_LENGTH <= len(passwords.normalise(password)) <= passwords.MAX_LENGTH


@settings(max_examples=50, deadline=None)
@given(st.text(max_size=120))
@example("0" * 73)  # longer than zxcvbn takes (it raises past 72 characters)
@example("violet tractor umbrella sunrise " * 8)
def test_the_strength_hint_never_fails(password: str) -> None:
    hint = passwords.password_strength(password)
    assert 0 <= hint.score <= 4 and hint.label in passwords.LABELS and hint.hint


def test_a_refused_password_never_looks_strong() -> None:
    assert passwords.password_strength("1qaz2wsx3edc4rfv").score <= 1
    assert passwords.password_strength("violet tractor umbrella sunrise").score >= 3
