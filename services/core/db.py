"""Engine, transactions, schema versions and bulk loading for DuckDB and PostgreSQL."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

import duckdb_engine
import pandas as pd
import psycopg
import pyarrow as pa
from sqlalchemy import (
    Connection,
    Engine,
    PrimaryKeyConstraint,
    Table,
    create_engine,
    insert,
    inspect,
    text,
)
from sqlalchemy.dialects import registry
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session

from services.core import audit, clock, private_files
from services.core.config import settings
from services.core.errors import ConfigurationError, Conflict, Unavailable
from services.core.language import N_, t
from services.core.migrations import MIGRATIONS, Migration
from services.core.models import AUDIT_GENESIS, AuditHead, Base, SchemaVersion

log = logging.getLogger(__name__)

_engine: Engine | None = None
_engine_lock = threading.Lock()
# DuckDB allows one writer and fails the second of two conflicting transactions; in the one app
# process we serialise transactions instead (PostgreSQL deployments lock rows, see audit.py).
_duckdb_lock = threading.RLock()


class CachingDuckDBDialect(duckdb_engine.Dialect):
    """duckdb_engine's dialect with SQLAlchemy's compiled-statement cache on. It compiles with
    PostgreSQL's compiler, whose output depends only on the statement, but leaves the cache off by
    default; every statement was then compiled again on every run of a page (7% of the server's
    CPU under load)."""

    supports_statement_cache = True


registry.register("duckdb", __name__, CachingDuckDBDialect.__name__)


@compiles(PrimaryKeyConstraint, "duckdb")
def _duckdb_primary_key(constraint: PrimaryKeyConstraint, compiler: Any, **kw: Any) -> str | None:
    """No ART index over hundreds of millions of readings: DuckDB keeps them clustered instead."""
    if constraint.table.info.get("time_series"):
        return None
    return str(compiler.visit_primary_key_constraint(constraint, **kw))


def normalise_url(url: str) -> str:
    """Check a database URL and pick the driver; one clear line when it is wrong."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigurationError(
            f"PORTAL_DATABASE_URL is not a database URL: {url!r} "
            "(expected duckdb:///path/to/file.duckdb or postgresql://user@host:port/db)"
        ) from None
    backend = parsed.get_backend_name()
    if backend == "duckdb":
        database = parsed.database or ""
        if database in ("", ":memory:"):
            raise ConfigurationError("PORTAL_DATABASE_URL must name a DuckDB file, not memory")
        if not Path(database).parent.exists():
            raise ConfigurationError(
                f"the DuckDB file's folder does not exist: {Path(database).parent}"
            )
        return parsed.render_as_string(hide_password=False)
    if backend == "postgresql":
        return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    raise ConfigurationError(
        f"PORTAL_DATABASE_URL must be a duckdb:/// or postgresql:// URL, not {backend}://"
    )


def make_engine(url: str) -> Engine:
    """An engine for the URL, connected once so that an unreachable database fails here."""
    url = normalise_url(url)
    if url.startswith("duckdb"):
        database = Path(make_url(url).database or "")
        private_files.restrict_new_files()
        private_files.private_dir(database.parent)
        engine = create_engine(url, pool_pre_ping=False)
    else:
        engine = create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except (OperationalError, DBAPIError) as exc:
        engine.dispose()
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        where = make_url(url).render_as_string(hide_password=True)
        raise ConfigurationError(f"cannot open the database {where}: {reason}") from None
    if engine.dialect.name == "duckdb":  # files an older release made readable to others
        for path in (database, Path(f"{database}.wal")):
            private_files.private_file(path)
    return engine


def engine() -> Engine:
    """The process's one engine, made from the settings on first use."""
    global _engine
    with _engine_lock:
        if _engine is None:
            _engine = make_engine(settings().database_url)
            migrate(_engine)
        return _engine


def reset() -> None:
    """Forget the engine and settings (tests switch databases with this)."""
    global _engine
    with _engine_lock:
        if _engine is not None:
            _engine.dispose()
        _engine = None
    settings.cache_clear()


def is_duckdb(eng: Engine | Connection) -> bool:
    return eng.dialect.name == "duckdb"


def _lock_for(eng: Engine) -> threading.RLock | nullcontext[None]:
    return _duckdb_lock if is_duckdb(eng) else nullcontext()


UNREACHABLE = N_(
    "The portal is temporarily unavailable: its database cannot be reached. Nothing was "
    "changed; please try again in a few minutes."
)
STORAGE_FULL = N_(
    "The portal cannot save anything just now: the server's storage is full or read-only. "
    "Nothing was changed; please try again later."
)
_STORAGE_FAULTS = ("No space left on device", "Read-only file system", "Disk quota exceeded")
# Failures of one statement or transaction, not of the connection (psycopg's OperationalError
# covers both).
_NOT_OUTAGES = (psycopg.errors.TransactionRollback, psycopg.errors.QueryCanceled)


