"""One chaos target, run in this process until done or killed (``python -m polymarket_assets_tests.chaos.worker
<target> <root> [<base url>]``). Prints ``READY`` once imports are done and ``DONE <seconds>`` at the end; the
harness kills it at a random moment in between. The same functions re-run a target in the harness."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import dagster as dg


def run_bronze_backfill(root: Path, base_url: str) -> dg.ExecuteInProcessResult:
    from polymarket_assets.defs.bronze.trades import trades
    from polymarket_assets_tests.bronze.conftest import make_resources
    from polymarket_assets_tests.bronze.range_helpers import RANGE, asset_config, range_tags

    return dg.materialize([trades], resources=make_resources(root, base_url), run_config=asset_config("bronze__trades", page_size=40),
                          tags=range_tags(RANGE[0], RANGE[-1]))


def run_silver_load(root: Path, base_url: str = "") -> dg.ExecuteInProcessResult:
    from polymarket_assets_tests.silver.helpers import materialize

    return materialize(root / "lake", root / "polymarket.duckdb")


def run_gold_build(root: Path, base_url: str = "") -> dg.ExecuteInProcessResult:
    from polymarket_assets_tests.gold.helpers import GOLD_ORDER, materialize_gold

    return materialize_gold(root / "lake", root / "polymarket.duckdb", select=GOLD_ORDER)


TARGETS = {"bronze_backfill": run_bronze_backfill, "silver_load": run_silver_load, "gold_build": run_gold_build}


def main() -> int:
    target, root = sys.argv[1], Path(sys.argv[2])
    base_url = sys.argv[3] if len(sys.argv) > 3 else ""
    func = TARGETS[target]
    import polymarket_assets_tests.bronze.conftest
    import polymarket_assets_tests.gold.helpers
    import polymarket_assets_tests.silver.helpers  # noqa: F401

    print("READY", flush=True)
    start = time.monotonic()
    result = func(root, base_url)
    print(f"DONE {time.monotonic() - start:.3f} {result.success}", flush=True)
    return 0 if result.success else 1


if __name__ == "__main__":
    raise SystemExit(main())
