"""``bronze/trades``: every trade executed on a UTC day in the markets active that day (Data API v2).

Rows of partition ``dt=D``: one row per fill whose ``timestamp`` falls in ``[D 00:00, D+1 00:00)`` UTC, for
every market active on D (``active_markets.py``), from ``GET /v2/trades?condition=<≤20 ids>&taker_only=true``.

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
   attempt of the same range already committed are kept (``checkpoint.py``) unless ``fresh: true``.
2. Condition ids are grouped in batches of ≤ 20 (markets with similar lifetimes together; the batches depend
   only on the markets and the range, so they are the same in every attempt); each batch is ONE cursor
   chain over ``/v2/trades`` for the whole range, newest first (the API has no time filter for condition
   feeds, §3.2). A chain stops at its first page that is entirely older than the earliest pending day on
   which one of its markets is active.
3. ``workers`` threads fetch pages of different chains concurrently, always advancing the chain whose
   frontier (oldest timestamp seen) is newest, so every chain moves down the range in step. All requests go
   through the shared rate limiter (transport), which paces them at the ``/trades`` budget.
4. One consumer routes each row to the ``PartitionWriter`` of its UTC day (streamed to a temporary file,
   bounded memory). Day D is *finished* when every live chain's frontier is older than D's start; it is then
   committed atomically and recorded in the checkpoint, together with, for every chain, the cursor of its
   first page holding rows older than D (or "exhausted"). Days therefore commit newest first, and a run
   that fails halfway keeps the finished days: the next attempt restarts each chain from its saved cursor
   (a refused cursor falls back to the newest page), so the kept days are not paged again.
5. Malformed bodies (HTML, truncated or invalid JSON) are quarantined and the same page re-requested
   (``GuardedEndpoint``); a JSON page of the wrong shape is quarantined and its chain restarted (at most
   ``MAX_CHAIN_RESTARTS`` times, then abandoned: its missing pages count as ``page_size`` quarantined trades
   each). Unreadable rows are quarantined with the reason. A day fails (is not committed) when its
   quarantined share passes ``max_quarantine_share``.
"""


# (no "from __future__ import annotations": Dagster reads the asset signature annotations at import)

import time

import dagster as dg
from pydantic import Field

from polymarket_assets.bronze.active_markets import ActiveMarket
from polymarket_assets.bronze.api import RunApi
from polymarket_assets.bronze.asset_defaults import POOL_DATA, bronze_asset_kwargs
from polymarket_assets.bronze.config import BronzeRunConfig
from polymarket_assets.bronze.metadata import table_schema
from polymarket_assets.bronze.partitions import partition_days
from polymarket_assets.bronze.range_run import DiscoverySink, discover_markets, open_range, range_label, range_run_result, resume_hint_on_failure
from polymarket_assets.bronze.schemas import TRADES
from polymarket_assets.bronze.trades_backfill import ASSET, TradesBackfill, TradesReport, usable_resume_record
from polymarket_assets.resources import LakeResource, PolymarketApiResource


class TradesRunConfig(BronzeRunConfig):
    """``BronzeRunConfig`` (limit, timeout, fresh, max_quarantine_share) plus the paging knobs."""

    page_size: int = Field(default=1000, ge=1, le=10_000, description="Trades per /v2/trades page (the API's limit, ≤ 10,000).")
    workers: int = Field(
        default=4, ge=1, le=32, description="Chains fetched concurrently; the shared limiter still paces every request."
    )


# ------------------------------------------------------------------------------------------------
# Rows and keys (pure)
# ------------------------------------------------------------------------------------------------


