"""Paying online through the processor's hosted page, on both databases, against the demo
processor as a real local HTTP stand-in: a paid test card posts once whatever repeats (double
submission, reload, repeated or concurrent notifications, the status job); declined and failed
cards post nothing; forged and replayed notifications are refused; the adapter retries with the
same idempotency key; no card number is kept anywhere."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import threading
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from demo_processor.server import DemoProcessor
from services.billing import account, checkout
from services.billing.processor import Processor, ProcessorUnavailable
from services.billing.tables import Checkout, Payment, ProcessorEvent, Statement
from services.core import clock, crypto, db
from services.core.access import Actor
from services.core.config import settings
from services.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from services.core.models import AuditEvent, NotificationOutbox
from tests.conftest import NOW
from tests.services.him.test_records_requests import pdf_text
from tests.support import world
from tests.support.payments import DECLINED, FAILS, PAYS, SIGNING_SECRET, processor_time, type_card


def _alex() -> uuid.UUID:
    return world.patient_id("Alex", "Rivera")


def _me() -> Actor:
    return world.actor_of("patient.demo")


def _key() -> str:
    return secrets.token_urlsafe(24)


def _owed() -> list[account.StatementItem]:
    view = account.billing_overview(actor=_me(), patient_id=_alex())
    owed = [s for s in view.statements if s.remaining_cents > 0]
    assert owed, "the test world gives Alex something to pay"
    return owed


def _balance() -> int:
    return account.billing_overview(actor=_me(), patient_id=_alex()).balance_cents


def _paid_by_processor() -> list[Payment]:
    with db.read_only() as s:
        return list(s.scalars(select(Payment).where(Payment.processor_ref.like("pi_test_%"))))


def _deliver(processor: DemoProcessor, index: int = -1) -> int:
    payload, header = processor.events[index]
    return checkout.notification_receive(payload, header)


def _start(amount: str, statement: uuid.UUID | None = None, key: str | None = None):  # type: ignore[no-untyped-def]
    return checkout.checkout_start(
        actor=_me(), patient_id=_alex(), amount=amount, statement_id=statement, key=key or _key()
    )


def test_without_a_typed_amount_the_page_is_for_all_that_is_owed(
    processor: DemoProcessor,
) -> None:
    """The billing page sends no dollar text for "the whole balance" or "one statement": the
    service works the amount out from the ledger."""
    target = _owed()[0]
    whole = checkout.checkout_start(actor=_me(), patient_id=_alex(), key=_key())
    one = checkout.checkout_start(
        actor=_me(), patient_id=_alex(), statement_id=target.statement_id, key=_key()
    )
    with db.read_only() as s:
        amounts = [s.get(Checkout, p.checkout_id).amount_cents for p in (whole, one)]  # type: ignore[union-attr]
    assert amounts == [_balance(), target.remaining_cents]


def test_a_paid_test_card_posts_the_statement_once_with_a_receipt(
    processor: DemoProcessor,
) -> None:
    target = _owed()[0]
    before = _balance()
    started = _start(f"{target.remaining_cents / 100:.2f}", target.statement_id)
    typed = type_card(started.url, PAYS)
    assert typed.status == 303
    assert typed.location and typed.location.endswith(
        f"checkout={started.checkout_id}&outcome=done"
    )

    outcome = checkout.checkout_return(
        actor=_me(), patient_id=_alex(), checkout_id=started.checkout_id
    )
    assert (outcome.status, outcome.amount_cents, outcome.card_last4) == (
        "paid",
        target.remaining_cents,
        "4242",
    )
    assert _balance() == before - target.remaining_cents
    with db.read_only() as s:
        statement = s.get(Statement, target.statement_id)
        assert statement is not None and statement.status == "paid"
    [posted] = _paid_by_processor()
    assert (posted.statement_id, posted.amount_cents, posted.online) == (
        target.statement_id,
        target.remaining_cents,
        True,
    )
    assert outcome.payment_id == posted.id
    receipt = pdf_text(account.receipt_pdf(actor=_me(), patient_id=_alex(), payment_id=posted.id))
    assert "ending 4242" in receipt

    # The processor's notification arrives after the return, then again: nothing more posts;
    # a reload of the return page neither.
    assert _deliver(processor) == 200
    assert _deliver(processor) == 200
    checkout.checkout_return(actor=_me(), patient_id=_alex(), checkout_id=started.checkout_id)
    assert len(_paid_by_processor()) == 1
    with db.read_only() as s:
        kept = s.scalars(select(ProcessorEvent)).all()
    assert [(e.kind, e.outcome) for e in kept] == [("checkout.session.completed", "already")]


def test_the_notification_alone_posts_and_a_balance_payment_goes_oldest_due_first(
    processor: DemoProcessor,
) -> None:
    owed = _owed()
    total = sum(s.remaining_cents for s in owed)
    started = _start(f"{total / 100:.2f}")
    assert type_card(started.url, PAYS).status == 303
    assert _deliver(processor) == 200
    assert _balance() == 0
    assert {(p.statement_id, p.amount_cents) for p in _paid_by_processor()} == {
        (s.statement_id, s.remaining_cents) for s in owed
    }
    with db.read_only() as s:
        row = s.get(Checkout, started.checkout_id)
        assert row is not None and row.status == "paid"
        told = s.scalars(select(NotificationOutbox).where(NotificationOutbox.kind == "bills")).all()
    assert told and all("receipt" in crypto.decrypt(m.body.encode()).decode() for m in told)


def test_a_part_payment_leaves_the_rest_owed(processor: DemoProcessor) -> None:
    target = _owed()[0]
    assert target.remaining_cents > 100
    started = _start("1.00", target.statement_id)
    type_card(started.url, PAYS)
    _deliver(processor)
    after = {s.statement_id: s for s in _owed()}
    assert after[target.statement_id].remaining_cents == target.remaining_cents - 100
    assert after[target.statement_id].status == "open"


def test_a_double_submission_gets_one_hosted_page_and_one_payment(
    processor: DemoProcessor,
) -> None:
    key = _key()
    results: list[Any] = []

    def submit() -> None:
        try:
            results.append(_start("1.00", key=key))
        except Exception as exc:  # noqa: BLE001 (the assertion below shows it)
            results.append(exc)

    threads = [threading.Thread(target=submit) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({r.url for r in results}) == 1, results
    assert len(processor.sessions) == 1
    with db.read_only() as s:
        assert s.scalar(select(func.count()).select_from(Checkout)) == 1
    again = _start("1.00", key=key)  # a reload of the same form
    assert again.url == results[0].url
    type_card(again.url, PAYS)
    _deliver(processor)
    with pytest.raises(Conflict, match="finished"):
        _start("1.00", key=key)
    assert len(_paid_by_processor()) == 1


def test_concurrent_notifications_and_return_post_once(processor: DemoProcessor) -> None:
    started = _start("1.00")
    type_card(started.url, PAYS)
    payload, header = processor.events[-1]
    calls: list[Callable[[], object]] = [
        lambda: checkout.notification_receive(payload, header),
        lambda: checkout.notification_receive(payload, header),
        lambda: checkout.checkout_return(
            actor=_me(), patient_id=_alex(), checkout_id=started.checkout_id
        ),
        checkout.ask_about_open,
    ]
    answers: list[object] = []
    threads = [threading.Thread(target=lambda c=c: answers.append(c())) for c in calls]
    with clock.frozen(NOW + timedelta(minutes=11)):  # the job asks about pages this old
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert len(answers) == 4
    assert sum(p.amount_cents for p in _paid_by_processor()) == 100
    assert len(_paid_by_processor()) == 1


def _signed(payload: bytes, stamp: int, secret: str = SIGNING_SECRET) -> str:
    mac = hmac.new(secret.encode(), f"{stamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={stamp},v1={mac}"


def test_forged_and_replayed_notifications_are_refused(processor: DemoProcessor) -> None:
    started = _start("1.00")
    with db.read_only() as s:
        row = s.get(Checkout, started.checkout_id)
        assert row is not None
    forged = json.dumps(
        {
            "id": "evt_forged",
            "type": "checkout.session.completed",
            "data": {
                "object": {
                    "id": row.processor_ref,
                    "object": "checkout.session",
                    "status": "complete",
                    "payment_status": "paid",
                    "amount_total": 100,
                    "payment_intent": "pi_forged",
                }
            },
        }
    ).encode()
    now = int(processor_time())
    assert checkout.notification_receive(forged, _signed(forged, now, "whsec_guess")) == 400
    assert checkout.notification_receive(forged, "") == 400
    assert checkout.notification_receive(forged, f"t={now},v1=00") == 400
    # The right secret, but signed six minutes ago: a replay.
    assert checkout.notification_receive(forged, _signed(forged, now - 360)) == 400
    # Signed now, but tampered with after signing.
    header = _signed(forged, now)
    assert checkout.notification_receive(forged.replace(b"100", b"999"), header) == 400
    assert _paid_by_processor() == []
    with db.read_only() as s:
        assert s.scalar(select(func.count()).select_from(ProcessorEvent)) == 0
    # An event about a page we never made is kept as unmatched, for billing staff.
    unknown = forged.replace(row.processor_ref.encode(), b"cs_unknown")
    assert checkout.notification_receive(unknown, _signed(unknown, now)) == 200
    with db.read_only() as s:
        assert s.scalars(select(ProcessorEvent.outcome)).all() == ["unmatched"]
    assert _paid_by_processor() == []


def _notice(ref: str, event_id: str, cents: int, status: str = "complete") -> tuple[bytes, str]:
    """A notice signed with the real secret (as if the signing secret leaked, or the processor
    erred) claiming this page is paid this amount."""
    payload = json.dumps(
        {
            "id": event_id,
            "type": "checkout.session.completed",
            "data": {
                "object": {
                    "id": ref,
                    "object": "checkout.session",
                    "status": status,
                    "payment_status": "paid",
                    "amount_total": cents,
                    "payment_intent": "pi_claimed",
                }
            },
        }
    ).encode()
    return payload, _signed(payload, int(processor_time()))


def _unmatched_audit() -> list[str]:
    with db.read_only() as s:
        return list(
            s.scalars(
                select(AuditEvent.detail).where(AuditEvent.action == "billing.notice.unmatched")
            )
        )


def test_a_notice_posts_only_what_the_processors_own_record_says(
    processor: DemoProcessor,
) -> None:
    """The probe (issue 31, item 2): a signed notice claiming "complete and paid" for a page the
    processor still reports open, with another amount than the page's, led to a posting."""
    before = _balance()
    started = _start("1.00")
    with db.read_only() as s:
        ref = s.get(Checkout, started.checkout_id).processor_ref  # type: ignore[union-attr]
    assert checkout.notification_receive(*_notice(ref, "evt_claims_paid", 99_999)) == 200
    assert _paid_by_processor() == [] and _balance() == before
    with db.read_only() as s:
        assert s.get(Checkout, started.checkout_id).status == "open"  # type: ignore[union-attr]
        assert s.get(ProcessorEvent, "evt_claims_paid").outcome == "unmatched"  # type: ignore[union-attr]
    [said] = _unmatched_audit()
    assert "notice said complete $999.99 paid; the processor says open $1.00" in said

    # Paid for real, a notice claiming another amount still posts nothing; the processor's
    # own notice then posts the page's amount, read back from the processor.
    assert type_card(started.url, PAYS).status == 303
    assert checkout.notification_receive(*_notice(ref, "evt_wrong_amount", 50_000)) == 200
    assert _paid_by_processor() == [] and len(_unmatched_audit()) == 2
    assert _deliver(processor) == 200
    assert [p.amount_cents for p in _paid_by_processor()] == [100]
    assert _balance() == before - 100


