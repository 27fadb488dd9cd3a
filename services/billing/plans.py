"""Payment plans: the patient's open balance paid over 3 to 12 months, each month at least the
policy's minimum (a setting), the last instalment absorbing the rounding so the schedule sums to
the balance exactly. Instalments are paid by a card the processor saved (only its token and last
four digits are kept here), charged by the job runner on the due day, or by hand; the plan can be
paid off early. An instalment the card could not pay, or one not paid by hand within the grace
days, is missed: flagged for billing staff and the patient told; two missed make the plan
defaulted."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from services.billing import ledger
from services.billing.account import PATIENT_SIDE
from services.billing.processor import ProcessorRefused, processor
from services.billing.tables import (
    PaymentMethod,
    PaymentPlan,
    PlanInstalment,
    PlanStatement,
    Statement,
)
from services.core import access, audit, clock, db, money, notify
from services.core.access import Actor
from services.core.config import cents_setting, number_setting, settings
from services.core.errors import Conflict, NotFound, PortalError, ValidationError
from services.core.language import N_, t
from services.core.models import Patient
from services.core.work import patient_work, staff_work

log = logging.getLogger("portal.payments")

MONTHS = range(3, 13)
DUE, PAID, MISSED = "due", "paid", "missed"
ACTIVE, COMPLETED, DEFAULTED = "active", "completed", "defaulted"
DEFAULT_AFTER = 2  # missed instalments that make a plan defaulted
SYSTEM = "payment plans"  # who acts, in the audit log, when the job charges a card
STANDINGS = ("on track", "missed", "defaulted")
# Shown with `t()`.
STANDING_WORDS = {"on track": N_("On track"), "missed": N_("Missed"), "defaulted": N_("Defaulted")}


def _brand(brand: str | None) -> str:
    return brand.title() if brand else t("Card")


def min_monthly() -> int:
    """The smallest monthly amount the policy allows, in cents."""
    return cents_setting("plan_min_monthly", "25.00")


def grace_days() -> int:
    """Days after its due day an instalment paid by hand may still be paid before it is missed."""
    return int(number_setting("plan_grace_days", 10))


def schedule(total_cents: int, months: int, first_due: date) -> list[tuple[date, int]]:
    """Equal monthly instalments in whole cents; the last absorbs the rounding."""
    if total_cents <= 0 or months <= 0:
        raise ValueError("a schedule needs a positive total and months")
    monthly = total_cents // months
    amounts = [monthly] * (months - 1) + [total_cents - monthly * (months - 1)]
    return [(clock.add_months(first_due, i), cents) for i, cents in enumerate(amounts)]


def terms(total_cents: int) -> list[int]:
    """The lengths (months) the policy allows for this balance: each month at least the minimum."""
    least = min_monthly()
    return [m for m in MONTHS if total_cents // m >= least]


@dataclass(frozen=True)
class Instalment:
    number: int
    due_date: date
    amount_cents: int
    status: str
    paid_at: datetime | None


@dataclass(frozen=True)
class Plan:
    plan_id: uuid.UUID
    status: str
    standing: str  # on track, missed, defaulted
    total_cents: int
    months: int
    instalments: list[Instalment]
    remaining_cents: int
    next_due: Instalment | None  # the oldest unpaid
    card: str | None  # "visa ending 4242" when instalments are paid automatically


@dataclass(frozen=True)
class Offer:
    balance_cents: int  # what a plan would pay: the open statements not on a plan
    terms: dict[int, list[tuple[date, int]]]  # months -> schedule


def _standing(instalments: list[Instalment]) -> str:
    missed = sum(i.status == MISSED for i in instalments)
    return STANDINGS[min(missed, DEFAULT_AFTER)]


def _plan_of(session: Session, patient_id: uuid.UUID) -> PaymentPlan | None:
    return session.scalar(
        select(PaymentPlan)
        .where(PaymentPlan.patient_id == patient_id, PaymentPlan.status.in_((ACTIVE, DEFAULTED)))
        .order_by(PaymentPlan.start_date.desc())
        .limit(1)
    )


def _view(session: Session, plan: PaymentPlan) -> Plan:
    instalments = [
        Instalment(i.number, i.due_date, i.amount_cents, i.status, i.paid_at)
        for i in session.scalars(
            select(PlanInstalment)
            .where(PlanInstalment.plan_id == plan.id)
            .order_by(PlanInstalment.number)
        )
    ]
    unpaid = [i for i in instalments if i.status != PAID]
    method = session.get(PaymentMethod, plan.payment_method_id) if plan.payment_method_id else None
    card = (
        t("{brand} ending {last4}", brand=_brand(method.brand), last4=method.last4)
        if method is not None and method.removed_at is None
        else None
    )
    return Plan(
        plan_id=plan.id,
        status=plan.status,
        standing=_standing(instalments),
        total_cents=plan.total_cents,
        months=plan.months or len(instalments),
        instalments=instalments,
        remaining_cents=sum(i.amount_cents for i in unpaid),
        next_due=unpaid[0] if unpaid else None,
        card=card,
    )


def _eligible(
    session: Session, patient_id: uuid.UUID, limited: bool
) -> list[tuple[uuid.UUID, int]]:
    return ledger.owed_statements(session, patient_id, not limited, statuses=("open",))


def plan_overview(*, actor: Actor, patient_id: uuid.UUID) -> tuple[Plan | None, Offer | None]:
    """The patient's plan (active or defaulted), or the plans they may choose from."""
    with patient_work(actor, patient_id, "billing.plan.view", access.BILLING_SCOPE) as (
        session,
        found,
    ):
        access.require_patient_side(found, PATIENT_SIDE)
        plan = _plan_of(session, patient_id)
        if plan is not None:
            return _view(session, plan), None
        balance = sum(c for _, c in _eligible(session, patient_id, found.adolescent_limited))
        first = clock.add_months(clock.today(), 1)
        offer = Offer(balance, {m: schedule(balance, m, first) for m in terms(balance)})
        return None, offer if offer.terms else None


