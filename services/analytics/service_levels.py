"""The portal's service levels, from the service facts only (services.analytics.facts): results
released and viewed, held results, answers to messages by pool against the response goal, refill
turnaround, records and caregiver-access requests against their deadlines, visits booked and
checked in online, online payments and payment plans.

Every count is published from one protected cube per row (a week, a month, a pool or a queue)
whose buckets are the states an item can be in (e.g. viewed within a week and held, viewed within
a week and not held, …): a shown count is a sum of shown states only, so the shares that share a
denominator cannot be played against each other. A median or 90th percentile is shown only with
its row's count, and only over more than `cells.SMALL` items."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.orm import Session

from services.analytics import facts
from services.analytics.cells import SMALL
from services.analytics.cube import Axes, Cube, Filters, fetch, rate, transposed
from services.analytics.figures import Figure, percent, table
from services.analytics.periods import Period
from services.analytics.rollups import bucket_of
from services.analytics.tables import ServiceFact
from services.care import inbox, pools
from services.core import clock
from services.core.language import N_, t

F = ServiceFact
QUEUE_NAMES = {
    facts.ACCESS: N_("Access and release of information"),
    facts.AMENDMENT: N_("Amendments"),
    facts.PROXY_REVIEW: N_("Caregiver access reviews"),
}
ON_TIME, LATE, OVERDUE, OPEN = 0, 1, 2, 3  # a deadline's states
STATES = (ON_TIME, LATE, OVERDUE, OPEN)


class Rows:
    """Per row of a figure, the cube of its states; counts and shares for the filter."""

    def __init__(
        self, found: Sequence[Sequence[Any]], rows: Sequence[Hashable], states: int, axes: Axes
    ) -> None:
        """`found`: (row, state, site, age band, count); states are 0..states-1."""
        self.rows = list(rows)
        grouped: dict[Hashable, list[tuple[int, Any, Any, Any]]] = {r: [] for r in self.rows}
        for row, state, site, band, count in found:
            grouped[row].append((int(state), site, band, count))
        self.cubes = {
            r: Cube(transposed(grouped[r]), range(states), axes, adds_up=True) for r in self.rows
        }

    def count(self, f: Filters, states: Sequence[int] | None = None) -> list[int | None]:
        """Each row's count of items in those states (all: None); hidden where any is."""
        return [self.cubes[r].total(f, states) for r in self.rows]

    def share(self, f: Filters, states: Sequence[int]) -> list[float | None]:
        """Each row's percentage of its items in those states."""
        return [
            percent(rate(part, whole))
            for part, whole in zip(self.count(f, states), self.count(f), strict=True)
        ]


def _bucket(period: Period) -> tuple[Any, list[date]]:
    return bucket_of(period.unit(), F.day), period.starts()


def _where(
    kind: str | tuple[str, ...], period: Period, f: Filters | None = None
) -> list[ColumnElement[bool]]:
    kinds = (kind,) if isinstance(kind, str) else kind
    found: list[ColumnElement[bool]] = [F.kind.in_(kinds), F.day.between(period.first, period.last)]
    if f is not None and f.site is not None:
        found.append(F.site == f.site)
    if f is not None and f.age_band is not None:
        found.append(F.age_band == f.age_band)
    return found


def _bit(condition: ColumnElement[bool], value: int) -> ColumnElement[int]:
    return case((condition, value), else_=0)


def _rows(
    session: Session,
    kind: str | tuple[str, ...],
    period: Period,
    axes: Axes,
    row: Any,
    state: ColumnElement[int],
    labels: Sequence[Hashable],
    states: int,
) -> Rows:
    query = (
        select(row, state, F.site, F.age_band, func.count())
        .where(*_where(kind, period))
        .group_by(row, state, F.site, F.age_band)
    )
    found = [r for r in fetch(session, query) if r[0] in labels]
    return Rows(found, labels, states, axes)


def _percentiles(
    session: Session,
    kind: str,
    period: Period,
    f: Filters,
    row: Any,
    value: Any,
    shown: Sequence[int | None],
    labels: Sequence[Hashable],
    scale: float = 1.0,
) -> tuple[list[float | None], list[float | None]]:
    """Each row's median and 90th percentile of the value (divided by `scale`), where the row's
    count is shown and more than SMALL items have the value."""
    query = (
        select(
            row,
            func.count(value),
            func.percentile_cont(0.5).within_group(value),
            func.percentile_cont(0.9).within_group(value),
        )
        .where(*_where(kind, period, f), value.is_not(None))
        .group_by(row)
    )
    found = {r: (n, p50, p90) for r, n, p50, p90 in fetch(session, query)}
    medians: list[float | None] = []
    nineties: list[float | None] = []
    for label, count in zip(labels, shown, strict=True):
        n, p50, p90 = found.get(label, (0, None, None))
        ok = count is not None and n > SMALL
        medians.append(round(p50 / scale, 1) if ok else None)
        nineties.append(round(p90 / scale, 1) if ok else None)
    return medians, nineties


