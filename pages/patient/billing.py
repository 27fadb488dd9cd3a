"""Billing: the balance and when it is due, paying online on the processor's secure page,
statements with their lines and a PDF, payments with receipts, insurance on file, and paperless
statements."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable
from datetime import date
from functools import partial

import streamlit as st

from pages.components import state
from pages.components.format import money, when
from pages.components.widgets import download, figures, table
from services.billing import account, assistance, checkout, insurance, plans
from services.core import clock, language
from services.core.language import t
from services.core.uploads import Upload

actor, patient_id = state.patient_page(t("Billing"))
state.show_flash()
PAY_KEY = "billing_pay_key"  # (what is being paid, the key that names that payment)
PAY_URL = "billing_pay_url"  # (that key, the processor's page for it)
WHOLE, ONE, OTHER = t("The whole balance"), t("One statement"), t("Another amount")
CARD_TYPES = ["pdf", "png", "jpg", "jpeg"]


def _statement_label(s: account.StatementItem) -> str:
    return t(
        "Statement of {day}: {amount} owed",
        day=language.day(s.statement_date),
        amount=money(s.remaining_cents),
    )


def _receipt_button(payment_id: uuid.UUID, key: str) -> None:
    download(
        t("Receipt (PDF)"),
        lambda: account.receipt_pdf(actor=actor, patient_id=patient_id, payment_id=payment_id),
        file_name="receipt.pdf",
        key=key,
        icon=":material/receipt:",
    )


def _returned() -> None:
    """Back from the processor's page: what the processor says happened."""
    raw = st.query_params.get("checkout")
    try:
        checkout_id = uuid.UUID(str(raw))
    except ValueError:
        return
    outcome = checkout.checkout_return(
        actor=actor,
        patient_id=patient_id,
        checkout_id=checkout_id,
        cancelled=st.query_params.get("outcome") == "cancelled",
    )
    if outcome.status == "saved":
        st.success(
            t(
                "Your card ending {card_last4} is saved: it pays each instalment of "
                "your plan on its due day.",
                card_last4=outcome.card_last4,
            )
        )
    elif outcome.status == "paid":
        paid = money(outcome.amount_cents)
        st.success(
            t(
                "Payment received: {amount} by the card ending {last4}. Thank you.",
                amount=paid,
                last4=outcome.card_last4,
            )
            if outcome.card_last4
            else t("Payment received: {amount}. Thank you.", amount=paid)
        )
        if outcome.payment_id is not None:
            _receipt_button(outcome.payment_id, "receipt_returned")
    elif outcome.status == "open":
        st.info(
            t(
                "We are waiting for the payment service to confirm this payment. It "
                "shows here and under Payments and receipts as soon as it does."
            )
        )
        st.button(t("Check again"), key="payment_check_again")
    else:
        st.info(t("No payment was made, and nothing was charged."))
    st.session_state.pop(PAY_KEY, None)  # the next payment is a new one


def _key_for(chosen: tuple[object, ...]) -> str:
    """One key per thing being paid: a double click or a rerun reuses it, a change makes one."""
    kept = st.session_state.get(PAY_KEY)
    if not kept or kept[0] != chosen:
        kept = (chosen, secrets.token_urlsafe(24))
        st.session_state[PAY_KEY] = kept
    return str(kept[1])


def _hosted(
    label: str, chosen: tuple[object, ...], start: Callable[[str], checkout.Started]
) -> None:
    """A button that asks for the processor's page for `chosen`, then the link to it."""
    key = _key_for(chosen)
    if st.button(label, type="primary", key=f"hosted_{chosen[0]}"):
        st.session_state[PAY_URL] = (key, start(key).url)
    ready = st.session_state.get(PAY_URL)
    if ready and ready[0] == key:
        st.link_button(t("Open the secure payment page"), ready[1], type="primary")
        st.caption(t("It opens in a new tab; come back here when you are done."))


