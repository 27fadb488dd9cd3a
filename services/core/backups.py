"""Backups: a consistent copy of the whole database with a manifest of what is in it, and a
restore into a new, empty database that proves it got all of it.

A backup is a folder `portal-<UTC time>` holding the database (`database.duckdb`, a DuckDB file
made by `COPY FROM DATABASE` in one snapshot while the app runs and writes; or `database.dump`,
PostgreSQL's `pg_dump` custom format taken in an exported snapshot) and `manifest.json`: when,
the schema version, every table's row count and the audit chain's head, read from the same
snapshot, and the file's SHA-256. A restore checks the file against its digest, loads it into
an empty database, counts every table again against the manifest, verifies the audit chain, and
records the restore in that chain.

A DuckDB database is held by the one app process that serves it: while the app runs, backups are
made by its `database_backup` job; `python -m ops backup` makes one when the app is stopped."""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import subprocess
import tempfile
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, func, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from services.core import audit, clock, db, private_files
from services.core.config import number_setting, settings, text_setting
from services.core.errors import PortalError
from services.core.models import AuditHead, Base

MANIFEST = "manifest.json"
FILES = "files"  # the uploaded files, by their folders in the data directory
DUCKDB_FILE, POSTGRES_FILE = "database.duckdb", "database.dump"
RESTORED = "ops.database_restored"
EVERY = timedelta(days=1) - timedelta(minutes=5)  # daily, whatever the job's tick


class BackupError(PortalError):
    """A backup or a restore that cannot be made; nothing was changed."""


@dataclass(frozen=True)
class Manifest:
    backend: str  # duckdb, postgresql
    created_at: str  # ISO UTC
    schema_version: int | None
    rows: dict[str, int]  # every table's row count
    audit_seq: int  # the chain's last entry
    file: str
    sha256: str
    files: dict[str, str] = field(default_factory=dict)  # uploaded files: path → SHA-256


def default_folder() -> Path:
    """Where backups go unless told (backup_dir): `backups` in the data directory. Put it on
    another disk (or copy it off the machine) for a backup that outlives the disk."""
    return Path(text_setting("backup_dir", str(settings().data_dir / "backups")))


def _taken(folder: Path) -> list[Path]:
    """The backups in a folder, oldest first (their names sort by time)."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob("portal-*Z") if (p / MANIFEST).is_file())


def pg_bin() -> Path:
    """PostgreSQL's programs: PORTAL_PG_BIN, else Debian's folder for version 15."""
    return Path(os.environ.get("PORTAL_PG_BIN", "/usr/lib/postgresql/15/bin"))


def pg_program(name: str) -> str:
    """A PostgreSQL client program: in pg_bin(), else on the PATH."""
    path = pg_bin() / name
    return str(path) if path.exists() else shutil.which(name) or str(path)


def _run_pg(name: str, args: list[str], env: dict[str, str]) -> None:
    """Run a PostgreSQL client program; BackupError with its last line when it fails."""
    program = pg_program(name)
    try:
        done = subprocess.run([program, *args], env=env, capture_output=True, text=True)
    except OSError as exc:
        raise BackupError(
            f"{name} could not be started ({exc.strerror}: {program}); install PostgreSQL's "
            "client programs or set PORTAL_PG_BIN."
        ) from None
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise BackupError(f"{name} failed: {last}")


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """A SQLAlchemy PostgreSQL URL as libpq's, the password passed in the environment."""
    parsed = make_url(url)
    env = {**os.environ}
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    plain = parsed.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _counts(conn: Connection) -> tuple[dict[str, int], int]:
    """Every table's rows and the audit chain's last entry, as this connection sees them."""
    rows = {
        t.name: int(conn.execute(select(func.count()).select_from(t)).scalar_one())
        for t in Base.metadata.sorted_tables
    }
    head = conn.execute(select(AuditHead.last_seq).where(AuditHead.id == 1)).scalar()
    return rows, int(head or 0)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _quoted(value: str, mark: str) -> str:
    return mark + value.replace(mark, mark * 2) + mark


