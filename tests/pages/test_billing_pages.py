"""The billing pages render for their roles and act through the services (AppTest)."""

from __future__ import annotations

from services.billing import account, receivables
from services.core.money import dollars
from tests.pages.test_app import signed_in
from tests.pages.test_proxy_pages import _open
from tests.support import world


def test_the_patient_sees_the_balance_statements_and_sets_paperless(seeded_url: str) -> None:
    at = _open(signed_in("patient.demo"), "pages/patient/billing.py")
    assert at.title[0].value == "Billing"
    alex = world.actor_of("patient.demo")
    assert alex.patient_id is not None
    view = account.billing_overview(actor=alex, patient_id=alex.patient_id)
    assert at.metric[0].value == dollars(view.balance_cents)
    assert len(at.expander) == min(len(view.statements), account.LINES_SHOWN)
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
