"""The billing pages render for their roles and act through the services (AppTest)."""

from __future__ import annotations

import pytest

from services.billing import account, assistance, desk, receivables, refunds
from services.core.money import dollars
from services.core.uploads import Upload
from tests.pages.test_app import signed_in
from tests.pages.test_proxy_pages import _open
from tests.support import world
from tests.support.payments import demo_processor


def test_the_patient_sees_the_balance_statements_and_sets_paperless(seeded_url: str) -> None:
    at = _open(signed_in("patient.demo"), "pages/patient/billing.py")
    assert at.title[0].value == "Billing"
    alex = world.actor_of("patient.demo")
    assert alex.patient_id is not None
    view = account.billing_overview(actor=alex, patient_id=alex.patient_id)
    assert at.metric[0].value == dollars(view.balance_cents)
    statements = [e for e in at.expander if e.label.startswith("Statement of")]
    assert len(statements) == min(len(view.statements), account.LINES_SHOWN)
    at.toggle(key="billing_paperless").set_value(True).run()
    assert not at.error, [e.value for e in at.error]
    assert account.billing_overview(actor=alex, patient_id=alex.patient_id).paperless


def test_billing_staff_see_receivables_by_age(seeded_url: str) -> None:
    at = _open(signed_in("billing.demo"), "pages/billing/receivables.py")
    aged = receivables.aging(actor=world.actor_of("billing.demo"))
    ages = at.dataframe[0].value["Age"].tolist()
    assert ages == [b.label for b in aged.buckets] + ["Total"]
    at.selectbox(key="aging_bucket").select(4).run()
    assert not at.exception and not at.error, [e.value for e in at.error]


def test_billing_staff_post_an_adjustment_from_the_bucket(seeded_url: str) -> None:
    at = _open(signed_in("billing.demo"), "pages/billing/receivables.py")
    at.text_input(key="adjust_amount").input("0.01")
    at.selectbox(key="adjust_reason").select("prompt_pay")
    next(b for b in at.button if b.label == "Post the adjustment").click().run()
    assert not at.error, [e.value for e in at.error]
    assert any(s.value.startswith("Posted") for s in at.success)


def test_the_patient_starts_a_payment_and_a_wrong_amount_is_refused(
    seeded_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with demo_processor(monkeypatch) as processor:
        at = _open(signed_in("patient.demo"), "pages/patient/billing.py")
        at.radio(key="pay_what").set_value("Another amount").run()
        at.text_input(key="pay_amount").input("999999.00").run()
        at.button(key="hosted_pay").click().run()
        assert any("pay at most" in e.value for e in at.error)
        assert processor.sessions == {}
        at.text_input(key="pay_amount").input("1.00").run()
        at.button(key="hosted_pay").click().run()
        assert not at.error, [e.value for e in at.error]
        assert len(processor.sessions) == 1
        at.button(key="hosted_pay").click().run()  # a second click: the same payment page
        assert len(processor.sessions) == 1


def test_billing_staff_see_payments_and_move_one(seeded_url: str) -> None:
    at = _open(signed_in("billing.demo"), "pages/billing/payments.py")
    assert at.title[0].value == "Payments"
    assert not at.exception and not at.error, [e.value for e in at.error]
    at.text_input(key="move_note").input("Meant for the other visit")
    at.selectbox(key="move_target").select("credit")
    next(b for b in at.button if b.label == "Move the payment").click().run()
    assert not at.error, [e.value for e in at.error]
    assert any(s.value == "The payment was moved." for s in at.success)
    assert desk.payments_desk(actor=world.actor_of("billing.demo")).credits


def test_billing_staff_refund_by_cheque_and_see_large_ones_wait(
    seeded_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PORTAL_REFUND_APPROVAL_OVER", "0.50")
    at = _open(signed_in("billing.demo"), "pages/billing/payments.py")
    at.text_input(key="refund_amount").input("1.00")
    at.text_input(key="refund_reason").input("Charged twice")
    next(b for b in at.button if b.label == "Refund").click().run()
    assert not at.error, [e.value for e in at.error]
    assert any("second billing user" in s.value for s in at.success)
    [waiting] = refunds.refunds_waiting(actor=world.actor_of("billing.demo"))
    at.button(key=f"approve_{waiting.refund_id}").click().run()
    assert any("Another billing user" in e.value for e in at.error)


def test_the_patient_starts_a_plan_and_asks_to_save_a_card(
    seeded_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PORTAL_PLAN_MIN_MONTHLY", "10.00")
    with demo_processor(monkeypatch) as processor:
        at = _open(signed_in("patient.demo"), "pages/patient/billing.py")
        at.button(key="plan_start").click().run()
        assert not at.error, [e.value for e in at.error]
        assert any(s.value == "Your payment plan has started." for s in at.success)
        assert next(m for m in at.metric if m.label == "Standing").value == "On track"
        at.button(key="hosted_card").click().run()
        assert not at.error, [e.value for e in at.error]
        [page] = processor.sessions.values()
        assert page["mode"] == "setup"
        at.button(key="hosted_plan").click().run()
        assert len(processor.sessions) == 2


def test_billing_staff_decide_an_assistance_application(seeded_url: str) -> None:
    alex = world.actor_of("patient.demo")
    assert alex.patient_id is not None
    assistance.assistance_apply(
        actor=alex,
        patient_id=alex.patient_id,
        household_size=3,
        annual_income="30000",
        proofs=[Upload("stub.pdf", b"%PDF-1.4\n%%EOF\n")],
    )
    patient = _open(signed_in("patient.demo"), "pages/patient/billing.py")
    assert any("is with the billing office" in i.value for i in patient.info)
    at = _open(signed_in("billing.demo"), "pages/billing/assistance.py")
    assert at.number_input(key="assist_percent").value == 100
    at.number_input(key="assist_percent").set_value(0)
    next(b for b in at.button if b.label == "Approve").click().run()
    assert any("1 to 100 percent" in e.value for e in at.error)
    at.number_input(key="assist_percent").set_value(40)
    next(b for b in at.button if b.label == "Approve").click().run()
    assert not at.error, [e.value for e in at.error]
    assert any(s.value.startswith("Approved:") for s in at.success)
    assert assistance.assistance_queue(actor=world.actor_of("billing.demo")) == []


def test_billing_staff_send_the_months_statements_from_the_home(seeded_url: str) -> None:
    at = _open(signed_in("billing.demo"), "pages/billing/home.py")
    assert not at.exception and not at.error, [e.value for e in at.error]
    at.button(key="statements_run").click().run()
    assert any(s.value.startswith("Statements of") for s in at.success)
    at.button(key="statements_run").click().run()
    assert any("were sent on" in e.value for e in at.error)


def test_the_patient_adds_an_insurance_card_on_the_billing_page(seeded_url: str) -> None:
    """The page's Insurance tab was named `insurance`, hiding the service module it calls."""
    at = _open(signed_in("patient.demo"), "pages/patient/billing.py")
    fields = {f.label: f for f in at.text_input}
    fields["Insurance plan"].input("Prairie Mutual PPO")
    fields["Member ID"].input("PM-20261207")
    next(b for b in at.button if b.label == "Add the card").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    alex = world.actor_of("patient.demo")
    assert alex.patient_id is not None
    coverage = account.billing_overview(actor=alex, patient_id=alex.patient_id).coverage
    assert "Prairie Mutual PPO" in [c.payer for c in coverage]
