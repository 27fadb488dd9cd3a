"""A figure's counts by bucket (a day, week, month, weekday hour…), site and age band, with "all"
last on both, protected once for every filter (services.analytics.cells) and then read for the
filter the manager chose: every view, every total and every download comes from one protected
cube, so neighbouring filters cannot be subtracted from each other."""

from __future__ import annotations

import hashlib
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Executable, delete, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from services.analytics import cells
from services.analytics.tables import ProtectedSlice
from services.core import clock, db


@dataclass(frozen=True)
class Filters:
    site: str | None = None  # a site's code; None: every site
    age_band: str | None = None  # None: every age


@dataclass(frozen=True)
class Axes:
    """The sites and age bands (the groups people fall in), each followed by "all"."""

    sites: tuple[str, ...]
    bands: tuple[str, ...]

    def position(self, filters: Filters) -> tuple[int, int]:
        site = len(self.sites) if filters.site is None else self.sites.index(filters.site)
        band = len(self.bands) if filters.age_band is None else self.bands.index(filters.age_band)
        return site, band


_known: dict[str, bytes] = {}  # digest → mask: this process's, and those stored
_new: dict[str, bytes] = {}  # protected here since the last store()
_loaded_on: date | None = None  # the day the stored masks were last read
KEEP_DAYS = 7  # stored masks older than this are dropped (recomputed if ever needed again)
MAX_KNOWN = 200_000


def _digest(counts: np.ndarray) -> str:
    rows, cols = counts.shape
    return hashlib.sha1(f"{rows}x{cols}".encode() + counts.tobytes()).hexdigest()


def protect_slice(counts: np.ndarray) -> np.ndarray:
    """A slice's mask: known already (aggregates only: safe to share between managers,
    requests and processes), or worked out now and kept."""
    counts = np.ascontiguousarray(counts, dtype=np.int64)
    digest = _digest(counts)
    mask = _known.get(digest)
    if mask is None:
        if len(_known) >= MAX_KNOWN:  # a long-lived process: start again from the stored ones
            _known.clear()
        mask = _known[digest] = _new[digest] = cells.protect(counts.copy()).tobytes()
    return np.frombuffer(mask, dtype=np.bool_).reshape(counts.shape)


def fetch(session: Session, query: Executable) -> Sequence[Any]:
    """A query's rows through the session's connection (Core rows: no ORM handling of each)."""
    return session.connection().execute(query).all()


def fetch_columns(session: Session, query: Executable) -> list[np.ndarray]:
    """A query's result as one array per column: DuckDB hands over NumPy arrays (no Python object
    for each of the tens of thousands of values in a year's cube); PostgreSQL's rows transposed."""
    conn = session.connection()
    result = conn.execute(query)
    width = len(result.keys())
    if db.is_duckdb(conn):  # columns of the same name come apart (DuckDB renames them: n, n_1)
        found = list(result.cursor.fetchnumpy().values())
        result.close()
        return found
    return [np.array(c, dtype=object) for c in transposed(result.all(), width)]


def transposed(rows: Iterable[Sequence[Any]], width: int = 4) -> list[list[Any]]:
    """Rows as columns (`width` empty ones when there are no rows)."""
    found = [list(c) for c in zip(*rows, strict=True)]
    return found or [[] for _ in range(width)]


def _positions(labels: Sequence[Hashable], values: Any, what: str) -> np.ndarray:
    """Where each value stands among the labels."""
    if isinstance(values, np.ndarray) and values.dtype.kind == "M":  # DuckDB's dates
        ordered = np.array(labels, dtype="datetime64[us]")  # a cube's dates are in order
        days = values.astype("datetime64[us]")
        if len(ordered):
            at = np.searchsorted(ordered, days)
            at[ordered[np.minimum(at, len(ordered) - 1)] != days] = -1
        else:
            at = np.full(len(days), -1, dtype=np.intp)
    else:
        place = {label: k for k, label in enumerate(labels)}
        found_list = values.tolist() if isinstance(values, np.ndarray) else values
        at = np.array([place.get(v, -1) for v in found_list], dtype=np.intp)
    if (at < 0).any():
        first = np.asarray(values)[at < 0][:1].tolist()[0]
        raise ValueError(f"a {what} outside the cube: {first!r}")
    return at