def _pay(view: account.Overview) -> None:
    owed = [s for s in view.statements if s.remaining_cents > 0 and s.status == "open"]
    if not owed:
        st.info(
            t("You owe nothing now outside your payment plan.")
            if view.balance_cents
            else t("You owe nothing now.")
        )
        return
    payable = sum(s.remaining_cents for s in owed)
    if not checkout.online():
        st.info(t("Paying online is not available; please call the billing office to pay."))
        return
    st.caption(
        t(
            "You type your card on our payment processor's secure page: the portal "
            "never sees or keeps your card number."
        )
    )
    what = st.radio(
        t("What to pay"),
        [WHOLE, ONE, OTHER],
        format_func=lambda x: f"{x} ({money(payable)})" if x == WHOLE else x,
        horizontal=True,
        key="pay_what",
    )
    # The whole balance or a statement's remainder is worked out by the service; only an amount
    # the patient types goes to it as text.
    statement_id: uuid.UUID | None = None
    amount: str | None = None
    if what == ONE:
        labels = {s.statement_id: _statement_label(s) for s in owed}
        statement_id = st.selectbox(
            t("Statement to pay"), list(labels), format_func=labels.__getitem__
        )
    elif what == OTHER:
        amount = st.text_input(t("Amount in dollars"), placeholder="25.00", key="pay_amount")
    _hosted(
        t("Continue to secure payment"),
        ("pay", what, statement_id, amount),
        lambda key: checkout.checkout_start(
            actor=actor, patient_id=patient_id, amount=amount, statement_id=statement_id, key=key
        ),
    )


def _plan_schedule(instalments: list[tuple[date, int, str]]) -> None:
    table(
        {
            t("Instalment"): list(range(1, len(instalments) + 1)),
            t("Due"): [language.day(due) for due, _, _ in instalments],
            t("Amount"): [money(cents) for _, cents, _ in instalments],
            t("Status"): [status.capitalize() for _, _, status in instalments],
        },
        empty="",
    )


def _plan() -> None:
    plan, offer = plans.plan_overview(actor=actor, patient_id=patient_id)
    if plan is None and offer is None:
        st.info(
            t(
                "A payment plan spreads an open balance over 3 to 12 months, each month "
                "at least {amount}. You have no balance a plan could take now.",
                amount=money(plans.min_monthly()),
            )
        )
        return
    if plan is None:
        assert offer is not None
        st.write(
            t(
                "Pay your open balance of {amount} in monthly instalments. No interest or fees.",
                amount=money(offer.balance_cents),
            )
        )
        months = st.select_slider(
            t("Months"),
            list(offer.terms),
            format_func=lambda m: t(
                "{months} ({amount} a month)", months=m, amount=money(offer.terms[m][0][1])
            ),
            key="plan_months",
        )
        _plan_schedule([(due, cents, "due") for due, cents in offer.terms[months]])
        if st.button(t("Start the plan"), type="primary", key="plan_start"):
            plans.plan_create(actor=actor, patient_id=patient_id, months=months)
            state.done(t("Your payment plan has started."))
        return
    figures(
        {
            t("Plan total"): money(plan.total_cents),
            t("Still to pay"): money(plan.remaining_cents),
            t("Next instalment"): language.day(plan.next_due.due_date) if plan.next_due else "—",
            t("Standing"): t(plans.STANDING_WORDS.get(plan.standing, plan.standing)),
        }
    )
    if plan.standing != plans.STANDINGS[0]:
        st.warning(
            t(
                "An instalment was missed. Pay it below, or call the billing office to "
                "change your plan."
            )
        )
    _plan_schedule([(i.due_date, i.amount_cents, i.status) for i in plan.instalments])
    if plan.card:
        st.write(t("Instalments are paid on their due day by your {card}.", card=plan.card))
        if st.button(t("Stop automatic payments"), key="plan_autopay_stop"):
            plans.autopay_stop(actor=actor, patient_id=patient_id)
            state.done(t("Automatic payments stopped; pay each instalment here."))
    else:
        _hosted(
            t("Save a card for automatic payments"),
            ("card", plan.plan_id),
            lambda key: checkout.card_start(actor=actor, patient_id=patient_id, key=key),
        )
    if plan.next_due is not None:
        what = st.radio(
            t("Pay now"),
            ["next", "rest"],
            format_func=lambda x: (
                t(
                    "The next instalment ({amount})",
                    amount=money(plan.next_due.amount_cents),
                )
                if x == "next" and plan.next_due
                else t(
                    "The rest of the plan ({amount})",
                    amount=money(plan.remaining_cents),
                )
            ),
            horizontal=True,
            key="plan_pay_what",
        )
        _hosted(
            t("Pay on the secure page"),
            ("plan", plan.plan_id, what, plan.remaining_cents),
            lambda key: checkout.plan_checkout_start(
                actor=actor, patient_id=patient_id, what=what, key=key
            ),
        )