def _copy_duckdb(engine: Engine, target: Path) -> tuple[dict[str, int], int]:
    """The open database copied into a new file in one transaction, and what the copy holds.
    The transaction reads one snapshot and writes only the new file, so it does not take the
    app's write lock: the app's readers and writers go on meanwhile."""
    alias = f"portal_backup_{secrets.token_hex(4)}"
    try:
        with engine.connect() as conn, conn.begin():
            name = str(conn.execute(text("SELECT current_database()")).scalar_one())
            path, source = _quoted(str(target), "'"), _quoted(name, '"')
            conn.exec_driver_sql(f"ATTACH {path} AS {alias}")
            conn.exec_driver_sql(f"COPY FROM DATABASE {source} TO {alias}")
            return _counts(conn)
    finally:  # DuckDB detaches only outside the transaction that wrote to it
        with engine.connect() as conn:
            conn.exec_driver_sql(f"DETACH DATABASE IF EXISTS {alias}")


def _dump_postgres(engine: Engine, target: Path) -> tuple[dict[str, int], int]:
    """pg_dump in a snapshot exported by a repeatable-read transaction that also counts."""
    url, env = _libpq(engine.url.render_as_string(hide_password=False))
    with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
        snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
        _run_pg(
            "pg_dump",
            ["--format=custom", f"--snapshot={snapshot}", f"--file={target}", f"--dbname={url}"],
            env,
        )
        found = _counts(conn)
        conn.rollback()
    return found


def _upload_folders(backups_in: Path) -> list[Path]:
    """The data directory's folders of uploaded files: every folder in it but the backups'."""
    data = settings().data_dir
    if not data.is_dir():
        return []
    return sorted(
        p
        for p in data.iterdir()
        if p.is_dir() and not p.name.startswith(".") and p.resolve() != backups_in.resolve()
    )


def _copy_uploads(backups_in: Path, target: Path) -> dict[str, str]:
    """The uploaded files copied (after the database: a file is written before the row that
    names it, so every file the copy names is here), each with its SHA-256."""
    copied: dict[str, str] = {}
    for source in _upload_folders(backups_in):
        for path in sorted(p for p in source.rglob("*") if p.is_file()):
            relative = path.relative_to(source.parent)
            placed = private_files.private_dir((target / relative).parent) / path.name
            shutil.copyfile(path, placed)
            private_files.private_file(placed)
            copied[relative.as_posix()] = _sha256(placed)
    return copied


def make(folder: Path | None = None) -> Path:
    """A backup of the configured database now, in a new folder inside `folder`."""
    engine = db.engine()
    now = clock.now()
    parent = private_files.private_dir(folder or default_folder())
    final = parent / f"portal-{now:%Y%m%dT%H%M%S}Z"
    if final.exists():
        raise BackupError(f"{final} exists already; wait a second and try again.")
    work = Path(tempfile.mkdtemp(prefix=".backup-", dir=parent))
    try:
        if db.is_duckdb(engine):
            file = work / DUCKDB_FILE
            rows, seq = _copy_duckdb(engine, file)
        else:
            file = work / POSTGRES_FILE
            rows, seq = _dump_postgres(engine, file)
        private_files.private_file(file)
        uploaded = _copy_uploads(parent, work / FILES)
        with engine.connect() as conn:
            version = db.schema_version(conn)
        manifest = Manifest(
            backend=engine.dialect.name,
            created_at=now.isoformat(),
            schema_version=version,
            rows=rows,
            audit_seq=seq,
            file=file.name,
            sha256=_sha256(file),
            files=uploaded,
        )
        private_files.write_private(
            work / MANIFEST, json.dumps(asdict(manifest), indent=1).encode()
        )
        work.rename(final)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return final


def scheduled() -> int:
    """The job: a backup when the newest is a day old or more (so a second run at the same moment
    makes none), then only the newest `backup_keep` (7) kept; how many were made."""
    folder = default_folder()
    taken = _taken(folder)
    if taken:
        newest = datetime.strptime(taken[-1].name, "portal-%Y%m%dT%H%M%SZ")
        if clock.now() - newest < EVERY:
            return 0
    make(folder)
    keep = max(1, int(number_setting("backup_keep", 7)))
    for old in _taken(folder)[:-keep]:
        shutil.rmtree(old)
    return 1


