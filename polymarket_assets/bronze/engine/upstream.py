"""Read back rows of an upstream bronze partition (for assets derived from another bronze dataset)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator
from typing import Any

import dagster as dg

from polymarket_assets.bronze.engine.object_walk import Fetched
from polymarket_assets.bronze.parquet_io import BronzeRoot, iter_partition_batches, partition_dir, partition_exists
from polymarket_assets.lake import as_lake_path


def require_partitions(bronze_root: BronzeRoot, upstream: str, days: list[dt.date], downstream: str) -> None:
    missing = [d.isoformat() for d in days if not partition_exists(bronze_root, upstream, d)]
    if missing:
        raise dg.Failure(
            description=(
                f"bronze/{downstream} is built from bronze/{upstream}, whose partition(s) {', '.join(missing)} "
                f"are missing under {as_lake_path(bronze_root) / upstream}. Materialize bronze/{upstream} for those days first "
                f"(or select both assets in the same run)."
            )
        )


def iter_raw_objects(bronze_root: BronzeRoot, upstream: str, days: Iterable[dt.date], kind: str) -> Iterator[Fetched]:
    """Each row's ``raw_json`` of the ``upstream`` partitions of ``days`` (in that order) decoded, tagged with
    the partition day and the row's ``fetched_at``."""
    for day in days:
        url = partition_dir(bronze_root, upstream, day).as_uri()
        for batch in iter_partition_batches(bronze_root, upstream, day):
            raws = batch.column("raw_json").to_pylist()
            fetched = batch.column("fetched_at").to_pylist()
            for raw, fetched_at in zip(raws, fetched, strict=True):
                obj: Any = json.loads(raw)
                yield Fetched(obj, url, fetched_at, kind=kind, day=day)
