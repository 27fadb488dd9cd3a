"""PHQ-9 and GAD-7 scored by their published rules: every band boundary, and PHQ-9 item 9
flagged whatever the total."""

from __future__ import annotations

import pytest

from services.care import questionnaires as q


def _answers(total: int, items: int, last: int = 0) -> tuple[int, ...]:
    """Answers summing to `total`, the last item fixed (item 9 for PHQ-9)."""
    left = total - last
    out = []
    for _ in range(items - 1):
        take = min(3, left)
        out.append(take)
        left -= take
    assert left == 0
    return (*out, last)


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "none-minimal"),
        (4, "none-minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "moderately severe"),
        (19, "moderately severe"),
        (20, "severe"),
        (24, "severe"),
    ],
)
def test_phq9_bands(total: int, band: str) -> None:
    scored = q.score("phq9", _answers(total, 9))  # item 9 answered 0
    assert (scored.score, scored.severity, scored.self_harm) == (total, band, False)


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "minimal"),
        (4, "minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "severe"),
        (21, "severe"),
    ],
)
def test_gad7_bands(total: int, band: str) -> None:
    scored = q.score("gad7", _answers(total, 7, last=max(0, total - 18)))
    assert (scored.score, scored.severity) == (total, band)
    assert not scored.self_harm


@pytest.mark.parametrize("item9", [1, 2, 3])
def test_phq9_item_9_is_flagged_even_with_a_low_total(item9: int) -> None:
    scored = q.score("phq9", _answers(item9, 9, last=item9))
    assert scored.self_harm and scored.severity == "none-minimal"
    assert q.score("phq9", _answers(27, 9, last=3)).severity == "severe"


def test_bad_answers_are_refused() -> None:
    for code, answers in (
        ("phq9", (0,) * 8),
        ("phq9", (0,) * 8 + (4,)),
        ("gad7", (0,) * 6 + (-1,)),
        ("audit", (0,) * 10),
    ):
        with pytest.raises(ValueError):
            q.score(code, answers)
    assert len(q.PHQ9.items) == 9 and len(q.GAD7.items) == 7