@dg.asset(
    name=ASSET,
    **bronze_asset_kwargs(
        kinds={"polymarket"},
        pool=POOL_DATA,
        description=(
            "Every trade executed that UTC day in the markets active that day, from Data API GET /v2/trades "
            "(taker_only=true: each fill once, on its taker side). Dedupe key trade_key. Range backfills page "
            "/v2/trades once per batch of 20 condition ids for the whole range and split rows by day."
        ),
        metadata={"dagster/column_schema": table_schema(TRADES), "dedupe_key": "trade_key", "taker_only": True},
    ),
)
def trades(context: dg.AssetExecutionContext, config: TradesRunConfig, polymarket_api: PolymarketApiResource, lake: LakeResource) -> dg.MaterializeResult:
    days = partition_days(context)
    first, last = days[0], days[-1]
    run_id = context.run_id
    checkpoint, pending = open_range(lake, ASSET, days, run_id, fresh=config.fresh)
    kept = sorted(checkpoint.resumed_days)
    resume = usable_resume_record(checkpoint.state.get("resume"), days, checkpoint.resumed_days)
    if kept:
        context.log.info(f"trades {first}..{last}: resuming; {len(kept)} day(s) kept from an earlier attempt, {len(pending)} to fetch")

    api = RunApi(polymarket_api, config.timeout)
    stats = api.stats
    before = stats.snapshot()
    started = time.monotonic()
    discovery = DiscoverySink(lake.quarantine, ASSET, pending[0] if pending else first)
    markets: list[ActiveMarket] = []
    report = TradesReport()
    engine: TradesBackfill | None = None
    with resume_hint_on_failure(ASSET, days, checkpoint):
        if pending:
            markets = discover_markets(
                api,
                discovery,
                first,
                last,
                limit=config.limit,
                unusable_page=lambda reason: (
                    f"trades {first}..{last}: Gamma market discovery got an unusable page ({reason}); the body is "
                    f"quarantined under {lake.quarantine / ASSET}. Without the market list no day can be complete; "
                    f"nothing was written. Re-run later."
                ),
            )
            context.log.info(f"trades: {len(markets)} market(s) active in {first}..{last}; {len(pending)} day(s) to fetch")
            engine = TradesBackfill(
                data=None,
                bronze_root=lake.bronze,
                quarantine_root=lake.quarantine,
                range_days=days,
                pending=pending,
                markets=markets,
                page_size=config.page_size,
                workers=config.workers,
                max_quarantine_share=config.max_quarantine_share,
                on_commit=lambda day, written, record: checkpoint.mark_done(day, written.rows, written.bytes, run_id, top={"resume": record}),
                log=context.log,
                resume=resume,
            )
            engine.data = api.data(engine.bad_body)
            report = engine.run()
    checkpoint.clear()

    elapsed = time.monotonic() - started
    delta = stats.since(before)
    return range_run_result(
        context,
        schema=TRADES,
        days=days,
        report=report,
        kept=checkpoint.resumed,
        stats_delta=delta,
        markets_active=len(markets),
        quarantined_elsewhere=discovery.count,
        extra={
            "markets_skipped_no_condition_id": dg.MetadataValue.int(engine.skipped_markets if engine else 0),
            "condition_chains": dg.MetadataValue.int(report.chains),
            "pages": dg.MetadataValue.int(report.pages),
            "pages_with_rows_in_range": dg.MetadataValue.int(report.pages_with_range_rows),
            "rows_after_range_paged_through": dg.MetadataValue.int(report.rows_after_range),
            "rows_before_range_paged_through": dg.MetadataValue.int(report.rows_before_range),
            "rows_on_kept_days_skipped": dg.MetadataValue.int(report.rows_in_kept_days),
            "chain_restarts": dg.MetadataValue.int(report.chain_restarts),
            "chains_resumed_from_saved_cursor": dg.MetadataValue.int(report.chains_resumed_from_cursor),
            "chains_skipped_exhausted_on_kept_days": dg.MetadataValue.int(report.chains_skipped_exhausted),
            "saved_cursors_refused": dg.MetadataValue.int(report.resume_cursors_refused),
            "chains_abandoned": dg.MetadataValue.int(report.chains_abandoned),
            "replayed_rows_skipped": dg.MetadataValue.int(report.replayed_rows_skipped),
            "quarantined_bodies": dg.MetadataValue.int(report.quarantined_bodies + discovery.count),
            "elapsed_seconds": dg.MetadataValue.float(round(elapsed, 3)),
            "range": dg.MetadataValue.text(range_label(days)),
            "page_size": dg.MetadataValue.int(config.page_size),
            "limited": dg.MetadataValue.bool(config.limit is not None),
            "taker_only": dg.MetadataValue.bool(True),
        },
        copied_to_partitions=("range", "rows_by_day"),
    )
