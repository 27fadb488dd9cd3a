"""Payment plans on both databases: schedules in whole cents that always sum to the balance
(hypothesis), the policy's lengths, the plan's statements leaving the ordinary Pay choices,
instalments paid by hand, a card saved on the processor's page and charged by the job exactly
once on the due day, declines and late hand payments missed and told, two missed making the
plan defaulted, paying off early, and the billing staff's queue."""

from __future__ import annotations

import secrets
import uuid
from datetime import date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from demo_processor.server import DemoProcessor
from services.billing import account, checkout, plans
from services.core import clock, db
from services.core.access import Actor
from services.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from services.core.models import NotificationOutbox, Patient
from services.homes.billing import billing_home
from tests.support import world
from tests.support.payments import PAYS, SAVES_THEN_DECLINES, type_card


@given(
    total=st.integers(1, 10**9),
    months=st.integers(1, 24),
    first=st.dates(date(2020, 1, 1), date(2040, 12, 31)),
)
def test_a_schedule_sums_to_the_balance_and_the_last_absorbs_the_rounding(
    total: int, months: int, first: date
) -> None:
    steps = plans.schedule(total, months, first)
    amounts = [cents for _, cents in steps]
    assert len(steps) == months and sum(amounts) == total
    assert len(set(amounts[:-1])) <= 1 and amounts[-1] >= amounts[0]
    assert amounts[-1] - amounts[0] < months
    dates = [d for d, _ in steps]
    assert dates[0] == first and dates == sorted(dates)
    assert all(
        (b.year * 12 + b.month) - (a.year * 12 + a.month) == 1
        for a, b in zip(dates, dates[1:], strict=False)
    )