def _lines(lines: list[account.Line]) -> None:
    table(
        {
            t("Date of service"): [language.day(x.service_date) for x in lines],
            t("Service"): [x.description for x in lines],
            t("Code"): [x.code or "" for x in lines],
            t("Charges"): [money(x.charge_cents) for x in lines],
            t("Insurance paid"): [money(x.insurance_paid_cents) for x in lines],
            t("Adjustments"): [money(x.adjustment_cents) for x in lines],
            t("You owe"): [money(x.patient_cents) for x in lines],
        },
        empty=t("No services on this statement."),
    )


def _statements(view: account.Overview) -> None:
    table(
        {
            t("Statement date"): [language.day(s.statement_date) for s in view.statements],
            t("Due"): [language.day(s.due_date) for s in view.statements],
            t("Billed to you"): [money(s.billed_cents) for s in view.statements],
            t("Paid"): [money(s.paid_cents) for s in view.statements],
            t("Adjustments"): [money(s.adjusted_cents) for s in view.statements],
            t("You owe"): [money(s.remaining_cents) for s in view.statements],
            t("Status"): [t(account.STATUSES.get(s.status, s.status)) for s in view.statements],
        },
        empty=t("You have no statements."),
    )
    if len(view.statements) > account.LINES_SHOWN:
        st.caption(
            t(
                "The newest {count} statements are shown with their services; "
                "download an older one from its row below.",
                count=account.LINES_SHOWN,
            )
        )
        older = {s.statement_id: language.day(s.statement_date) for s in view.statements}
        chosen = st.selectbox(
            t("Statement"), list(older), format_func=older.__getitem__, key="statement_pick"
        )
        download(
            t("That statement (PDF)"),
            lambda: account.statement_pdf(actor=actor, patient_id=patient_id, statement_id=chosen),
            file_name="statement-older.pdf",
            key="statement_pdf_any",
        )
    for s in view.statements[: account.LINES_SHOWN]:
        with st.expander(_statement_label(s)):
            _lines(view.lines[s.statement_id])
            download(
                t("Statement (PDF)"),
                partial(
                    account.statement_pdf,
                    actor=actor,
                    patient_id=patient_id,
                    statement_id=s.statement_id,
                ),
                file_name=f"statement-{s.statement_date:%Y-%m-%d}.pdf",
                key=f"statement_pdf_{s.statement_id}",
            )


def _assistance() -> None:
    mine = assistance.my_assistance(actor=actor, patient_id=patient_id)
    rules = assistance.policy()
    if mine is not None:
        if mine.status == assistance.SUBMITTED:
            st.info(
                t(
                    "Your application of {day} is with the billing office. We tell you when it "
                    "is decided.",
                    day=language.day(mine.submitted_at),
                )
            )
        elif mine.status == assistance.APPROVED:
            st.success(
                t(
                    "Approved: {percent} off, {amount} taken off what you owed.",
                    percent=language.percent((mine.approved_percent or 0) / 100),
                    amount=money(mine.discount_cents or 0),
                )
            )
        else:
            st.warning(t("Your application was not approved."))
            if mine.decision_note:
                st.text(t("Why: {decision_note}", decision_note=mine.decision_note))
        if mine.status == assistance.SUBMITTED:
            return
    st.write(
        t(
            "If paying your bill is hard, you may qualify for a discount based on "
            "your household's size and income, as a share of the federal poverty "
            "level:"
        )
    )
    table(
        {
            t("Household income up to"): [
                t("{percent} of the poverty level", percent=language.percent(upto / 100))
                for upto, _ in rules.brackets
            ],
            t("Discount"): [language.percent(off / 100) for _, off in rules.brackets],
        },
        empty="",
    )
    with st.form("assistance_form", clear_on_submit=False):
        household = st.number_input(
            t("People in your household"), min_value=1, max_value=20, value=1, step=1
        )
        income = st.text_input(t("Household income for a year (dollars)"), placeholder="32000")
        files = st.file_uploader(
            t("Proof of income (PDF, PNG or JPEG, up to 10 MB each)"),
            type=["pdf", "png", "jpg", "jpeg"],
            accept_multiple_files=True,
            help=t("For example last year's tax return, recent pay stubs, or a benefits letter."),
        )
        sent = st.form_submit_button(t("Apply for assistance"))
    if sent:
        assistance.assistance_apply(
            actor=actor,
            patient_id=patient_id,
            household_size=int(household),
            annual_income=income,
            proofs=[Upload(f.name, f.getvalue()) for f in files or []],
        )
        state.done(t("Your application was sent to the billing office."))


