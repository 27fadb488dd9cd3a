"""Refunds on both databases: a card payment is refunded through the processor and posted as a
negative payment (the statement owes again); above the approval amount a second billing user
approves, never the one who asked; two approvals at once issue one refund; refunds never exceed
the payment (hypothesis); rejections need a reason; only billing staff refund."""

from __future__ import annotations

import threading
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from demo_processor.server import DemoProcessor
from services.billing import account, ledger, refunds
from services.billing.tables import Payment, Refund
from services.core import db
from services.core.access import Actor
from services.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from tests.conftest import NOW
from tests.services.billing.conftest import another_biller
from tests.support import world
from tests.support.payments import pay_online


def _alex() -> uuid.UUID:
    return world.patient_id("Alex", "Rivera")


def _billing() -> Actor:
    return world.actor_of("billing.demo")


def _paid_online(cents: int = 500) -> tuple[uuid.UUID, uuid.UUID]:
    """Alex pays part of his open statement by card: (payment id, statement id)."""
    me = world.actor_of("patient.demo")
    view = account.billing_overview(actor=me, patient_id=_alex())
    target = next(s for s in view.statements if s.remaining_cents > cents)
    outcome = pay_online(me, _alex(), f"{cents / 100:.2f}", target.statement_id)
    assert outcome.payment_id is not None
    return outcome.payment_id, target.statement_id


def _owed(statement_id: uuid.UUID) -> int:
    me = world.actor_of("patient.demo")
    view = account.billing_overview(actor=me, patient_id=_alex())
    return next(s.remaining_cents for s in view.statements if s.statement_id == statement_id)


def test_a_card_refund_goes_back_through_the_processor_and_the_statement_owes_again(
    processor: DemoProcessor,
) -> None:
    payment, statement = _paid_online(500)
    before = _owed(statement)
    assert (
        refunds.refund_request(
            actor=_billing(), payment_id=payment, amount="2.00", reason="Duplicate charge"
        )
        == refunds.ISSUED
    )
    [given_back] = processor.refunds.values()
    assert given_back["amount"] == 200
    assert _owed(statement) == before + 200
    history = account.billing_overview(actor=world.actor_of("patient.demo"), patient_id=_alex())
    assert any(p.method == "refund" and p.amount_cents == -200 for p in history.payments)
    with pytest.raises(Conflict, match=r"\$3.00 left"):
        refunds.refund_request(actor=_billing(), payment_id=payment, amount="3.01", reason="x")