def test_a_notice_waits_while_the_processor_cannot_be_asked(processor: DemoProcessor) -> None:
    started = _start("1.00")
    assert type_card(started.url, PAYS).status == 303
    processor.fail_next = 10
    assert _deliver(processor) == 503  # sent again later; nothing kept, nothing posted
    processor.fail_next = 0
    with db.read_only() as s:
        assert s.scalar(select(func.count()).select_from(ProcessorEvent)) == 0
    assert _paid_by_processor() == []
    assert _deliver(processor) == 200
    assert [p.amount_cents for p in _paid_by_processor()] == [100]


@pytest.mark.parametrize(
    ("card", "message"),
    [(DECLINED, "Your card was declined."), (FAILS, "An error occurred while processing")],
)
def test_a_declined_or_failed_card_shows_why_and_posts_nothing(
    processor: DemoProcessor, card: str, message: str
) -> None:
    before = _balance()
    started = _start("1.00")
    typed = type_card(started.url, card)
    assert typed.status == 402 and message in typed.html
    assert type_card(started.url, "4111111111111111").status == 402  # not a test card
    outcome = checkout.checkout_return(
        actor=_me(), patient_id=_alex(), checkout_id=started.checkout_id, cancelled=True
    )
    assert outcome.status == "cancelled" and outcome.payment_id is None
    assert _balance() == before and _paid_by_processor() == []
    assert type_card(started.url, PAYS).status == 402  # the page is closed now
    assert _deliver(processor) == 200  # its "expired" notification changes nothing more
    assert _paid_by_processor() == []