def _payments(view: account.Overview) -> None:
    table(
        {
            t("Date"): [when(p.paid_at) for p in view.payments],
            t("Amount"): [money(p.amount_cents) for p in view.payments],
            t("Method"): [account.method_words(p.method, p.card_last4) for p in view.payments],
            t("Online"): [t("Yes") if p.online else "" for p in view.payments],
        },
        empty=t("No payments yet."),
    )
    labels = {
        p.payment_id: f"{when(p.paid_at)}: {money(p.amount_cents)}"
        for p in view.payments
        if p.amount_cents > 0
    }
    if labels:
        chosen = st.selectbox(
            t("Receipt for"), list(labels), format_func=labels.__getitem__, key="receipt_pick"
        )
        _receipt_button(chosen, "receipt_pdf")


def _card_bytes(coverage_id: uuid.UUID, side: str) -> bytes:
    return insurance.insurance_card(
        actor=actor, patient_id=patient_id, coverage_id=coverage_id, side=side
    )[2]


def _insurance(view: account.Overview) -> None:
    table(
        {
            t("Plan"): [c.payer for c in view.coverage],
            t("Member ID"): [c.member_id for c in view.coverage],
            t("Group"): [c.group_number or "" for c in view.coverage],
            t("Since"): [language.day(c.effective_on) for c in view.coverage],
            t("Card pictures"): [", ".join(c.sides) for c in view.coverage],
        },
        empty=t("No insurance on file."),
    )
    for c in view.coverage[:1]:
        for side in c.sides:
            download(
                t("Card front ({payer})", payer=c.payer)
                if side == "front"
                else t("Card back ({payer})", payer=c.payer),
                partial(_card_bytes, c.coverage_id, side),
                file_name=f"insurance-card-{side}",
                key=f"card_{side}_{c.coverage_id}",
                icon=":material/badge:",
            )
    with st.expander(t("Add a new insurance card")), st.form("insurance_form"):
        payer = st.text_input(t("Insurance plan"), max_chars=120)
        member_id = st.text_input(t("Member ID"), max_chars=40)
        group_number = st.text_input(t("Group number (if on the card)"), max_chars=40)
        since = st.date_input(t("Coverage starts"), value=clock.today(), format="MM/DD/YYYY")
        front = st.file_uploader(t("Picture of the front (PDF, PNG or JPEG)"), type=CARD_TYPES)
        back = st.file_uploader(t("Picture of the back"), type=CARD_TYPES)
        if st.form_submit_button(t("Add the card")):
            insurance.insurance_add(
                actor=actor,
                patient_id=patient_id,
                payer=payer,
                member_id=member_id,
                group_number=group_number,
                effective_on=since,
                front=Upload(front.name, front.getvalue()) if front else None,
                back=Upload(back.name, back.getvalue()) if back else None,
            )
            state.done(t("Your insurance card was added."))
    paperless = st.toggle(
        t("Paperless statements (we tell you when a statement is ready; no paper by mail)"),
        value=view.paperless,
        key="billing_paperless",
    )
    if paperless != view.paperless:
        account.paperless_set(actor=actor, patient_id=patient_id, paperless=paperless)
        state.done(t("Saved."))


with state.service_errors():
    _returned()
with state.service_errors():
    view = account.billing_overview(actor=actor, patient_id=patient_id)
    figures(
        {
            t("Balance due"): money(view.balance_cents),
            t("Due by"): language.day(view.due_date) if view.due_date else t("Nothing due"),
            t("Statements"): len(view.statements),
        }
    )
    # Named apart from the services they show: `insurance` here hid the module the insurance
    # form and card downloads call.
    pay_tab, plan_tab, statements_tab, payments_tab, insurance_tab, assistance_tab = st.tabs(
        [
            t("Pay"),
            t("Payment plan"),
            t("Statements"),
            t("Payments and receipts"),
            t("Insurance and preferences"),
            t("Financial assistance"),
        ]
    )
    with pay_tab, state.service_errors():
        _pay(view)
    with plan_tab, state.service_errors():
        _plan()
    with statements_tab:
        _statements(view)
    with payments_tab:
        _payments(view)
    with insurance_tab, state.service_errors():
        _insurance(view)
    with assistance_tab, state.service_errors():
        _assistance()
