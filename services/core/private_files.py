"""The data directory holds PHI and keys: readable by the app's user only (0700 folders, 0600
files), whoever creates them (the app, the seed, DuckDB's own files)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600


def restrict_new_files() -> None:
    """Files this process creates from now on (DuckDB's database and WAL among them) are
    private to its user. A server process owns its data, so the process-wide mask is right."""
    os.umask(0o077)


def private_dir(path: Path) -> Path:
    """Make the folder, or close an existing one of ours to others. A shared scratch folder
    (sticky, like /tmp) or someone else's is left as it is: closing it would break them."""
    path.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    info = path.stat()
    if info.st_uid == os.geteuid() and not info.st_mode & stat.S_ISVTX:
        path.chmod(PRIVATE_DIR)
    return path


def private_file(path: Path) -> Path:
    if path.exists():
        path.chmod(PRIVATE_FILE)
    return path


def write_private(path: Path, data: bytes) -> None:
    """Create a new file readable by the owner only (never world-readable, not even briefly)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
