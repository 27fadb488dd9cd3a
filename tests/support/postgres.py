"""A throw-away local PostgreSQL server: initdb into a temp dir, pg_ctl start on a free port."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from services.core.backups import pg_bin

BIN = pg_bin()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class PostgresServer:
    root: Path
    port: int
    durable: bool = False  # fsync on (benchmarks); the tests run without it

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def url(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def psql(self, sql: str) -> None:
        subprocess.run(
            [
                str(BIN / "psql"),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                "postgres",
                "-d",
                "postgres",
                "-v",
                "ON_ERROR_STOP=1",
                "-qc",
                sql,
            ],
            check=True,
            capture_output=True,
        )

    def load(self, database: str, dump: bytes) -> None:
        """Run what `dump` wrote into a database of this server."""
        subprocess.run(
            [str(BIN / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres"]
            + ["-v", "ON_ERROR_STOP=1", "-q", "-d", database],
            input=dump,
            check=True,
            capture_output=True,
        )

    def dump(self, database: str) -> bytes:
        """Everything in one database, as pg_dump writes it (schema and rows)."""
        return subprocess.run(
            [str(BIN / "pg_dump"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres"]
            + [database],
            check=True,
            capture_output=True,
        ).stdout

    def halt(self, mode: str = "immediate") -> None:
        """Stop the server: at once ("immediate", as a crash would; without fsync its last
        writes may be lost) or as an operator would ("fast": connections ended, data kept)."""
        _as_postgres([str(BIN / "pg_ctl"), "-D", str(self.root / "data"), "-m", mode, "stop"])

    def resume(self) -> None:
        """Start the halted server again on its port (it recovers from its log)."""
        _pg_ctl_start(self.root, self.port, self.durable)

    def stop(self) -> None:
        self.halt()
        shutil.rmtree(self.root, ignore_errors=True)


def _as_postgres(cmd: list[str]) -> subprocess.CompletedProcess[str]:
    """initdb and postgres refuse to run as root: run them as the postgres user there."""
    if os.geteuid() == 0:
        cmd = ["runuser", "-u", "postgres", "--", *cmd]
    return subprocess.run(cmd, check=True, capture_output=True, text=True)


def start(durable: bool = False) -> PostgresServer:
    if not (BIN / "initdb").exists():
        raise RuntimeError(
            f"PostgreSQL server programs not found in {BIN} (apt-get install postgresql)"
        )
    root = Path(tempfile.mkdtemp(prefix="portal-pg-"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    port = free_port()
    _as_postgres(
        [
            str(BIN / "initdb"),
            "-D",
            str(root / "data"),
            "-U",
            "postgres",
            "-A",
            "trust",
            "--no-sync",
            "-E",
            "UTF8",
        ]
    )
    _pg_ctl_start(root, port, durable)
    return PostgresServer(root, port, durable)


def _pg_ctl_start(root: Path, port: int, durable: bool) -> None:
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1"
    if not durable:
        options += " -c fsync=off -c synchronous_commit=off"
    _as_postgres(
        [
            str(BIN / "pg_ctl"),
            "-D",
            str(root / "data"),
            "-o",
            options,
            "-l",
            str(root / "server.log"),
            "-w",
            "-t",
            "60",
            "start",
        ]
    )
