"""``polymarket-assets slots`` / ``heal`` (also ``python -m polymarket_assets.reliability``): stuck runs and pool slots.

    polymarket-assets slots                 # every pool: limit, who holds a slot, is its process alive
    polymarket-assets heal                  # mark runs whose process is gone as failed, free their slots
    polymarket-assets heal --dry-run        # say what it would do
    polymarket-assets heal --force RUN_ID   # treat RUN_ID as dead (its machine is gone); frees its slots

Uses the Dagster instance of ``DAGSTER_HOME``, as ``dagster`` does. A run is only judged dead when it ran on
this host and none of its processes exists any longer (``stuck_runs.assess``).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import dagster as dg


def _instance() -> "dg.DagsterInstance":
    import dagster as dg
    from dagster._core.errors import DagsterHomeNotSetError

    try:
        return dg.DagsterInstance.get()
    except DagsterHomeNotSetError:
        print("DAGSTER_HOME is not set: point it at the directory holding dagster.yaml (the one `dagster` uses).", file=sys.stderr)
        raise SystemExit(2) from None


def _slots() -> int:
    from polymarket_assets.reliability import stuck_runs

    instance = _instance()
    storage = instance.event_log_storage
    if not storage.supports_global_concurrency_limits:
        print("this instance's storage has no pool limits")
        return 0
    keys = sorted(storage.get_concurrency_keys())
    if not keys:
        print("no pools yet (a pool appears once a step in it has run)")
    for pool in keys:
        info = storage.get_concurrency_info(pool)
        print(f"{pool}: {len(info.claimed_slots)}/{info.limit} slot(s) held, {len(info.pending_steps)} step(s) pending")
        for slot in info.claimed_slots:
            run = instance.get_run_by_id(slot.run_id)
            if run is None:
                print(f"  {slot.run_id} {slot.step_key}: run deleted (free with `{stuck_runs.HEAL_COMMAND}`)")
                continue
            liveness = stuck_runs.assess(instance, run)
            state = {True: "alive", False: "DEAD", None: "unknown"}[liveness.alive]
            print(f"  {slot.run_id} {slot.step_key}: {run.status.value}, process {state} ({liveness.reason})")
    return 0


def _heal(args: argparse.Namespace) -> int:
    from polymarket_assets.reliability import stuck_runs

    instance = _instance()
    held = stuck_runs.slots_by_run(instance)
    for run_id in args.force:
        run = instance.get_run_by_id(run_id)
        if run is None and run_id not in held:
            print(f"--force {run_id}: no such run in this instance (DAGSTER_HOME={os.environ.get('DAGSTER_HOME', '<unset>')}); "
                  "`polymarket-assets slots` lists the runs that hold slots", file=sys.stderr)
            return 2
        if run is not None and run.status not in stuck_runs.LIVE_STATUSES and run_id not in held:
            print(f"--force {run_id}: the run already ended ({run.status.value}) and holds no pool slot: nothing to heal", file=sys.stderr)
            return 2
    report = stuck_runs.heal(instance, force=set(args.force), dry_run=args.dry_run)
    for line in report.actions:
        print(line)
    for unknown in report.unknown:
        print(f"left alone: run {unknown.run_id}: {unknown.reason}; if it is dead, `{stuck_runs.HEAL_COMMAND} --force {unknown.run_id}`")
    if not report and not report.unknown:
        print("nothing to heal: no run whose process is gone, no slot held by an ended run")
    return 0


def add_commands(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """Add ``slots`` and ``heal`` to the ``polymarket-assets`` command (``polymarket_assets/cli.py``)."""
    commands.add_parser("slots", help="show every pool's slots, their runs and whether those runs' processes are alive")
    heal = commands.add_parser("heal", help="mark runs whose process is gone as failed and free their pool slots")
    heal.add_argument("--dry-run", action="store_true", help="print what would be done, change nothing")
    heal.add_argument("--force", metavar="RUN_ID", action="append", default=[], help="treat this run as dead (repeatable)")


def run(args: argparse.Namespace) -> int:
    return _slots() if args.command == "slots" else _heal(args)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m polymarket_assets.reliability", description=__doc__.splitlines()[0])
    add_commands(parser.add_subparsers(dest="command", required=True))
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
