"""Small cells: every count of 1 to 10 is hidden, and an attacker who knows every shown count and
that each line adds up to its total (across tables, totals and neighbouring filters) cannot work
out any hidden count. The attack is solved independently here, by least squares: a hidden count
is worked out when it is a combination of the published equations."""

from __future__ import annotations

import numpy as np
import pytest

from services.analytics import cells
from tests.support.disclosure import recoverable as _recoverable
from tests.support.disclosure import with_totals as _with_totals


def _series(buckets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The rule for buckets that add up (services.analytics.cube.Cube.total): each bucket
    protected alone; the period's total hidden wherever any bucket is."""
    masks = np.stack([cells.protect(bucket) for bucket in buckets])
    return masks, masks.any(axis=0)


def _thin(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Mostly small counts with some large ones and zeros, like a thin slice of a small clinic."""
    return np.where(
        rng.random(shape) < 0.3, rng.integers(11, 200, shape), rng.integers(0, 12, shape)
    ).astype(np.int64)


@pytest.mark.parametrize("seed", range(60))
@pytest.mark.parametrize("shape", [(2, 2), (6, 4), (5, 7), (12, 9)])
def test_no_small_count_shows_and_none_can_be_worked_out(seed: int, shape: tuple[int, int]) -> None:
    counts = _with_totals(_thin(np.random.default_rng(seed), shape))
    hidden = cells.protect(counts)
    small = (counts >= 1) & (counts <= cells.SMALL)
    assert not (small & ~hidden).any()  # every 1-10 hidden
    assert _recoverable(counts, hidden) == []


@pytest.mark.parametrize("seed", range(30))
def test_a_series_with_its_period_total_leaks_nothing_along_time(seed: int) -> None:
    """Weekly slices and the period's slice, attacked together: the lines along time (a
    position's weeks add up to its period total) are equations too."""
    rng = np.random.default_rng(seed)
    weeks = _with_totals(_thin(rng, (int(rng.integers(1, 9)), 5, 6)))  # last: the period
    masks, period = _series(weeks[:-1])
    hidden = np.concatenate([masks, period[None]])
    small = (weeks >= 1) & (weeks <= cells.SMALL)
    assert not (small & ~hidden).any()
    assert _recoverable(weeks, hidden) == []


def test_a_lone_small_cell_gets_a_partner_in_its_row_and_column() -> None:
    counts = _with_totals(np.array([[5, 40, 60], [30, 50, 70]], dtype=np.int64))
    hidden = cells.protect(counts)
    assert hidden[0, 0] and hidden[:, 0].sum() >= 2 and hidden[0, :].sum() >= 2
    assert _recoverable(counts, hidden) == []
    assert not hidden[2, 3]  # the grand total is shown


def test_nothing_small_hides_nothing() -> None:
    counts = _with_totals(np.array([[0, 40], [30, 50]], dtype=np.int64))
    assert not cells.protect(counts).any()


def test_totals_that_do_not_add_up_are_refused() -> None:
    counts = _with_totals(np.array([[20, 40], [30, 50]], dtype=np.int64))
    counts[0, 0] += 1
    with pytest.raises(ValueError):
        cells.protect(counts)
    with pytest.raises(ValueError):
        cells.protect(np.arange(4, dtype=np.int64))  # a slice has two dimensions


def test_the_attacker_finds_what_primary_suppression_alone_leaves() -> None:
    """The solver above is a real attack: small counts hidden without complements come out."""
    counts = _with_totals(np.array([[5, 40, 60], [30, 50, 70]], dtype=np.int64))
    hidden = (counts >= 1) & (counts <= cells.SMALL)
    assert _recoverable(counts, hidden) == [0]
    weeks = _with_totals(np.array([[[5, 6], [30, 40]], [[20, 30], [40, 50]]], dtype=np.int64))
    masks, _ = _series(weeks[:-1])
    shown_period = np.concatenate([masks, np.zeros_like(masks[:1])])
    assert _recoverable(weeks, shown_period)  # the period's totals give week 1 away