def test_a_large_refund_needs_a_second_billing_user(
    processor: DemoProcessor, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PORTAL_REFUND_APPROVAL_OVER", "1.00")
    payment, _ = _paid_online(500)
    second = another_biller("billing.two")
    assert (
        refunds.refund_request(actor=_billing(), payment_id=payment, amount="4.00", reason="Error")
        == refunds.AWAITING
    )
    assert processor.refunds == {}
    [waiting] = refunds.refunds_waiting(actor=_billing())
    assert waiting.mine and waiting.amount_cents == 400
    with pytest.raises(PermissionDenied, match="Another billing user"):
        refunds.refund_approve(actor=_billing(), refund_id=waiting.refund_id)
    # While it waits, it counts against what the payment has left.
    with pytest.raises(Conflict, match=r"\$1.00 left"):
        refunds.refund_request(actor=second, payment_id=payment, amount="2.00", reason="Error")
    refunds.refund_approve(actor=second, refund_id=waiting.refund_id)
    assert [r["amount"] for r in processor.refunds.values()] == [400]
    with pytest.raises(Conflict):
        refunds.refund_approve(actor=second, refund_id=waiting.refund_id)
    assert refunds.refunds_waiting(actor=second) == []


def test_two_approvals_at_once_issue_one_refund(
    processor: DemoProcessor, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PORTAL_REFUND_APPROVAL_OVER", "1.00")
    payment, _ = _paid_online(500)
    second = another_biller("billing.two")
    third = another_biller("billing.three")
    refunds.refund_request(actor=_billing(), payment_id=payment, amount="5.00", reason="Error")
    [waiting] = refunds.refunds_waiting(actor=second)
    errors: list[Exception] = []

    def approve(actor: Actor) -> None:
        try:
            refunds.refund_approve(actor=actor, refund_id=waiting.refund_id)
        except Conflict as exc:
            errors.append(exc)

    threads = [threading.Thread(target=approve, args=(a,)) for a in (second, third)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(processor.refunds) == 1
    with db.read_only() as s:
        posted = s.scalar(select(func.count()).where(Payment.method == "refund"))
    assert posted == 1


def test_a_rejection_needs_a_reason_and_frees_the_amount(
    processor: DemoProcessor, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PORTAL_REFUND_APPROVAL_OVER", "1.00")
    payment, _ = _paid_online(500)
    refunds.refund_request(actor=_billing(), payment_id=payment, amount="5.00", reason="Error")
    [waiting] = refunds.refunds_waiting(actor=_billing())
    with pytest.raises(ValidationError):
        refunds.refund_reject(actor=_billing(), refund_id=waiting.refund_id, note="")
    refunds.refund_reject(actor=_billing(), refund_id=waiting.refund_id, note="Not owed")
    with pytest.raises(Conflict, match="no longer waiting"):
        refunds.refund_reject(actor=_billing(), refund_id=waiting.refund_id, note="Twice")
    with pytest.raises(Conflict, match="no longer waiting"):
        refunds.refund_reject(actor=_billing(), refund_id=uuid.uuid4(), note="Unknown")
    assert processor.refunds == {}
    assert (
        refunds.refund_request(actor=_billing(), payment_id=payment, amount="1.00", reason="Fee")
        == refunds.ISSUED
    )


def test_only_billing_staff_refund_and_only_real_payments(processor: DemoProcessor) -> None:
    payment, _ = _paid_online(500)
    for username in ("patient.demo", "clinician.demo", "him.demo"):
        with pytest.raises(PermissionDenied):
            refunds.refund_request(
                actor=world.actor_of(username), payment_id=payment, amount="1.00", reason="x"
            )
    with pytest.raises(NotFound):
        refunds.refund_request(actor=_billing(), payment_id=uuid.uuid4(), amount="1.00", reason="x")
    for typed in ("", "-1.00", "0", "1.005"):
        with pytest.raises(ValidationError):
            refunds.refund_request(actor=_billing(), payment_id=payment, amount=typed, reason="x")


@pytest.mark.parametrize("seeded_url", ["duckdb"], indirect=True)
@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(paid=st.integers(100, 50_000), asks=st.lists(st.integers(1, 60_000), max_size=6))
def test_refunds_never_exceed_the_payment(seeded_url: str, paid: int, asks: list[int]) -> None:
    """A payment taken by hand (refunded by cheque), refunded in random amounts."""
    with db.transaction() as s:
        received = ledger.Received(_alex(), paid, "ach", None, None, False, NOW)
        row = ledger.payment_row(received, None, paid)
        s.add(row)
    for cents in asks:
        try:
            refunds.refund_request(
                actor=_billing(), payment_id=row.id, amount=f"{cents / 100:.2f}", reason="x"
            )
        except Conflict:
            pass
    with db.read_only() as s:
        reserved = s.scalar(
            select(func.coalesce(func.sum(Refund.amount_cents), 0)).where(
                Refund.payment_id == row.id, Refund.status != refunds.REJECTED
            )
        )
        issued_all = s.scalar(
            select(func.coalesce(func.sum(Refund.amount_cents), 0)).where(
                Refund.patient_id == _alex(), Refund.status == refunds.ISSUED
            )
        )
        posted_all = s.scalar(
            select(func.coalesce(func.sum(Payment.amount_cents), 0)).where(
                Payment.method == "refund", Payment.patient_id == _alex()
            )
        )
    expected = 0
    for cents in asks:
        if expected + cents <= paid:
            expected += cents
    assert reserved == expected <= paid  # issued or awaiting approval, never more than paid
    assert -posted_all == issued_all  # every issued refund posted once, across the examples