def _results(session: Session, period: Period, axes: Axes, f: Filters) -> Figure:
    row, starts = _bucket(period)
    within = and_(F.done_at.is_not(None), F.done_at < F.due_at)
    rows = _rows(
        session,
        facts.RESULT,
        period,
        axes,
        row,
        _bit(within, 1) + _bit(F.flag.is_(True), 2),
        starts,
        4,
    )
    released = rows.count(f)
    median, p90 = _percentiles(session, facts.RESULT, period, f, row, F.hours, released, starts, 24)
    held_median, _ = _percentiles(
        session, facts.RESULT, period, f, row, F.flag_hours, released, starts, 24
    )
    return Figure(
        t("Results: release to first view"),
        t(
            "Results released to patients in each week or month; the share the "
            "patient (or a caregiver) opened within 7 days; days from release to "
            "first view (median and 90th percentile of those opened); the share "
            "held back by a clinician first, and for how long (median days)."
        ),
        "line",
        table(
            t("Released in"),
            starts,
            **{
                t("Results released"): released,
                t("Viewed within 7 days %"): rows.share(f, (1, 3)),
                t("Median days to view"): median,
                t("90th percentile days to view"): p90,
                t("Held first %"): rows.share(f, (2, 3)),
                t("Median days held"): held_median,
            },
        ),
        plot=(t("Median days to view"), t("90th percentile days to view")),
    )


def _messages(session: Session, period: Period, axes: Axes, f: Filters) -> Figure:
    names = inbox.all_pools(session)
    found = session.scalars(select(F.queue).where(*_where(facts.MESSAGE, period)).distinct())
    codes = sorted(set(names) | {str(q) for q in found if q is not None})
    met = and_(F.done_at.is_not(None), F.done_at < F.due_at)
    overdue = and_(F.done_at.is_(None), F.due_at <= clock.now())
    rows = _rows(
        session,
        facts.MESSAGE,
        period,
        axes,
        F.queue,
        _bit(met, 1) + _bit(overdue, 2),
        codes,
        3,
    )
    threads = rows.count(f)
    median, p90 = _percentiles(session, facts.MESSAGE, period, f, F.queue, F.hours, threads, codes)
    return Figure(
        t("Messages: answers against the goal, by pool"),
        t(
            "Patients' message threads begun in the period, by the pool that works "
            "them; the share answered within the goal ({goal_business_days} "
            "business days); hours to the first answer (median and 90th "
            "percentile); threads waiting past the goal now.",
            goal_business_days=pools.goal_business_days(),
        ),
        "bar",
        table(
            t("Pool"),
            [names.get(c, c) for c in codes],
            **{
                t("Threads"): threads,
                t("Answered within goal %"): rows.share(f, (1,)),
                t("Median hours to answer"): median,
                t("90th percentile hours"): p90,
                t("Waiting past goal now"): rows.count(f, (2,)),
            },
        ),
        plot=(t("Answered within goal %"),),
    )


def _refills(session: Session, period: Period, axes: Axes, f: Filters) -> Figure:
    row, starts = _bucket(period)
    rows = _rows(
        session, facts.REFILL, period, axes, row, _bit(F.done_at.is_not(None), 1), starts, 2
    )
    requests = rows.count(f)
    median, p90 = _percentiles(session, facts.REFILL, period, f, row, F.hours, requests, starts)
    return Figure(
        t("Refills: turnaround"),
        t(
            "Refill requests in each week or month, the share decided so far, and "
            "hours from request to the clinician's decision (median and 90th "
            "percentile)."
        ),
        "line",
        table(
            t("Requested in"),
            starts,
            **{
                t("Requests"): requests,
                t("Decided %"): rows.share(f, (1,)),
                t("Median hours to decide"): median,
                t("90th percentile hours"): p90,
            },
        ),
        plot=(t("Median hours to decide"), t("90th percentile hours")),
    )


