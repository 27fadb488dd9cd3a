"""Paying online on the processor's hosted page. The patient (or a proxy with the billing scope)
chooses what to pay; we ask the processor for a hosted page for that amount and send the patient
there to type the card. We learn the outcome from the processor only: its signed notification,
the status we ask for when the patient comes back, and the job that asks about pages left open.

Exactly once: the page's idempotency key names the checkout (a double click or a retry finds the
same hosted page), the processor's references are unique, a notification is kept by its event
id, and money is posted only by the one statement that moves a checkout from open to paid."""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.billing import ledger, plans
from services.billing.account import PATIENT_SIDE
from services.billing.processor import (
    BadNotification,
    Hosted,
    ProcessorRefused,
    hosted_of,
    notification,
    processor,
)
from services.billing.tables import Checkout, Payment, ProcessorEvent
from services.core import access, audit, clock, db, money, notify
from services.core.access import Access, Actor
from services.core.config import settings
from services.core.errors import Conflict, NotFound, PortalError, ValidationError
from services.core.language import N_, t
from services.core.work import patient_work

log = logging.getLogger("portal.payments")

KEY = re.compile(r"[A-Za-z0-9_-]{16,64}")
NAMESPACE = uuid.UUID("0b6f2b0e-3f57-4a8e-9a55-6f1f3c8d2a41")  # checkout ids from their keys
MIN_CENTS = 50  # processors do not take card payments under 50 cents
PROCESSOR = "payment processor"  # who posts, in the audit log, when the processor tells us
HANDLED = ("checkout.session.completed", "checkout.session.expired")
ASK_AFTER = timedelta(minutes=10)  # a page still open this long: ask the processor
GIVE_UP_AFTER = timedelta(days=2)  # hosted pages expire within a day


@dataclass(frozen=True)
class Started:
    checkout_id: uuid.UUID
    url: str  # the processor's hosted payment page


@dataclass(frozen=True)
class Outcome:
    status: str  # paid, saved (a card), open, cancelled, expired
    amount_cents: int
    card_last4: str | None
    payment_id: uuid.UUID | None  # for the receipt, once paid


def online() -> bool:
    """Whether patients can pay online here (a processor is configured)."""
    return settings().payment is not None


def _amount(
    session: Session,
    patient_id: uuid.UUID,
    found: Access,
    amount: str | None,
    first: uuid.UUID | None,
) -> int:
    """The amount typed (None: all that is owed), checked against what is owed: the chosen
    statement's remainder, or the balance."""
    owing = dict(
        ledger.owed_statements(
            session, patient_id, not found.adolescent_limited, statuses=("open",)
        )
    )
    if first is not None and first not in owing:
        raise NotFound(t("That statement owes nothing now, or we could not find it."))
    most = owing[first] if first is not None else sum(owing.values())
    if most <= 0:
        raise Conflict(t("You owe nothing now; there is nothing to pay."))
    cents = most if amount is None else money.cents_of(amount)
    if cents is None or cents <= 0:
        raise ValidationError({"amount": t("Enter an amount in dollars and cents, e.g. 25.00.")})
    if cents < MIN_CENTS:
        raise ValidationError(
            {
                "amount": t(
                    "Online payments start at {amount}; call us for less.",
                    amount=money.dollars(MIN_CENTS),
                )
            }
        )
    if cents > most:
        raise ValidationError(
            {"amount": t("You owe {most}; pay at most that amount.", most=money.dollars(most))}
        )
    return cents


@dataclass(frozen=True)
class _Intent:
    """What a hosted page is for, decided inside the access-checked transaction."""

    purpose: str  # payment, or card (saved for a plan)
    cents: int
    statement_id: uuid.UUID | None = None
    plan_id: uuid.UUID | None = None
    confidential: bool = True  # may the money reach a statement billing confidential care


