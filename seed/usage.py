"""Portal use at any scale (`python -m seed --events N`): sessions that begin with a sign-in and
go on through a few features, by heavy-tailed users whose accounts open over the years (so use
grows), with weekday and daytime peaks on the clinic's clock; streamed in time order, as a live
portal records them, in Arrow batches."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pyarrow as pa

from seed import reference as ref
from seed.metrics import coded
from seed.population import Population, SeedOptions
from seed.wall_clock import first_of_each, stored
from services.core.usage import FEATURES, SIGN_IN

DAILY_RATE = 0.2  # events a day for a user of average activity: about 1.5 sessions a month
SESSION_MORE = 1 / 3  # each session: a sign-in, then on average 3 more events
GAP_SECONDS = 45.0  # mean pause between two events of a session
BATCH_ROWS = 4_000_000
US_PER_DAY = 86_400_000_000


def _weights(pop: Population, users: np.ndarray, days_open: np.ndarray) -> np.ndarray:
    """Each user's share of all events: activity, long-term conditions, days with an account."""
    return pop.activity[users] * np.where(pop.cgm[users] | pop.htn[users], 1.6, 1.0) * days_open


def _days(
    rng: np.random.Generator, first: np.ndarray, count: np.ndarray, weekday0: int
) -> np.ndarray:
    """One day per session in [first, first + count), weekdays busier than weekends (each
    draw kept with its weekday's weight, the rest drawn again)."""
    keep = np.asarray(ref.WEEKDAY_WEIGHTS) / max(ref.WEEKDAY_WEIGHTS)
    days = np.empty(len(first), dtype=np.int64)
    todo = np.arange(len(first))
    while len(todo):
        drawn = first[todo] + (rng.random(len(todo)) * count[todo]).astype(np.int64)
        kept = rng.random(len(todo)) < keep[(drawn + weekday0) % 7]
        days[todo[kept]] = drawn[kept]
        todo = todo[~kept]
    return days


def _session_lengths(rng: np.random.Generator, total: int) -> np.ndarray:
    """Events per session, adding up to exactly `total`."""
    lengths = rng.geometric(SESSION_MORE, int(total * SESSION_MORE * 1.1) + 16)
    while lengths.sum() < total:
        lengths = np.concatenate([lengths, rng.geometric(SESSION_MORE, len(lengths) // 4 + 16)])
    ends = np.cumsum(lengths)
    n = int(np.searchsorted(ends, total)) + 1
    lengths = lengths[:n].copy()
    lengths[-1] -= int(ends[n - 1]) - total
    return lengths[lengths > 0]


def events(pop: Population, opts: SeedOptions) -> Iterator[pa.Table]:
    """The usage events, oldest first: `opts.events` of them, or the demo's volume."""
    rng = np.random.default_rng([opts.seed, 1602])  # its own stream: other tables stay the same
    users = np.flatnonzero(pop.activated)
    if len(users) == 0:
        return
    span = 365 * opts.years
    first = np.minimum(np.ceil(pop.joined[users]).astype(np.int64), span - 1)
    days_open = span - first
    weight = _weights(pop, users, days_open)
    total = opts.events if opts.events is not None else int(rng.poisson(DAILY_RATE * weight.sum()))
    if total <= 0:
        return
    lengths = _session_lengths(rng, total)
    sessions = len(lengths)
    who = rng.choice(len(users), sessions, p=weight / weight.sum())
    day = _days(rng, first[who], days_open[who], opts.start.weekday())
    hour = rng.choice(24, sessions, p=np.asarray(ref.HOUR_WEIGHTS) / sum(ref.HOUR_WEIGHTS))
    begins = day * US_PER_DAY + hour * 3_600_000_000 + rng.integers(0, 3_600_000_000, sessions)
    # Events of a session: a sign-in, then features a pause apart.
    session = np.repeat(np.arange(sessions), lengths)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    gaps = (rng.exponential(GAP_SECONDS, total) * 1e6).astype(np.int64) + 1_000_000
    gaps[starts] = 0
    elapsed = np.cumsum(gaps)
    elapsed -= np.repeat(elapsed[starts], lengths)
    wall_us = begins[session] + elapsed
    names, shares = zip(*ref.USAGE_FEATURES, strict=True)
    codes = np.array([FEATURES.index(f) for f in names], dtype=np.int8)
    feature = codes[rng.choice(len(codes), total, p=np.asarray(shares) / sum(shares))]
    feature[starts] = FEATURES.index(SIGN_IN)
    person = users[who][session].astype(np.int32)
    del session, elapsed, gaps, begins
    wall = np.datetime64(opts.start, "us") + wall_us.astype("timedelta64[us]")
    at = stored(wall)
    order = np.lexsort((feature, person, at))  # time order; a repeated (who, when, what) adjacent
    at, person, feature = at[order], person[order], feature[order]
    kept = first_of_each(at, person, feature)
    at, person, feature = at[kept], person[kept], feature[kept]
    accounts, patients = tuple(pop.account_ids), tuple(pop.ids)
    for lo in range(0, len(at), BATCH_ROWS):
        part = slice(lo, lo + BATCH_ROWS)
        when = pa.array(at[part])
        yield pa.table(
            {
                "user_id": coded(person[part], accounts),
                "occurred_at": when,
                "feature": coded(feature[part], FEATURES),
                "patient_id": coded(person[part], patients),
                "recorded_at": when,
            }
        )
