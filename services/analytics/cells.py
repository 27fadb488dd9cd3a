"""Small cells (COMPLIANCE.md, Reporting): a count of 1 to 10 people is never shown, and no hidden
count can be worked out by subtraction from what is shown.

A figure is published as a table of counts with totals along every dimension (for example
week × feature × site × age band, each with an "all" position last): every line along one
dimension sums to its total, and anyone can subtract along any line, across totals, or between
views that differ by one filter. Primary suppression hides each count of 1 to 10. Complementary
suppression then hides more counts until (1) no line has exactly one hidden count and (2) no
hidden count follows from the shown ones by any combination of the lines' sums (checked
exactly, with linear algebra, on each group of hidden counts that share lines)."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import numpy.typing as npt

SMALL = 10  # the CMS cell-size rule: 1 to 10 people are never shown
TOLERANCE = 1e-9  # relative: an eigenvalue this small is zero

Counts = npt.NDArray[np.int64]
Mask = npt.NDArray[np.bool_]


def lines(shape: tuple[int, ...]) -> Iterator[npt.NDArray[np.intp]]:
    """Flat indices of every line along every dimension; a line's last entry is its total."""
    flat = np.arange(int(np.prod(shape))).reshape(shape)
    for axis in range(len(shape)):
        yield from np.moveaxis(flat, axis, -1).reshape(-1, shape[axis])


def check_totals(counts: Counts) -> None:
    """Refuse a table whose totals do not add up (they would leak or mislead)."""
    for line in lines(counts.shape):
        values = counts.flat[line]
        if values[:-1].sum() != values[-1]:
            raise ValueError("every line's cells must add up to its total")


def _complement(counts: Counts, hidden: Mask, line: npt.NDArray[np.intp]) -> int | None:
    """The entry of this line to hide as well: the smallest positive shown count, a cell
    before the total; a shown zero only when nothing else is left."""
    best: tuple[bool, bool, int, int] | None = None
    for position, index in enumerate(line):
        value = int(counts.flat[index])
        if hidden.flat[index]:
            continue
        key = (value == 0, position == len(line) - 1, value, int(index))
        if best is None or key < best:
            best = key
    return None if best is None else best[3]


def _groups(hidden_lines: list[npt.NDArray[np.intp]], hidden: Mask) -> list[list[int]]:
    """Hidden entries grouped by the lines they share (a hidden count can only be worked out
    from lines that reach it)."""
    parent: dict[int, int] = {}

    def root(i: int) -> int:
        while parent.setdefault(i, i) != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for line in hidden_lines:
        members = [int(i) for i in line if hidden.flat[i]]
        for other in members[1:]:
            parent[root(other)] = root(members[0])
        for i in members:
            root(i)
    groups: dict[int, list[int]] = {}
    for i in parent:
        groups.setdefault(root(i), []).append(i)
    return list(groups.values())


def disclosed(counts: Counts, hidden: Mask) -> list[int]:
    """Hidden entries that follow exactly from the shown ones and the lines' sums."""
    shape = counts.shape
    touching = [line for line in lines(shape) if hidden.flat[line].any()]
    found: list[int] = []
    for group in _groups(touching, hidden):
        column = {entry: k for k, entry in enumerate(group)}
        rows = []
        for line in touching:
            if not any(int(i) in column for i in line):
                continue
            row = np.zeros(len(group))
            for position, index in enumerate(line):
                if int(index) in column:
                    row[column[int(index)]] = -1.0 if position == len(line) - 1 else 1.0
            rows.append(row)
        matrix = np.array(rows)
        # The null space of the equations the hidden entries satisfy (the eigenvectors of AᵀA
        # with eigenvalue zero): an entry with no share in it can take one value only.
        values, vectors = np.linalg.eigh(matrix.T @ matrix)
        free = vectors[:, values < TOLERANCE * max(1.0, float(values.max(initial=0.0)))]
        for entry, k in column.items():
            if free.size == 0 or np.abs(free[k, :]).max() < 1e-6:
                found.append(entry)
    return found


def protect(counts: Counts) -> Mask:
    """Which entries to hide: every count of 1 to 10, and enough others that none of them can
    be worked out by subtraction."""
    check_totals(counts)
    hidden = (counts >= 1) & (counts <= SMALL)
    all_lines = list(lines(counts.shape))
    through: dict[int, list[int]] = {}  # entry -> the lines through it
    for number, line in enumerate(all_lines):
        for index in line:
            through.setdefault(int(index), []).append(number)
    while True:
        changed = False
        for line in all_lines:
            if int(hidden.flat[line].sum()) == 1:
                extra = _complement(counts, hidden, line)
                if extra is not None:
                    hidden.flat[extra] = True
                    changed = True
        if changed:
            continue
        exposed = disclosed(counts, hidden)
        if not exposed:
            return hidden
        for entry in exposed:
            extras = (_complement(counts, hidden, all_lines[n]) for n in through[entry])
            extra = next((e for e in extras if e is not None), None)
            if extra is None:
                raise ValueError("a small count cannot be protected in this table")
            hidden.flat[extra] = True
