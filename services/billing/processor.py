"""The payment processor's HTTP API, as Stripe defines it (the demo processor speaks the same
subset). No card number ever reaches our server: the patient types it on the processor's hosted
page. We create that page's session, ask its status, charge a card the processor saved (by its
token), refund, and verify the processor's signed notifications.

Every request that creates something carries an Idempotency-Key, and a request that fails on the
network or with a 5xx answer is retried with the same key, so a retry never charges twice."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from services.core.config import PaymentSettings, settings
from services.core.errors import Conflict, PortalError
from services.core.language import N_, t

log = logging.getLogger("portal.payments")

TOLERANCE_SECONDS = 300  # a notification signed longer ago than this is a replay
RETRIES = 2  # after the first attempt, with the same idempotency key
UNAVAILABLE = N_(
    "The payment service is not answering right now, so nothing was charged. "
    "Please try again in a few minutes."
)


class ProcessorUnavailable(PortalError):
    """The processor could not be reached (or failed) after the retries."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or t(UNAVAILABLE))


class ProcessorRefused(PortalError):
    """The processor answered no: a declined card, or a request it will not do."""

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.code = code


class BadNotification(Exception):
    """A notification that is not the processor's, or too old to be anything but a replay."""


@dataclass(frozen=True)
class Card:
    token: str  # the processor's payment method id
    customer: str | None
    brand: str | None
    last4: str | None


@dataclass(frozen=True)
class Hosted:
    """A hosted payment page's session as the processor reports it."""

    ref: str
    url: str | None
    status: str  # open, complete, expired
    paid: bool
    amount_cents: int | None
    payment_ref: str | None  # the payment made on it, once complete
    card: Card | None  # the card used or saved, when asked for


@dataclass(frozen=True)
class Charge:
    ref: str
    status: str  # succeeded (a decline raises ProcessorRefused)


