"""``bronze/leaderboard``: leaderboard snapshots (day/week/month/all × PNL/VOLUME) taken on the partition day.

The Data API keeps no leaderboard history: a snapshot can only be taken *now*. Hence:

* partition = today (UTC): take a snapshot now and write it (a re-run replaces it with a newer snapshot);
* partition = yesterday: kept as is when it exists (never overwritten: the engine's ``Kept``); when missing
  (the schedule was off) a snapshot is taken now and written there, ``snapshot_at`` showing that it was taken
  after midnight;
* partition older than yesterday: the run fails before any request (:func:`check_days`, called by the asset
  before the engine starts), with a message saying why, and no existing partition is touched.

The run goes through the one bronze engine (:class:`LeaderboardDataset`): one batch (one snapshot) for all
the run's days, its rows written to every day that gets it, its rejected rows counted (on the last such day)
toward ``max_quarantine_share``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import dagster as dg

from polymarket_assets.bronze.coerce import RowCoercionError, coerce_row
from polymarket_assets.bronze.engine.dataset import Complete, Item, Kept, Rows
from polymarket_assets.bronze.engine.days import DayBook
from polymarket_assets.bronze.engine.object_walk import MAX_WALK_RESTARTS, fetched_items
from polymarket_assets.bronze.parquet_io import partition_exists
from polymarket_assets.bronze.partitions import utc_now, utc_today
from polymarket_assets.bronze.rows import leaderboard_row
from polymarket_assets.bronze.schemas import LEADERBOARD
from polymarket_assets.clients.data_api import DataApiClient, parse_leaderboard_row_v2
from polymarket_assets.clients.errors import MalformedResponseError
from polymarket_assets.clients.wire import ParseError

if TYPE_CHECKING:
    from polymarket_assets.bronze.engine.run import RunContext

ASSET = "leaderboard"
TIME_PERIODS = ("day", "week", "month", "all")
SORT_BYS = ("PNL", "VOLUME")
KEPT_STATUS = "kept: existing snapshot, never overwritten"


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


def take_snapshot(
    client: DataApiClient, book: DayBook, day: dt.date, *, category: str, max_rows: int, snapshot_at: dt.datetime
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """All 8 boards → (typed rows, per-board row counts). Unusable pages and rows are quarantined under
    ``day``; only the rows rejected by a board's final walk count toward the threshold (a restarted walk
    refetches the others)."""
    rows: list[dict[str, Any]] = []
    boards: dict[str, int] = {}
    for time_period in TIME_PERIODS:
        for sort_by in SORT_BYS:
            board = f"{time_period}/{sort_by}"
            restarts = 0
            while True:
                board_rows: list[dict[str, Any]] = []
                rejected: list[tuple[Any, str, str | None]] = []
                try:
                    pages = client.iter_leaderboard_pages(time_period=time_period, sort_by=sort_by, category=category)
                    for fetched in fetched_items(pages, kind="leaderboard row"):
                        try:
                            parsed = parse_leaderboard_row_v2(fetched.obj)
                            row = leaderboard_row(
                                parsed, snapshot_at=snapshot_at, time_period=time_period, sort_by=sort_by, category=category,
                                fetched_at=fetched.fetched_at,
                            )
                            board_rows.append(coerce_row(row, LEADERBOARD))
                        except (ParseError, RowCoercionError, ValueError, TypeError, KeyError) as exc:
                            rejected.append((fetched.obj, f"{type(exc).__name__}: {exc}", fetched.url))
                        if len(board_rows) >= max_rows:
                            break
                    break
                except MalformedResponseError as exc:
                    for obj, reason, url in rejected:  # kept, but refetched by the restarted walk
                        book.quarantine(day, obj, reason, url, {"level": "object", "board": board})
                    if not getattr(exc, "already_quarantined", False):
                        book.quarantine(day, exc.body, exc.reason, exc.url, {"level": "page", "board": board})
                    restarts += 1
                    if restarts > MAX_WALK_RESTARTS:
                        raise dg.Failure(
                            description=f"leaderboard {board}: the API kept returning unusable pages ({exc.reason}); nothing was written."
                        ) from exc
            for obj, reason, url in rejected:
                book.reject(day, obj, reason, url, {"level": "object", "board": board})
            rows.extend(board_rows)
            boards[board] = len(board_rows)
    return rows, boards


class LeaderboardDataset:
    """``bronze/leaderboard`` for the engine: one snapshot (one batch) for every day of the run that gets one."""

    asset = ASSET
    schema = LEADERBOARD
    writer_options: dict[str, int] = {}
    copied_to_partitions: tuple[str, ...] = ("snapshot_at",)

    def __init__(self, *, max_rows_per_board: int, category: str):
        self.max_rows_per_board = max_rows_per_board
        self.category = category
        self.snapshot_at: dt.datetime | None = None
        self.boards: dict[str, int] = {}
        self.written: list[dt.date] = []
        self.kept: list[dt.date] = []
        self.rows_written = 0

    def prepare(self, run: RunContext) -> None:
        pass

    def batches(self, pending: list[dt.date]) -> list[list[dt.date]]:
        return [pending]  # one snapshot serves every day of the run

    def fetch(self, batch: list[dt.date], run: RunContext) -> Iterator[Item]:
        today = utc_today()
        to_write = [d for d in batch if d == today or not partition_exists(run.lake.bronze, ASSET, d)]
        self.kept = [d for d in batch if d not in to_write]
        for d in self.kept:
            run.log.info(f"bronze/leaderboard {d}: a snapshot from that day already exists; it is kept (the API has no history to refetch).")
        if self.kept:
            yield Kept(self.kept, KEPT_STATUS)
        if not to_write:
            return
        day = to_write[-1]  # quarantined bodies and the threshold's counts go under the last day written
        book = run.book

        def on_bad_page(body: bytes, reason: str, url: str) -> None:
            book.quarantine(day, body, reason, url, {"level": "page"})

        client = run.clients(on_bad_body=on_bad_page).data
        max_rows = min(self.max_rows_per_board, run.config.limit or self.max_rows_per_board)
        self.snapshot_at = utc_now()
        rows, self.boards = take_snapshot(client, book, day, category=self.category, max_rows=max_rows, snapshot_at=self.snapshot_at)
        for d in to_write:
            yield Rows(d, rows, units=len(rows) if d == day else 0)  # the same snapshot, counted once
        yield Complete(to_write, what="leaderboard rows")
        self.written = to_write
        self.rows_written = len(rows) * len(to_write)

    def metadata(self, run: RunContext) -> dict[str, Any]:
        today = utc_today()
        late = [d.isoformat() for d in self.written if d != today]
        return {
            "snapshot_at": dg.MetadataValue.text(self.snapshot_at.isoformat() if self.snapshot_at else "(no new snapshot)"),
            "rows_per_board": dg.MetadataValue.json(self.boards),
            "kept_existing_days": dg.MetadataValue.text(", ".join(d.isoformat() for d in self.kept) or "none"),
            "rows_written_this_run": dg.MetadataValue.int(self.rows_written),
            "late_snapshot_days": dg.MetadataValue.text(", ".join(late) or "none"),
        }

    def written_status(self, day: dt.date, run_id: str) -> str:
        return f"written by run {run_id} (snapshot taken at {self.snapshot_at.isoformat() if self.snapshot_at else '?'})"