def test_the_policy_keeps_each_month_above_the_minimum(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORTAL_PLAN_MIN_MONTHLY", "25.00")
    assert plans.terms(7_499) == []
    assert plans.terms(7_500) == [3]
    assert plans.terms(30_000) == list(range(3, 13))
    assert plans.terms(20_000) == [3, 4, 5, 6, 7, 8]


def _alex() -> uuid.UUID:
    return world.patient_id("Alex", "Rivera")


def _me() -> Actor:
    return world.actor_of("patient.demo")


def _plan() -> plans.Plan:
    plan, _ = plans.plan_overview(actor=_me(), patient_id=_alex())
    assert plan is not None
    return plan


def _on_plan(months: int = 3) -> plans.Plan:
    _, offer = plans.plan_overview(actor=_me(), patient_id=_alex())
    assert offer is not None and months in offer.terms
    plans.plan_create(actor=_me(), patient_id=_alex(), months=months)
    plan = _plan()
    assert plan.total_cents == offer.balance_cents == plan.remaining_cents
    assert [(i.due_date, i.amount_cents) for i in plan.instalments] == offer.terms[months]
    return plan


def _through(started: checkout.Started, card: str = PAYS) -> checkout.Outcome:
    type_card(started.url, card)
    return checkout.checkout_return(
        actor=_me(), patient_id=_alex(), checkout_id=started.checkout_id
    )


def _key() -> str:
    return secrets.token_urlsafe(24)


def _save_card(card: str = PAYS) -> None:
    outcome = _through(checkout.card_start(actor=_me(), patient_id=_alex(), key=_key()), card)
    assert outcome.status == "saved"


def _at(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time()) + timedelta(hours=15)


def _told() -> int:
    with db.read_only() as s:
        return len(
            s.scalars(
                select(NotificationOutbox).where(
                    NotificationOutbox.kind == "bills",
                    NotificationOutbox.subject.like("%instalment is missed"),
                )
            ).all()
        )


def test_a_plan_takes_the_open_statements_out_of_ordinary_payment(
    processor: DemoProcessor,
) -> None:
    before = account.billing_overview(actor=_me(), patient_id=_alex())
    owed = [s for s in before.statements if s.remaining_cents > 0]
    plan = _on_plan(3)
    assert plan.standing == "on track" and plan.card is None and plan.next_due is not None
    after = account.billing_overview(actor=_me(), patient_id=_alex())
    assert after.balance_cents == before.balance_cents  # still owed, now on the plan
    assert {
        s.status for s in after.statements if s.statement_id in {o.statement_id for o in owed}
    } == {"plan"}
    with pytest.raises(NotFound):
        checkout.checkout_start(
            actor=_me(),
            patient_id=_alex(),
            amount="1.00",
            statement_id=owed[0].statement_id,
            key=_key(),
        )
    with pytest.raises(Conflict, match="already have a payment plan"):
        plans.plan_create(actor=_me(), patient_id=_alex(), months=3)


def test_lengths_and_balances_outside_the_policy_are_refused(
    processor: DemoProcessor, monkeypatch: pytest.MonkeyPatch
) -> None:
    for months in (2, 13, 0):
        with pytest.raises(ValidationError):
            plans.plan_create(actor=_me(), patient_id=_alex(), months=months)
    monkeypatch.setenv("PORTAL_PLAN_MIN_MONTHLY", "100000.00")
    assert plans.plan_overview(actor=_me(), patient_id=_alex()) == (None, None)
    with pytest.raises(Conflict, match="needs a balance"):
        plans.plan_create(actor=_me(), patient_id=_alex(), months=3)


def test_instalments_paid_by_hand_and_the_rest_paid_off_early(processor: DemoProcessor) -> None:
    plan = _on_plan(4)
    first = plan.instalments[0]
    outcome = _through(
        checkout.plan_checkout_start(actor=_me(), patient_id=_alex(), what="next", key=_key())
    )
    assert (outcome.status, outcome.amount_cents) == ("paid", first.amount_cents)
    plan = _plan()
    assert [i.status for i in plan.instalments] == ["paid", "due", "due", "due"]
    assert plan.remaining_cents == plan.total_cents - first.amount_cents
    balance = account.billing_overview(actor=_me(), patient_id=_alex()).balance_cents
    assert balance == plan.remaining_cents

    outcome = _through(
        checkout.plan_checkout_start(actor=_me(), patient_id=_alex(), what="rest", key=_key())
    )
    assert outcome.amount_cents == plan.remaining_cents
    assert plans.plan_overview(actor=_me(), patient_id=_alex())[0] is None  # completed
    view = account.billing_overview(actor=_me(), patient_id=_alex())
    assert view.balance_cents == 0
    with pytest.raises(NotFound):
        checkout.plan_checkout_start(actor=_me(), patient_id=_alex(), what="next", key=_key())


def test_a_saved_card_pays_each_instalment_once_on_its_day(processor: DemoProcessor) -> None:
    plan = _on_plan(3)
    _save_card()
    plan = _plan()
    assert plan.card == "Visa ending 4242"
    assert plans.instalments_due() == 0  # nothing is due yet
    first_day = plan.instalments[0].due_date
    with clock.frozen(_at(first_day)):
        assert plans.instalments_due() == 1
        assert plans.instalments_due() == 0
    charges = [i for i in processor.intents.values() if i["object"] == "payment_intent"]
    assert [c["amount"] for c in charges] == [plan.instalments[0].amount_cents]
    plan = _plan()
    assert [i.status for i in plan.instalments] == ["paid", "due", "due"]
    history = account.billing_overview(actor=_me(), patient_id=_alex()).payments
    assert any(p.method == "plan" and p.card_last4 == "4242" for p in history)
    plans.autopay_stop(actor=_me(), patient_id=_alex())
    assert _plan().card is None
    with pytest.raises(Conflict):
        plans.autopay_stop(actor=_me(), patient_id=_alex())


def test_declined_instalments_are_missed_told_and_two_default_the_plan(
    processor: DemoProcessor,
) -> None:
    plan = _on_plan(3)
    _save_card(SAVES_THEN_DECLINES)
    first, second = plan.instalments[0].due_date, plan.instalments[1].due_date
    with clock.frozen(_at(first)):
        assert plans.instalments_due() == 1
        assert plans.instalments_due() == 0  # a missed one is not charged again by itself
    plan = _plan()
    assert (plan.standing, plan.instalments[0].status, _told()) == ("missed", "missed", 1)
    queue = plans.plans_queue(actor=world.actor_of("billing.demo"), standing="missed")
    assert [r.plan_id for r in queue] == [plan.plan_id] and queue[0].autopay
    with clock.frozen(_at(second)):
        plans.instalments_due()
    plan = _plan()
    assert (plan.status, plan.standing, _told()) == ("defaulted", "defaulted", 2)
    assert billing_home(actor=world.actor_of("billing.demo")).plans_in_trouble == 1
    queue = plans.plans_queue(actor=world.actor_of("billing.demo"))
    assert queue[0].plan_id == plan.plan_id and queue[0].standing == "defaulted"
    # The patient can still pay what is missed by hand; the plan is back to one missed.
    _through(checkout.plan_checkout_start(actor=_me(), patient_id=_alex(), what="next", key=_key()))
    assert _plan().standing == "missed" and _plan().status == "active"


def test_an_instalment_paid_by_hand_is_missed_after_the_grace_days(
    processor: DemoProcessor,
) -> None:
    plan = _on_plan(3)
    due = plan.instalments[0].due_date
    with clock.frozen(_at(due + timedelta(days=plans.grace_days()))):
        assert plans.instalments_due() == 0
    with clock.frozen(_at(due + timedelta(days=plans.grace_days() + 1))):
        assert plans.instalments_due() == 1
        assert plans.instalments_due() == 0
    assert _plan().standing == "missed" and _told() == 1


def test_the_queue_is_billing_staffs_and_others_are_refused(processor: DemoProcessor) -> None:
    _on_plan(3)
    with pytest.raises(PermissionDenied):
        plans.plans_queue(actor=_me())
    with pytest.raises(PermissionDenied):
        plans.plans_queue(actor=world.actor_of("clinician.demo"))
    other = world.other_patient(_alex())
    with pytest.raises(NotFound):
        plans.plan_overview(actor=_me(), patient_id=other)
    with pytest.raises(PermissionDenied):
        plans.plan_create(actor=world.actor_of("billing.demo"), patient_id=_alex(), months=3)
    with db.read_only() as s:
        alex = s.get(Patient, _alex())
        assert alex is not None
    queue = plans.plans_queue(actor=world.actor_of("billing.demo"))
    [row] = [r for r in queue if r.mrn == alex.mrn]
    assert row.standing == "on track" and not row.autopay
