"""`python -m tests.support.crash_writer TRIAL`: writes through the services without pause, as the
app does for its users, and prints one line for each write the user would be told succeeded,
after the service call returned. The crash harness (tests/support/crash.py) kills this process
with SIGKILL at a random moment and then checks every printed write is there and nothing else
is half there.

Lines: `reading <patient> <time>`, `import <patient> <first time> <count>`, `release <result>`,
`message <thread>`, `payment <payment>`; `ready` once the first write can begin."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import datetime, timedelta

import pytest

from services.care import messages, pools
from services.core import clock
from services.core.errors import PortalError
from services.health import device_import, readings
from services.records import results
from tests.conftest import NOW
from tests.services.records.test_results import held_result
from tests.support import world
from tests.support.payments import demo_processor, pay_online

IMPORT_ROWS = 24  # glucose readings in one imported file, all in or all out
FIRST_DAY = 200  # trial T writes readings on the day FIRST_DAY + T days before NOW


def _minutes(trial: int) -> Iterator[datetime]:
    """Reading times no other trial uses: each trial its own day, a minute each."""
    start = NOW - timedelta(days=FIRST_DAY + trial, seconds=13)
    n = 0
    while True:
        yield start + timedelta(minutes=n)
        n += 1


def main(trial: int) -> None:
    with ExitStack() as stack:
        stack.enter_context(clock.frozen(NOW))
        env = stack.enter_context(pytest.MonkeyPatch.context())
        stack.enter_context(demo_processor(env))
        patient = world.actor_of("patient.demo")
        alex = patient.patient_id
        assert alex is not None
        doctor = world.actor_of("clinician.demo")
        times = _minutes(trial)

        def reading() -> str:
            at = next(times)
            entry = readings.Entry("blood_pressure", at, systolic=121, diastolic=79)
            readings.reading_add(actor=patient, patient_id=alex, entry=entry)
            return f"reading {alex} {at.isoformat()}"

        def imported() -> str:
            rows = [next(times) for _ in range(IMPORT_ROWS)]
            text = "\n".join(
                [",".join(device_import.TEMPLATE_COLUMNS)]
                + [f"{at.isoformat()},glucose,,,,,{100 + k},mg/dL" for k, at in enumerate(rows)]
            )
            device_import.import_confirm(actor=patient, patient_id=alex, data=text.encode())
            return f"import {alex} {rows[0].isoformat()} {IMPORT_ROWS}"

        def release() -> str:
            rid = held_result()
            assert results.results_release(actor=doctor, result_ids=[rid]) == 1
            return f"release {rid}"

        def message() -> str:
            thread = messages.message_send(
                actor=patient,
                patient_id=alex,
                recipient=pools.CARE,
                category="medical",
                subject=f"Trial {trial}",
                body="A question about my readings.",
            )
            return f"message {thread}"

        def payment() -> str:
            paid = pay_online(patient, alex, "1.00")
            assert paid.status == "paid" and paid.payment_id is not None, paid
            return f"payment {paid.payment_id}"

        writes: list[Callable[[], str]] = [reading, imported, release, message, payment]
        print("ready", flush=True)
        n = 0
        while True:
            try:
                line = writes[n % len(writes)]()
            except PortalError as exc:  # refused, so never confirmed: the harness expects none
                print(f"refused {exc.message}", flush=True)
            else:
                print(line, flush=True)
            n += 1


if __name__ == "__main__":
    main(int(sys.argv[1]))