def _form(params: Mapping[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """Stripe's form encoding of nested parameters: a[b][0][c]=v."""
    pairs: list[tuple[str, str]] = []
    for name, value in params.items():
        key = f"{prefix}[{name}]" if prefix else str(name)
        if isinstance(value, Mapping):
            pairs += _form(value, key)
        elif isinstance(value, list):
            for i, item in enumerate(value):
                pairs += (
                    _form(item, f"{key}[{i}]")
                    if isinstance(item, Mapping)
                    else [(f"{key}[]", str(item))]
                )
        elif isinstance(value, bool):
            pairs.append((key, "true" if value else "false"))
        elif value is not None:
            pairs.append((key, str(value)))
    return pairs


def _card(method: Any, customer: Any) -> Card | None:
    if not isinstance(method, Mapping):
        return None
    card = method.get("card") or {}
    return Card(
        token=str(method["id"]),
        customer=customer if isinstance(customer, str) else None,
        brand=card.get("brand"),
        last4=card.get("last4"),
    )


def _hosted(found: Mapping[str, Any]) -> Hosted:
    intent = found.get("payment_intent") or found.get("setup_intent")
    payment_ref = intent.get("id") if isinstance(intent, Mapping) else intent
    method = intent.get("payment_method") if isinstance(intent, Mapping) else None
    return Hosted(
        ref=str(found["id"]),
        url=found.get("url"),
        status=str(found.get("status")),
        paid=found.get("payment_status") == "paid",
        amount_cents=found.get("amount_total"),
        payment_ref=str(payment_ref) if payment_ref else None,
        card=_card(method, found.get("customer")),
    )


class Processor:
    """The processor's API with our key (from settings)."""

    def __init__(self, config: PaymentSettings, timeout: float = 10.0) -> None:
        self.config = config
        self.timeout = timeout

    def _call(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None = None,
        key: str | None = None,
    ) -> dict[str, Any]:
        body = urllib.parse.urlencode(_form(params or {})).encode() if method == "POST" else None
        query = (
            "" if method == "POST" or not params else "?" + urllib.parse.urlencode(_form(params))
        )
        headers = {"Authorization": f"Bearer {self.config.secret_key}"}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if key:
            headers["Idempotency-Key"] = key
        for attempt in range(RETRIES + 1):
            request = urllib.request.Request(
                self.config.api_url + path + query, data=body, headers=headers, method=method
            )
            try:
                # The scheme is https (or http outside production), checked in settings.
                with urllib.request.urlopen(request, timeout=self.timeout) as answer:  # noqa: S310
                    return dict(json.loads(answer.read()))
            except urllib.error.HTTPError as exc:
                if exc.code < 500 and exc.code != 429:
                    raise _refusal(exc) from None
                log.warning("processor answered %s to %s %s", exc.code, method, path)
            except (OSError, ValueError) as exc:
                log.warning("processor unreachable on %s %s: %s", method, path, type(exc).__name__)
            if attempt < RETRIES:
                time.sleep(0.2 * 2**attempt)
        raise ProcessorUnavailable()

    def hosted_create(
        self,
        *,
        key: str,
        amount_cents: int,
        description: str,
        reference: str,
        success_url: str,
        cancel_url: str,
    ) -> Hosted:
        """A hosted page where the patient pays this amount once."""
        found = self._call(
            "POST",
            "/v1/checkout/sessions",
            {
                "mode": "payment",
                "line_items": [
                    {
                        "quantity": 1,
                        "price_data": {
                            "currency": "usd",
                            "unit_amount": amount_cents,
                            "product_data": {"name": description},
                        },
                    }
                ],
                "client_reference_id": reference,
                "success_url": success_url,
                "cancel_url": cancel_url,
            },
            key=key,
        )
        return _hosted(found)

    def hosted_get(self, ref: str) -> Hosted:
        """The session's status now, with the card used (its brand and last four digits)."""
        found = self._call(
            "GET",
            f"/v1/checkout/sessions/{urllib.parse.quote(ref)}",
            {"expand": ["payment_intent.payment_method", "setup_intent.payment_method"]},
        )
        return _hosted(found)

    def hosted_expire(self, ref: str) -> Hosted:
        """Close an unpaid session so it can no longer be paid; a paid one is reported as is."""
        try:
            self._call("POST", f"/v1/checkout/sessions/{urllib.parse.quote(ref)}/expire")
        except ProcessorRefused:
            pass  # no longer open: paid or expired already; its status says which
        return self.hosted_get(ref)

    def hosted_setup(
        self, *, key: str, reference: str, success_url: str, cancel_url: str
    ) -> Hosted:
        """A hosted page where the patient saves a card for later charges (nothing is charged)."""
        found = self._call(
            "POST",
            "/v1/checkout/sessions",
            {
                "mode": "setup",
                "currency": "usd",
                "client_reference_id": reference,
                "success_url": success_url,
                "cancel_url": cancel_url,
            },
            key=key,
        )
        return _hosted(found)

    def charge_saved(
        self, *, key: str, amount_cents: int, customer: str, payment_method: str, description: str
    ) -> Charge:
        """Charge a saved card without the patient present; a decline raises ProcessorRefused."""
        found = self._call(
            "POST",
            "/v1/payment_intents",
            {
                "amount": amount_cents,
                "currency": "usd",
                "customer": customer,
                "payment_method": payment_method,
                "off_session": True,
                "confirm": True,
                "description": description,
            },
            key=key,
        )
        return Charge(ref=str(found["id"]), status=str(found.get("status")))

    def refund(self, *, key: str, payment_ref: str, amount_cents: int) -> Charge:
        """Give back part or all of a payment the processor took."""
        found = self._call(
            "POST",
            "/v1/refunds",
            {"payment_intent": payment_ref, "amount": amount_cents},
            key=key,
        )
        return Charge(ref=str(found["id"]), status=str(found.get("status")))


def _refusal(exc: urllib.error.HTTPError) -> ProcessorRefused:
    try:
        error = json.loads(exc.read()).get("error", {})
    except ValueError:
        error = {}
    if error.get("type") == "card_error":
        # the processor's own words for a card (it writes them for the person paying)
        return ProcessorRefused(
            error.get("message") or t("The card was declined."), error.get("code")
        )
    log.error("processor refused a request: %s %s", exc.code, error.get("type"))
    return ProcessorRefused(
        t(
            "The payment service refused this request; nothing was charged. "
            "Please call the billing office."
        ),
        error.get("code"),
    )


def processor() -> Processor:
    """The configured processor; refused where online payment is not set up."""
    config = settings().payment
    if config is None:
        raise Conflict(t("Paying online is not available; please call the billing office to pay."))
    return Processor(config)


def notification(payload: bytes, header: str, now: float) -> dict[str, Any]:
    """The processor's event, once its signature (`t=<time>,v1=<HMAC-SHA256 hex>` over
    "<time>.<payload>" with the signing secret) checks out and it is recent."""
    config = settings().payment
    if config is None:
        raise BadNotification("no processor is configured")
    parts = [p.split("=", 1) for p in header.split(",") if "=" in p]
    stamps = [v for k, v in parts if k.strip() == "t"]
    signatures = [v.strip() for k, v in parts if k.strip() == "v1"]
    if len(stamps) != 1 or not stamps[0].strip().isdigit() or not signatures:
        raise BadNotification("no signature")
    stamp = int(stamps[0])
    expected = hmac.new(
        config.webhook_secret.encode(), f"{stamp}.".encode() + payload, hashlib.sha256
    ).hexdigest()
    if not any(hmac.compare_digest(expected, s) for s in signatures):
        raise BadNotification("signature does not match")
    if abs(now - stamp) > TOLERANCE_SECONDS:
        raise BadNotification("signed too long ago")
    try:
        event = json.loads(payload)
    except ValueError:
        raise BadNotification("not JSON") from None
    if not isinstance(event, dict) or not isinstance(event.get("id"), str):
        raise BadNotification("not an event")
    return event


def hosted_of(event: Mapping[str, Any]) -> Hosted | None:
    """The hosted session an event is about, when it is about one."""
    found = (event.get("data") or {}).get("object") or {}
    if found.get("object") != "checkout.session" or "id" not in found:
        return None
    return _hosted(found)