def test_amounts_are_checked_against_what_is_owed(processor: DemoProcessor) -> None:
    owed = _owed()
    total = sum(s.remaining_cents for s in owed)
    over = f"{(total + 1) / 100:.2f}"
    with pytest.raises(ValidationError) as refused:
        _start(over)
    assert "pay at most" in refused.value.fields["amount"]
    for typed in ("", "abc", "-5", "0.001", "0.49"):
        with pytest.raises(ValidationError):
            _start(typed)
    with pytest.raises(ValidationError):
        _start("1.00", key="short")
    with pytest.raises(NotFound):
        _start("1.00", uuid.uuid4())
    assert processor.sessions == {}


def test_other_patients_staff_and_other_checkouts_are_refused(processor: DemoProcessor) -> None:
    started = _start("1.00")
    other = world.other_patient(_alex())
    with pytest.raises(NotFound):  # another patient's account does not exist for Alex
        checkout.checkout_start(actor=_me(), patient_id=other, amount="1.00", key=_key())
    with pytest.raises(PermissionDenied):
        checkout.checkout_start(
            actor=world.actor_of("billing.demo"), patient_id=_alex(), amount="1.00", key=_key()
        )
    emma = world.patient_id("Emma", "Larson")
    with pytest.raises(NotFound):  # Alex's checkout is not Emma's, even for her own account
        checkout.checkout_return(
            actor=world.actor_of("teen.demo"), patient_id=emma, checkout_id=started.checkout_id
        )


