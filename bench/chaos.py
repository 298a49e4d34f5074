"""The chaos suite: kill -9 at seeded random moments in a bronze range backfill, a silver load and the gold
build, and SIGKILL / SIGTERM of the order-book logger and the WebSocket stream job; prints the README's table.

Every kill target: a reference run (uninterrupted) in a child process, then per trial a fresh run killed at a
random moment in [0, reference duration], what a reader sees right after the kill, a re-run, and a comparison
with the reference (machinery and exact checks: ``polymarket_assets_tests/chaos/harness.py``).

    .venv/bin/python -m bench.chaos                       # 20 trials per target, seed 12
    .venv/bin/python -m bench.chaos --trials 3 --targets bronze_backfill logger_sigkill
"""

from __future__ import annotations

import argparse
import sys

from polymarket_assets_tests.chaos import harness


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--targets", nargs="*", default=list(harness.TARGETS), choices=harness.TARGETS)
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args()
    reports = harness.run(args.targets, args.trials, args.seed, log=(lambda _m: None) if args.quiet else (lambda m: print(m, file=sys.stderr, flush=True)))
    print(harness.table(reports, args.seed))
    for report in reports:
        for problem in report.problems:
            print(f"{report.target}: {problem}")
    return 0 if all(r.ok for r in reports) else 1


if __name__ == "__main__":
    raise SystemExit(main())
