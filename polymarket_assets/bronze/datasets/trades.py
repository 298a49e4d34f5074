"""``bronze/trades``: every trade executed on a UTC day in the markets active that day (Data API v2).

Rows of partition ``dt=D``: one row per fill whose ``timestamp`` falls in ``[D 00:00, D+1 00:00)`` UTC, for
every market active on D (``engine/active_markets.py``), from ``GET /v2/trades?condition=<≤20 ids>&taker_only=true``.

**Taker-only semantics.** ``taker_only=true`` (the API default) serves each fill exactly once, on its taker
side: ``side``/``proxy_wallet`` are the taker's, and the maker side of the same fill is not a separate row.
Volume = ``sum(size)`` counts each fill once. (``taker_only=false`` would add maker-side rows of the same
fills; they are not fetched.)

**Dedupe key.** ``trade_key = sha256(transaction_hash, condition_id, token_id, proxy_wallet, side, price,
size, timestamp, ordinal)`` (``price``/``size`` rendered with their 6 stored decimals, ``timestamp`` in epoch
seconds; fields joined with U+001F). ``ordinal`` numbers byte-identical fills of one transaction (a taker
matched two makers at the same price and size) in API order, so genuine repeats stay distinct rows while a
re-fetch of the same fill yields the same key: re-runs are idempotent and ``trade_key`` is unique within
the dataset. Duplicates from paging cannot arise: every condition id belongs to exactly one cursor chain, a
row whose ``condition_id`` is not in its chain's batch is quarantined (never written twice), and after a
chain restart the rows already written (newer than, or equal to, the chain's frontier) are skipped by key.

**How a range is fetched (one run per range, ``BackfillPolicy.single_run``).**

1. Markets active in the range are found once (one Gamma pass over the whole range). Days an earlier failed
   attempt of the same range already committed are kept (``engine/checkpoint.py``) unless ``fresh: true``.
2. Condition ids are grouped in batches of ≤ 20 (markets with similar lifetimes together; the batches depend
   only on the markets and the range, so they are the same in every attempt); each batch is ONE cursor
   chain over ``/v2/trades`` for the whole range, newest first (the API has no time filter for condition
   feeds, §3.2). A chain stops at its first page that is entirely older than the earliest pending day on
   which one of its markets is active.
3. ``workers`` threads fetch pages of different chains concurrently, always advancing the chain whose
   frontier (oldest timestamp seen) is newest, so every chain moves down the range in step. All requests go
   through the shared rate limiter (transport), which paces them at the ``/trades`` budget.
4. One consumer (this dataset's ``fetch``) routes each row to its UTC day (the engine streams it to that
   day's temporary file, bounded memory). Day D is *finished* when every live chain's frontier is older than
   D's start; it is then committed atomically by the engine and recorded in the checkpoint, together with, for every chain, the cursor of its
   first page holding rows older than D (or "exhausted"). Days therefore commit newest first, and a run
   that fails halfway keeps the finished days: the next attempt restarts each chain from its saved cursor
   (``DataApiClient.iter_trade_pages(cursor=...)``; a refused cursor falls back to the newest page), so the
   kept days are not paged again.
5. Malformed bodies (HTML, truncated or invalid JSON) are quarantined and the same page re-requested
   (``GuardedEndpoint``); a JSON page of the wrong shape is quarantined and its chain restarted (at most
   ``MAX_CHAIN_RESTARTS`` times, then abandoned: its missing pages count as ``page_size`` quarantined trades
   each). Unreadable rows are quarantined with the reason. A day fails (is not committed) when its
   quarantined share passes ``max_quarantine_share``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import dagster as dg

from polymarket_assets.bronze.datasets.trade_chains import usable_resume_record
from polymarket_assets.bronze.datasets.trade_walk import ChainPages, ChainWalk, TradesCounters
from polymarket_assets.bronze.engine.active_markets import ActiveMarket, DiscoverySink, discover_markets
from polymarket_assets.bronze.engine.dataset import Item
from polymarket_assets.bronze.engine.metadata import range_label
from polymarket_assets.bronze.schemas import TRADES

if TYPE_CHECKING:
    from polymarket_assets.bronze.engine.run import RunContext

ASSET = "trades"
ROW_GROUP_SIZE = 64_000
WRITER_BUFFER_BYTES = 24 * 1024 * 1024


class TradesDataset:
    """``bronze/trades`` for the engine: one batch (the pending days), fetched by :class:`ChainWalk`."""

    asset = ASSET
    schema = TRADES
    writer_options = {"row_group_size": ROW_GROUP_SIZE, "max_buffer_bytes": WRITER_BUFFER_BYTES}
    copied_to_partitions: tuple[str, ...] = ("range", "rows_by_day")

    def __init__(self, *, page_size: int = 1000, workers: int = 4):
        self.page_size = page_size
        self.workers = workers
        self.counters = TradesCounters()
        self.markets: list[ActiveMarket] = []
        self.resume: dict[str, Any] | None = None
        self.discovered_bodies = 0

    def prepare(self, run: RunContext) -> None:
        first, last = run.days[0], run.days[-1]
        self.resume = usable_resume_record(run.checkpoint.state.get("resume"), run.days, run.checkpoint.resumed_days)
        discovery = DiscoverySink(run, run.pending[0])
        try:
            self.markets = discover_markets(
                run,
                discovery,
                first,
                last,
                limit=run.config.limit,
                unusable_page=lambda reason: (
                    f"trades {first}..{last}: Gamma market discovery got an unusable page ({reason}); the body is "
                    f"quarantined under {run.lake.quarantine / ASSET}. Without the market list no day can be "
                    f"complete; nothing was written. Re-run later."
                ),
            )
        finally:
            self.discovered_bodies = discovery.count
        self.counters.markets_active = len(self.markets)
        run.log.info(f"trades: {len(self.markets)} market(s) active in {first}..{last}; {len(run.pending)} day(s) to fetch")

    def batches(self, pending: list[dt.date]) -> list[list[dt.date]]:
        return [pending]  # one cursor chain per condition batch over the whole range

    def fetch(self, batch: list[dt.date], run: RunContext) -> Iterator[Item]:
        pages = ChainPages(run.book, batch, self.counters)
        walk = ChainWalk(
            data=run.clients(on_bad_body=pages).data,
            pages=pages,
            book=run.book,
            range_days=run.days,
            pending=batch,
            markets=self.markets,
            counters=self.counters,
            page_size=self.page_size,
            workers=self.workers,
            resume=self.resume,
            log=run.log,
        )
        yield from walk.items()

    def metadata(self, run: RunContext) -> dict[str, Any]:
        c = self.counters
        return {
            "markets_active": dg.MetadataValue.int(c.markets_active),
            "markets_skipped_no_condition_id": dg.MetadataValue.int(c.markets_skipped),
            "condition_chains": dg.MetadataValue.int(c.chains),
            "pages": dg.MetadataValue.int(c.pages),
            "pages_with_rows_in_range": dg.MetadataValue.int(c.pages_with_range_rows),
            "rows_after_range_paged_through": dg.MetadataValue.int(c.rows_after_range),
            "rows_before_range_paged_through": dg.MetadataValue.int(c.rows_before_range),
            "rows_on_kept_days_skipped": dg.MetadataValue.int(c.rows_in_kept_days),
            "chain_restarts": dg.MetadataValue.int(c.chain_restarts),
            "chains_resumed_from_saved_cursor": dg.MetadataValue.int(c.chains_resumed_from_cursor),
            "chains_skipped_exhausted_on_kept_days": dg.MetadataValue.int(c.chains_skipped_exhausted),
            "saved_cursors_refused": dg.MetadataValue.int(c.resume_cursors_refused),
            "chains_abandoned": dg.MetadataValue.int(c.chains_abandoned),
            "replayed_rows_skipped": dg.MetadataValue.int(c.replayed_rows_skipped),
            "quarantined_bodies": dg.MetadataValue.int(c.quarantined_bodies + self.discovered_bodies),
            "elapsed_seconds": dg.MetadataValue.float(round(run.book.report.elapsed_seconds, 3)),
            "range": dg.MetadataValue.text(range_label(run.days)),
            "page_size": dg.MetadataValue.int(self.page_size),
            "limited": dg.MetadataValue.bool(run.config.limit is not None),
            "taker_only": dg.MetadataValue.bool(True),
        }

    def written_status(self, day: dt.date, run_id: str) -> str:
        return f"written by run {run_id}"
