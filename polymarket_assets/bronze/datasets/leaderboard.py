"""``bronze/leaderboard``: leaderboard snapshots (day/week/month/all × PNL/VOLUME) taken on the partition day.

The Data API keeps no leaderboard history: a snapshot can only be taken *now*. Hence:

* partition = today (UTC): take a snapshot now and write it (a re-run replaces it with a newer snapshot);
* partition = yesterday: kept as is when it exists (never overwritten); when missing (the schedule was off)
  a snapshot is taken now and written there, ``snapshot_at`` showing that it was taken after midnight;
* partition older than yesterday: the run fails before any request, with a message saying why, and no
  existing partition is touched.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import dagster as dg

from polymarket_assets.bronze.coerce import RowCoercionError, coerce_row
from polymarket_assets.bronze.engine.metadata import add_partition_metadata, materialization_metadata, rows_by_day_md
from polymarket_assets.bronze.engine.object_walk import MAX_WALK_RESTARTS, fetched_items
from polymarket_assets.bronze.engine.quarantine import Quarantine, check_threshold
from polymarket_assets.bronze.parquet_io import PartitionWriter, partition_exists, partition_stats
from polymarket_assets.bronze.partitions import day_bounds, partition_days, utc_now, utc_today
from polymarket_assets.bronze.rows import leaderboard_row
from polymarket_assets.bronze.schemas import LEADERBOARD
from polymarket_assets.clients.data_api import DataApiClient, parse_leaderboard_row_v2
from polymarket_assets.clients.errors import MalformedResponseError
from polymarket_assets.clients.wire import ParseError, compact_json

ASSET = "leaderboard"
TIME_PERIODS = ("day", "week", "month", "all")
SORT_BYS = ("PNL", "VOLUME")


class LeaderboardTooOld(dg.Failure):
    pass


def check_days(days: list[dt.date], today: dt.date) -> None:
    yesterday = today - dt.timedelta(days=1)
    too_old = [d for d in days if d < yesterday]
    if too_old:
        raise LeaderboardTooOld(
            description=(
                f"bronze/leaderboard cannot be materialized for {', '.join(d.isoformat() for d in too_old)}: the "
                f"Data API keeps no leaderboard history, so a snapshot can only be taken now (today is {today}, UTC). "
                f"Only today's and yesterday's partitions can be materialized. Nothing was fetched and no existing "
                f"partition was touched."
            )
        )


def take_snapshot(client: DataApiClient, quarantine: Quarantine, *, category: str, max_rows: int, snapshot_at: dt.datetime):
    """All 8 boards → (typed rows, objects seen, objects rejected, per-board row counts)."""
    rows: list[dict[str, Any]] = []
    seen = 0
    rejected = 0
    boards: dict[str, int] = {}
    for time_period in TIME_PERIODS:
        for sort_by in SORT_BYS:
            board_rows: list[dict[str, Any]] = []
            restarts = 0
            while True:
                board_rows, board_seen, board_rejected = [], 0, 0
                try:
                    pages = client.iter_leaderboard_pages(time_period=time_period, sort_by=sort_by, category=category)
                    for fetched in fetched_items(pages, kind="leaderboard row"):
                        board_seen += 1
                        try:
                            parsed = parse_leaderboard_row_v2(fetched.obj)
                            row = leaderboard_row(
                                parsed, snapshot_at=snapshot_at, time_period=time_period, sort_by=sort_by, category=category, fetched_at=fetched.fetched_at
                            )
                            board_rows.append(coerce_row(row, LEADERBOARD))
                        except (ParseError, RowCoercionError, ValueError, TypeError, KeyError) as exc:
                            board_rejected += 1
                            quarantine.add(compact_json(fetched.obj).encode(), f"{type(exc).__name__}: {exc}", fetched.url, {"level": "object", "board": f"{time_period}/{sort_by}"})
                        if len(board_rows) >= max_rows:
                            break
                    break
                except MalformedResponseError as exc:
                    if not getattr(exc, "already_quarantined", False):
                        quarantine.add(exc.body, exc.reason, exc.url, {"level": "page", "board": f"{time_period}/{sort_by}"})
                    restarts += 1
                    if restarts > MAX_WALK_RESTARTS:
                        raise dg.Failure(
                            description=f"leaderboard {time_period}/{sort_by}: the API kept returning unusable pages ({exc.reason}); nothing was written."
                        ) from exc
            seen += board_seen
            rejected += board_rejected
            rows.extend(board_rows)
            boards[f"{time_period}/{sort_by}"] = len(board_rows)
    return rows, seen, rejected, boards


def snapshot_days(
    context: dg.AssetExecutionContext, *, polymarket_api: Any, lake: Any, max_rows_per_board: int, category: str, limit: int | None,
    timeout: float | None, max_quarantine_share: float,
) -> dg.MaterializeResult:
    """Take one snapshot now and write it to the run's partitions that may get one (see the module docstring)."""
    days = partition_days(context)
    today = utc_today()
    check_days(days, today)
    to_write = [d for d in days if d == today or not partition_exists(lake.bronze, ASSET, d)]
    kept = [d for d in days if d not in to_write]
    for d in kept:
        context.log.info(f"bronze/leaderboard {d}: a snapshot from that day already exists; it is kept (the API has no history to refetch).")

    stats = polymarket_api.stats
    before = stats.snapshot()
    written: dict[str, tuple[int, int]] = {}
    rows: list[dict[str, Any]] = []
    boards: dict[str, int] = {}
    quarantined = 0
    snapshot_at = utc_now()
    if to_write:
        quarantine = Quarantine(lake.quarantine, ASSET, to_write[-1])
        bad_pages = []

        def on_bad_page(body: bytes, reason: str, url: str) -> None:
            bad_pages.append(url)
            quarantine.add(body, reason, url, {"level": "page"})

        client = polymarket_api.clients(timeout=timeout, on_bad_body=on_bad_page).data
        max_rows = min(max_rows_per_board, limit or max_rows_per_board)
        rows, seen, rejected, boards = take_snapshot(client, quarantine, category=category, max_rows=max_rows, snapshot_at=snapshot_at)
        quarantined = quarantine.count
        # recovered pages lose nothing: only rejected rows count toward the threshold
        check_threshold(rejected, seen, max_quarantine_share, what="leaderboard rows")
        for day in to_write:
            with PartitionWriter(lake.bronze, ASSET, day, LEADERBOARD) as writer:
                writer.write_rows(rows)
                result = writer.commit()
            written[day.isoformat()] = (result.rows, result.bytes)
    kept_md = {d.isoformat(): partition_stats(lake.bronze, ASSET, d) for d in kept}
    per_day = {k: (*v, "written") for k, v in written.items()}
    per_day.update({k: (*v, "kept: existing snapshot, never overwritten") for k, v in kept_md.items()})
    add_partition_metadata(context, per_day)
    late = [d.isoformat() for d in to_write if d != today]
    metadata = materialization_metadata(
        # rows of the partitions this run covers (a kept snapshot is still that partition's content)
        table_or_rows_count=sum(r for r, _ in written.values()) + sum(r for r, _ in kept_md.values()),
        schema=LEADERBOARD,
        stats_delta=stats.since(before),
        bytes_written=sum(b for _, b in written.values()),
        window=(day_bounds(days[0])[0], day_bounds(days[-1])[1]),
        preview=rows[:5],
        quarantined=quarantined,
        extra={
            "snapshot_at": dg.MetadataValue.text(snapshot_at.isoformat() if to_write else "(no new snapshot)"),
            "rows_per_board": dg.MetadataValue.json(boards),
            "rows_by_day": dg.MetadataValue.md(rows_by_day_md(written, list(kept_md), kept_label="kept (existing snapshot; never overwritten)")),
            "kept_existing_days": dg.MetadataValue.text(", ".join(kept_md) or "none"),
            "rows_written_this_run": dg.MetadataValue.int(sum(r for r, _ in written.values())),
            "late_snapshot_days": dg.MetadataValue.text(", ".join(late) or "none"),
        },
    )
    return dg.MaterializeResult(metadata=metadata)
