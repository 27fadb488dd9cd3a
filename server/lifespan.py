"""The server's lifespan: with the embedded DuckDB, the job runner runs inside this process,
started once when the server starts (however many browser sessions connect) and stopped when it
stops. With PostgreSQL the jobs run in `python -m worker` beside the app processes."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.concurrency import run_in_threadpool

from services.core import db
from services.core.config import settings
from services.core.errors import ConfigurationError
from services.jobs import runner

log = logging.getLogger("portal.server")


def _portal_logs_to_stderr() -> None:
    """The portal's own loggers (portal.*) print beside Streamlit's, without PHI (see each)."""
    portal = logging.getLogger("portal")
    if not portal.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        portal.addHandler(handler)
        portal.setLevel(logging.INFO)


def _start() -> bool:
    _portal_logs_to_stderr()
    try:
        if not settings().is_duckdb:
            log.info("jobs run in `python -m worker` (PostgreSQL)")
            return False
        db.engine()  # opens and upgrades the database before the first tick
    except ConfigurationError as exc:  # the pages say what is wrong; no jobs without a database
        log.error("job runner not started: %s", exc.message)
        return False
    return runner.start_in_process(settings().jobs_tick_seconds)


@asynccontextmanager
async def jobs_in_this_process(_app: Any) -> AsyncIterator[None]:
    started = await run_in_threadpool(_start)
    try:
        yield None
    finally:
        if started:
            await run_in_threadpool(runner.stop_in_process)
