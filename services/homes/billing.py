"""Billing's home: receivables and recent payments, no clinical content."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import case, func, select

from services.billing import ledger
from services.billing.tables import (
    AssistanceApplication,
    Payment,
    PaymentPlan,
    PlanInstalment,
    ProcessorEvent,
    Refund,
    Statement,
)
from services.core import access, clock
from services.core.access import Actor
from services.core.work import staff_work


@dataclass(frozen=True)
class BillingHome:
    open_statements: int
    outstanding_cents: int
    past_due_statements: int
    payments_30d: int
    payments_30d_cents: int
    online_share_30d: float | None
    active_plans: int
    plans_in_trouble: int  # with a missed instalment, or defaulted
    assistance_waiting: int
    refunds_waiting: int
    unmatched_notices: int


def billing_home(*, actor: Actor) -> BillingHome:
    """Receivables and recent payments; no clinical content (minimum necessary)."""
    with staff_work(actor, "home.billing.view", access.BILLING) as s:
        now = clock.now()
        today: date = clock.today()  # due dates are the clinic's days
        paid_q, adjusted_q = ledger.paid(), ledger.adjusted()
        remaining = ledger.remaining(paid_q, adjusted_q)
        statements = s.execute(
            select(
                func.count(),
                func.coalesce(func.sum(remaining), 0),
                func.count(case((Statement.due_date < today, 1))),
            )
            .select_from(Statement)
            .outerjoin(paid_q, paid_q.c.statement_id == Statement.id)
            .outerjoin(adjusted_q, adjusted_q.c.statement_id == Statement.id)
            .where(Statement.status.in_(ledger.OPEN), remaining > 0)
        ).one()
        payments = s.execute(
            select(
                func.count(),
                func.coalesce(func.sum(Payment.amount_cents), 0),
                func.count(case((Payment.online.is_(True), 1))),
            ).where(Payment.status == "succeeded", Payment.paid_at >= now - timedelta(days=30))
        ).one()
        plans = s.scalar(
            select(func.count()).select_from(PaymentPlan).where(PaymentPlan.status == "active")
        )
        trouble = s.scalar(
            select(func.count(func.distinct(PlanInstalment.plan_id)))
            .join(PaymentPlan, PaymentPlan.id == PlanInstalment.plan_id)
            .where(
                PlanInstalment.status == "missed",
                PaymentPlan.status.in_(("active", "defaulted")),
            )
        )
        waiting = s.execute(
            select(
                select(func.count())
                .where(AssistanceApplication.status == "submitted")
                .scalar_subquery(),
                select(func.count()).where(Refund.status == "awaiting").scalar_subquery(),
                select(func.count()).where(ProcessorEvent.outcome == "unmatched").scalar_subquery(),
            )
        ).one()
        return BillingHome(
            open_statements=int(statements[0]),
            outstanding_cents=int(statements[1]),
            past_due_statements=int(statements[2]),
            payments_30d=int(payments[0]),
            payments_30d_cents=int(payments[1]),
            online_share_30d=(payments[2] / payments[0]) if payments[0] else None,
            active_plans=int(plans or 0),
            plans_in_trouble=int(trouble or 0),
            assistance_waiting=int(waiting[0]),
            refunds_waiting=int(waiting[1]),
            unmatched_notices=int(waiting[2]),
        )
