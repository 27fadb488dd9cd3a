"""An attacker for the small-cell tests: everything shown, plus every line's sum, solved with
linear algebra (independently of services.analytics.cells, which reasons about cycles of hidden
cells): a hidden count is worked out exactly when every solution of the equations agrees on it."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np


def with_totals(inner: np.ndarray) -> np.ndarray:
    """Add an "all" position to every dimension, holding the sums."""
    out = inner
    for axis in range(inner.ndim):
        out = np.concatenate([out, out.sum(axis=axis, keepdims=True)], axis=axis)
    return out


def lines(shape: tuple[int, ...]) -> Iterator[np.ndarray]:
    """Flat indices of every line along every dimension; a line's last entry is its total."""
    flat = np.arange(int(np.prod(shape))).reshape(shape)
    for axis in range(len(shape)):
        yield from np.moveaxis(flat, axis, -1).reshape(-1, shape[axis])


def recoverable(counts: np.ndarray, hidden: np.ndarray) -> list[int]:
    """The hidden entries an attacker can compute exactly from everything shown."""
    unknown = [int(i) for i in np.flatnonzero(hidden)]
    column = {entry: k for k, entry in enumerate(unknown)}
    rows = []
    for line in lines(counts.shape):
        row = np.zeros(len(unknown))
        for position, index in enumerate(line):
            if int(index) in column:
                row[column[int(index)]] = -1.0 if position == len(line) - 1 else 1.0
        if row.any():
            rows.append(row)
    if not rows:
        return []
    # A hidden count is worked out exactly when every solution of the equations agrees on it:
    # when the equations' null space (from the singular value decomposition) has no share in it.
    matrix = np.array(rows)
    _, values, vectors = np.linalg.svd(matrix)
    rank = int((values > 1e-9 * max(1.0, float(values.max(initial=0.0)))).sum())
    free = vectors[rank:].T
    return [entry for entry, k in column.items() if free.size == 0 or np.abs(free[k]).max() < 1e-7]
