"""`python -m seed`: seed a database with deterministic synthetic data.

Every argument is checked before anything is written: a bad one gets a clear message, exit
status 2, and no file or row.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import date

from seed import demo
from seed.load import SeedRefused, ensure_demo, seed_database
from seed.population import SeedOptions
from services.core import db
from services.core.config import settings
from services.core.errors import ConfigurationError

MAX_PATIENTS = 5_000_000
MAX_YEARS = 20
MAX_EVENTS = 2_000_000_000
DEMO = {"patients": 400, "years": 3, "cgm_share": 0.05}


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m seed", description=__doc__.splitlines()[0])
    p.add_argument(
        "--patients", type=int, default=DEMO["patients"], help="population size (min 10)"
    )
    p.add_argument("--years", type=int, default=DEMO["years"], help="years of history (1-20)")
    p.add_argument(
        "--cgm-share", type=float, default=DEMO["cgm_share"], help="share of patients on CGM (0-1)"
    )
    p.add_argument("--seed", type=int, default=2026, help="random seed: same seed, same data")
    p.add_argument(
        "--events",
        type=int,
        default=None,
        help="portal usage events to make (e.g. 100000000; default: about 1.5 sessions a month "
        "per account)",
    )
    p.add_argument(
        "--as-of", default=None, help="date the history ends (YYYY-MM-DD; default today)"
    )
    p.add_argument(
        "--database-url", default=None, help="target database (default: PORTAL_DATABASE_URL)"
    )
    p.add_argument(
        "--if-missing",
        action="store_true",
        help="seed only a new database; otherwise upgrade its schema (used by make run)",
    )
    return p


def options(args: argparse.Namespace) -> SeedOptions:
    """Validated options, or ValueError with the message to show."""
    problems = []
    if not 10 <= args.patients <= MAX_PATIENTS:
        problems.append(f"--patients must be between 10 and {MAX_PATIENTS:,} (got {args.patients})")
    if not 1 <= args.years <= MAX_YEARS:
        problems.append(f"--years must be between 1 and {MAX_YEARS} (got {args.years})")
    if not 0.0 <= args.cgm_share <= 1.0:
        problems.append(f"--cgm-share must be between 0 and 1 (got {args.cgm_share})")
    if args.seed < 0:
        problems.append(f"--seed must not be negative (got {args.seed})")
    if args.events is not None and not 0 <= args.events <= MAX_EVENTS:
        problems.append(f"--events must be between 0 and {MAX_EVENTS:,} (got {args.events})")
    try:
        as_of = date.fromisoformat(args.as_of) if args.as_of else date.today()
    except ValueError:
        problems.append(f"--as-of must be a date like 2026-11-23 (got {args.as_of!r})")
        as_of = date.today()
    if problems:
        raise ValueError("; ".join(problems))
    return SeedOptions(args.patients, args.years, args.cgm_share, args.seed, as_of, args.events)


def _print_demo_keys(seed: int) -> None:
    print(
        f"demo accounts: password {demo.DEMO_PASSWORD}; "
        "staff TOTP keys (add them to an authenticator app):"
    )
    for username in demo.DEMO_STAFF_USERNAMES:
        print(f"  {username:<16} {demo.totp_secret(username, seed)}")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        opts = options(args)
        url = db.normalise_url(args.database_url or settings().database_url)
    except (ValueError, ConfigurationError) as exc:
        print(f"seed: {exc}", file=sys.stderr)
        return 2
    try:
        if args.if_missing:
            print(f"seed: {ensure_demo(url, opts, progress=print)}")
            _print_demo_keys(opts.seed)
            return 0
        report = seed_database(url, opts, progress=print)
    except (SeedRefused, ConfigurationError) as exc:
        print(f"seed: {exc}", file=sys.stderr)
        return 2
    width = max(len(t) for t in report.rows)
    for table, count in sorted(report.rows.items()):
        print(f"  {table:<{width}}  {count:>12,}")
    total = sum(report.rows.values())
    size = f", database {report.database_bytes / 1e6:,.1f} MB" if report.database_bytes else ""
    print(f"seed: {total:,} rows in {report.seconds:.1f}s{size}")
    _print_demo_keys(opts.seed)
    return 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # Everything is committed and closed by now. duckdb 2.0's bindings print spurious nanobind
    # "leaked instance" reports at interpreter shutdown after Arrow registration; skip that noise.
    os._exit(code)
