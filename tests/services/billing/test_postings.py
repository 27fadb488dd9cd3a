"""Adjustments posted by billing staff on both databases: the reason list, never more than is
owed, the statement closing at zero, every refusal changing nothing, audited; dollars typed by
people read exactly."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from services.billing import postings
from services.billing.tables import Adjustment, Statement
from services.core import clock, db, money
from services.core.access import Actor
from services.core.errors import Conflict, PermissionDenied, ValidationError
from services.core.models import AuditEvent
from tests.support import world


@given(st.integers(min_value=0, max_value=10**12))
def test_typed_dollars_read_back_to_the_cent(cents: int) -> None:
    assert money.cents_of(money.amount(cents)) == cents
    assert money.cents_of(money.dollars(cents)) == cents


@pytest.mark.parametrize("typed", ["", "abc", "-5", "1.005", "NaN", "Infinity", "1e3x"])
def test_what_is_not_an_amount_is_refused(typed: str) -> None:
    assert money.cents_of(typed) is None


def _billing() -> Actor:
    return world.actor_of("billing.demo")


def _open_statement(cents: int = 5000) -> uuid.UUID:
    with db.transaction() as s:
        today = clock.today()
        row = Statement(
            patient_id=world.patient_id("Alex", "Rivera"),
            statement_date=today - timedelta(days=10),
            due_date=today + timedelta(days=20),
            amount_cents=cents,
            status="open",
        )
        s.add(row)
        s.flush()
        return row.id


def _status(statement_id: uuid.UUID) -> str:
    with db.read_only() as s:
        return s.get(Statement, statement_id).status  # type: ignore[union-attr]


def _adjustments(statement_id: uuid.UUID) -> int:
    with db.read_only() as s:
        return int(
            s.scalar(
                select(func.count())
                .select_from(Adjustment)
                .where(Adjustment.statement_id == statement_id)
            )
            or 0
        )


@pytest.mark.parametrize(
    "amount, reason, note, field",
    [
        ("0", "prompt_pay", "", "amount"),
        ("-1", "prompt_pay", "", "amount"),
        ("12.345", "prompt_pay", "", "amount"),
        ("10", "because", "", "reason"),
        ("10", "administrative", " ", "note"),
    ],
)
def test_a_bad_adjustment_is_refused_and_nothing_is_posted(
    seeded_url: str, amount: str, reason: str, note: str, field: str
) -> None:
    sid = _open_statement()
    with pytest.raises(ValidationError) as refused:
        postings.adjustment_post(
            actor=_billing(), statement_id=sid, amount=amount, reason=reason, note=note
        )
    assert field in refused.value.fields
    assert _adjustments(sid) == 0


def test_an_adjustment_never_exceeds_what_is_owed_and_closes_the_statement_at_zero(
    seeded_url: str,
) -> None:
    sid = _open_statement(5000)
    with pytest.raises(Conflict):
        postings.adjustment_post(
            actor=_billing(), statement_id=sid, amount="50.01", reason="charity_care"
        )
    postings.adjustment_post(actor=_billing(), statement_id=sid, amount="$20", reason="prompt_pay")
    with db.read_only() as s:
        assert postings.owed(s, sid) == 3000
    assert _status(sid) == "open"
    postings.adjustment_post(
        actor=_billing(), statement_id=sid, amount="30.00", reason="small_balance"
    )
    assert _status(sid) == "written_off"
    with pytest.raises(Conflict):
        postings.adjustment_post(
            actor=_billing(), statement_id=sid, amount="1", reason="small_balance"
        )
    with db.read_only() as s:
        events = s.scalars(
            select(AuditEvent.detail).where(AuditEvent.action == "billing.adjustment.post")
        ).all()
    assert any("$20.00 prompt_pay" in (e or "") for e in events)


def test_only_billing_staff_post(seeded_url: str) -> None:
    sid = _open_statement()
    for name in ("patient.demo", "clinician.demo", "him.demo"):
        with pytest.raises(PermissionDenied):
            postings.adjustment_post(
                actor=world.actor_of(name), statement_id=sid, amount="1", reason="prompt_pay"
            )
    assert _adjustments(sid) == 0