def plan_create(*, actor: Actor, patient_id: uuid.UUID, months: int) -> uuid.UUID:
    """Put the open statements on a plan of `months` monthly instalments, the first in a month."""
    with patient_work(actor, patient_id, "billing.plan.create", access.BILLING_SCOPE) as (
        session,
        found,
    ):
        access.require_patient_side(found, PATIENT_SIDE)
        if _plan_of(session, patient_id) is not None:
            raise Conflict(
                t("You already have a payment plan; pay it off before starting another.")
            )
        owing = _eligible(session, patient_id, found.adolescent_limited)
        total = sum(c for _, c in owing)
        allowed = terms(total)
        if not allowed:
            raise Conflict(
                t(
                    "A plan needs a balance of at least {amount}.",
                    amount=money.dollars(3 * min_monthly()),
                )
            )
        if months not in allowed:
            raise ValidationError(
                {
                    "months": t(
                        "Choose {fewest} to {most} months: each month's payment must be at "
                        "least {amount}.",
                        fewest=allowed[0],
                        most=allowed[-1],
                        amount=money.dollars(min_monthly()),
                    )
                }
            )
        today = clock.today()
        steps = schedule(total, months, clock.add_months(today, 1))
        plan = PaymentPlan(
            id=uuid.uuid4(),
            patient_id=patient_id,
            total_cents=total,
            monthly_cents=steps[0][1],
            start_date=today,
            status=ACTIVE,
            months=months,
            created_by=actor.user_id,
            created_at=clock.now(),
        )
        session.add(plan)
        session.flush()
        for statement_id, _ in owing:
            session.add(PlanStatement(plan_id=plan.id, statement_id=statement_id))
            statement = session.get(Statement, statement_id)
            assert statement is not None
            statement.status = "plan"
        session.add_all(
            PlanInstalment(
                id=uuid.uuid4(),
                plan_id=plan.id,
                number=n,
                due_date=due,
                amount_cents=cents,
                status=DUE,
                attempts=0,
            )
            for n, (due, cents) in enumerate(steps, start=1)
        )
        audit.record(
            session,
            actor,
            "billing.plan.created",
            patient_id=patient_id,
            detail=f"{money.dollars(total)} over {months} months",
        )
        return plan.id


