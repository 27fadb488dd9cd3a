"""A figure's counts by bucket (a day, week, month, weekday hour…), site and age band, with "all"
last on both, protected once for every filter (services.analytics.cells) and then read for the
filter the manager chose: every view, every total and every download comes from one protected
cube, so neighbouring filters cannot be subtracted from each other."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from services.analytics import cells


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


@lru_cache(maxsize=100_000)
def _protected(data: bytes, rows: int, cols: int) -> bytes:
    """A slice's mask (aggregates only: safe to share between managers and requests)."""
    counts = np.frombuffer(data, dtype=np.int64).reshape(rows, cols)
    return cells.protect(counts.copy()).tobytes()


def protect_slice(counts: np.ndarray) -> np.ndarray:
    rows, cols = counts.shape
    raw = _protected(np.ascontiguousarray(counts, dtype=np.int64).tobytes(), rows, cols)
    return np.frombuffer(raw, dtype=np.bool_).reshape(rows, cols)


class Cube:
    """Counts (bucket × site and "all" × age band and "all") and which of them are hidden."""

    def __init__(
        self,
        rows: Iterable[Sequence[object]],
        buckets: Sequence[Hashable],
        axes: Axes,
        *,
        adds_up: bool = False,
    ) -> None:
        """`rows`: (bucket, site, age band, count). `adds_up`: the buckets add up to the period's
        total (daily active users do, distinct users per week do not)."""
        self.buckets, self.axes = list(buckets), axes
        place = {b: k for k, b in enumerate(self.buckets)}
        sites = {s: k for k, s in enumerate(axes.sites)}
        bands = {b: k for k, b in enumerate(axes.bands)}
        inner = np.zeros((len(self.buckets), len(axes.sites), len(axes.bands)), dtype=np.int64)
        for bucket, site, band, count in rows:
            inner[place[bucket], sites[str(site)], bands[str(band)]] += int(count)  # type: ignore[call-overload]
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