def checkout_start(
    *,
    actor: Actor,
    patient_id: uuid.UUID,
    key: str,
    amount: str | None = None,
    statement_id: uuid.UUID | None = None,
) -> Started:
    """A hosted payment page for the amount the patient typed, or (`amount` None) for all that is
    owed: the chosen statement's remainder, or the whole balance. At most what is owed outside a
    plan; a chosen statement's first. The same key always gives the same page."""
    return _begin(
        actor,
        patient_id,
        key,
        "billing.checkout.start",
        lambda session, found: _Intent(
            "payment",
            _amount(session, patient_id, found, amount, statement_id),
            statement_id,
            confidential=not found.adolescent_limited,
        ),
    )


def plan_checkout_start(*, actor: Actor, patient_id: uuid.UUID, what: str, key: str) -> Started:
    """A hosted payment page for the plan's next unpaid instalment ("next") or all the rest
    ("rest": paying the plan off early)."""

    def intent(session: Session, _found: Access) -> _Intent:
        plan_id, cents = plans.plan_for_payment(session, patient_id, what)
        return _Intent("payment", cents, plan_id=plan_id)

    return _begin(actor, patient_id, key, "billing.plan.checkout.start", intent)


def card_start(*, actor: Actor, patient_id: uuid.UUID, key: str) -> Started:
    """A hosted page where the patient saves a card that then pays the plan's instalments."""

    def intent(session: Session, _found: Access) -> _Intent:
        plan_id, _ = plans.plan_for_payment(session, patient_id, "rest")
        return _Intent("card", 0, plan_id=plan_id)

    return _begin(actor, patient_id, key, "billing.plan.card.start", intent)


def _begin(
    actor: Actor,
    patient_id: uuid.UUID,
    key: str,
    action: str,
    decide: Callable[[Session, Access], _Intent],
) -> Started:
    if not KEY.fullmatch(key):
        raise ValidationError({"key": t("This payment form has expired; please start again.")})
    pay = processor()
    checkout_id = uuid.uuid5(NAMESPACE, key)
    with patient_work(actor, patient_id, action, access.BILLING_SCOPE) as (session, found):
        access.require_patient_side(found, PATIENT_SIDE)
        existing = session.scalar(select(Checkout).where(Checkout.idempotency_key == key))
        if existing is not None:
            return _again(existing, patient_id)
        intent = decide(session, found)
    back = f"{settings().public_url}/billing-account?checkout={checkout_id}&outcome="
    if intent.purpose == "card":
        hosted = pay.hosted_setup(
            key=key,
            reference=str(checkout_id),
            success_url=back + "done",
            cancel_url=back + "cancelled",
        )
    else:
        hosted = pay.hosted_create(
            key=key,
            amount_cents=intent.cents,
            description=f"{settings().clinic_name}: payment on account",
            reference=str(checkout_id),
            success_url=back + "done",
            cancel_url=back + "cancelled",
        )
    if not hosted.url:
        raise Conflict(t("The payment service did not give a payment page; nothing was charged."))
    try:
        with db.transaction() as session:
            session.add(
                Checkout(
                    id=checkout_id,
                    patient_id=patient_id,
                    started_by=actor.user_id,
                    purpose=intent.purpose,
                    statement_id=intent.statement_id,
                    plan_id=intent.plan_id,
                    confidential=intent.confidential,
                    amount_cents=intent.cents,
                    idempotency_key=key,
                    processor_ref=hosted.ref,
                    url=hosted.url,
                    status="open",
                    created_at=clock.now(),
                )
            )
            audit.record(
                session,
                actor,
                "billing.checkout.open",
                patient_id=patient_id,
                detail=f"{intent.purpose} {money.dollars(intent.cents)} {hosted.ref}",
            )
    except IntegrityError:  # the same submission twice at once: the other one kept the page
        with db.read_only() as session:
            row = session.scalar(select(Checkout).where(Checkout.idempotency_key == key))
        if row is None:
            raise
        return _again(row, patient_id)
    return Started(checkout_id, hosted.url)


def _again(row: Checkout, patient_id: uuid.UUID) -> Started:
    if row.patient_id != patient_id:
        raise Conflict(t("This payment form has expired; please start again."))
    if row.status != "open":
        raise Conflict(t("This payment page is finished; start again if you need another."))
    return Started(row.id, row.url)