def plan_for_payment(session: Session, patient_id: uuid.UUID, what: str) -> tuple[uuid.UUID, int]:
    """The plan and amount a hand payment pays: the next unpaid instalment, or the rest."""
    plan = _plan_of(session, patient_id)
    if plan is None:
        raise NotFound(t("You have no payment plan."))
    unpaid = [i for i in _view(session, plan).instalments if i.status != PAID]
    if not unpaid:
        raise Conflict(t("Every instalment of this plan is paid."))
    if what == "next":
        return plan.id, unpaid[0].amount_cents
    if what == "rest":
        return plan.id, sum(i.amount_cents for i in unpaid)
    raise ValidationError({"what": t("Choose the next instalment or the rest of the plan.")})


def plan_statements(session: Session, plan_id: uuid.UUID) -> set[uuid.UUID]:
    return set(
        session.scalars(select(PlanStatement.statement_id).where(PlanStatement.plan_id == plan_id))
    )


def instalments_paid(
    session: Session, plan_id: uuid.UUID, cents: int, ref: str | None, at: datetime
) -> None:
    """Mark the oldest unpaid instalments paid while the amount covers them; the plan completes
    when none is left."""
    left = cents
    for row in session.scalars(
        select(PlanInstalment)
        .where(PlanInstalment.plan_id == plan_id, PlanInstalment.status != PAID)
        .order_by(PlanInstalment.number)
    ):
        if row.amount_cents > left:
            break
        row.status, row.paid_at = PAID, at
        if row.payment_ref is None and ref and left == cents:
            row.payment_ref = ref  # the first instalment it paid carries the processor's id
        left -= row.amount_cents
    session.flush()
    _settle_status(session, plan_id)


def _settle_status(session: Session, plan_id: uuid.UUID) -> None:
    plan = session.get(PaymentPlan, plan_id)
    assert plan is not None
    counts = dict(
        session.execute(
            select(PlanInstalment.status, func.count())
            .where(PlanInstalment.plan_id == plan_id)
            .group_by(PlanInstalment.status)
        ).all()
    )
    if not counts.get(DUE) and not counts.get(MISSED):
        plan.status = COMPLETED
    elif counts.get(MISSED, 0) >= DEFAULT_AFTER:
        plan.status = DEFAULTED
    else:
        plan.status = ACTIVE


def reschedule(session: Session, plan_id: uuid.UUID) -> None:
    """After a discount lowered what the plan's statements owe: the unpaid instalments share the
    new amount (the last absorbing the rounding); with nothing left the plan is complete."""
    owed = sum(
        ledger.unpaid(session, statement)
        for statement in session.scalars(
            select(Statement).where(Statement.id.in_(plan_statements(session, plan_id)))
        )
        if statement.status in ledger.OPEN
    )
    unpaid = list(
        session.scalars(
            select(PlanInstalment)
            .where(PlanInstalment.plan_id == plan_id, PlanInstalment.status != PAID)
            .order_by(PlanInstalment.number)
        )
    )
    if not unpaid:
        return
    if owed <= 0:
        for row in unpaid:
            session.delete(row)
    else:
        amounts = [cents for _, cents in schedule(owed, len(unpaid), unpaid[0].due_date)]
        for row, cents in zip(unpaid, amounts, strict=True):
            row.amount_cents = cents
    session.flush()
    _settle_status(session, plan_id)


def reschedule_open(session: Session, patient_id: uuid.UUID) -> None:
    """Reschedule the patient's open plans (after an adjustment lowered what they owe)."""
    for plan_id in session.scalars(
        select(PaymentPlan.id).where(
            PaymentPlan.patient_id == patient_id, PaymentPlan.status.in_((ACTIVE, DEFAULTED))
        )
    ).all():
        reschedule(session, plan_id)


