"""A local payment processor for the demo and the tests: the subset of Stripe's API the portal
uses (hosted checkout sessions, saved cards charged off-session, refunds, signed notifications,
idempotency keys) and a hosted payment page that takes Stripe's test cards. It runs in its own
process (`python -m demo_processor`), so a card number typed on its page never reaches the
portal. It keeps its state in memory and never logs a request body."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from demo_processor import page

DAY = 24 * 3600
# Stripe's test cards: what each does (None: it pays).
CARDS: dict[str, tuple[str, str] | None] = {
    "4242424242424242": None,
    "4000000000000002": ("card_declined", "Your card was declined."),
    "4000000000000119": (
        "processing_error",
        "An error occurred while processing your card. Try again in a little bit.",
    ),
    "4000000000000341": None,  # saves, but a later off-session charge is declined
}
DECLINED_LATER = {"4000000000000341"}
NOT_A_TEST_CARD = (
    "Your card was declined. This is a demo processor: use a test card, e.g. 4242 4242 4242 4242."
)


def _new(prefix: str) -> str:
    return f"{prefix}_test_{secrets.token_hex(12)}"


def luhn_ok(number: str) -> bool:
    digits = [int(d) for d in reversed(number)]
    total = sum(d if i % 2 == 0 else (d * 2 - 9 if d > 4 else d * 2) for i, d in enumerate(digits))
    return len(number) >= 12 and total % 10 == 0


class ApiError(Exception):
    def __init__(self, status: int, kind: str, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.status, self.kind, self.code = status, kind, code

    def body(self) -> dict[str, Any]:
        return {"error": {"type": self.kind, "message": str(self), "code": self.code}}


@dataclass
class DemoProcessor:
    """The processor's state and behaviour; `serve()` puts it on HTTP."""

    secret_key: str
    webhook_secret: str
    webhook_url: str | None = None  # where notifications go; None: only kept in `events`
    now: Callable[[], float] = time.time
    base_url: str = ""  # set when served: the hosted pages' address
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    intents: dict[str, dict[str, Any]] = field(default_factory=dict)
    methods: dict[str, dict[str, Any]] = field(default_factory=dict)
    refunds: dict[str, dict[str, Any]] = field(default_factory=dict)
    events: list[tuple[bytes, str]] = field(default_factory=list)  # (payload, signature header)
    api_calls: list[tuple[str, str, str | None]] = field(default_factory=list)  # method, path, key
    fail_next: int = 0  # answer 500 to this many API calls (the work is not done)
    lose_next: int = 0  # do this many API calls' work, then drop the connection unanswered
    _remembered: dict[str, tuple[str, int, dict[str, Any]]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # --- the API ------------------------------------------------------------------------

    def api(
        self, method: str, path: str, form: dict[str, str], headers: dict[str, str]
    ) -> tuple[int, dict[str, Any]]:
        if headers.get("authorization") != f"Bearer {self.secret_key}":
            return 401, ApiError(401, "invalid_request_error", "Invalid API Key provided").body()
        key = headers.get("idempotency-key")
        with self._lock:
            self.api_calls.append((method, path, key))
            fingerprint = json.dumps([method, path, sorted(form.items())])
            if key and key in self._remembered:
                seen, status, body = self._remembered[key]
                if seen != fingerprint:
                    return 400, ApiError(
                        400,
                        "idempotency_error",
                        "Keys for idempotent requests can only be used with the same parameters.",
                    ).body()
                return status, body
            try:
                status, body = 200, self._route(method, path, form)
            except ApiError as exc:
                status, body = exc.status, exc.body()
            if key and method == "POST":
                self._remembered[key] = (fingerprint, status, body)
            return status, body

    def _route(self, method: str, path: str, form: dict[str, str]) -> dict[str, Any]:
        parts = path.strip("/").split("/")
        if method == "POST" and parts == ["v1", "checkout", "sessions"]:
            return self._session_create(form)
        if len(parts) == 4 and parts[:3] == ["v1", "checkout", "sessions"] and method == "GET":
            return self._session_view(self._session(parts[3]), form)
        if len(parts) == 5 and parts[4] == "expire" and method == "POST":
            return self._session_expire(self._session(parts[3]))
        if method == "POST" and parts == ["v1", "payment_intents"]:
            return self._charge_saved(form)
        if method == "POST" and parts == ["v1", "refunds"]:
            return self._refund(form)
        raise ApiError(404, "invalid_request_error", f"Unrecognized request URL ({path}).")

    def _session(self, ref: str) -> dict[str, Any]:
        found = self.sessions.get(ref)
        if found is None:
            raise ApiError(404, "invalid_request_error", f"No such checkout.session: '{ref}'")
        if found["status"] == "open" and self.now() > found["expires_at"]:
            found["status"] = "expired"
        return found

    def _session_create(self, form: dict[str, str]) -> dict[str, Any]:
        mode = form.get("mode", "payment")
        if mode not in ("payment", "setup"):
            raise ApiError(400, "invalid_request_error", "Invalid mode.")
        amount = form.get("line_items[0][price_data][unit_amount]")
        if mode == "payment" and (amount is None or not amount.isdigit() or int(amount) < 50):
            raise ApiError(400, "invalid_request_error", "Amount must be at least 50 cents.")
        for needed in ("success_url", "cancel_url"):
            if not form.get(needed):
                raise ApiError(400, "invalid_request_error", f"Missing required param: {needed}.")
        ref = _new("cs")
        created = int(self.now())
        self.sessions[ref] = {
            "id": ref,
            "object": "checkout.session",
            "mode": mode,
            "status": "open",
            "payment_status": "unpaid" if mode == "payment" else "no_payment_required",
            "amount_total": int(amount) if mode == "payment" and amount else None,
            "currency": form.get("currency") or form.get("line_items[0][price_data][currency]"),
            "description": form.get("line_items[0][price_data][product_data][name]", ""),
            "client_reference_id": form.get("client_reference_id"),
            "customer": form.get("customer"),
            "save_card": mode == "setup"
            or form.get("payment_intent_data[setup_future_usage]") == "off_session",
            "success_url": form["success_url"],
            "cancel_url": form["cancel_url"],
            "payment_intent": None,
            "setup_intent": None,
            "created": created,
            "expires_at": created + DAY,
            "url": f"{self.base_url}/pay/{ref}",
        }
        return self._session_view(self.sessions[ref], {})

    def _session_view(self, found: dict[str, Any], form: dict[str, str]) -> dict[str, Any]:
        view = {k: v for k, v in found.items() if k not in ("save_card", "expires_at")}
        view["expires_at"] = found["expires_at"]
        expand = {v for k, v in form.items() if k.startswith("expand[")}
        for name in ("payment_intent", "setup_intent"):
            ref = found.get(name)
            if ref and f"{name}.payment_method" in expand:
                intent = dict(self.intents[ref])
                intent["payment_method"] = self.methods.get(intent["payment_method"])
                view[name] = intent
        return view

    def _session_expire(self, found: dict[str, Any]) -> dict[str, Any]:
        if found["status"] != "open":
            raise ApiError(
                400,
                "invalid_request_error",
                "Only Checkout Sessions with a status of open can be expired.",
            )
        found["status"] = "expired"
        self._notify("checkout.session.expired", self._session_view(found, {}))
        return self._session_view(found, {})

    def _charge_saved(self, form: dict[str, str]) -> dict[str, Any]:
        method = self.methods.get(form.get("payment_method", ""))
        amount = form.get("amount", "")
        if method is None or method.get("customer") != form.get("customer"):
            raise ApiError(400, "invalid_request_error", "No such PaymentMethod for this customer.")
        if not amount.isdigit() or int(amount) < 50:
            raise ApiError(400, "invalid_request_error", "Amount must be at least 50 cents.")
        if method["_number"] in DECLINED_LATER:
            raise ApiError(402, "card_error", "Your card was declined.", "card_declined")
        intent = self._intent(int(amount), method["id"], form.get("customer"))
        return intent

    def _intent(self, amount: int, method: str, customer: str | None) -> dict[str, Any]:
        ref = _new("pi")
        self.intents[ref] = {
            "id": ref,
            "object": "payment_intent",
            "amount": amount,
            "amount_refunded": 0,
            "status": "succeeded",
            "payment_method": method,
            "customer": customer,
        }
        return dict(self.intents[ref])

    def _refund(self, form: dict[str, str]) -> dict[str, Any]:
        intent = self.intents.get(form.get("payment_intent", ""))
        if intent is None or intent["object"] != "payment_intent":
            raise ApiError(400, "invalid_request_error", "No such payment_intent.")
        left = intent["amount"] - intent["amount_refunded"]
        amount = int(form.get("amount") or left)
        if amount <= 0 or amount > left:
            raise ApiError(
                400,
                "invalid_request_error",
                "Refund amount is greater than the unrefunded amount on the charge.",
                "amount_too_large",
            )
        intent["amount_refunded"] += amount
        ref = _new("re")
        self.refunds[ref] = {
            "id": ref,
            "object": "refund",
            "amount": amount,
            "payment_intent": intent["id"],
            "status": "succeeded",
        }
        return dict(self.refunds[ref])

    # --- the hosted page ----------------------------------------------------------------

    def pay(self, ref: str, form: dict[str, str]) -> tuple[str | None, str | None]:
        """The hosted page's form: (where to send the browser, or the error to show)."""
        with self._lock:
            found = self.sessions.get(ref)
            if found is None:
                return None, "This payment page does not exist."
            found = self._session(ref)
            if found["status"] != "open":
                return None, "This payment page is no longer open."
            number = "".join(ch for ch in form.get("card", "") if ch.isdigit())
            expiry = form.get("expiry", "").replace(" ", "")
            cvc = form.get("cvc", "").strip()
            problem = _card_problem(number, expiry, cvc, self.now())
            if problem:
                return None, problem
            if number not in CARDS:
                return None, NOT_A_TEST_CARD
            outcome = CARDS[number]
            if outcome is not None:
                return None, outcome[1]
            if found["mode"] == "payment" and number in DECLINED_LATER:
                return None, "Your card was declined."
            method = self._method(number, expiry, found)
            if found["mode"] == "payment":
                intent = self._intent(found["amount_total"], method, found["customer"])
                found["payment_intent"] = intent["id"]
                found["payment_status"] = "paid"
            else:
                setup = _new("seti")
                self.intents[setup] = {
                    "id": setup,
                    "object": "setup_intent",
                    "status": "succeeded",
                    "payment_method": method,
                }
                found["setup_intent"] = setup
            found["status"] = "complete"
            self._notify("checkout.session.completed", self._session_view(found, {}))
            return found["success_url"].replace("{CHECKOUT_SESSION_ID}", ref), None

    def _method(self, number: str, expiry: str, found: dict[str, Any]) -> str:
        """The card as the processor keeps it: its token, brand and last four digits."""
        if found["save_card"] and not found["customer"]:
            found["customer"] = _new("cus")
        ref = _new("pm")
        month, year = expiry.split("/")
        self.methods[ref] = {
            "id": ref,
            "object": "payment_method",
            "customer": found["customer"] if found["save_card"] else None,
            "card": {
                "brand": "visa",
                "last4": number[-4:],
                "exp_month": int(month),
                "exp_year": 2000 + int(year),
            },
            "_number": number,  # the processor's own record; never sent anywhere
        }
        return ref

    def page_of(self, ref: str, error: str | None = None) -> str:
        with self._lock:
            found = self.sessions.get(ref)
            if found is not None:
                found = self._session(ref)
        return page.render(found, error)

    # --- notifications ------------------------------------------------------------------

    def _notify(self, kind: str, subject: dict[str, Any]) -> None:
        stamp = int(self.now())
        payload = json.dumps(
            {
                "id": _new("evt"),
                "object": "event",
                "type": kind,
                "created": stamp,
                "data": {"object": subject},
            }
        ).encode()
        mac = hmac.new(
            self.webhook_secret.encode(), f"{stamp}.".encode() + payload, hashlib.sha256
        ).hexdigest()
        header = f"t={stamp},v1={mac}"
        self.events.append((payload, header))
        if self.webhook_url:
            threading.Thread(target=self._deliver, args=(payload, header), daemon=True).start()

    def _deliver(self, payload: bytes, header: str) -> None:
        """Send a notification; retried a few times, as processors do, until a 2xx answer."""
        assert self.webhook_url
        for attempt in range(4):
            request = urllib.request.Request(
                self.webhook_url,
                data=payload,
                headers={"Content-Type": "application/json", "Stripe-Signature": header},
                method="POST",
            )
            try:
                with urllib.request.urlopen(request, timeout=10):  # noqa: S310 (local)
                    return
            except OSError:
                time.sleep(1 + 2 * attempt)


def _card_problem(number: str, expiry: str, cvc: str, now: float) -> str | None:
    if not luhn_ok(number):
        return "Your card number is incomplete or invalid."
    month, _, year = expiry.partition("/")
    if not (month.isdigit() and year.isdigit() and 1 <= int(month) <= 12 and len(year) == 2):
        return "Enter the expiry date as MM/YY."
    today = time.gmtime(now)
    if (2000 + int(year), int(month)) < (today.tm_year, today.tm_mon):
        return "Your card's expiration date is in the past."
    if not (cvc.isdigit() and len(cvc) in (3, 4)):
        return "Your card's security code is incomplete."
    return None


def _form_of(raw: bytes | str) -> dict[str, str]:
    """Form fields by name; a repeated name (expand[]) keeps each value under name#n."""
    text = raw.decode() if isinstance(raw, bytes) else raw
    form: dict[str, str] = {}
    for name, value in urllib.parse.parse_qsl(text, keep_blank_values=True):
        form[name if name not in form else f"{name}#{len(form)}"] = value
    return form


def handler_for(processor: DemoProcessor) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _answer(self, status: int, body: bytes, kind: str, extra: dict[str, str]) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            for name, value in extra.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def _api(self, method: str) -> None:
            url = urllib.parse.urlsplit(self.path)
            length = int(self.headers.get("Content-Length", "0"))
            form = _form_of(self.rfile.read(length)) if method == "POST" else {}
            form |= _form_of(url.query)
            if processor.fail_next > 0:
                processor.fail_next -= 1
                self._answer(500, b'{"error": {"type": "api_error"}}', "application/json", {})
                return
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, body = processor.api(method, url.path, form, headers)
            if processor.lose_next > 0:
                processor.lose_next -= 1
                self.close_connection = True
                return  # the work is done, but the answer is lost on the way
            self._answer(status, json.dumps(body).encode(), "application/json", {})

        def _page(self, ref: str, error: str | None = None, status: int = 200) -> None:
            body = processor.page_of(ref, error).encode()
            self._answer(status, body, "text/html; charset=utf-8", page.HEADERS)

        def do_GET(self) -> None:  # noqa: N802
            path = urllib.parse.urlsplit(self.path).path
            if path.startswith("/pay/"):
                self._page(path.removeprefix("/pay/"))
            elif path.startswith("/v1/"):
                self._api("GET")
            else:
                self._answer(404, b"Not found", "text/plain", {})

        def do_POST(self) -> None:  # noqa: N802
            path = urllib.parse.urlsplit(self.path).path
            if path.startswith("/pay/"):
                ref = path.removeprefix("/pay/")
                length = min(int(self.headers.get("Content-Length", "0")), 8192)
                target, error = processor.pay(ref, _form_of(self.rfile.read(length)))
                if target:
                    self._answer(303, b"", "text/plain", {"Location": target})
                else:
                    self._page(ref, error, 402)
            elif path.startswith("/v1/"):
                self._api("POST")
            else:
                self._answer(404, b"Not found", "text/plain", {})

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass  # nothing about a request is logged: bodies carry card numbers

    return Handler


@contextmanager
def serve(processor: DemoProcessor, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve the processor in a thread; yields its base URL."""
    server = ThreadingHTTPServer((host, port), handler_for(processor))
    server.daemon_threads = True
    processor.base_url = f"http://{host}:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield processor.base_url
    finally:
        server.shutdown()
        server.server_close()
