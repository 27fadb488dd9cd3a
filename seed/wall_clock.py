"""Synthetic times are made on the clinic's wall clock (mornings, office hours, meals) and stored
in UTC, as the app stores real ones (PORTAL_TIMEZONE; see services.core.clock)."""

from __future__ import annotations

from datetime import datetime

import numpy as np

from services.core import clock

HOUR = np.timedelta64(1, "h")


def stored(wall: np.ndarray) -> np.ndarray:
    """Wall-clock datetime64 values as stored UTC values, each hour with its own UTC offset, as
    `clock.from_local` converts one: a time in the hour the clocks skip lands in the hour after
    it, a time in the hour they repeat is the first of the two."""
    if len(wall) == 0:
        return wall
    hours = wall.astype("datetime64[h]")
    first = hours.min()
    span = int((hours.max() - first) / HOUR) + 1
    starts = (first + np.arange(span) * HOUR).astype("datetime64[us]").astype(datetime)
    offsets = np.array([clock.from_local(h) - h for h in starts], dtype="timedelta64[us]")
    return wall.astype("datetime64[us]") + offsets[((hours - first) / HOUR).astype(int)]


def first_of_each(*sorted_keys: np.ndarray) -> np.ndarray:
    """Which rows to keep of key columns sorted together: those unlike the row before in some
    column (a spring-forward hour lands on the one after it, so stored keys can repeat)."""
    keep = np.zeros(len(sorted_keys[0]), dtype=bool)
    keep[:1] = True
    for column in sorted_keys:
        keep[1:] |= column[1:] != column[:-1]
    return keep
