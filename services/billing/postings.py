"""What billing staff post to an account: adjustments with a reason code from the list. Each
is checked (never more than the statement still owes), posted in one transaction with the
statement's status, and audited against the patient."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.billing import ledger, plans
from services.billing.tables import Adjustment, Statement
from services.core import access, audit, clock, forms, money
from services.core.access import Actor
from services.core.errors import Conflict, NotFound
from services.core.language import N_, t
from services.core.work import staff_work

REASONS = {
    "charity_care": N_("Charity care"),
    "prompt_pay": N_("Prompt-pay discount"),
    "small_balance": N_("Small balance"),
    "administrative": N_("Administrative"),
}


def owed(session: Session, statement_id: uuid.UUID) -> int:
    """What one statement still owes, in cents."""
    paid_q, adjusted_q = ledger.paid(), ledger.adjusted()
    found = session.execute(
        select(ledger.remaining(paid_q, adjusted_q))
        .select_from(Statement)
        .outerjoin(paid_q, paid_q.c.statement_id == Statement.id)
        .outerjoin(adjusted_q, adjusted_q.c.statement_id == Statement.id)
        .where(Statement.id == statement_id)
    ).scalar_one_or_none()
    if found is None:
        raise NotFound(t("We could not find that statement."))
    return int(found)


def adjustment_post(
    *, actor: Actor, statement_id: uuid.UUID, amount: str, reason: str, note: str = ""
) -> uuid.UUID:
    """Lower what a statement owes by an amount (dollars as typed) for a listed reason; an
    administrative adjustment needs a note. The statement closes when nothing is left."""
    fields: dict[str, str] = {}
    cents = money.cents_of(amount)
    if not cents:
        fields["amount"] = t("Enter an amount in dollars and cents, more than zero.")
    if reason not in REASONS:
        fields["reason"] = t("Choose a reason from the list.")
    text = forms.checked_note(
        fields,
        "note",
        note,
        t("Explain an administrative adjustment.") if reason == "administrative" else "",
    )
    forms.raise_if(fields)
    assert cents is not None
    with staff_work(actor, "billing.adjustment.post", access.BILLING) as session:
        statement = session.get(Statement, statement_id)
        if statement is None:
            raise NotFound(t("We could not find that statement."))
        left = owed(session, statement_id)
        if statement.status not in ledger.OPEN or left <= 0:
            raise Conflict(t("This statement owes nothing; there is nothing to adjust."))
        if cents > left:
            raise Conflict(
                t("The statement owes {amount}; adjust at most that.", amount=money.dollars(left))
            )
        row = Adjustment(
            id=uuid.uuid4(),
            patient_id=statement.patient_id,
            statement_id=statement_id,
            amount_cents=cents,
            reason=reason,
            note=text or None,
            posted_by=actor.user_id,
            posted_at=clock.now(),
        )
        session.add(row)
        session.flush()
        if cents == left:
            ledger.close(session, statement_id)
        plans.reschedule_open(session, statement.patient_id)
        audit.record(
            session,
            actor,
            "billing.adjustment.post",
            patient_id=statement.patient_id,
            detail=f"statement {statement_id}: {money.dollars(cents)} {reason}",
        )
        return row.id