def card_saved(
    session: Session,
    patient_id: uuid.UUID,
    plan_id: uuid.UUID | None,
    user_id: uuid.UUID,
    token: str,
    customer: str | None,
    brand: str | None,
    last4: str | None,
) -> None:
    """The processor saved a card for the plan: keep its token and last four, and use it."""
    if customer is None:
        log.error("a saved card came back without its customer; not used")
        return
    method = PaymentMethod(
        id=uuid.uuid4(),
        patient_id=patient_id,
        customer_ref=customer,
        processor_ref=token,
        brand=brand,
        last4=last4,
        saved_by=user_id,
        saved_at=clock.now(),
    )
    session.add(method)
    session.flush()
    plan = session.get(PaymentPlan, plan_id) if plan_id else None
    if plan is not None and plan.status in (ACTIVE, DEFAULTED):
        plan.payment_method_id = method.id


def autopay_stop(*, actor: Actor, patient_id: uuid.UUID) -> None:
    """Stop paying instalments with the saved card (they are then paid by hand)."""
    with patient_work(actor, patient_id, "billing.plan.autopay.stop", access.BILLING_SCOPE) as (
        session,
        found,
    ):
        access.require_patient_side(found, PATIENT_SIDE)
        plan = _plan_of(session, patient_id)
        if plan is None or plan.payment_method_id is None:
            raise Conflict(t("No card pays this plan."))
        method = session.get(PaymentMethod, plan.payment_method_id)
        if method is not None:
            method.removed_at = clock.now()
        plan.payment_method_id = None


# --- the job ---------------------------------------------------------------------------------


def instalments_due() -> int:
    """Charge the saved card for instalments due today or earlier; mark missed those the card
    declined and those paid by hand that are past their grace days; tell the patient once.
    Returns how many instalments changed."""
    today = clock.today()
    with db.read_only() as session:
        charge = session.execute(
            select(PlanInstalment.id, PlanInstalment.attempts)
            .join(PaymentPlan, PaymentPlan.id == PlanInstalment.plan_id)
            .where(
                PlanInstalment.status == DUE,
                PlanInstalment.due_date <= today,
                PaymentPlan.status.in_((ACTIVE, DEFAULTED)),
                PaymentPlan.payment_method_id.is_not(None),
            )
            .order_by(PlanInstalment.due_date)
            .limit(200)
        ).all()
        late = session.scalars(
            select(PlanInstalment.id)
            .join(PaymentPlan, PaymentPlan.id == PlanInstalment.plan_id)
            .where(
                PlanInstalment.status == DUE,
                PlanInstalment.due_date < today - timedelta(days=grace_days()),
                PaymentPlan.status.in_((ACTIVE, DEFAULTED)),
                PaymentPlan.payment_method_id.is_(None),
            )
        ).all()
    changed = 0
    for instalment_id, attempts in charge:
        changed += _charge(instalment_id, attempts)
    for instalment_id in late:
        with db.transaction() as session:
            changed += _missed(session, instalment_id, "was not paid by its due date")
    return changed