def _deadlines(session: Session, period: Period, axes: Axes, f: Filters) -> Figure:
    now = clock.now()
    state = case(
        (and_(F.done_at.is_not(None), F.done_at < F.due_at), ON_TIME),
        (F.done_at.is_not(None), LATE),
        (F.due_at <= now, OVERDUE),
        else_=OPEN,
    )
    kinds = (facts.REQUEST, facts.PROXY_REVIEW)
    rows = _rows(session, kinds, period, axes, F.queue, state, list(QUEUE_NAMES), len(STATES))

    return Figure(
        t("Requests against their legal deadlines"),
        t(
            "Requests received in the period: done on time, done late, overdue now, "
            "and open but not yet due."
        ),
        "bar",
        table(
            t("Requests"),
            [t(name) for name in QUEUE_NAMES.values()],
            **{
                t("Received"): rows.count(f),
                t("On time"): rows.count(f, (ON_TIME,)),
                t("Late"): rows.count(f, (LATE,)),
                t("Overdue now"): rows.count(f, (OVERDUE,)),
                t("Open, not yet due"): rows.count(f, (OPEN,)),
            },
        ),
        plot=(t("On time"), t("Late"), t("Overdue now"), t("Open, not yet due")),
    )


def _visits(session: Session, period: Period, axes: Axes, f: Filters) -> Figure:
    row, starts = _bucket(period)
    state = _bit(F.flag.is_(True), 1) + _bit(F.done_at.is_not(None), 2)
    rows = _rows(session, facts.VISIT, period, axes, row, state, starts, 4)
    return Figure(
        t("Visits: booked and checked in online"),
        t(
            "Visits in each week or month (not cancelled); the share the patient or "
            "a caregiver booked in the portal; the share checked in online "
            "beforehand."
        ),
        "line",
        table(
            t("Visits in"),
            starts,
            **{
                t("Visits"): rows.count(f),
                t("Self-scheduled %"): rows.share(f, (1, 3)),
                t("E-check-in completed %"): rows.share(f, (2, 3)),
            },
        ),
        plot=(t("Self-scheduled %"), t("E-check-in completed %")),
    )


def _dollars(
    session: Session, period: Period, f: Filters, row: Any, labels: Sequence[Hashable]
) -> list[tuple[int, int]]:
    """Each row's (online, all) payment amounts in cents, for the filter."""
    query = (
        select(
            row,
            func.sum(case((F.flag.is_(True), F.amount_cents), else_=0)),
            func.sum(F.amount_cents),
        )
        .where(*_where(facts.PAYMENT, period, f))
        .group_by(row)
    )
    found = {r: (int(o or 0), int(a or 0)) for r, o, a in fetch(session, query)}
    return [found.get(label, (0, 0)) for label in labels]


def _payments(session: Session, period: Period, axes: Axes, f: Filters) -> Figure:
    row, starts = _bucket(period)
    paid = _rows(session, facts.PAYMENT, period, axes, row, _bit(F.flag.is_(True), 1), starts, 2)
    statements = _rows(
        session, facts.STATEMENT, period, axes, row, _bit(F.flag.is_(True), 1), starts, 2
    )
    online, offline = paid.count(f, (1,)), paid.count(f, (0,))
    dollars = [
        percent(rate(cents_online, cents)) if shown is not None and other is not None else None
        for (cents_online, cents), shown, other in zip(
            _dollars(session, period, f, row, starts), online, offline, strict=True
        )
    ]
    return Figure(
        t("Payments online and payment plans"),
        t(
            "Payments received in each week or month, the share made online (of "
            "payments and of dollars); statements issued, and the share a payment "
            "plan pays."
        ),
        "line",
        table(
            t("Paid in"),
            starts,
            **{
                t("Payments"): paid.count(f),
                t("Online % of payments"): paid.share(f, (1,)),
                t("Online % of dollars"): dollars,
                t("Statements"): statements.count(f),
                t("On a payment plan %"): statements.share(f, (1,)),
            },
        ),
        plot=(t("Online % of payments"), t("Online % of dollars"), t("On a payment plan %")),
    )


def figures(session: Session, period: Period, axes: Axes, f: Filters) -> dict[str, Figure]:
    """Every service-level figure for the period and filter."""
    return {
        "results": _results(session, period, axes, f),
        "messages": _messages(session, period, axes, f),
        "refills": _refills(session, period, axes, f),
        "deadlines": _deadlines(session, period, axes, f),
        "visits": _visits(session, period, axes, f),
        "payments": _payments(session, period, axes, f),
    }
