"""Caddy serving `deploy/Caddyfile` (as compose.yaml does) in front of app servers started here:
the deployment test and the load benchmark's several processes."""

from __future__ import annotations

import http.client
import os
import shutil
import ssl
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.postgres import free_port
from tests.support.served import ROOT

CADDYFILE = ROOT / "deploy" / "Caddyfile"


@contextmanager
def caddy(folder: Path, apps: list[str]) -> Iterator[tuple[int, int, ssl.SSLContext]]:
    """Caddy for `localhost` in front of `apps` (host:port each); its HTTP and HTTPS ports and a
    TLS context that trusts only the authority Caddy made."""
    program = shutil.which("caddy")
    if program is None:
        raise RuntimeError("caddy is not installed (make test installs it: apt-get install caddy)")
    http_port, https_port = free_port(), free_port()
    env = {
        **os.environ,
        "HOME": str(folder),
        "XDG_DATA_HOME": str(folder / "data"),
        "XDG_CONFIG_HOME": str(folder / "config"),
        "PORTAL_HOST": "localhost",
        "PORTAL_TLS": "internal",
        "PORTAL_HTTP_PORT": str(http_port),
        "PORTAL_HTTPS_PORT": str(https_port),
        "PORTAL_APPS": " ".join(apps),
    }
    log = (folder / "caddy.log").open("w")
    proc = subprocess.Popen(
        [program, "run", "--config", str(CADDYFILE), "--adapter", "caddyfile"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    root = folder / "data" / "caddy" / "pki" / "authorities" / "local" / "root.crt"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                context = ssl.create_default_context(cafile=str(root))
                get(https_port, "/_stcore/health", context)
                break
            except (OSError, ssl.SSLError):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"caddy did not start; see {log.name}") from None
                time.sleep(0.5)
        yield http_port, https_port, context
    finally:
        proc.terminate()
        proc.wait(timeout=15)
        log.close()


def get(port: int, path: str, context: ssl.SSLContext | None = None) -> http.client.HTTPResponse:
    """A GET to localhost:`port` (HTTPS when given a TLS context), its body read."""
    conn: http.client.HTTPConnection = (
        http.client.HTTPSConnection("localhost", port, context=context, timeout=30)
        if context
        else http.client.HTTPConnection("localhost", port, timeout=30)
    )
    conn.request("GET", path)
    response = conn.getresponse()
    response.read()
    return response