def _charge(instalment_id: uuid.UUID, attempts: int) -> int:
    """One charge of the saved card, at most once per attempt (the key names the attempt)."""
    with db.read_only() as session:
        row = session.get(PlanInstalment, instalment_id)
        assert row is not None
        plan = session.get(PaymentPlan, row.plan_id)
        assert plan is not None and plan.payment_method_id is not None
        method = session.get(PaymentMethod, plan.payment_method_id)
        assert method is not None
    try:
        charge = processor().charge_saved(
            key=f"instalment-{instalment_id}-{attempts}",
            amount_cents=row.amount_cents,
            customer=method.customer_ref,
            payment_method=method.processor_ref,
            description=f"{settings().clinic_name}: payment plan instalment {row.number}",
        )
    except ProcessorRefused as exc:
        with db.transaction() as session:
            return _missed(
                session, instalment_id, f"could not be charged ({exc.code or 'declined'})"
            )
    except PortalError:
        return 0  # the processor is away: the next run charges with the same key
    with db.transaction() as session:
        done = session.execute(
            update(PlanInstalment)
            .where(
                PlanInstalment.id == instalment_id,
                PlanInstalment.status == DUE,
                PlanInstalment.attempts == attempts,
            )
            .values(status=PAID, paid_at=clock.now(), payment_ref=charge.ref, attempts=attempts + 1)
        )
        if done.rowcount != 1:  # type: ignore[attr-defined]
            return 0
        ledger.post_payment(
            session,
            ledger.Received(
                patient_id=plan.patient_id,
                cents=row.amount_cents,
                method="plan",
                card_last4=method.last4,
                processor_ref=charge.ref,
                online=True,
                at=clock.now(),
            ),
            among=plan_statements(session, plan.id),
        )
        _settle_status(session, plan.id)
        audit.record(
            session,
            None,
            "billing.plan.instalment.paid",
            patient_id=plan.patient_id,
            detail=f"instalment {row.number}: {money.dollars(row.amount_cents)} {charge.ref}",
            username=SYSTEM,
        )
        return 1


def _missed(session: Session, instalment_id: uuid.UUID, why: str) -> int:
    row = session.get(PlanInstalment, instalment_id)
    assert row is not None
    if row.status != DUE:
        return 0
    row.status = MISSED
    row.attempts += 1
    session.flush()
    plan = session.get(PaymentPlan, row.plan_id)
    assert plan is not None
    _settle_status(session, plan.id)
    notify.to_patient(
        session,
        plan.patient_id,
        "bills",
        N_("{clinic}: a payment plan instalment is missed"),
        N_(
            "A payment on your payment plan was missed. Sign in to the portal to pay it, or "
            "call the billing office if you need to change your plan."
        ),
        clinic=settings().clinic_name,
    )
    audit.record(
        session,
        None,
        "billing.plan.instalment.missed",
        patient_id=plan.patient_id,
        detail=f"instalment {row.number} {why}",
        username=SYSTEM,
    )
    return 1


# --- billing staff -------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanRow:
    plan_id: uuid.UUID
    patient_name: str
    mrn: str
    standing: str
    total_cents: int
    remaining_cents: int
    next_due: date | None
    missed: int
    autopay: bool


def plans_queue(*, actor: Actor, standing: str | None = None) -> list[PlanRow]:
    """Open plans, those in trouble first: defaulted, missed, then on track by next due day."""
    with staff_work(actor, "billing.plans.view", access.BILLING) as session:
        unpaid = PlanInstalment.status != PAID
        rows = session.execute(
            select(
                PaymentPlan.id,
                Patient.first_name + " " + Patient.last_name,
                Patient.mrn,
                PaymentPlan.total_cents,
                func.coalesce(func.sum(PlanInstalment.amount_cents).filter(unpaid), 0),
                func.min(PlanInstalment.due_date).filter(unpaid),
                func.count().filter(PlanInstalment.status == MISSED),
                PaymentPlan.payment_method_id.is_not(None),
            )
            .join(Patient, Patient.id == PaymentPlan.patient_id)
            .outerjoin(PlanInstalment, PlanInstalment.plan_id == PaymentPlan.id)
            .where(PaymentPlan.status.in_((ACTIVE, DEFAULTED)))
            .group_by(
                PaymentPlan.id,
                PaymentPlan.total_cents,
                PaymentPlan.payment_method_id,
                Patient.first_name,
                Patient.last_name,
                Patient.mrn,
            )
        ).all()
    found = [
        PlanRow(
            pid,
            name,
            mrn,
            STANDINGS[min(int(missed), DEFAULT_AFTER)],
            int(total),
            int(left),
            due,
            int(missed),
            bool(auto),
        )
        for pid, name, mrn, total, left, due, missed, auto in rows
    ]
    if standing is not None:
        found = [r for r in found if r.standing == standing]
    return sorted(found, key=lambda r: (-r.missed, r.next_due or date.max, r.mrn))