def checkout_return(
    *, actor: Actor, patient_id: uuid.UUID, checkout_id: uuid.UUID, cancelled: bool = False
) -> Outcome:
    """The patient is back from the hosted page: ask the processor how it went (and close the
    page when they chose to go back without paying)."""
    with patient_work(actor, patient_id, "billing.checkout.return", access.BILLING_SCOPE) as (
        session,
        found,
    ):
        access.require_patient_side(found, PATIENT_SIDE)
        row = session.get(Checkout, checkout_id)
        if row is None or row.patient_id != patient_id:
            raise NotFound(t("We could not find that payment."))
        ref, status = row.processor_ref, row.status
    if status == "open":
        try:
            pay = processor()
            hosted = pay.hosted_expire(ref) if cancelled else pay.hosted_get(ref)
        except PortalError as exc:  # the notification or the job will tell us later
            log.warning("could not ask the processor about a checkout: %s", type(exc).__name__)
        else:
            with db.transaction() as session:
                _apply(session, hosted, "return", "cancelled" if cancelled else "expired")
    return _outcome(checkout_id)


def _outcome(checkout_id: uuid.UUID) -> Outcome:
    with db.read_only() as session:
        row = session.get(Checkout, checkout_id)
        assert row is not None
        first = (
            session.scalar(
                select(Payment.id)
                .where(Payment.processor_ref == row.payment_ref)
                .order_by(Payment.amount_cents.desc())
                .limit(1)
            )
            if row.payment_ref
            else None
        )
    return Outcome(row.status, row.amount_cents, row.card_last4, first)


def _apply(session: Session, hosted: Hosted, source: str, closed_as: str = "expired") -> str:
    """What the processor reports, applied once: money posted when a page is paid, an unpaid
    page closed. Returns what happened (posted, already, closed, unmatched, ignored)."""
    row = session.scalar(select(Checkout).where(Checkout.processor_ref == hosted.ref))
    if row is None:
        return "unmatched"
    now = clock.now()
    if hosted.status == "complete" and row.purpose == "card":
        return _card_saved(session, row, hosted)
    if hosted.status == "complete" and hosted.paid:
        # Only the statement that moves the checkout to paid posts: every other path finds none.
        done = session.execute(
            update(Checkout)
            .where(Checkout.id == row.id, Checkout.status != "paid")
            .values(
                status="paid",
                payment_ref=hosted.payment_ref,
                card_last4=hosted.card.last4 if hosted.card else None,
                completed_at=now,
            )
        )
        if done.rowcount != 1:  # type: ignore[attr-defined]
            return "already"
        cents = hosted.amount_cents if hosted.amount_cents is not None else row.amount_cents
        ledger.post_payment(
            session,
            ledger.Received(
                patient_id=row.patient_id,
                cents=cents,
                method="card",
                card_last4=hosted.card.last4 if hosted.card else None,
                processor_ref=hosted.payment_ref,
                online=True,
                at=now,
            ),
            first=row.statement_id,
            confidential_too=row.confidential,
            among=plans.plan_statements(session, row.plan_id) if row.plan_id else None,
        )
        if row.plan_id is not None:
            plans.instalments_paid(session, row.plan_id, cents, hosted.payment_ref, now)
        audit.record(
            session,
            None,
            "billing.payment.post",
            patient_id=row.patient_id,
            detail=f"{money.dollars(cents)} {hosted.payment_ref} ({source})",
            username=PROCESSOR,
        )
        notify.to_patient(
            session,
            row.patient_id,
            "bills",
            N_("{clinic}: payment received"),
            N_("We received your payment. Sign in to the portal to see your receipt."),
            clinic=settings().clinic_name,
        )
        return "posted"
    if hosted.status == "expired":
        done = session.execute(
            update(Checkout)
            .where(Checkout.id == row.id, Checkout.status == "open")
            .values(status=closed_as, completed_at=now)
        )
        return "closed" if done.rowcount else "already"  # type: ignore[attr-defined]
    return "ignored"


