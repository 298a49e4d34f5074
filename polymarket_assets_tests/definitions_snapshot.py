"""A JSON snapshot of the code location's definitions graph, for ``test_definitions_snapshot.py``.

What it holds, per asset: key, group, kinds, owners, deps, partitions, backfill policy, pool(s), automation
condition, and its checks (name, blocking, deps); per job: tags, executor, the assets and checks it selects
(or, for an op job, its ops); per schedule: cron, time zone, job and the assets that job selects; per
sensor: type, default status, interval, the jobs it targets and the assets its selection resolves to; and
the resource keys. Run ``python -m polymarket_assets_tests.definitions_snapshot --write`` after an
intended change to the graph and commit the new snapshot with it.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import dagster as dg

SNAPSHOT = Path(__file__).with_name("snapshots") / "definitions.json"


def _partitions(pdef: Any) -> Any:
    if pdef is None:
        return None
    out: dict[str, Any] = {"type": type(pdef).__name__}
    for attr in ("cron_schedule", "timezone", "fmt", "end_offset"):
        if hasattr(pdef, attr):
            out[attr] = str(getattr(pdef, attr))
    start = getattr(pdef, "start", None)
    if start is not None:
        out["start"] = "<POLYMARKET_BRONZE_START_DATE>"  # read from the environment at load time
    return out


def _condition(cond: Any) -> Any:
    """The condition tree as text: ``NAME[label](child, ...)``, so a change anywhere in it shows."""
    if cond is None:
        return None
    label = cond.get_label() if hasattr(cond, "get_label") else None
    children = ", ".join(_condition(child) for child in getattr(cond, "children", ()) or ())
    text = getattr(cond, "name", type(cond).__name__)
    if label:
        text += f"[{label}]"
    return f"{text}({children})" if children else text


def _keys(keys: Any) -> list[str]:
    return sorted(k.to_user_string() for k in keys)


def _job(job: Any) -> dict[str, Any]:
    """Tags, executor, and what the job runs: its assets and checks, or (an op job) its ops."""
    layer = job.asset_layer
    assets = _keys(layer.selected_asset_keys) if layer is not None else []
    out: dict[str, Any] = {"tags": {k: v for k, v in sorted(job.tags.items())}, "executor": job.executor_def.name}
    if assets:
        out["assets"] = assets
        out["checks"] = sorted(f"{c.asset_key.to_user_string()}:{c.name}" for c in layer.asset_graph.asset_check_keys)
    else:
        out["ops"] = sorted(node.name for node in job.graph.nodes)
    return out


def snapshot(defs: dg.Definitions) -> dict[str, Any]:
    graph = defs.resolve_asset_graph()
    assets: dict[str, Any] = {}
    checks: dict[str, Any] = {}
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        node = graph.get(key)
        if node.is_external:
            continue
        policy = node.backfill_policy
        assets[key.to_user_string()] = {
            "group": node.group_name,
            "kinds": sorted(node.kinds),
            "owners": sorted(node.owners),
            "deps": sorted(k.to_user_string() for k in node.parent_keys),
            "partitions": _partitions(node.partitions_def),
            "backfill_policy": None if policy is None else str(policy.policy_type),
            "pools": sorted(node.pools or []),
            "automation_condition": _condition(node.automation_condition),
            "checks": sorted(c.name for c in node.check_keys),
        }
    for check_key in sorted(graph.asset_check_keys, key=lambda c: (c.asset_key.to_user_string(), c.name)):
        spec = graph.get_check_spec(check_key)
        node = graph.get(check_key)
        checks[f"{check_key.asset_key.to_user_string()}:{check_key.name}"] = {
            "blocking": spec.blocking,
            "additional_deps": sorted(d.asset_key.to_user_string() for d in spec.additional_deps),
            "automation_condition": _condition(getattr(node, "automation_condition", None)),
        }
    repo = defs.get_repository_def()
    jobs = {name: _job(job) for name, job in ((j.name, j) for j in repo.get_all_jobs()) if not name.startswith("__ASSET_JOB")}
    schedules = {
        s.name: {
            "cron": s.cron_schedule,
            "timezone": s.execution_timezone,
            "job": s.job_name,
            "job_assets": jobs.get(s.job_name, {}).get("assets"),
            "default_status": str(s.default_status),
        }
        for s in sorted(repo.schedule_defs, key=lambda s: s.name)
    }
    sensors = {
        s.name: {
            "type": type(s).__name__,
            "default_status": str(s.default_status),
            "interval": s.minimum_interval_seconds,
            "jobs": sorted(t.job_name for t in s.targets),
            "asset_selection": None if s.asset_selection is None else _keys(s.asset_selection.resolve(graph)),
        }
        for s in sorted(repo.sensor_defs, key=lambda s: s.name)
    }
    return {
        "assets": assets,
        "asset_checks": checks,
        "jobs": jobs,
        "schedules": schedules,
        "sensors": sensors,
        "resources": sorted(repo.get_top_level_resources()),
    }


def current() -> dict[str, Any]:
    from polymarket_assets_tests.support.code_location import code_location

    return snapshot(code_location())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help=f"write {SNAPSHOT} instead of printing")
    args = parser.parse_args(argv)
    text = json.dumps(current(), indent=1, sort_keys=True) + "\n"
    if args.write:
        SNAPSHOT.parent.mkdir(parents=True, exist_ok=True)
        SNAPSHOT.write_text(text)
        print(f"wrote {SNAPSHOT}")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
