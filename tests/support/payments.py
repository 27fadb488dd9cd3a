"""The demo processor as a local stand-in for the payment processor's API in the tests, and a
hand typing a card on its hosted page (what the patient's browser does)."""

from __future__ import annotations

import secrets
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC

import pytest

from demo_processor.server import DemoProcessor, serve
from services.billing import checkout
from services.core import clock, db
from services.core.access import Actor

PAYS, DECLINED, FAILS, SAVES_THEN_DECLINES = (
    "4242424242424242",
    "4000000000000002",
    "4000000000000119",
    "4000000000000341",
)
API_KEY = "sk_test_0123456789abcdef0123456789abcdef"
SIGNING_SECRET = "whsec_0123456789abcdef0123456789abcdef"


def processor_time() -> float:
    """The processor's clock is the portal's (frozen in the tests)."""
    return clock.now().replace(tzinfo=UTC).timestamp()


@contextmanager
def demo_processor(
    monkeypatch: pytest.MonkeyPatch, webhook_url: str | None = None
) -> Iterator[DemoProcessor]:
    """A demo processor on a free port, with the portal's settings pointing at it."""
    processor = DemoProcessor(API_KEY, SIGNING_SECRET, webhook_url, now=processor_time)
    with serve(processor) as url:
        monkeypatch.setenv("PORTAL_PAYMENT_API_URL", url)
        monkeypatch.setenv("PORTAL_PAYMENT_SECRET_KEY", API_KEY)
        monkeypatch.setenv("PORTAL_PAYMENT_WEBHOOK_SECRET", SIGNING_SECRET)
        db.reset()
        yield processor
    db.reset()


@dataclass(frozen=True)
class Typed:
    status: int
    location: str | None  # where the processor sends the browser next
    html: str


class _Stay(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def type_card(page_url: str, card: str, expiry: str = "12/34", cvc: str = "123") -> Typed:
    """Submit the hosted page's form as a browser would."""
    data = urllib.parse.urlencode({"card": card, "expiry": expiry, "cvc": cvc}).encode()
    opener = urllib.request.build_opener(_Stay)
    try:
        with opener.open(urllib.request.Request(page_url, data=data), timeout=10) as answer:
            return Typed(answer.status, None, answer.read().decode())
    except urllib.error.HTTPError as exc:
        return Typed(exc.code, exc.headers.get("Location"), exc.read().decode())


def pay_online(
    actor: Actor,
    patient_id: uuid.UUID,
    amount: str,
    statement_id: uuid.UUID | None = None,
    card: str = PAYS,
) -> checkout.Outcome:
    """The whole online payment: the hosted page made, the card typed, the patient back."""
    started = checkout.checkout_start(
        actor=actor,
        patient_id=patient_id,
        amount=amount,
        statement_id=statement_id,
        key=secrets.token_urlsafe(24),
    )
    type_card(started.url, card)
    return checkout.checkout_return(
        actor=actor, patient_id=patient_id, checkout_id=started.checkout_id
    )
