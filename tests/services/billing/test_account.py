"""A patient's billing on both databases: the balance from the ledger, statements with their
lines and a PDF, receipts, insurance, the paperless preference; a parent with limited access
never sees confidential care's bills; other patients and staff are refused."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.billing import account
from services.billing.tables import Adjustment
from services.core import db, language, money
from services.core.access import Actor
from services.core.errors import NotFound, PermissionDenied
from services.records import records, results
from tests.conftest import NOW
from tests.services.him.test_records_requests import pdf_text
from tests.support import world


def _alex() -> uuid.UUID:
    return world.patient_id("Alex", "Rivera")


def _me() -> Actor:
    return world.actor_of("patient.demo")


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_cents_turn_into_exact_text(cents: int) -> None:
    assert Decimal(money.amount(cents)) * 100 == cents
    assert money.dollars(cents).replace("$", "").replace(",", "") == money.amount(cents)


def test_the_balance_is_what_open_statements_still_owe(seeded_url: str) -> None:
    view = account.billing_overview(actor=_me(), patient_id=_alex())
    owed = [s for s in view.statements if s.remaining_cents > 0]
    assert view.balance_cents == sum(s.remaining_cents for s in owed)
    for s in view.statements:
        assert s.remaining_cents == (
            s.billed_cents - s.paid_cents - s.adjusted_cents if s.status == "open" else 0
        )
    assert view.due_date == min((s.due_date for s in owed), default=None)
    assert view.coverage and view.coverage[0].member_id.startswith("M")
    if owed:  # an adjustment lowers what is owed, to the cent
        target = owed[0]
        with db.transaction() as s:
            s.add(
                Adjustment(
                    patient_id=_alex(),
                    statement_id=target.statement_id,
                    amount_cents=1,
                    reason="prompt_pay",
                    posted_at=NOW,
                )
            )
        after = account.billing_overview(actor=_me(), patient_id=_alex())
        assert after.balance_cents == view.balance_cents - 1


def test_a_statement_has_its_lines_and_a_pdf_and_a_payment_its_receipt(seeded_url: str) -> None:
    view = account.billing_overview(actor=_me(), patient_id=_alex())
    first = view.statements[0]
    lines = account.statement_lines(
        actor=_me(), patient_id=_alex(), statement_id=first.statement_id
    )
    assert lines and all(line.code for line in lines)
    assert sum(line.patient_cents for line in lines) == first.billed_cents
    text = pdf_text(
        account.statement_pdf(actor=_me(), patient_id=_alex(), statement_id=first.statement_id)
    )
    assert "Amount due" in text and money.dollars(first.remaining_cents) in text
    paid = view.payments[0]
    receipt = pdf_text(
        account.receipt_pdf(actor=_me(), patient_id=_alex(), payment_id=paid.payment_id)
    )
    assert money.dollars(paid.amount_cents) in receipt and str(paid.payment_id) in receipt


def test_paperless_is_kept(seeded_url: str) -> None:
    assert account.billing_overview(actor=_me(), patient_id=_alex()).paperless is False
    account.paperless_set(actor=_me(), patient_id=_alex(), paperless=True)
    assert account.billing_overview(actor=_me(), patient_id=_alex()).paperless is True
    account.paperless_set(actor=_me(), patient_id=_alex(), paperless=False)
    assert account.billing_overview(actor=_me(), patient_id=_alex()).paperless is False


def test_other_patients_and_staff_are_refused(seeded_url: str) -> None:
    statement = account.billing_overview(actor=_me(), patient_id=_alex()).statements[0]
    other = world.some_patient_user()
    assert other.patient_id is not None
    for patient in (other.patient_id, _alex()):
        with pytest.raises(NotFound):
            account.statement_pdf(
                actor=other, patient_id=patient, statement_id=statement.statement_id
            )
    with pytest.raises(PermissionDenied):  # billing staff work their queues, not this page
        account.billing_overview(actor=world.actor_of("billing.demo"), patient_id=_alex())
    billing = world.actor_of("billing.demo")
    for clinical in (records.notes, records.summary, results.results_list):
        with pytest.raises(PermissionDenied):
            clinical(actor=billing, patient_id=_alex())


def test_a_parent_with_limited_access_never_sees_a_confidential_bill(seeded_url: str) -> None:
    emma = world.patient_id("Emma", "Larson")
    hers = account.billing_overview(actor=world.actor_of("teen.demo"), patient_id=emma)
    parent = account.billing_overview(actor=world.actor_of("proxy.demo"), patient_id=emma)
    confidential = {s.statement_id for s in hers.statements} - {
        s.statement_id for s in parent.statements
    }
    assert len(confidential) == 1
    [hidden] = [s for s in hers.statements if s.statement_id in confidential]
    assert hers.balance_cents - parent.balance_cents == hidden.remaining_cents == 2500
    with pytest.raises(NotFound):
        account.statement_lines(
            actor=world.actor_of("proxy.demo"), patient_id=emma, statement_id=hidden.statement_id
        )


def test_statements_and_receipts_are_printed_in_the_readers_language(seeded_url: str) -> None:
    view = account.billing_overview(actor=_me(), patient_id=_alex())
    first, paid = view.statements[0], view.payments[0]
    with language.using("es"):
        statement = pdf_text(
            account.statement_pdf(actor=_me(), patient_id=_alex(), statement_id=first.statement_id)
        )
        receipt = pdf_text(
            account.receipt_pdf(actor=_me(), patient_id=_alex(), payment_id=paid.payment_id)
        )
        due = money.dollars(first.remaining_cents).replace("\xa0", " ")  # 147,00 US$
        assert "Importe a pagar" in statement and due in statement
        assert "nacido/a el" in statement and "Impreso el" in statement
        assert "Recibo de pago" in receipt and "Número de recibo" in receipt
    assert "Amount due" not in statement
