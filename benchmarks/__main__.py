"""Run the benchmark suite: print a table and write benchmarks/results/latest.json
(`python -m benchmarks analytics`: the managers' dashboard over a large usage history, written to
benchmarks/results/analytics.json; `python -m benchmarks audit --entries N`: verifying an audit
chain of N entries, added to benchmarks/results/audit.json; `python -m benchmarks load`: people
using the served portal at once, written to benchmarks/results/load-<database>.json)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from benchmarks import analytics, audit, billing, foundation, load, metrics

RESULTS = Path(__file__).resolve().parent / "results"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument(
        "suite", nargs="?", choices=("all", "analytics", "audit", "load"), default="all"
    )
    parser.add_argument(
        "--entries", type=int, default=10_000_000, help="audit chain entries (audit suite)"
    )
    parser.add_argument(
        "--events", type=int, default=100_000_000, help="usage events (analytics suite)"
    )
    parser.add_argument(
        "--cold-runs", type=int, default=10, help="new processes timed (analytics suite)"
    )
    parser.add_argument(
        "--database-url",
        default=None,
        help="seed and time on this (empty) PostgreSQL database instead (analytics, load)",
    )
    parser.add_argument(
        "--users", default="10,25,50", help="people at once, one level after another (load)"
    )
    parser.add_argument(
        "--seconds", type=float, default=180, help="how long each level runs (load suite)"
    )
    parser.add_argument(
        "--processes",
        type=int,
        default=1,
        help="app processes behind Caddy, with the jobs worker (load; PostgreSQL only)",
    )
    parser.add_argument(
        "--arrive-over",
        type=float,
        default=60,
        help="seconds over which each level's people arrive and sign in (load)",
    )
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--cgm-share", type=float, default=0.05)
    parser.add_argument("--runs", type=int, default=20, help="repetitions per timed call")
    parser.add_argument(
        "--database",
        type=Path,
        default=None,
        help="a DuckDB file to (re)use; default: a new one under benchmarks/results",
    )
    args = parser.parse_args(argv)
    RESULTS.mkdir(exist_ok=True)
    if args.suite == "audit":
        found = audit.run(RESULTS, args.entries, 5, args.database_url)
        out = RESULTS / "audit.json"
        known = json.loads(out.read_text()) if out.exists() else {}
        known[f"{found['database']}-{args.entries}"] = found
        out.write_text(json.dumps(known, indent=2, default=str))
        print(audit.table(found))
        return 0
    if args.suite == "load":
        if args.processes > 1 and args.database_url is None:
            parser.error("--processes above 1 needs --database-url (a DuckDB file has one process)")
        levels = [int(n) for n in args.users.split(",")]
        found = load.run(
            RESULTS,
            levels,
            args.seconds,
            min(args.patients, 2_000),
            args.database_url,
            processes=args.processes,
            arrive_over=args.arrive_over,
        )
        name = f"load-{found['database']}" + (f"-{args.processes}p" if args.processes > 1 else "")
        (RESULTS / f"{name}.json").write_text(json.dumps(found, indent=2))
        print(load.table(found))
        return 0
    if args.suite == "analytics":
        years = min(args.years, 3)
        found = analytics.run(
            RESULTS,
            args.patients,
            years,
            args.events,
            args.runs,
            args.cold_runs,
            args.database_url,
            args.cgm_share,
        )
        name = "analytics-postgresql.json" if args.database_url else "analytics.json"
        (RESULTS / name).write_text(json.dumps(found, indent=2, default=str))
        print(analytics.table(found))
        return 0
    database = args.database or RESULTS / f"portal-{args.patients}x{args.years}y.duckdb"
    figures = foundation.run(database, args.patients, args.years, args.cgm_share, args.runs)
    figures["metrics"] = metrics.run(args.runs, figures["plain_orm_rows_per_second"])
    figures["billing"] = billing.run(args.runs)
    out = RESULTS / "latest.json"
    out.write_text(json.dumps(figures, indent=2, default=str))
    print(foundation.table(figures))
    print(metrics.table(figures["metrics"]))
    print(billing.table(figures["billing"]))
    print(f"\nwritten to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
