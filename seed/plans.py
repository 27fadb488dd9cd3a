"""Payment plans in the seeded world, consistent with the ledger: a fifth of the patients owing
enough put their open statements on a plan by the policy's schedule; instalments due by now
were mostly paid (posted as plan payments, oldest statement first) and some missed; most plans
are paid by a card the processor saved (its token and last four only)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd

from seed.population import (
    DEMO_CHILD,
    DEMO_PARENT,
    DEMO_PATIENT,
    DEMO_TEEN,
    Population,
    SeedOptions,
    uuids,
)
from services.billing.plans import DEFAULT_AFTER, MONTHS, schedule
from services.core import clock

TAKE_UP = 0.20  # of the patients whose open balance allows a plan
MIN_MONTHLY = 2_500  # the policy's default minimum, in cents
PAID_SHARE, AUTOPAY_SHARE = 0.85, 0.6
DEMO = {DEMO_PATIENT, DEMO_CHILD, DEMO_PARENT, DEMO_TEEN}  # the demo journeys start plan-free


def plans(
    pop: Population, opts: SeedOptions, statements: pd.DataFrame
) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """The plan tables, and the plan payments to post; `statements` (kept, with status and
    amount_cents) has the status of statements on a plan changed in place. Drawn from a
    generator of its own, so the rest of the seeded world is the same with or without plans."""
    rng = np.random.default_rng((opts.seed, 0xB111))
    demo_ids = {pop.ids[i] for i in DEMO}
    open_rows = statements[(statements["status"] == "open") & (statements["amount_cents"] > 0)]
    open_rows = open_rows[~open_rows["patient_id"].isin(demo_ids)]
    owed = open_rows.groupby("patient_id")["amount_cents"].sum()
    eligible = owed[owed >= MONTHS[0] * MIN_MONTHLY].index.to_numpy()
    chosen = eligible[rng.random(len(eligible)) < TAKE_UP]
    tables: dict[str, list[dict[str, object]]] = {
        "payment_plans": [],
        "plan_statements": [],
        "plan_instalments": [],
        "payment_methods": [],
    }
    payments: list[dict[str, object]] = []
    for patient in chosen:
        mine = open_rows[open_rows["patient_id"] == patient].sort_values("due_date")
        _one_plan(opts, rng, patient, mine, statements, tables, payments)
    frames = {name: pd.DataFrame(rows) for name, rows in tables.items() if rows}
    posted = pd.DataFrame(payments)
    if len(posted):
        posted.insert(0, "id", uuids(rng, len(posted)))
    return frames, posted


def _one_plan(
    opts: SeedOptions,
    rng: np.random.Generator,
    patient: object,
    mine: pd.DataFrame,
    statements: pd.DataFrame,
    tables: dict[str, list[dict[str, object]]],
    payments: list[dict[str, object]],
) -> None:
    total = int(mine["amount_cents"].sum())
    allowed = [m for m in MONTHS if total // m >= MIN_MONTHLY]
    months = int(rng.choice(allowed))
    latest: date = max(mine["statement_date"])
    start = min(latest + timedelta(days=int(rng.integers(0, 15))), opts.now.date())
    plan_id, method_id = uuids(rng, 2)
    autopay = rng.random() < AUTOPAY_SHARE
    last4 = f"{int(rng.integers(0, 10_000)):04d}"
    if autopay:
        tables["payment_methods"].append(
            {
                "id": method_id,
                "patient_id": patient,
                "customer_ref": f"cus_{_hex(method_id)[:24]}",
                "processor_ref": f"pm_{_hex(method_id)[:24]}",
                "brand": "visa",
                "last4": last4,
                "saved_by": None,  # saved before the portal kept who did
                "saved_at": datetime.combine(start, datetime.min.time()),
                "removed_at": None,
            }
        )
    owing = {sid: int(cents) for sid, cents in zip(mine["id"], mine["amount_cents"], strict=True)}
    missed = 0
    steps = schedule(total, months, clock.add_months(start, 1))
    for number, (due, cents) in enumerate(steps, start=1):
        [instalment_id] = uuids(rng, 1)
        status, paid_at = "due", None
        if due <= opts.now.date():
            if rng.random() < PAID_SHARE:
                status = "paid"
                paid_at = datetime.combine(due, datetime.min.time()) + timedelta(hours=14)
                card = last4 if autopay else None
                _post(patient, cents, paid_at, instalment_id, card, owing, payments)
            else:
                status, missed = "missed", missed + 1
        tables["plan_instalments"].append(
            {
                "id": instalment_id,
                "plan_id": plan_id,
                "number": number,
                "due_date": due,
                "amount_cents": cents,
                "status": status,
                "paid_at": paid_at,
                "attempts": 1 if status != "due" and autopay else 0,
                "payment_ref": f"pi_{_hex(instalment_id)}" if status == "paid" else None,
            }
        )
    unpaid = sum(1 for row in tables["plan_instalments"][-months:] if row["status"] != "paid")
    tables["payment_plans"].append(
        {
            "id": plan_id,
            "patient_id": patient,
            "total_cents": total,
            "monthly_cents": steps[0][1],
            "start_date": start,
            "status": "completed"
            if unpaid == 0
            else ("defaulted" if missed >= DEFAULT_AFTER else "active"),
            "months": months,
            "payment_method_id": method_id if autopay else None,
            "created_by": None,
            "created_at": datetime.combine(start, datetime.min.time()),
        }
    )
    for sid in mine["id"]:
        tables["plan_statements"].append({"plan_id": plan_id, "statement_id": sid})
        statements.loc[statements["id"] == sid, "status"] = "plan" if owing[sid] else "paid"


def _hex(value: object) -> str:
    return str(value).replace("-", "")


def _post(
    patient: object,
    cents: int,
    at: datetime,
    instalment_id: object,
    last4: str | None,
    owing: dict[object, int],
    payments: list[dict[str, object]],
) -> None:
    """One instalment's payment, oldest statement first (as the ledger posts it)."""
    left = cents
    for sid, owes in owing.items():
        if left <= 0:
            break
        part = min(owes, left)
        if part <= 0:
            continue
        owing[sid] -= part
        left -= part
        payments.append(
            {
                "patient_id": patient,
                "statement_id": sid,
                "amount_cents": part,
                "method": "plan",
                "card_last4": last4,
                "processor_ref": f"pi_{_hex(instalment_id)}",
                "paid_at": at,
                "status": "succeeded",
                "online": True,
            }
        )
