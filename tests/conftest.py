"""Fixtures: the same service tests run on DuckDB and on a real PostgreSQL server."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from xdist.scheduler import LoadScopeScheduling

from seed.load import seed_database
from seed.population import SeedOptions
from services.core import clock, db
from tests.support import postgres

AS_OF = date(2026, 6, 1)
NOW = datetime(2026, 6, 1, 9, 30)
TEST_OPTIONS = SeedOptions(patients=60, years=1, cgm_share=0.05, seed=7, as_of=AS_OF)
AUDIT_KEY = "test-audit-key-0123456789abcdef0123456789abcdef"
SECRET_KEY = "test-secret-key-0123456789abcdef0123456789abcdef"
BACKENDS = ("duckdb", "postgresql")
# Real device files copied into the project with their source and licence (tests/data/README.md).
DEXCOM_EXPORT = Path(__file__).parent / "data" / "dexcom-g6-clarity-export.csv"
# One set of keys for the whole run: templates are seeded (TOTP keys encrypted) before any test
# configures its database, and the served app in the browser tests inherits them.
os.environ["PORTAL_AUDIT_KEY"] = AUDIT_KEY
os.environ["PORTAL_SECRET_KEY"] = SECRET_KEY


class BrowserJourneysTogether(LoadScopeScheduling):
    """`make test`'s `--dist loadgroup`: the browser journeys (tests/e2e) run one at a time on one
    worker while the other tests share both; two browsers and their servers at once starve each
    other on a small machine. xdist's own `xdist_group` mark does nothing under pytest 9 (it renames
    `item._nodeid`, which pytest 9 no longer reads), so the group is told by path."""

    def _split_scope(self, nodeid: str) -> str:
        return "browser" if nodeid.startswith("tests/e2e/") else nodeid


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> LoadScopeScheduling | None:
    return BrowserJourneysTogether(config, log) if config.getvalue("dist") == "loadgroup" else None


def _quiet(_: str) -> None:
    pass


@pytest.fixture(scope="session")
def pg_server() -> Iterator[postgres.PostgresServer]:
    server = postgres.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def duckdb_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.duckdb"
    seed_database(f"duckdb:///{path}", TEST_OPTIONS, progress=_quiet)
    return path


@pytest.fixture(scope="session")
def pg_template(pg_server: postgres.PostgresServer) -> str:
    pg_server.psql("CREATE DATABASE portal_template")
    seed_database(pg_server.url("portal_template"), TEST_OPTIONS, progress=_quiet)
    return "portal_template"


@pytest.fixture
def configure(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):  # type: ignore[no-untyped-def]
    """Point the services at a database URL (settings come from the environment)."""

    def use(url: str) -> str:
        monkeypatch.setenv("PORTAL_DATABASE_URL", url)
        monkeypatch.setenv("PORTAL_AUDIT_KEY", AUDIT_KEY)
        monkeypatch.setenv("PORTAL_SECRET_KEY", SECRET_KEY)
        monkeypatch.setenv("PORTAL_DATA_DIR", str(tmp_path / "data"))
        db.reset()
        return url

    yield use
    db.reset()


@pytest.fixture(params=BACKENDS)
def seeded_url(request: pytest.FixtureRequest, tmp_path: Path, configure) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """A fresh copy of the seeded test database on each backend, with the clock frozen."""
    if request.param == "duckdb":
        template: Path = request.getfixturevalue("duckdb_template")
        path = tmp_path / "portal.duckdb"
        shutil.copy(template, path)
        url = configure(f"duckdb:///{path}")
        with clock.frozen(NOW):
            yield url
        return
    server: postgres.PostgresServer = request.getfixturevalue("pg_server")
    template_name: str = request.getfixturevalue("pg_template")
    name = f"t_{uuid.uuid4().hex[:12]}"
    server.psql(f"CREATE DATABASE {name} TEMPLATE {template_name}")
    url = configure(server.url(name))
    try:
        with clock.frozen(NOW):
            yield url
    finally:
        db.reset()
        server.psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def own_postgres() -> Iterator[postgres.PostgresServer]:
    """A server of the test's own, to stop and start again (the shared one stays up)."""
    server = postgres.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def own_seeded_url(  # type: ignore[no-untyped-def]
    own_postgres: postgres.PostgresServer,
    pg_server: postgres.PostgresServer,
    pg_template: str,
    configure,
) -> Iterator[str]:
    """The seeded test database on a server of the test's own, with the clock frozen."""
    own_postgres.psql("CREATE DATABASE portal")
    own_postgres.load("portal", pg_server.dump(pg_template))
    url = configure(own_postgres.url("portal"))
    with clock.frozen(NOW):
        yield url


@contextmanager
def scratch_database(server: postgres.PostgresServer, prefix: str) -> Iterator[str]:
    """A new, empty PostgreSQL database for one test, dropped after it."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    server.psql(f"CREATE DATABASE {name}")
    try:
        yield server.url(name)
    finally:
        db.reset()
        server.psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(params=BACKENDS)
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database URL on each backend (nothing created yet)."""
    if request.param == "duckdb":
        yield f"duckdb:///{tmp_path / 'empty.duckdb'}"
        return
    with scratch_database(request.getfixturevalue("pg_server"), "e") as url:
        yield url