def _integers(values: Any) -> np.ndarray:
    """Counts as int64 (a sum over no rows is null: 0)."""
    if isinstance(values, np.ma.MaskedArray):
        values = values.filled(0)
    values = np.asarray(values)
    if values.dtype == object:
        values = np.array([v or 0 for v in values])
    counts: np.ndarray = values.astype(np.int64)
    return counts


def load(session: Session) -> None:
    """The masks stored by earlier views, other processes and the job (read once a day)."""
    global _loaded_on
    if _loaded_on == clock.today():
        return
    for digest, hidden in fetch(session, select(ProtectedSlice.digest, ProtectedSlice.hidden)):
        _known[digest] = (np.frombuffer(hidden.encode(), dtype=np.uint8) == ord("1")).tobytes()
    _loaded_on = clock.today()


def store(session: Session) -> int:
    """Keep the masks worked out here for later views and processes; how many were new."""
    if not _new:
        return 0
    pending = dict(_new)
    _new.clear()
    stored = set(
        session.scalars(select(ProtectedSlice.digest).where(ProtectedSlice.digest.in_(pending)))
    )
    today = clock.today()
    rows = [
        {
            "digest": d,
            "hidden": "".join("1" if b else "0" for b in np.frombuffer(m, dtype=np.bool_)),
            "stored_on": today,
        }
        for d, m in pending.items()
        if d not in stored
    ]
    if rows:
        conn = session.connection()
        if db.is_duckdb(conn):
            db.bulk_insert(conn, ProtectedSlice.__table__, pd.DataFrame(rows))  # type: ignore[arg-type]
        else:  # another process may store the same slice at the same moment
            session.execute(postgresql.insert(ProtectedSlice).on_conflict_do_nothing(), rows)
    return len(rows)


def forget_old(session: Session) -> None:
    """Drop stored masks older than KEEP_DAYS (recomputed if a view ever needs them again)."""
    old = clock.today() - timedelta(days=KEEP_DAYS)
    session.execute(delete(ProtectedSlice).where(ProtectedSlice.stored_on < old))


class Cube:
    """Counts (bucket × site and "all" × age band and "all") and which of them are hidden."""

    def __init__(
        self,
        columns: Sequence[Any],
        buckets: Sequence[Hashable],
        axes: Axes,
        *,
        adds_up: bool = False,
    ) -> None:
        """`columns`: the rows' buckets, sites, age bands and counts (arrays or lists, see
        `fetch_columns` and `transposed`). `adds_up`: the buckets add up to the period's total
        (daily active users do, distinct users per week do not)."""
        self.buckets, self.axes = list(buckets), axes
        bucket, site, band, count = columns
        inner = np.zeros((len(self.buckets), len(axes.sites), len(axes.bands)), dtype=np.int64)
        if len(bucket):
            at = (
                _positions(self.buckets, bucket, "bucket"),
                _positions(axes.sites, site, "site"),
                _positions(axes.bands, band, "age band"),
            )
            np.add.at(inner, at, _integers(count))
        with_sites = np.concatenate([inner, inner.sum(axis=1, keepdims=True)], axis=1)
        self.counts = np.concatenate([with_sites, with_sites.sum(axis=2, keepdims=True)], axis=2)
        self.hidden = (
            np.stack([protect_slice(s) for s in self.counts])
            if len(self.buckets)
            else np.zeros_like(self.counts, dtype=bool)
        )
        self.adds_up = adds_up

    def series(self, filters: Filters) -> list[int | None]:
        """Each bucket's count for the filter; None where it is hidden."""
        i, j = self.axes.position(filters)
        return [
            None if hidden else int(count)
            for count, hidden in zip(self.counts[:, i, j], self.hidden[:, i, j], strict=True)
        ]

    def total(self, filters: Filters, buckets: Sequence[Hashable] | None = None) -> int | None:
        """The sum over all buckets, or over some: hidden when any of them is hidden (the period's
        slice hides every position hidden in a bucket; see services.analytics.cells)."""
        if not self.adds_up:
            raise ValueError("these buckets do not add up")
        i, j = self.axes.position(filters)
        chosen = [self.buckets.index(b) for b in (self.buckets if buckets is None else buckets)]
        if self.hidden[chosen, i, j].any():
            return None
        return int(self.counts[chosen, i, j].sum())


def rate(part: int | None, whole: int | None) -> float | None:
    """A share, hidden when either count is hidden (or there is nothing to divide by)."""
    if part is None or whole is None or whole == 0:
        return None
    return part / whole
