"""Issue 13's figures: the patient's billing page and billing staff's aging queue.

Measured against the plain approach in the same run: for the patient, load their statements,
payments and adjustments into pandas and work out what is owed there; for the aging queue, load
every open statement and every payment and adjustment into pandas and bucket them there.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy import text

from benchmarks.foundation import page_times, patient_rows, signed_in, timed
from services.billing import account, receivables
from services.core import clock, db


def _plain_patient(patient_id: uuid.UUID) -> int:
    """The same page's data: statements with what each owes, payments, insurance, lines."""
    with db.read_only() as s:
        conn = s.connection()
        statements = patient_rows(conn, "statements", patient_id)
        payments = patient_rows(conn, "payments", patient_id)
        adjustments = patient_rows(conn, "adjustments", patient_id)
        patient_rows(conn, "insurance_coverages", patient_id)
        pd.read_sql(
            text(
                "SELECT * FROM statement_lines WHERE statement_id IN "
                "(SELECT id FROM statements WHERE patient_id = :p)"
            ),
            conn,
            params={"p": str(patient_id)},
        )
    paid = payments[payments["status"] == "succeeded"].groupby("statement_id")["amount_cents"].sum()
    adjusted = adjustments.groupby("statement_id")["amount_cents"].sum()
    open_ = statements[statements["status"].isin(["open", "plan"])].set_index("id")
    owed = (
        open_["amount_cents"]
        - paid.reindex(open_.index, fill_value=0)
        - adjusted.reindex(open_.index, fill_value=0)
    )
    return int(owed.clip(lower=0).sum())


def _plain_aging(today: date) -> list[int]:
    with db.read_only() as s:
        conn = s.connection()
        statements = pd.read_sql("SELECT * FROM statements WHERE status IN ('open', 'plan')", conn)
        payments = pd.read_sql("SELECT * FROM payments WHERE status = 'succeeded'", conn)
        adjustments = pd.read_sql("SELECT * FROM adjustments", conn)
    paid = payments.groupby("statement_id")["amount_cents"].sum()
    adjusted = adjustments.groupby("statement_id")["amount_cents"].sum()
    statements = statements.set_index("id")
    owed = (
        statements["amount_cents"]
        - paid.reindex(statements.index, fill_value=0)
        - adjusted.reindex(statements.index, fill_value=0)
    )
    age = (pd.Timestamp(today) - pd.to_datetime(statements["statement_date"])).dt.days
    bucket = pd.cut(age, [-1, 30, 60, 90, 120, 10**6], labels=False)
    return [int(x) for x in owed[owed > 0].groupby(bucket[owed > 0]).sum()]


def run(runs: int) -> dict[str, Any]:
    patient_session, billing_session = signed_in("patient.demo"), signed_in("billing.demo")
    patient, staff = patient_session.actor, billing_session.actor
    assert patient.patient_id is not None
    pid = patient.patient_id
    service_patient = timed(lambda: account.billing_overview(actor=patient, patient_id=pid), runs)
    plain_patient = timed(lambda: _plain_patient(pid), runs)
    service_aging = timed(lambda: receivables.aging(actor=staff), runs)
    plain_aging = timed(lambda: _plain_aging(clock.today()), max(3, runs // 4))
    return {
        "statement_page": {
            "service": service_patient,
            "plain_pandas": plain_patient,
            "speedup": round(plain_patient["median_ms"] / service_patient["median_ms"], 1),
            "page": page_times(patient_session, runs, page="pages/patient/billing.py"),
        },
        "aging": {
            "service": service_aging,
            "plain_pandas": plain_aging,
            "speedup": round(plain_aging["median_ms"] / service_aging["median_ms"], 1),
            "page": page_times(billing_session, runs, page="pages/billing/receivables.py"),
        },
    }


def table(f: dict[str, Any]) -> str:
    lines = []
    for name in ("statement_page", "aging"):
        h = f[name]
        lines.append(
            f"billing {name}: service {h['service']['median_ms']} ms median / "
            f"{h['service']['p95_ms']} ms p95; plain pandas {h['plain_pandas']['median_ms']} ms "
            f"-> {h['speedup']}x; whole page (AppTest) {h['page']['median_ms']} ms median / "
            f"{h['page']['p95_ms']} ms p95"
        )
    return "\n".join(lines)
