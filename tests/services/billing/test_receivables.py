"""Receivables on both databases, on a frozen clock: each statement in the bucket of its age
on the clinic's calendar (the bucket edges checked day by day), totals, the accounts behind a
bucket, past-due accounts; billing only."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from services.billing import receivables
from services.billing.tables import Statement
from services.core import clock, db
from services.core.access import Actor
from services.core.errors import PermissionDenied, ValidationError
from tests.support import world

# Age in days → the bucket it belongs to.
EDGES = {0: 0, 30: 0, 31: 1, 60: 1, 61: 2, 90: 2, 91: 3, 120: 3, 121: 4, 400: 4}


def _billing() -> Actor:
    return world.actor_of("billing.demo")


def _statement(age: int, cents: int) -> uuid.UUID:
    today = clock.today()
    with db.transaction() as s:
        row = Statement(
            patient_id=world.patient_id("Alex", "Rivera"),
            statement_date=today - timedelta(days=age),
            due_date=today - timedelta(days=age) + timedelta(days=30),
            amount_cents=cents,
            status="open",
        )
        s.add(row)
        s.flush()
        return row.id


def test_each_statement_lands_in_the_bucket_of_its_age(seeded_url: str) -> None:
    before = receivables.aging(actor=_billing())
    made = {age: _statement(age, 1000 + age) for age in EDGES}
    after = receivables.aging(actor=_billing())
    for n, (b, a) in enumerate(zip(before.buckets, after.buckets, strict=True)):
        ages = [age for age, bucket in EDGES.items() if bucket == n]
        assert a.statements - b.statements == len(ages), a.label
        assert a.cents - b.cents == sum(1000 + age for age in ages), a.label
    assert after.total_cents - before.total_cents == sum(1000 + age for age in EDGES)
    assert after.total_cents == sum(b.cents for b in after.buckets)
    for age, bucket in EDGES.items():
        listed = receivables.aging_accounts(actor=_billing(), bucket=bucket)
        [row] = [r for r in listed if r.statement_id == made[age]]
        assert (row.days, row.remaining_cents) == (age, 1000 + age)
    late = {r.statement_id for r in receivables.past_due(actor=_billing())}
    assert made[31] in late and made[400] in late  # due 30 days after the statement
    assert made[30] not in late and made[0] not in late


def test_a_day_later_a_statement_moves_on(seeded_url: str) -> None:
    sid = _statement(30, 777)
    assert sid in {r.statement_id for r in receivables.aging_accounts(actor=_billing(), bucket=0)}
    with clock.frozen(clock.now() + timedelta(days=1)):
        assert sid in {
            r.statement_id for r in receivables.aging_accounts(actor=_billing(), bucket=1)
        }


def test_only_billing_staff_see_receivables(seeded_url: str) -> None:
    for name in ("patient.demo", "clinician.demo", "him.demo", "manager.demo"):
        with pytest.raises(PermissionDenied):
            receivables.aging(actor=world.actor_of(name))
    with pytest.raises(ValidationError):
        receivables.aging_accounts(actor=_billing(), bucket=9)