def test_a_limited_parent_cannot_pay_a_confidential_bill(processor: DemoProcessor) -> None:
    emma = world.patient_id("Emma", "Larson")
    hers = account.billing_overview(actor=world.actor_of("teen.demo"), patient_id=emma)
    parent = world.actor_of("proxy.demo")
    seen = {
        s.statement_id for s in account.billing_overview(actor=parent, patient_id=emma).statements
    }
    [hidden] = [s for s in hers.statements if s.statement_id not in seen]
    with pytest.raises(NotFound):
        checkout.checkout_start(
            actor=parent,
            patient_id=emma,
            amount="25.00",
            statement_id=hidden.statement_id,
            key=_key(),
        )


def test_a_lost_notification_is_caught_by_the_status_job(processor: DemoProcessor) -> None:
    started = _start("1.00")
    type_card(started.url, PAYS)  # the notification never arrives
    assert checkout.ask_about_open() == 0  # too early to ask
    with clock.frozen(NOW + timedelta(minutes=11)):
        assert checkout.ask_about_open() == 1
        assert checkout.ask_about_open() == 0
    assert len(_paid_by_processor()) == 1


def test_the_adapter_retries_with_the_same_key(processor: DemoProcessor) -> None:
    pay = Processor(settings().payment)  # type: ignore[arg-type]
    processor.fail_next = 1  # a 500 first
    first = pay.hosted_create(
        key="k" * 20,
        amount_cents=100,
        description="x",
        reference="r",
        success_url="s",
        cancel_url="c",
    )
    processor.lose_next = 1  # the work is done but the answer is lost: the retry gets the same
    second = pay.hosted_create(
        key="q" * 20,
        amount_cents=100,
        description="x",
        reference="r",
        success_url="s",
        cancel_url="c",
    )
    assert first.ref != second.ref and len(processor.sessions) == 2
    keys = [key for method, _, key in processor.api_calls if method == "POST"]
    assert keys == ["k" * 20, "q" * 20, "q" * 20]  # the 500 was not recorded as work
    processor.fail_next = 10
    with pytest.raises(ProcessorUnavailable, match="nothing was charged"):
        pay.hosted_get(first.ref)
    processor.fail_next = 0


def test_an_unreachable_processor_stores_nothing_and_says_so(
    seeded_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PORTAL_PAYMENT_API_URL", "http://127.0.0.1:9")  # nothing listens
    db.reset()
    with pytest.raises(ProcessorUnavailable, match="try again"):
        _start("1.00")
    with db.read_only() as s:
        assert s.scalar(select(func.count()).select_from(Checkout)) == 0


def test_no_card_number_is_kept_anywhere(
    processor: DemoProcessor,
    seeded_url: str,
    caplog: pytest.LogCaptureFixture,
    request: pytest.FixtureRequest,
) -> None:
    caplog.set_level(logging.DEBUG)
    for card in (DECLINED, PAYS):
        started = _start("1.00")
        type_card(started.url, card)
    _deliver(processor)
    checkout.ask_about_open()
    numbers = [c.encode() for c in (PAYS, DECLINED)] + [b"4242 4242 4242 4242"]
    with db.read_only() as s:
        kept = [
            crypto.decrypt(m.body.encode()) + m.subject.encode()
            for m in s.scalars(select(NotificationOutbox))
        ]
    db.reset()  # closes the database: DuckDB writes everything into its file
    if seeded_url.startswith("duckdb"):
        files = [Path(seeded_url.removeprefix("duckdb:///"))]
        files += list(files[0].parent.glob("*.wal"))
        kept += [f.read_bytes() for f in files]
    else:
        server = request.getfixturevalue("pg_server")
        kept.append(server.dump(seeded_url.rsplit("/", 1)[1]))
    assert any(b"pi_test_" in blob for blob in kept)  # the scan sees the payment itself
    kept.append(caplog.text.encode())
    assert not [n for n in numbers for blob in kept if n in blob]
