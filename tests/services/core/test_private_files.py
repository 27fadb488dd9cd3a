"""Data at rest is readable by the app's user only: the data folder, the database, uploads,
keys and the audit checkpoint (0700 folders, 0600 files), also when an older release left
them readable to others."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from services.core import db
from services.core.config import settings
from tests.services.records.test_documents import uploaded


@pytest.fixture
def permissive_umask() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def _mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def test_uploads_and_their_folders_are_private(seeded_url: str, permissive_umask: None) -> None:
    uploaded()
    data = settings().data_dir
    folder = data / "documents"
    assert (_mode(data), _mode(folder)) == (0o700, 0o700)
    [stored] = folder.iterdir()
    assert _mode(stored) == 0o600
    assert _mode(data / "audit-checkpoint") == 0o600


def test_a_database_left_world_readable_is_made_private_at_start(
    seeded_url: str, permissive_umask: None
) -> None:
    if not seeded_url.startswith("duckdb"):
        pytest.skip("PostgreSQL keeps its own files")
    path = Path(make_url(seeded_url).database or "")
    db.reset()
    path.chmod(0o644)
    path.parent.chmod(0o755)
    db.engine()
    assert (_mode(path), _mode(path.parent)) == (0o600, 0o700)


def test_generated_development_keys_are_private(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, permissive_umask: None
) -> None:
    data = tmp_path / "fresh-data"
    monkeypatch.setenv("PORTAL_DATA_DIR", str(data))
    monkeypatch.delenv("PORTAL_AUDIT_KEY", raising=False)
    monkeypatch.delenv("PORTAL_SECRET_KEY", raising=False)
    settings.cache_clear()
    try:
        settings()
    finally:
        settings.cache_clear()
    assert _mode(data) == 0o700
    assert all(_mode(p) == 0o600 for p in data.iterdir())


def test_a_shared_scratch_folder_is_left_open(tmp_path: Path) -> None:
    """A database put in a sticky shared folder (like /tmp) must not close it to everyone."""
    shared = tmp_path / "scratch"
    shared.mkdir()
    shared.chmod(0o1777)
    engine = db.make_engine(f"duckdb:///{shared / 'portal.duckdb'}")
    engine.dispose()
    assert shared.stat().st_mode & 0o7777 == 0o1777
    assert _mode(shared / "portal.duckdb") == 0o600  # the file itself is still private
