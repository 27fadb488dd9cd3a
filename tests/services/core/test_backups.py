"""Backups on both databases: restored into a new database with every table's rows and an intact
audit chain; altered, mismatched or misdirected restores refused with nothing changed; the daily
job; and `python -m ops` from the command line, refusing a DuckDB file the app holds."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Connection, func, inspect, select, update

from services.care import messages, pools
from services.core import audit, backups, clock, db, uploads
from services.core.models import AuditEvent, Base, Site
from tests.conftest import NOW, scratch_database
from tests.support import world

ATTACHMENT = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def new_url(seeded_url: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database on the seeded one's backend that does not exist yet (DuckDB) or is empty."""
    if seeded_url.startswith("duckdb"):
        yield f"duckdb:///{tmp_path / 'restored' / 'portal.duckdb'}"
        return
    with scratch_database(request.getfixturevalue("pg_server"), "r") as url:
        yield url


def _write_history(entries: int = 5) -> None:
    for n in range(entries):
        with db.transaction() as s:
            audit.record(s, None, "test.write", username="tester", detail=f"entry {n}")


def _counts(url: str) -> dict[str, int]:
    engine = db.make_engine(url)
    try:
        with engine.connect() as conn:
            return {
                t.name: int(conn.execute(select(func.count()).select_from(t)).scalar_one())
                for t in Base.metadata.sorted_tables
            }
    finally:
        engine.dispose()


def _use_data_dir(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    """The restored deployment's own data directory (its audit checkpoint lives there)."""
    monkeypatch.setenv("PORTAL_DATA_DIR", str(folder))
    db.reset()


def test_a_backup_restores_every_row_and_an_intact_audit_chain(
    seeded_url: str, new_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write_history()
    thread = _send_with_attachment()
    folder = backups.make(tmp_path / "backups")
    before = _counts(seeded_url)
    manifest = backups.read_manifest(folder)
    assert manifest.rows == before and manifest.rows["audit_log"] >= 5
    assert [name.split("/")[0] for name in manifest.files] == [messages.FOLDER]
    assert manifest.backend == ("duckdb" if seeded_url.startswith("duckdb") else "postgresql")
    assert oct((folder / manifest.file).stat().st_mode & 0o777) == "0o600"
    with db.transaction() as s:  # written after the backup: not in it
        s.add(Site(code="LATE", name="After the backup", state="MN"))
        audit.record(s, None, "test.after_backup", username="tester")

    _use_data_dir(monkeypatch, tmp_path / "restored-data")
    backups.restore(folder, new_url)
    after = _counts(new_url)
    assert after == {**before, "audit_log": before["audit_log"] + 1}  # + the restore
    monkeypatch.setenv("PORTAL_DATABASE_URL", new_url)
    db.reset()
    with db.read_only() as s:
        assert audit.verify_chain(s).ok
        last = s.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1)).one()
        assert last.action == backups.RESTORED and folder.name in (last.detail or "")
        assert s.scalar(select(func.count()).where(Site.code == "LATE")) == 0
    patient = world.actor_of("patient.demo")  # the attachment came back with its message
    [sent] = messages.thread_read(
        actor=patient, patient_id=patient.patient_id, thread_id=thread
    ).messages
    [attached] = sent.attachments
    assert ATTACHMENT == messages.message_attachment(
        actor=patient,
        patient_id=patient.patient_id,
        thread_id=thread,
        attachment_id=attached.attachment_id,
    )


def _send_with_attachment() -> uuid.UUID:
    patient = world.actor_of("patient.demo")
    assert patient.patient_id is not None
    return messages.message_send(
        actor=patient,
        patient_id=patient.patient_id,
        recipient=pools.CARE,
        category="medical",
        subject="My rash",
        body="A photo of it.",
        attachments=[uploads.Upload("rash.png", ATTACHMENT)],
    )


