"""Past one process: two app servers and the jobs worker on one PostgreSQL database, as the
deployment in `deploy/` runs them. A session begun on one server continues on the other; a
reading saved on one is on the other's chart at once; signing out on one ends the session on
both; and the audit chain, written by both servers and a third process at the same time, stays
one unbroken chain."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from services.core import audit, db
from services.core.models import AuditEvent, JobRun
from tests.e2e.conftest import session_cookie, sign_in
from tests.e2e.test_metrics import _wait_for_trace, add_blood_pressure
from tests.support.served import ROOT, streamlit_server

pytestmark = pytest.mark.e2e
THIRD_WRITER_ENTRIES = 150


def _write_audit_entries(count: int, errors: list[BaseException]) -> None:
    """A third process's writes to the chain (this test's), while the servers write theirs."""
    try:
        for n in range(count):
            with db.transaction() as s:
                audit.record(s, None, "test.third_writer", username="tester", detail=f"{n}")
    except BaseException as exc:  # reported by the test
        errors.append(exc)


def _add_blood_pressure(page: Page, base: str) -> int:
    page.goto(base)
    page.get_by_role("link", name="Health metrics").click()
    _wait_for_trace(page, "Systolic (top)")
    return add_blood_pressure(page)


def test_two_app_servers_and_the_worker_share_one_postgresql(
    page: Page, shared_url: str, tmp_path: Path
) -> None:
    data = tmp_path / "data"  # this process's too: one volume for uploads and the checkpoint
    data.mkdir(exist_ok=True)
    worker = subprocess.Popen(
        [sys.executable, "-m", "worker", "--tick", "1"],
        cwd=ROOT,
        env={**os.environ, "PORTAL_DATABASE_URL": shared_url, "PORTAL_DATA_DIR": str(data)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    errors: list[BaseException] = []
    third = threading.Thread(target=_write_audit_entries, args=(THIRD_WRITER_ENTRIES, errors))
    try:
        with (
            streamlit_server(shared_url, data) as first,
            streamlit_server(shared_url, data) as second,
        ):
            third.start()
            welcome = page.get_by_role("heading", name="Welcome, Alex")
            sign_in(page, first, "patient.demo")
            expect(welcome).to_be_visible()
            session_cookie(page)  # the browser has it (a page left sooner never gets it)
            page.goto(second)  # the other process: the session lives in the database
            expect(welcome).to_be_visible()

            systolic = _add_blood_pressure(page, second)
            page.goto(first)
            page.get_by_role("link", name="Health metrics").click()
            _wait_for_trace(page, "Systolic (top)", systolic)  # saved on one, seen on the other

            page.goto(second)
            page.get_by_role("button", name="Sign out", exact=True).click()
            expect(page.get_by_role("button", name="Sign in", exact=True)).to_be_visible()
            page.goto(first)
            expect(page.get_by_role("button", name="Sign in", exact=True)).to_be_visible()
            expect(welcome).to_have_count(0)
            third.join(timeout=120)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    assert not errors, errors

    with db.read_only() as s:
        check = audit.verify_chain(s)
        assert check.ok, check.problem
        entries = s.scalar(select(func.count()).select_from(AuditEvent))
        assert entries == s.scalar(select(func.max(AuditEvent.seq)))  # no gaps, no repeats
        third_writer = select(func.count()).where(AuditEvent.action == "test.third_writer")
        assert s.scalar(third_writer) == THIRD_WRITER_ENTRIES
        assert s.scalar(select(func.count()).where(AuditEvent.action.like("auth.sign_in%"))) >= 1
        done = s.execute(select(JobRun.job, JobRun.slot).where(JobRun.outcome == "success")).all()
        assert done and len(done) == len(set(done))  # the worker ran them, each slot once