def read_manifest(folder: Path) -> Manifest:
    """The backup's manifest, its file checked against the digest in it."""
    try:
        values: dict[str, Any] = json.loads((folder / MANIFEST).read_text())
        manifest = Manifest(**values)
    except (OSError, ValueError, TypeError) as exc:
        raise BackupError(
            f"{folder} is not a backup made by `python -m ops backup` ({exc})."
        ) from None
    file = folder / manifest.file
    if not file.is_file() or _sha256(file) != manifest.sha256:
        raise BackupError(f"{file} is missing or differs from the backup's digest: not restored.")
    for name, digest in manifest.files.items():
        copy = folder / FILES / name
        if not copy.is_file() or _sha256(copy) != digest:
            raise BackupError(
                f"{copy} is missing or differs from the backup's digest: not restored."
            )
    return manifest


def _restore_uploads(manifest: Manifest, folder: Path) -> None:
    """The uploaded files into the data directory; one already there is kept (its rows' digests
    check it whenever it is read)."""
    data = settings().data_dir
    for name in manifest.files:
        place = data / name
        if not place.exists():
            private_files.private_dir(place.parent)
            shutil.copyfile(folder / FILES / name, place)
            private_files.private_file(place)


def _empty(url: str) -> None:
    """Refuse a target that holds anything (a restore never overwrites a database)."""
    if url.startswith("duckdb"):
        path = Path(make_url(url).database or "")
        if path.exists():
            raise BackupError(f"{path} exists: restore into a new file (nothing was changed).")
        return
    engine = db.make_engine(url)
    try:
        with engine.connect() as conn:
            tables = inspect(conn).get_table_names()
    finally:
        engine.dispose()
    if tables:
        raise BackupError("the target database holds tables: restore into an empty one.")


def _load(manifest: Manifest, folder: Path, url: str) -> None:
    file = folder / manifest.file
    if url.startswith("duckdb"):
        path = Path(make_url(url).database or "")
        private_files.private_dir(path.parent)
        partial = path.with_name(f".{path.name}.restoring")
        shutil.copyfile(file, partial)
        private_files.private_file(partial)
        partial.rename(path)
        return
    libpq, env = _libpq(db.normalise_url(url))
    _run_pg(
        "pg_restore",
        ["--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction"]
        + [f"--dbname={libpq}", str(file)],
        env,
    )


def restore(folder: Path, url: str) -> Manifest:
    """Load the backup into the empty database at `url`, prove it holds every row and an intact
    audit chain, put the uploaded files back into the configured data directory, and record the
    restore in the chain (the data directory's audit checkpoint now follows the restored chain).
    Raises BackupError when the backup or the target is not fit, before anything is loaded, or
    when what was loaded fails its checks (the target then says so; the checkpoint is left as it
    was)."""
    manifest = read_manifest(folder)
    if not url.startswith(manifest.backend):
        raise BackupError(
            f"this backup is of a {manifest.backend} database, not {url.split(':')[0]}."
        )
    _empty(url)
    _load(manifest, folder, url)
    engine = db.make_engine(url)
    try:
        with engine.connect() as conn:
            rows, seq = _counts(conn)
        if rows != manifest.rows or seq != manifest.audit_seq:
            wrong = sorted(t for t in manifest.rows if rows.get(t) != manifest.rows[t])
            raise BackupError(
                f"the restored database differs from the backup ({', '.join(wrong) or 'audit'}): "
                "do not use it."
            )
        with Session(engine) as session:
            head = session.get(AuditHead, 1)
            backed_up = audit.Verified(head.last_seq, head.last_mac) if head else None
            check = audit.verify_chain(session, against=backed_up)
            if not check.ok or backed_up is None:
                raise BackupError(
                    f"the restored audit chain does not verify ({check.problem}): do not use "
                    "the restored database."
                )
            _restore_uploads(manifest, folder)
            # only now the checkpoint follows the restored chain, though it may be earlier
            audit.rewind_checkpoint(backed_up.seq, backed_up.mac)
            audit.record(session, None, RESTORED, username="ops", detail=_detail(folder, manifest))
            session.commit()
    finally:
        engine.dispose()
    return manifest


def _detail(folder: Path, manifest: Manifest) -> str:
    return f"from {folder.name} (taken {manifest.created_at}, audit entry {manifest.audit_seq})"