def test_restores_that_cannot_be_trusted_are_refused_and_change_nothing(
    seeded_url: str, new_url: str, tmp_path: Path
) -> None:
    _send_with_attachment()
    folder = backups.make(tmp_path / "backups")
    manifest = backups.read_manifest(folder)
    with pytest.raises(backups.BackupError, match="holds tables|exists"):
        backups.restore(folder, seeded_url)  # never over a database in use
    other = "postgresql://x@127.0.0.1:1/none" if seeded_url.startswith("duckdb") else "duckdb:///x"
    with pytest.raises(backups.BackupError, match="this backup is of a"):
        backups.restore(folder, other)
    for file in (folder / manifest.file, *(folder / backups.FILES / n for n in manifest.files)):
        _altered_copy_refused(folder, file, new_url)
    (folder / backups.MANIFEST).write_text("{}")
    with pytest.raises(backups.BackupError, match="is not a backup"):
        backups.restore(folder, new_url)
    if new_url.startswith("duckdb"):
        assert not Path(new_url.removeprefix("duckdb:///")).exists()
    else:
        assert _tables(new_url) == []


def _altered_copy_refused(folder: Path, file: Path, new_url: str) -> None:
    original = file.read_bytes()
    data = bytearray(original)
    data[len(data) // 2] ^= 0xFF
    file.write_bytes(bytes(data))
    with pytest.raises(backups.BackupError, match="differs from the backup's digest"):
        backups.restore(folder, new_url)
    file.write_bytes(original)


def test_a_backup_of_a_broken_chain_is_not_restored_and_the_checkpoint_stays(
    seeded_url: str, new_url: str, tmp_path: Path
) -> None:
    _write_history()
    with db.transaction() as s:  # someone altered an entry before the backup was taken
        s.execute(update(AuditEvent).where(AuditEvent.seq == 2).values(detail="rewritten"))
    folder = backups.make(tmp_path / "backups")
    _write_history(2)  # the live chain goes on past the backup
    checkpoint = audit.checkpoint_path().read_bytes()
    with pytest.raises(backups.BackupError, match=r"does not verify \(entry content altered\)"):
        backups.restore(folder, new_url)
    assert audit.checkpoint_path().read_bytes() == checkpoint  # the live chain's, as it was
    assert backups.RESTORED not in _actions(new_url)  # loaded, then refused


def _actions(url: str) -> set[str]:
    engine = db.make_engine(url)
    try:
        with engine.connect() as conn:
            return set(conn.scalars(select(AuditEvent.action)))
    finally:
        engine.dispose()


def test_the_app_writes_while_a_backup_is_taken_and_the_backup_is_one_moment(
    seeded_url: str, new_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The backup holds its snapshot open (paused here, between the copy and its counts) while
    another thread writes: the write goes through at once and is not in the backup."""
    copied, resume = threading.Event(), threading.Event()
    counts = backups._counts

    def paused(conn: Connection) -> tuple[dict[str, int], int]:
        copied.set()
        resume.wait(timeout=120)
        return counts(conn)

    monkeypatch.setattr(backups, "_counts", paused)
    made: list[Path] = []
    backup = threading.Thread(target=lambda: made.append(backups.make(tmp_path / "b")))
    backup.start()

    def write() -> None:
        with db.transaction() as s:
            s.add(Site(code="DURING", name="Written during the backup", state="MN"))
            audit.record(s, None, "test.during_backup", username="tester")

    writer = threading.Thread(target=write)
    try:
        assert copied.wait(timeout=120)
        writer.start()
        writer.join(timeout=20)
        assert not writer.is_alive(), "the write waited for the backup"
    finally:
        resume.set()
        backup.join(timeout=300)
        writer.join(timeout=300)
    [folder] = made
    assert "test.during_backup" in _actions(seeded_url)
    manifest = backups.read_manifest(folder)
    assert manifest.rows["audit_log"] == _counts(seeded_url)["audit_log"] - 1

    _use_data_dir(monkeypatch, tmp_path / "restored-data")
    backups.restore(folder, new_url)
    assert "test.during_backup" not in _actions(new_url)
    monkeypatch.setenv("PORTAL_DATABASE_URL", new_url)
    db.reset()
    with db.read_only() as s:
        assert audit.verify_chain(s).ok
        assert s.scalar(select(func.count()).where(Site.code == "DURING")) == 0


def test_a_backup_is_never_made_over_another(seeded_url: str, tmp_path: Path) -> None:
    with clock.frozen(NOW):
        backups.make(tmp_path / "b")
        with pytest.raises(backups.BackupError, match="exists already"):
            backups.make(tmp_path / "b")
    assert [p.name for p in (tmp_path / "b").iterdir()] == [f"portal-{NOW:%Y%m%dT%H%M%S}Z"]


@pytest.mark.parametrize("seeded_url", ["postgresql"], indirect=True)
def test_postgresql_tools_failing_are_reported_in_one_line(
    seeded_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    folder = backups.make(tmp_path / "b")
    monkeypatch.setenv("PORTAL_PG_BIN", str(tmp_path / "nowhere"))
    monkeypatch.setenv("PATH", str(tmp_path / "nowhere"))
    with pytest.raises(backups.BackupError, match="pg_dump could not be started .*PORTAL_PG_BIN"):
        backups.make(tmp_path / "c")
    failing = tmp_path / "bin"
    failing.mkdir()
    for name in ("pg_dump", "pg_restore"):
        tool = failing / name
        tool.write_text(f"#!/bin/sh\necho '{name}: error: connection refused' >&2\nexit 1\n")
        tool.chmod(0o755)
    monkeypatch.setenv("PORTAL_PG_BIN", str(failing))
    with pytest.raises(backups.BackupError, match="^pg_dump failed: pg_dump: error: connection"):
        backups.make(tmp_path / "c")
    assert not any((tmp_path / "c").iterdir())  # no half-made backup left behind
    with scratch_database(request.getfixturevalue("pg_server"), "r") as url:
        with pytest.raises(backups.BackupError, match="^pg_restore failed: .*connection refused"):
            backups.restore(folder, url)
        assert _tables(url) == []


def _tables(url: str) -> list[str]:
    engine = db.make_engine(url)
    try:
        with engine.connect() as conn:
            return inspect(conn).get_table_names()
    finally:
        engine.dispose()


def test_the_daily_job_makes_one_a_day_and_keeps_the_newest(
    seeded_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PORTAL_BACKUP_DIR", str(tmp_path / "daily"))
    monkeypatch.setenv("PORTAL_BACKUP_KEEP", "2")
    made = []
    for day in range(3):
        with clock.frozen(NOW + timedelta(days=day)):
            made.append(backups.scheduled())
            made.append(backups.scheduled())  # the same moment again: none
    assert made == [1, 0, 1, 0, 1, 0]
    kept = sorted(p.name for p in (tmp_path / "daily").iterdir())
    assert kept == [f"portal-{NOW + timedelta(days=d):%Y%m%dT%H%M%S}Z" for d in (1, 2)]


def _ops(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ops", *args],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_command_line_backs_up_and_restores_a_duckdb_file_the_app_does_not_hold(
    tmp_path: Path,
    configure,
    duckdb_template: Path,  # type: ignore[no-untyped-def]
) -> None:
    path = tmp_path / "portal.duckdb"
    path.write_bytes(duckdb_template.read_bytes())
    url = configure(f"duckdb:///{path}")
    db.engine()  # this process now holds the file, as the running app would
    held = _ops("backup", "--to", str(tmp_path / "b"))
    assert held.returncode == 2 and "in use by the running app" in held.stderr
    assert "Traceback" not in held.stderr
    db.reset()  # the app stopped
    made = _ops("backup", "--to", str(tmp_path / "b"))
    assert made.returncode == 0, made.stderr
    [folder] = (tmp_path / "b").iterdir()
    target = tmp_path / "restored.duckdb"
    restored = _ops("restore", str(folder), "--database-url", f"duckdb:///{target}")
    assert restored.returncode == 0, restored.stderr
    assert "every table's count and the audit chain checked" in restored.stdout
    again = _ops("restore", str(folder), "--database-url", f"duckdb:///{target}")
    assert again.returncode == 1 and "exists" in again.stderr
    before = _counts(url)
    assert _counts(f"duckdb:///{target}") == {
        **before,
        "audit_log": before["audit_log"] + 1,
    }
