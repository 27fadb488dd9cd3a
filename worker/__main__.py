"""`python -m worker`: run the scheduled jobs beside the app processes (PostgreSQL only: with the
embedded DuckDB the app server runs them, since only one process may write)."""

from __future__ import annotations

import argparse
import logging
import sys
import time

from services.core import db
from services.core.config import settings
from services.core.errors import ConfigurationError
from services.jobs import runner


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m worker", description=__doc__)
    parser.add_argument(
        "--tick", type=float, help="seconds between ticks (PORTAL_JOBS_TICK_SECONDS)"
    )
    parser.add_argument("--for", dest="seconds", type=float, help="stop after this many seconds")
    parser.add_argument("--once", action="store_true", help="one tick, then stop")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    try:
        if settings().is_duckdb:
            print(
                "python -m worker: the database is DuckDB; the app server runs the jobs itself "
                "(one process may write). Use this worker with PostgreSQL.",
                file=sys.stderr,
            )
            return 2
        db.engine()
    except ConfigurationError as exc:
        print(f"python -m worker: {exc.message}", file=sys.stderr)
        return 2
    tick = args.tick or settings().jobs_tick_seconds
    ends = None if args.seconds is None else time.monotonic() + args.seconds
    while True:
        runner.run_due()
        if args.once or (ends is not None and time.monotonic() >= ends):
            return 0
        time.sleep(tick)


if __name__ == "__main__":
    sys.exit(main())
