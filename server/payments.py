"""The payment processor's notifications: `POST /_portal/payments/notify`, signed by the
processor (checked in services.billing.checkout). The answer tells the processor whether to
send it again: 200 handled (or handled before), 400 not the processor's, 503 try later."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from services.billing import checkout

PATH = "/_portal/payments/notify"
MAX_BYTES = 256 * 1024  # an event is a few kilobytes


async def notify(request: Request) -> Response:
    declared = request.headers.get("content-length", "")
    if not declared.isdigit() or int(declared) > MAX_BYTES:
        return Response(status_code=413)
    payload = await request.body()
    if len(payload) > MAX_BYTES:
        return Response(status_code=413)
    status = await run_in_threadpool(
        checkout.notification_receive, payload, request.headers.get("stripe-signature", "")
    )
    return Response(status_code=status, headers={"Cache-Control": "no-store"})


def routes() -> list[Route]:
    return [Route(PATH, notify, methods=["POST"])]
