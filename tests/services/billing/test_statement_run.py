"""The month's statements on both databases: every patient who owes is told by their chosen
channels, with no amount or clinical word in the message; paperless patients are left off the
paper mailing list; a month is sent once; billing staff only."""

from __future__ import annotations

import csv
import io
import uuid

import pytest
from sqlalchemy import func, select

from services.billing import account, assistance, statement_run
from services.billing.tables import Statement
from services.core import crypto, db, uploads
from services.core.errors import Conflict, PermissionDenied
from services.core.models import NotificationOutbox, Patient
from services.homes.billing import billing_home
from tests.support import world


def _billing():  # type: ignore[no-untyped-def]
    return world.actor_of("billing.demo")


def _alex() -> uuid.UUID:
    return world.patient_id("Alex", "Rivera")


def test_statements_go_once_a_month_with_no_amounts(seeded_url: str) -> None:
    me = world.actor_of("patient.demo")
    owed = account.billing_overview(actor=me, patient_id=_alex()).balance_cents
    assert owed > 0
    account.paperless_set(actor=me, patient_id=_alex(), paperless=True)
    with db.read_only() as s:
        owing = set(s.scalars(select(Statement.patient_id).where(Statement.status == "open")))
    run = statement_run.statement_run(actor=_billing())
    assert run.patients <= len(owing) and run.patients > 0
    assert run.paper == run.patients - 1  # Alex chose paperless
    with db.read_only() as s:
        sent = s.scalars(
            select(NotificationOutbox).where(NotificationOutbox.subject.like("%statement is ready"))
        ).all()
    assert len(sent) == run.notices > 0
    for message in sent:
        body = crypto.decrypt(message.body.encode()).decode()
        assert "$" not in body and not any(ch.isdigit() for ch in body)
    rows = list(csv.DictReader(io.StringIO(statement_run.mailing_list(actor=_billing()).decode())))
    with db.read_only() as s:
        alex = s.get(Patient, _alex())
        assert alex is not None
    assert len(rows) == run.paper and alex.mrn not in {r["mrn"] for r in rows}
    assert all(int(r["amount_due"].replace(".", "")) > 0 for r in rows)
    with pytest.raises(Conflict, match="were sent on"):
        statement_run.statement_run(actor=_billing())
    [history] = statement_run.statement_runs(actor=_billing())
    assert (history.patients, history.run_by) == (run.patients, run.run_by)
    with db.read_only() as s:
        assert s.scalar(
            select(func.count()).where(NotificationOutbox.subject.like("%statement is ready"))
        ) == len(sent)


def test_only_billing_staff_send_statements(seeded_url: str) -> None:
    for username in ("patient.demo", "clinician.demo", "manager.demo"):
        with pytest.raises(PermissionDenied):
            statement_run.statement_run(actor=world.actor_of(username))
        with pytest.raises(PermissionDenied):
            statement_run.mailing_list(actor=world.actor_of(username))


def test_the_billing_home_counts_the_work_waiting(seeded_url: str) -> None:
    view = billing_home(actor=_billing())
    assert (view.assistance_waiting, view.refunds_waiting, view.unmatched_notices) == (0, 0, 0)
    assistance.assistance_apply(
        actor=world.actor_of("patient.demo"),
        patient_id=_alex(),
        household_size=2,
        annual_income="20000",
        proofs=[uploads.Upload("w2.pdf", b"%PDF-1.4\n%%EOF\n")],
    )
    assert billing_home(actor=_billing()).assistance_waiting == 1
