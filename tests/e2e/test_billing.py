"""Paying a bill in Chromium through the demo processor's hosted page: patient.demo pays a
statement with the test card that pays, comes back to a receipt, and billing.demo sees the
payment posted; a declined card shows the processor's message and posts nothing. Afterwards no
card number is in the database file or the server's log."""

from __future__ import annotations

import uuid
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from demo_processor.server import DemoProcessor, serve
from server.payments import PATH
from services.billing.tables import Statement, StatementLine
from services.core import db
from tests.e2e.conftest import new_tab, prepared, sign_in
from tests.support.payments import API_KEY, DECLINED, PAYS, SIGNING_SECRET
from tests.support.postgres import free_port
from tests.support.served import streamlit_server
from tests.support.world import patient_id

pytestmark = pytest.mark.e2e
BILL = "$85.00"


def _bill_alex() -> None:
    """A statement of today's visit for Alex, $85.00 his to pay."""
    with db.transaction() as s:
        statement = Statement(
            id=uuid.uuid4(),
            patient_id=patient_id("Alex", "Rivera"),
            statement_date=date.today(),
            due_date=date.today(),
            amount_cents=8500,
            status="open",
        )
        s.add(statement)
        s.flush()
        s.add(
            StatementLine(
                id=uuid.uuid4(),
                statement_id=statement.id,
                service_date=date.today(),
                description="Office visit, established patient",
                code="99213",
                charge_cents=21000,
                insurance_paid_cents=12500,
                adjustment_cents=0,
                patient_cents=8500,
            )
        )


def _to_processor(patient: Page, choose: str) -> Page:
    """Choose what to pay on the Billing page and open the processor's page (a new tab)."""
    patient.get_by_role("link", name="Billing", exact=True).click()
    expect(patient.get_by_role("tab", name="Pay", exact=True)).to_be_visible()
    if choose == "statement":
        patient.get_by_text("One statement").click()
        patient.get_by_label("Statement to pay").click()
        patient.get_by_role("option").filter(has_text=BILL).first.click()
    else:
        patient.get_by_text("Another amount").click()
        patient.get_by_label("Amount in dollars").fill("10.00")
        patient.get_by_label("Amount in dollars").press("Enter")
    patient.get_by_role("button", name="Continue to secure payment").click()
    with patient.context.expect_page() as opened:
        patient.get_by_role("link", name="Open the secure payment page").click()
    hosted = opened.value
    expect(hosted.get_by_role("heading", name="Secure payment")).to_be_visible()
    return hosted


def _type(hosted: Page, card: str) -> None:
    hosted.get_by_label("Card number").fill(card)
    hosted.get_by_label("Expiry (MM/YY)").fill("12/34")
    hosted.get_by_label("Security code").fill("123")
    hosted.get_by_role("button", name="Pay").click()


def test_a_statement_is_paid_on_the_processors_page_and_billing_sees_it(
    browser: Browser, e2e_template: Path, tmp_path: Path
) -> None:
    with prepared(e2e_template, tmp_path):
        _bill_alex()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    processor = DemoProcessor(API_KEY, SIGNING_SECRET, webhook_url=base + PATH)
    with (
        serve(processor) as processor_url,
        streamlit_server(
            f"duckdb:///{tmp_path / 'portal.duckdb'}",
            tmp_path,
            extra_env={
                "PORTAL_PAYMENT_API_URL": processor_url,
                "PORTAL_PAYMENT_SECRET_KEY": API_KEY,
                "PORTAL_PAYMENT_WEBHOOK_SECRET": SIGNING_SECRET,
                "PORTAL_PUBLIC_URL": base,
            },
            port=port,
        ),
    ):
        patient = new_tab(browser)
        sign_in(patient, base, "patient.demo")
        expect(patient.get_by_text("Welcome, Alex")).to_be_visible()

        # A declined card: the processor says so; back in the portal nothing was paid.
        hosted = _to_processor(patient, "amount")
        _type(hosted, DECLINED)
        expect(hosted.get_by_role("alert")).to_contain_text("Your card was declined.")
        hosted.get_by_role("link", name="Back without paying").click()
        expect(hosted.get_by_text("No payment was made, and nothing was charged.")).to_be_visible()
        hosted.close()

        # The test card that pays: back to the receipt.
        hosted = _to_processor(patient, "statement")
        expect(hosted.get_by_role("button", name=f"Pay {BILL}")).to_be_visible()
        _type(hosted, PAYS)
        expect(
            hosted.get_by_text(f"Payment received: {BILL} by the card ending 4242")
        ).to_be_visible()
        with hosted.expect_download() as receipt:
            hosted.get_by_role("button", name="Receipt (PDF)").first.click()
        assert receipt.value.suggested_filename == "receipt.pdf"
        hosted.get_by_role("tab", name="Payments and receipts").click()
        expect(hosted.get_by_text("Card ending 4242").first).to_be_visible()

        billing = new_tab(browser)
        sign_in(billing, base, "billing.demo")
        billing.get_by_role("link", name="Payments").click()
        posted = billing.get_by_role("table").first
        expect(posted).to_contain_text("Alex Rivera")
        expect(posted).to_contain_text(BILL)
        expect(posted).to_contain_text("Card ending 4242")
        completed = [p for p, _ in processor.events if b"checkout.session.completed" in p]
        assert len(completed) == 1  # the declined $10.00 was never paid

    log = b"".join(p.read_bytes() for p in tmp_path.glob("streamlit-*.log"))
    database = (tmp_path / "portal.duckdb").read_bytes()
    for number in (PAYS, DECLINED):
        assert number.encode() not in log and number.encode() not in database
