"""The database unavailable under a running app: PostgreSQL stopped, the embedded DuckDB's disk
full or read-only. Each write and read then fails with one clear typed error, nothing is
half-written, and the app recovers by itself when the database is back (no restart, no reset)."""

from __future__ import annotations

import hashlib
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from services.core import audit, db
from services.core.errors import ConfigurationError, Unavailable
from services.core.models import AuditEvent, Site
from tests.support import postgres


def _write(code: str) -> None:
    """One unit of work with two rows (a site and its audit entry): all or nothing; a long
    `code` makes a long name, so the write needs room on the disk."""
    with db.transaction() as s:
        s.add(Site(code=code[:16], name=f"Test site {code}", state="MN"))
        audit.record(s, None, "test.site_added", username="tester", detail=code)


def _written() -> tuple[set[str], int]:
    with db.read_only() as s:
        sites = set(s.scalars(select(Site.code).where(Site.name.like("Test site %"))))
        entries = s.scalar(select(func.count()).where(AuditEvent.action == "test.site_added"))
        return sites, int(entries or 0)


def _verified() -> bool:
    with db.read_only() as s:
        return audit.verify_chain(s).ok


def test_postgresql_stopped_is_a_clear_refusal_and_the_app_recovers_by_itself(
    own_postgres: postgres.PostgresServer, configure
) -> None:  # type: ignore[no-untyped-def]
    own_postgres.psql("CREATE DATABASE outage")
    configure(own_postgres.url("outage"))
    _write("BEFORE")

    own_postgres.halt("fast")  # as an operator or a failover would stop it
    with pytest.raises(Unavailable, match="temporarily unavailable: its database cannot be"):
        _write("DURING")
    with pytest.raises(Unavailable, match="temporarily unavailable"):
        _written()

    own_postgres.resume()
    _write("AFTER")  # the same engine: its pool replaced the dead connections
    assert _written() == ({"BEFORE", "AFTER"}, 2)
    assert _verified()


def _mount(folder: Path, *options: str) -> None:
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", ",".join(options), "tmpfs", str(folder)], check=True
    )


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 64 MB file system of its own (tmpfs), to fill up or make read-only."""
    folder = tmp_path / "small-disk"
    folder.mkdir()
    try:
        _mount(folder, "size=64m")
    except (subprocess.CalledProcessError, FileNotFoundError, PermissionError) as exc:
        pytest.skip(f"this machine does not let the tests mount a small file system: {exc}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


@pytest.fixture
def duckdb_on_small_disk(small_disk: Path, duckdb_template: Path, configure) -> Path:  # type: ignore[no-untyped-def]
    path = small_disk / "portal.duckdb"
    path.write_bytes(duckdb_template.read_bytes())
    configure(f"duckdb:///{path}")
    _write("BEFORE")
    return path


def _fill(folder: Path) -> Path:
    """Everything left on the disk taken by one file."""
    filler = folder / "filler"
    with filler.open("wb") as fh:
        try:
            while True:
                fh.write(b"\0" * (1 << 20))
                fh.flush()
        except OSError:
            pass
    return filler


def test_a_full_disk_refuses_writes_clearly_and_keeps_the_file_whole(
    duckdb_on_small_disk: Path, small_disk: Path
) -> None:
    filler = _fill(small_disk)
    for n in range(5):  # enough rows that DuckDB must write to the full disk
        with pytest.raises(Unavailable, match="storage is full or read-only"):
            _write(f"FULL{n}" + uuid.uuid4().hex * 2000)
    assert _written() == ({"BEFORE"}, 1)  # reads go on
    filler.unlink()
    _write("AFTER")  # space again: no restart needed
    db.reset()  # and the file opens again whole, with every confirmed write
    assert _written() == ({"BEFORE", "AFTER"}, 2)
    assert _verified()


def test_a_read_only_data_disk_stops_start_up_with_one_line_and_keeps_the_file(
    duckdb_on_small_disk: Path, small_disk: Path
) -> None:
    db.reset()  # the app stopped; the disk then came back read-only
    before = hashlib.sha256(duckdb_on_small_disk.read_bytes()).hexdigest()
    _mount(small_disk, "remount", "ro")
    with pytest.raises(
        ConfigurationError, match="cannot open the database .*Read-only file system"
    ):
        db.engine()
    _mount(small_disk, "remount", "rw")
    assert hashlib.sha256(duckdb_on_small_disk.read_bytes()).hexdigest() == before
    assert _written() == ({"BEFORE"}, 1)
    assert _verified()
