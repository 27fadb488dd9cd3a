"""Billing staff's payments desk on both databases: posted payments and credits, moving a
misapplied payment (the statement it leaves opens again; the one it reaches is paid down), and
the refusals: a note is needed, another patient's statement, patients and other staff."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from services.billing import account, desk, ledger
from services.billing.tables import Payment, Statement
from services.core import db
from services.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from tests.conftest import NOW
from tests.support import world


def _billing():  # type: ignore[no-untyped-def]
    return world.actor_of("billing.demo")


def _alex() -> uuid.UUID:
    return world.patient_id("Alex", "Rivera")


def _statements() -> dict[uuid.UUID, account.StatementItem]:
    view = account.billing_overview(actor=world.actor_of("patient.demo"), patient_id=_alex())
    return {s.statement_id: s for s in view.statements}


def _pay_by_hand(statement_id: uuid.UUID | None, cents: int) -> uuid.UUID:
    """A payment the billing office took (a cheque), posted to one statement or as a credit."""
    with db.transaction() as s:
        received = ledger.Received(_alex(), cents, "ach", None, None, False, NOW)
        if statement_id is None:
            row = ledger.payment_row(received, None, cents)
            s.add(row)
            return row.id
        [row] = ledger.post_payment(s, received, first=statement_id, only_first=True)
        return row.id


def _new_statement(cents: int) -> uuid.UUID:
    """Another open statement for Alex (the small test world gives him one)."""
    with db.transaction() as s:
        row = Statement(
            id=uuid.uuid4(),
            patient_id=_alex(),
            statement_date=NOW.date(),
            due_date=NOW.date(),
            amount_cents=cents,
            status="open",
        )
        s.add(row)
        return row.id


def test_the_desk_lists_posted_payments_and_credits(seeded_url: str) -> None:
    credit = _pay_by_hand(None, 1234)
    view = desk.payments_desk(actor=_billing())
    assert [p.payment_id for p in view.credits] == [credit]
    assert view.credits[0].amount_cents == 1234 and view.credits[0].statement_date is None
    assert any(p.payment_id == credit for p in view.posted)
    assert all(p.mrn for p in view.posted)
    with pytest.raises(PermissionDenied):
        desk.payments_desk(actor=world.actor_of("patient.demo"))
    with pytest.raises(PermissionDenied):
        desk.payments_desk(actor=world.actor_of("clinician.demo"))


def test_a_misapplied_payment_moves_to_the_right_statement(seeded_url: str) -> None:
    _new_statement(4_000)
    before = _statements()
    owed = [s for s in before.values() if s.remaining_cents > 0]
    wrong, right = owed[0], owed[1]
    cents = min(wrong.remaining_cents, right.remaining_cents)
    payment = _pay_by_hand(wrong.statement_id, cents)
    assert _statements()[wrong.statement_id].remaining_cents == wrong.remaining_cents - cents

    with pytest.raises(ValidationError):
        desk.payment_reapply(
            actor=_billing(), payment_id=payment, statement_id=right.statement_id, note=" "
        )
    desk.payment_reapply(
        actor=_billing(),
        payment_id=payment,
        statement_id=right.statement_id,
        note="Patient asked for the March visit",
    )
    after = _statements()
    assert after[wrong.statement_id].remaining_cents == wrong.remaining_cents
    assert after[right.statement_id].remaining_cents == right.remaining_cents - cents
    assert (
        sum(s.paid_cents for s in after.values())
        == sum(s.paid_cents for s in before.values()) + cents
    )
    with db.read_only() as s:
        moved = s.get(Payment, payment)
        assert moved is not None and moved.status == "reapplied"
    with pytest.raises(NotFound):  # a moved payment is not moved again
        desk.payment_reapply(actor=_billing(), payment_id=payment, statement_id=None, note="x")


def test_moving_a_payment_off_a_paid_statement_opens_it_again(seeded_url: str) -> None:
    target = next(s for s in _statements().values() if s.remaining_cents > 0)
    payment = _pay_by_hand(target.statement_id, target.remaining_cents)
    with db.read_only() as s:
        statement = s.get(Statement, target.statement_id)
        assert statement is not None and statement.status == "paid"
    desk.payment_reapply(
        actor=_billing(), payment_id=payment, statement_id=None, note="Not this visit"
    )
    again = _statements()[target.statement_id]
    assert (again.status, again.remaining_cents) == ("open", target.remaining_cents)
    assert any(p.payment_id != payment for p in desk.payments_desk(actor=_billing()).credits)


def test_moves_are_refused_across_patients_and_onto_the_same_statement(seeded_url: str) -> None:
    target = next(s for s in _statements().values() if s.remaining_cents > 0)
    payment = _pay_by_hand(target.statement_id, 100)
    with db.read_only() as s:
        elsewhere = s.scalars(
            select(Statement.id).where(Statement.patient_id != _alex()).limit(1)
        ).one()
    with pytest.raises(NotFound):
        desk.payment_reapply(
            actor=_billing(), payment_id=payment, statement_id=elsewhere, note="typo"
        )
    with pytest.raises(Conflict):
        desk.payment_reapply(
            actor=_billing(), payment_id=payment, statement_id=target.statement_id, note="same"
        )
    with pytest.raises(PermissionDenied):
        desk.payment_reapply(
            actor=world.actor_of("him.demo"), payment_id=payment, statement_id=None, note="x"
        )
    choices = dict(desk.statements_of_payment(actor=_billing(), payment_id=payment))
    assert target.statement_id not in choices and choices
