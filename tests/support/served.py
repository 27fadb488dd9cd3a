"""`streamlit run app.py` on a free port, for browser journeys."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.postgres import free_port

ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def streamlit_server(
    database_url: str,
    data_dir: Path,
    extra_env: dict[str, str] | None = None,
    flags: tuple[str, ...] = ("--server.address", "127.0.0.1"),
    port: int | None = None,
) -> Iterator[str]:
    """Serve the app (on `port`, or a free one); yields its base URL and stops it afterwards.
    `flags=()` starts it as `make run` does, with .streamlit/config.toml's address."""
    port = port or free_port()
    env = {
        **os.environ,
        "PORTAL_DATABASE_URL": database_url,
        "PORTAL_DATA_DIR": str(data_dir),
        **(extra_env or {}),
    }
    log = (data_dir / f"streamlit-{port}.log").open("w")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "portal.py",
            "--server.port",
            str(port),
            *flags,
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"streamlit did not start; see {log.name}")
            time.sleep(0.3)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