def _card_saved(session: Session, row: Checkout, hosted: Hosted) -> str:
    card = hosted.card
    if card is None:
        return "ignored"  # the status check that names the card saves it
    done = session.execute(
        update(Checkout)
        .where(Checkout.id == row.id, Checkout.status == "open")
        .values(status="saved", card_last4=card.last4, completed_at=clock.now())
    )
    if done.rowcount != 1:  # type: ignore[attr-defined]
        return "already"
    plans.card_saved(
        session,
        row.patient_id,
        row.plan_id,
        row.started_by,
        card.token,
        card.customer,
        card.brand,
        card.last4,
    )
    audit.record(
        session,
        None,
        "billing.plan.card.saved",
        patient_id=row.patient_id,
        detail=f"card ending {card.last4}",
        username=PROCESSOR,
    )
    return "saved"


def notification_receive(payload: bytes, signature: str) -> int:
    """A notification from the processor: the HTTP status to answer (400 when it is not the
    processor's, or a replay; 200 once handled, or when it was handled before; 503 when the
    processor cannot be asked now, so it sends the notification again).

    A signed notice only says that something happened: what is posted is the processor's own
    record of the page, read back from its API (status, amount, card), never what the notice
    claims. A notice its record does not bear out is kept as unmatched for billing staff."""
    now = clock.now()
    try:
        event = notification(payload, signature, now.replace(tzinfo=UTC).timestamp())
    except BadNotification as exc:
        log.warning("refused a payment notification: %s", exc)
        return 400
    claimed = hosted_of(event)
    handled = claimed is not None and event.get("type") in HANDLED
    record: Hosted | None = None
    if claimed is not None and handled:
        try:
            record = processor().hosted_get(claimed.ref)
        except ProcessorRefused:
            record = None  # the processor knows no such page
        except PortalError:
            return 503
    try:
        with db.transaction() as session:
            kept = ProcessorEvent(
                event_id=event["id"],
                kind=str(event.get("type"))[:64],
                reference=claimed.ref if claimed else None,
                received_at=now,
                outcome="ignored",
            )
            session.add(kept)
            session.flush()  # a repeated event stops here, on its id
            if claimed is not None and handled:
                kept.outcome = _settle(session, claimed, record)
    except IntegrityError:
        return 200  # handled before
    except Conflict:
        return 503  # a write at the same moment: the processor sends it again
    return 200


def _settle(session: Session, claimed: Hosted, record: Hosted | None) -> str:
    """A notice applied through the processor's record of its page; unmatched (and audited)
    when there is no such record or it says otherwise than the notice."""
    if record is not None and _agree(claimed, record):
        return _apply(session, record, "notification")
    row = session.scalar(select(Checkout).where(Checkout.processor_ref == claimed.ref))
    said = "no page" if record is None else f"{record.status} {_cents(record.amount_cents)}"
    audit.record(
        session,
        None,
        "billing.notice.unmatched",
        patient_id=row.patient_id if row is not None else None,
        outcome=audit.DENIED,
        detail=(
            f"{claimed.ref}: notice said {claimed.status} {_cents(claimed.amount_cents)}"
            f"{' paid' if claimed.paid else ''}; the processor says {said}"
        ),
        username=PROCESSOR,
    )
    return "unmatched"


def _agree(claimed: Hosted, record: Hosted) -> bool:
    """Whether the processor's record bears out what a notice claims of the page."""
    return (
        claimed.status == record.status
        and claimed.paid == record.paid
        and claimed.amount_cents in (None, record.amount_cents)
    )


def _cents(cents: int | None) -> str:
    return "?" if cents is None else money.dollars(cents)


def ask_about_open() -> int:
    """The job: pages left open for a while are asked about (a notification may be lost);
    returns how many were settled or closed."""
    now = clock.now()
    with db.read_only() as session:
        refs = session.scalars(
            select(Checkout.processor_ref)
            .where(
                Checkout.status == "open",
                Checkout.created_at < now - ASK_AFTER,
                Checkout.created_at > now - GIVE_UP_AFTER,
            )
            .order_by(Checkout.created_at)
            .limit(100)
        ).all()
    if not refs or settings().payment is None:
        return 0
    pay = processor()
    changed = 0
    for ref in refs:
        try:
            hosted = pay.hosted_get(ref)
        except PortalError:
            return changed  # the processor is away: the next run asks again
        with db.transaction() as session:
            changed += _apply(session, hosted, "status check") in ("posted", "closed", "saved")
    return changed
