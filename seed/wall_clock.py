"""Synthetic times are made on the clinic's wall clock (mornings, office hours, meals) and stored
in UTC, as the app stores real ones (PORTAL_TIMEZONE; see services.core.clock)."""

from __future__ import annotations

from datetime import datetime, time

import numpy as np

from services.core import clock


def stored(wall: np.ndarray) -> np.ndarray:
    """Wall-clock datetime64 values as stored UTC values, each day with its own UTC offset
    (taken at noon: the two hours before a change at 2 am keep the day's later offset)."""
    if len(wall) == 0:
        return wall
    days = wall.astype("datetime64[D]")
    first = days.min()
    span = int((days.max() - first).astype(int)) + 1
    noons = [datetime.combine(d, time(12)) for d in (first + np.arange(span)).astype(object)]
    offsets = np.array([clock.from_local(n) - n for n in noons], dtype="timedelta64[us]")
    return wall.astype("datetime64[us]") + offsets[(days - first).astype(int)]