def _outage(exc: DBAPIError) -> str | None:
    """The message for a database that cannot be used just now (unreachable, its storage full
    or read-only), or None when the error is of this statement alone."""
    reason = str(exc.orig)
    if any(fault in reason for fault in _STORAGE_FAULTS):
        return t(STORAGE_FULL)
    if exc.connection_invalidated or (
        isinstance(exc.orig, psycopg.OperationalError) and not isinstance(exc.orig, _NOT_OUTAGES)
    ):
        return t(UNREACHABLE)
    return None


@contextmanager
def _portal_errors() -> Iterator[None]:
    """The database's errors that a person can act on, as typed errors pages show: a conflict
    with another writer, or the database unavailable (logged for the operators)."""
    try:
        yield
    except DBAPIError as exc:
        if "conflict" in str(exc.orig).lower() or "could not serialize" in str(exc.orig):
            raise Conflict(
                t("Someone else changed this at the same moment; please try again.")
            ) from exc
        message = _outage(exc)
        if message is None:
            raise
        log.error("database unavailable: %s", str(exc.orig).strip().splitlines()[0])
        raise Unavailable(message) from exc


@contextmanager
def transaction() -> Iterator[Session]:
    """One unit of work: commits when the block ends, rolls back on any exception."""
    eng = engine()
    with _lock_for(eng), _portal_errors():
        session = Session(eng, expire_on_commit=False, autoflush=True)
        try:
            with session.begin():
                yield session
        finally:
            session.close()


@contextmanager
def read_only() -> Iterator[Session]:
    """A session for reads that need no audit record (reference data, de-identified aggregates)."""
    with _portal_errors():
        session = Session(engine(), expire_on_commit=False)
        try:
            yield session
        finally:
            session.close()  # ends the transaction; loaded values stay readable


# --- schema versions (the steps live in services/core/migrations/, one module a version) ------


MIGRATION_LOCK = 0x6C616B65  # the advisory lock key migrations take ("lake")


def schema_version(conn: Connection) -> int | None:
    if not inspect(conn).has_table(SchemaVersion.__tablename__):
        return None
    found = conn.execute(text("SELECT max(version) FROM schema_version")).scalar()
    return int(found) if found is not None else None


def migrate(eng: Engine, migrations: list[Migration] | None = None) -> tuple[int | None, int]:
    """Create a new database at the latest version, or upgrade an existing one in place."""
    steps = MIGRATIONS if migrations is None else migrations
    latest = 1 + len(steps)
    with _lock_for(eng), eng.begin() as conn:
        if not is_duckdb(conn):
            # Two processes starting at once: the second waits here, then finds the work done.
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        current = schema_version(conn)
        if current is None:
            Base.metadata.create_all(conn)
            conn.execute(
                insert(AuditHead),
                {
                    "id": 1,
                    "last_seq": 0,
                    "last_mac": AUDIT_GENESIS,
                    "mac": audit.head_mac(0, AUDIT_GENESIS),
                },
            )
            conn.execute(insert(SchemaVersion), {"version": latest, "applied_at": clock.now()})
            return None, latest
        if current > latest:
            raise ConfigurationError(
                f"the database is at schema version {current}, newer than this code ({latest})"
            )
        for version in range(current, latest):
            log.info("upgrading schema %s -> %s", version, version + 1)
            steps[version - 1](conn)
            conn.execute(
                insert(SchemaVersion),
                {"version": version + 1, "applied_at": clock.now()},
            )
        return current, latest


# --- bulk loading ---------------------------------------------------------------------------


def bulk_insert(conn: Connection, table: Table, frame: pd.DataFrame | pa.Table) -> int:
    """Append a DataFrame/Arrow batch to a table in one statement (no row-by-row ORM adds)."""
    data = (
        frame if isinstance(frame, pa.Table) else pa.Table.from_pandas(frame, preserve_index=False)
    )
    if data.num_rows == 0:
        return 0
    columns = list(data.column_names)
    names = ", ".join(f'"{c}"' for c in columns)
    if is_duckdb(conn):
        raw: Any = conn.connection.driver_connection
        view = f"_bulk_{table.name}"
        raw.register(view, data)
        try:
            raw.execute(f'INSERT INTO "{table.name}" ({names}) SELECT {names} FROM {view}')
        finally:
            raw.unregister(view)
        return int(data.num_rows)
    raw_pg: Any = conn.connection.driver_connection
    with raw_pg.cursor() as cur, cur.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
        for batch in data.to_batches(max_chunksize=50_000):
            for row in zip(*(col.to_pylist() for col in batch.columns), strict=True):
                copy.write_row(row)
    return int(data.num_rows)
