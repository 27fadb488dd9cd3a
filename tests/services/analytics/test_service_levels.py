"""Service levels: the facts follow the work incrementally and equal a rebuild from scratch, a
held result's facts are what happened to it, and every figure matches a small world of facts
worked out by hand (with one small count hiding what it would give away)."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import delete, insert, select, update

from services.analytics import dashboard, facts, rollups, service_levels
from services.analytics.cube import Filters
from services.analytics.periods import Period
from services.analytics.tables import ServiceFact
from services.care import pools
from services.care.tables import Appointment, Message, MessageThread, RefillRequest
from services.core import clock, db
from services.core.models import Site
from services.him.tables import RecordsRequest
from services.records import results
from services.records.tables import LabResult
from tests.conftest import NOW
from tests.support import world

MAY = Period(date(2026, 5, 2), date(2026, 5, 31))
TUESDAY = date(2026, 5, 5)  # in the week of 4 May
BAND = "35-49"


def _facts() -> pd.DataFrame:
    with db.read_only() as s:
        rows = s.execute(select(ServiceFact)).scalars().all()
    frame = pd.DataFrame(
        [{c.name: getattr(r, c.name) for c in ServiceFact.__table__.columns} for r in rows]
    )
    frame["item_id"] = frame["item_id"].astype(str)
    return frame.sort_values(["kind", "item_id"]).reset_index(drop=True)


def _first(model: Any, *where: Any) -> Any:
    with db.read_only() as s:
        return s.scalars(select(model).where(*where).limit(1)).one()


def test_the_facts_follow_the_work_and_equal_a_rebuild_from_scratch(seeded_url: str) -> None:
    rollups.roll_up()
    before = _facts()
    assert set(before["kind"]) >= {"result", "message", "refill", "visit", "payment", "statement"}
    later = NOW + timedelta(hours=2)
    patient = world.actor_of("patient.demo")
    unseen = _first(
        LabResult,
        LabResult.patient_id == patient.patient_id,
        LabResult.released_at.is_not(None),
        LabResult.first_viewed_at.is_(None),
    )
    waiting = _first(RefillRequest)  # decided again, later (or for the first time)
    visit = _first(Appointment, Appointment.status == "booked")
    unanswered = before[(before["kind"] == facts.MESSAGE) & before["done_at"].isna()]
    thread = _first(MessageThread, MessageThread.id == uuid.UUID(unanswered["item_id"].iloc[0]))
    request = _first(
        RecordsRequest,
        RecordsRequest.kind.in_(("access", "roi")),
        RecordsRequest.status != "withdrawn",
    )
    with clock.frozen(later):
        results.result_detail(actor=patient, patient_id=patient.patient_id, result_id=unseen.id)
        with db.transaction() as s:
            s.execute(
                update(RefillRequest)
                .where(RefillRequest.id == waiting.id)
                .values(status="approved", decided_at=later)
            )
            s.execute(
                update(Appointment)
                .where(Appointment.id == visit.id)
                .values(status="cancelled", cancelled_at=later)
            )
            s.execute(
                insert(Message).values(
                    id=uuid.uuid4(),
                    thread_id=thread.id,
                    from_patient_side=False,
                    body="We have booked you in.",
                    sent_at=later,
                )
            )
            s.execute(
                update(RecordsRequest)
                .where(RecordsRequest.id == request.id)
                .values(status="withdrawn", updated_at=later)
            )
    with clock.frozen(later + rollups.LAG + timedelta(seconds=1)):
        rollups.roll_up()
        incremental = _facts()
        with db.transaction() as s:
            rollups.rebuild(s.connection(), clock.now() - rollups.LAG)
    pd.testing.assert_frame_equal(incremental, _facts())
    by_item = incremental.set_index("item_id")
    assert by_item.loc[str(unseen.id), "done_at"] == later
    assert by_item.loc[str(waiting.id), "done_at"] == later
    assert str(visit.id) not in by_item.index and str(request.id) not in by_item.index
    assert by_item.loc[str(thread.id), "done_at"] is not None
    assert len(incremental) == len(before) - 2


def test_a_held_results_facts_are_what_happened_to_it(seeded_url: str) -> None:
    released = datetime(2026, 5, 20, 15, 0)  # 10:00 on 20 May in Chicago
    result = _first(LabResult, LabResult.released_at.is_not(None))
    with db.transaction() as s:
        s.execute(
            update(LabResult)
            .where(LabResult.id == result.id)
            .values(
                held_at=released - timedelta(days=2),
                released_at=released,
                first_viewed_at=released + timedelta(hours=3),
            )
        )
        facts.update(s.connection(), None)
    fact = _first(ServiceFact, ServiceFact.item_id == result.id)
    assert (fact.kind, fact.day, fact.flag) == ("result", date(2026, 5, 20), True)
    assert (fact.hours, fact.flag_hours) == (3.0, 48.0)
    assert fact.due_at == released + timedelta(days=7)


def _site() -> str:
    with db.read_only() as s:
        return str(s.scalars(select(Site.code).order_by(Site.code)).first())


def _add(kind: str, n: int, **values: Any) -> None:
    """`n` facts of one kind begun on TUESDAY at 10:00 clinic time, at the first site."""
    start = clock.from_local(datetime.combine(TUESDAY, datetime.min.time()) + timedelta(hours=10))
    rows = [
        {
            "kind": kind,
            "item_id": uuid.uuid4(),
            "day": TUESDAY,
            "site": _site(),
            "age_band": BAND,
            "started_at": start,
            **{k: (v(start) if callable(v) else v) for k, v in values.items()},
        }
        for _ in range(n)
    ]
    with db.transaction() as s:
        s.execute(insert(ServiceFact), rows)


def _hours(h: float) -> Any:
    return lambda start: start + timedelta(hours=h)


def _hand_made_world() -> None:
    with db.transaction() as s:
        s.execute(delete(ServiceFact))
    week = timedelta(days=7)
    due = _hours(week.total_seconds() / 3600)
    # Results: 11 of each (viewed within a week or not) × (held first or not).
    _add("result", 11, done_at=_hours(24), due_at=due, hours=24, flag=True, flag_hours=48)
    _add("result", 11, done_at=_hours(72), due_at=due, hours=72, flag=False)
    _add("result", 11, done_at=_hours(240), due_at=due, hours=240, flag=True, flag_hours=24)
    _add("result", 11, due_at=due, flag=False)
    # Messages in one pool: answered in time, waiting past the goal now, answered late.
    pool = pools.BILLING_OFFICE
    _add("message", 11, queue=pool, done_at=_hours(5), due_at=_hours(72), hours=5)
    _add("message", 11, queue=pool, due_at=_hours(72))
    _add("message", 11, queue=pool, done_at=_hours(100), due_at=_hours(72), hours=100)
    # Refills: decided in 10 or 30 hours, or not yet.
    _add("refill", 11, done_at=_hours(10), hours=10)
    _add("refill", 11, done_at=_hours(30), hours=30)
    _add("refill", 11)
    # Access requests: on time, late, overdue now, open and due after NOW.
    access = {"queue": "access", "due_at": _hours(24 * 20)}  # due 25 May
    _add("request", 11, done_at=_hours(24), **access)
    _add("request", 11, done_at=_hours(24 * 21), **access)
    _add("request", 11, **access)
    _add("request", 11, queue="access", due_at=NOW + timedelta(days=3))
    # Visits: self-scheduled or not × checked in online or not.
    for booked in (True, False):
        _add("visit", 11, flag=booked, done_at=_hours(-20))
        _add("visit", 11, flag=booked)
    # Payments: 11 online of $100 and 11 by other means of $300; statements half on a plan.
    _add("payment", 11, flag=True, amount_cents=10_000)
    _add("payment", 11, flag=False, amount_cents=30_000)
    _add("statement", 11, flag=True, amount_cents=5_000)
    _add("statement", 11, flag=False, amount_cents=5_000)


def _row(figure: str, label: object, f: Filters = Filters()) -> dict[str, Any]:
    board = dashboard.dashboard(actor=world.actor_of("manager.demo"), period=MAY, filters=f)
    frame = board.figures[figure].table
    found = frame[frame.iloc[:, 0] == label]
    assert len(found) == 1, frame
    return dict(found.iloc[0])


def test_every_service_level_matches_a_small_world_worked_out_by_hand(seeded_url: str) -> None:
    _hand_made_world()
    week = date(2026, 5, 4)
    assert _row("results", week) == {
        "Released in": week,
        "Results released": 44,
        "Viewed within 7 days %": 50.0,
        "Median days to view": 3.0,  # 33 viewed: 11 × 1 day, 11 × 3 days, 11 × 10 days
        "90th percentile days to view": 10.0,
        "Held first %": 50.0,
        "Median days held": 1.5,  # 11 × 2 days and 11 × 1 day: between the 11th and 12th
    }
    assert _row("results", date(2026, 5, 11))["Results released"] == 0
    pool = _row("messages", "Billing office")
    assert (pool["Threads"], pool["Answered within goal %"]) == (33, 33.3)
    assert (pool["Median hours to answer"], pool["90th percentile hours"]) == (52.5, 100.0)
    assert pool["Waiting past goal now"] == 11
    refills = _row("refills", week)
    assert (refills["Requests"], refills["Decided %"]) == (33, 66.7)
    assert (refills["Median hours to decide"], refills["90th percentile hours"]) == (20.0, 30.0)
    requests = _row("deadlines", service_levels.QUEUE_NAMES[facts.ACCESS])
    assert requests == {
        "Requests": service_levels.QUEUE_NAMES[facts.ACCESS],
        "Received": 44,
        "On time": 11,
        "Late": 11,
        "Overdue now": 11,
        "Open, not yet due": 11,
    }
    visits = _row("visits", week)
    assert (visits["Visits"], visits["Self-scheduled %"], visits["E-check-in completed %"]) == (
        44,
        50.0,
        50.0,
    )
    paid = _row("payments", week)
    assert (paid["Payments"], paid["Online % of payments"], paid["Online % of dollars"]) == (
        22,
        50.0,
        25.0,
    )
    assert (paid["Statements"], paid["On a payment plan %"]) == (22, 50.0)
    # The same under the filter that holds them all, nothing under another age band.
    assert _row("results", week, Filters(site=_site(), age_band=BAND))["Results released"] == 44
    other = _row("results", week, Filters(age_band="65-74"))
    assert other["Results released"] == 0 and other["Median days to view"] is None


def test_one_small_state_hides_the_counts_and_shares_that_would_give_it_away(
    seeded_url: str,
) -> None:
    _hand_made_world()
    with db.transaction() as s:  # ten results left unviewed and not held: 1 to 10, hidden
        one = s.scalars(
            select(ServiceFact.item_id).where(
                ServiceFact.kind == facts.RESULT, ServiceFact.done_at.is_(None)
            )
        ).first()
        s.execute(delete(ServiceFact).where(ServiceFact.item_id == one))
    row = _row("results", date(2026, 5, 4))
    assert row["Results released"] is None  # 43 = 33 shown + 10: it would give the 10 away
    assert row["Viewed within 7 days %"] is None and row["Held first %"] is None
    assert row["Median days to view"] is None  # shown only with its count
