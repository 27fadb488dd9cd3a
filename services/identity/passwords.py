"""Password policy (docs/rules/security.md 1, NIST SP 800-63B): length, blocklist and context, no
rules.

At least 15 characters, up to 256, any characters (spaces and Unicode included, compared in NFKC
form), never truncated (argon2 reads all of it), refused whole when it is a common or breached
password (zxcvbn's list of the 30,000 most common), repetitive or sequential, or contains the
username, the person's name or the clinic's name. No composition rules. zxcvbn also gives
the live strength hint.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from zxcvbn import zxcvbn
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from services.core.config import settings
from services.core.language import N_, t

MIN_LENGTH = 15
ADVICE = N_("At least {min_length} characters. A few random words make a strong one.")
MAX_LENGTH = 256
ZXCVBN_MAX = 72  # zxcvbn refuses longer input; the first 72 characters decide the hint
MIN_CONTEXT_WORD = 3  # shorter context words (initials) would refuse too much
MIN_DISTINCT = 5  # "aaaaaaaaaaaaaaaa" and "abababababababab" are long but trivial
SEQUENCES = ("0123456789" * 3, "abcdefghijklmnopqrstuvwxyz" * 2, "qwertyuiopasdfghjklzxcvbnm" * 2)


@lru_cache(maxsize=1)
def _blocklist() -> frozenset[str]:
    return frozenset(FREQUENCY_LISTS["passwords"])


def normalise(password: str) -> str:
    return unicodedata.normalize("NFKC", password)


def _context_words(context: tuple[str, ...]) -> list[str]:
    words = [settings().clinic_name, *context]
    parts = {p.lower() for w in words for p in w.replace(".", " ").replace("@", " ").split()}
    parts |= {w.lower().replace(" ", "") for w in words}
    return sorted(p for p in parts if len(p) >= MIN_CONTEXT_WORD)


def password_problem(password: str, context: tuple[str, ...] = ()) -> str | None:
    """Why this password is refused, or None when it is acceptable."""
    candidate = normalise(password)
    if len(candidate) < MIN_LENGTH:
        return t(
            "Use at least {min_length} characters; a few random words make a good one.",
            min_length=MIN_LENGTH,
        )
    if len(candidate) > MAX_LENGTH:
        return t("Use at most {max_length} characters.", max_length=MAX_LENGTH)
    folded = candidate.lower()
    if folded in _blocklist() or folded.replace(" ", "") in _blocklist():
        return t("This password is too common; choose one that others are unlikely to use.")
    squashed = folded.replace(" ", "")
    if len(set(squashed)) < MIN_DISTINCT or (squashed + squashed).find(squashed, 1) < len(squashed):
        return t("This password repeats itself; choose one that is harder to guess.")
    if any(squashed in seq or squashed in seq[::-1] for seq in SEQUENCES):
        return t("This password is a simple sequence; choose one that is harder to guess.")
    for word in _context_words(context):
        if word in squashed:
            return t("Do not use your name, username or the clinic's name in your password.")
    return None


@dataclass(frozen=True)
class Strength:
    score: int  # 0 (weak) to 4 (strong)
    label: str
    hint: str


LABELS = (N_("Very weak"), N_("Weak"), N_("Fair"), N_("Strong"), N_("Very strong"))


def password_strength(password: str, context: tuple[str, ...] = ()) -> Strength:
    """A live hint while typing; only `password_problem` decides what is refused."""
    candidate = normalise(password)[:MAX_LENGTH]
    if not candidate:
        return Strength(
            0, t(LABELS[0]), t("Use at least {min_length} characters.", min_length=MIN_LENGTH)
        )
    result = zxcvbn(candidate[:ZXCVBN_MAX], user_inputs=_context_words(context))
    feedback = result["feedback"]
    hint = (
        feedback.get("warning") or " ".join(feedback.get("suggestions") or []) or t("Looks good.")
    )
    problem = password_problem(password, context)
    score = min(int(result["score"]), 1) if problem else int(result["score"])
    return Strength(score, t(LABELS[score]), problem or hint)
