"""Small cells (docs/rules/compliance.md, Reporting): a count of 1 to 10 people is never shown, and
no hidden count can be worked out by subtraction from what is shown.

Every figure on the dashboard is published as slices: for each period bucket (a day, a week, a
month, or the whole period) a table by site and age band with an "all" position last on both, so
that every filter the dashboard offers is one position of a slice and filters that differ by one
group are neighbours on one line. Anyone can subtract along a row or a column of a slice.

A slice is safe when no hidden count follows from the shown ones and the lines' sums. Negating the
cells that are a total on one line only (y = -x there) makes every line of the slice sum to zero,
so the unknown part of the hidden counts is the cycle space of the bipartite graph whose nodes are
the slice's rows and columns and whose edges are its hidden cells: a hidden count can be worked
out exactly if and only if its edge is a bridge (on no cycle). Protection hides every count of 1
to 10, then, while a hidden cell is a bridge, hides the cheapest path of shown cells that closes a
cycle through it (small counts first, totals late, zeros last, the grand total never).

A figure that adds up over its buckets (sign-ins per week with the period's total) has a line
along time as well. Each bucket's slice is protected on its own and the period's slice hides
exactly the positions hidden in any bucket; then every hidden count still has a free direction:
its bucket slice's cycle, repeated at the same positions in the period slice, satisfies every
slice line and every time line (tests/services/analytics/test_cells.py attacks both kinds with
an independent least-squares solver)."""

from __future__ import annotations

import heapq

import numpy as np
import numpy.typing as npt

SMALL = 10  # the CMS cell-size rule: 1 to 10 people are never shown
_TOTAL_COST = 1_000_000  # hide a total only when no inner cell will do
_ZERO_COST = 1_000_000_000  # a zero last: its bound (never negative) helps an attacker
_GRAND_TOTAL_COST = 1_000_000_000_000

Counts = npt.NDArray[np.int64]
Mask = npt.NDArray[np.bool_]


def check_totals(counts: Counts) -> None:
    """Refuse a table whose totals do not add up (they would leak or mislead)."""
    for axis, size in enumerate(counts.shape):
        inner = np.take(counts, range(size - 1), axis=axis).sum(axis=axis)
        if not np.array_equal(inner, np.take(counts, size - 1, axis=axis)):
            raise ValueError("every line's cells must add up to its total")


def _bridges(hidden: Mask) -> list[tuple[int, int]]:
    """Hidden cells on no cycle of hidden cells (rows and columns as the graph's nodes)."""
    rows, cols = hidden.shape
    adjacent: list[list[int]] = [[] for _ in range(rows + cols)]
    for r, c in zip(*np.nonzero(hidden), strict=True):
        adjacent[int(r)].append(rows + int(c))
        adjacent[rows + int(c)].append(int(r))
    order: dict[int, int] = {}
    low: dict[int, int] = {}
    found: list[tuple[int, int]] = []

    def visit(node: int, parent: int) -> None:
        order[node] = low[node] = len(order)
        for other in adjacent[node]:
            if other == parent:
                continue  # one cell per row and column: no parallel edges
            if other in order:
                low[node] = min(low[node], order[other])
                continue
            visit(other, node)
            low[node] = min(low[node], low[other])
            if low[other] > order[node]:
                found.append((node, other - rows) if node < rows else (other, node - rows))

    for start in range(rows + cols):
        if start not in order and adjacent[start]:
            visit(start, -1)
    return found


def _costs(counts: Counts, hidden: Mask) -> list[list[int]]:
    """What hiding each cell costs: nothing when hidden already, then small counts first,
    totals late, zeros last and the grand total never while anything else will do."""
    cost = 1 + counts + np.where(counts == 0, _ZERO_COST, 0)
    cost[-1, :] += _TOTAL_COST
    cost[:, -1] += _TOTAL_COST
    cost[-1, -1] = _GRAND_TOTAL_COST
    return list(np.where(hidden, 0, cost).tolist())


def _cycle_through(counts: Counts, hidden: Mask, row: int, col: int) -> list[tuple[int, int]]:
    """The cheapest cells to hide so that (row, col) lies on a cycle: a path from its row to its
    column that does not use it."""
    rows, cols = counts.shape
    costs = _costs(counts, hidden)
    best = {row: 0}
    back: dict[int, int] = {}
    queue = [(0, row)]
    target = rows + col
    while queue:
        cost, node = heapq.heappop(queue)
        if node == target:
            break
        if cost > best[node]:
            continue
        if node < rows:
            steps = [(rows + c, costs[node][c]) for c in range(cols) if (node, c) != (row, col)]
        else:
            c = node - rows
            steps = [(r, costs[r][c]) for r in range(rows) if (r, c) != (row, col)]
        for other, step in steps:
            total = cost + step
            if total < best.get(other, total + 1):
                best[other] = total
                back[other] = node
                heapq.heappush(queue, (total, other))
    path = []
    node = target
    while node != row:
        before = back[node]
        path.append((before, node - rows) if before < rows else (node, before - rows))
        node = before
    return [(r, c) for r, c in path if not hidden[r, c]]


def protect(counts: Counts) -> Mask:
    """Which cells of one slice (sites and "all" × age bands and "all") to hide: every count of
    1 to 10, and enough others that none of them can be worked out by subtraction."""
    if counts.ndim != 2 or min(counts.shape) < 2:
        raise ValueError("a slice has two dimensions, each with its total last")
    check_totals(counts)
    hidden = (counts >= 1) & (counts <= SMALL)
    while bridges := _bridges(hidden):
        for r, c in _cycle_through(counts, hidden, *bridges[0]):
            hidden[r, c] = True
    return hidden
