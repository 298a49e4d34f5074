"""Subprocess helpers for the crash tests (killed with SIGKILL by the test)."""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import sys
import time
from decimal import Decimal


def slow_writer(root: str, day: str) -> None:
    """Stream rows into a partition forever (row group by row group), never committing."""
    from polymarket_assets.bronze.parquet_io import PartitionWriter
    from polymarket_assets.bronze.schemas import MARKET_TOKENS

    now = dt.datetime.now(dt.timezone.utc)
    with PartitionWriter(root, "market_tokens", day, MARKET_TOKENS, row_group_size=1000) as writer:
        i = 0
        while True:
            writer.write_rows([
                {"token_id": str(10**76 + i + k), "market_id": str(i + k), "outcome_index": 0, "price": Decimal("0.1"), "fetched_at": now}
                for k in range(1000)
            ])
            i += 1000
            print(f"rows {i} tmp {writer.tmp_path}", flush=True)
            time.sleep(0.05)


def materialize_range(base_url: str, data_dir: str, first: str, last: str, days_per_walk: int) -> None:
    """Materialize bronze/markets for a range, one API walk per ``days_per_walk`` days."""
    import warnings
    from pathlib import Path

    warnings.simplefilter("ignore")
    import dagster as dg

    from polymarket_assets.bronze.datasets import markets as markets_dataset
    from polymarket_assets.defs.bronze.markets import markets
    from polymarket_assets_tests.bronze.conftest import make_resources

    markets_dataset.SPEC = dataclasses.replace(markets_dataset.SPEC, max_days_per_walk=days_per_walk)
    dg.materialize(
        [markets],
        resources=make_resources(Path(data_dir), base_url),
        tags={"dagster/asset_partition_range_start": first, "dagster/asset_partition_range_end": last},
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["writer", "range"])
    parser.add_argument("args", nargs="*")
    ns = parser.parse_args()
    if ns.mode == "writer":
        slow_writer(*ns.args)
    else:
        base_url, data_dir, first, last, per_walk = ns.args
        materialize_range(base_url, data_dir, first, last, int(per_walk))
    sys.exit(0)
