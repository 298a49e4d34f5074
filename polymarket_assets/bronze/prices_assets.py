"""``bronze/prices``: the price-history points of a UTC day for every outcome token of the markets active that
day, from CLOB ``POST /batch-prices-history`` (api_reference §2.4).

Rows of partition ``dt=D``: one row per (``token_id``, ``ts``) with ``D 00:00 <= ts < D+1 00:00`` UTC, for each
token of a market active on D (``active_markets.py``; points of a token on days its market was not active are
not kept, and are counted). ``price`` is the API's ``p`` (a mid/last composite, forward-filled every bucket
even without trades — not a trade print), ``resolution_seconds`` the bucket the points were requested at,
``source`` = ``clob:/batch-prices-history``. Key: (``token_id``, ``ts``) — unique per partition (the client
merges split windows on ``t``).

**Finest fidelity the API still retains** (:func:`finest_fidelity_minutes`): ``RETENTION`` applied to the
age of the day's *start* when the run starts; the chosen bucket is stored per row. For this endpoint (CLOB)
that is 1 minute at every age: api_reference §2.4 reports 1-minute history for resolved markets back to 2024.
(The tiered table of §3.2 — 1 min ≥ 7 days, 5 min ≥ 60 days, 30 min ≥ 90 days, then 3 h — is the Data API
v2's ``/v2/prices-history`` retention, not the CLOB's.) Run config ``fidelity_minutes`` asks for a coarser
bucket.

**Range runs** (``BackfillPolicy.single_run``): markets are discovered once for the range; pending days are
cut into windows of ``window_days`` consecutive days sharing one fidelity (≤ 15 days, the API's window cap);
per window, tokens are sorted by lifetime and sent ≤ 20 per request with a window covering just their
active days, so one request serves up to ``window_days`` partitions. ``workers`` requests are in flight at
once (the shared limiter paces them); one thread writes. Each window's days are committed atomically and
checkpointed when the window is done; a failed range resumes from the days not yet committed.

Bad input: undecodable bodies are quarantined and re-requested (``GuardedEndpoint``); a JSON body of the
wrong shape is quarantined and the request retried (``MAX_REQUEST_RETRIES``), then counted as lost (each
lost token-day counts as a full day of points); malformed points are quarantined one by one. A day is not
committed when its quarantined share passes ``max_quarantine_share``.
"""

import datetime as dt
import math
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any, Optional

import dagster as dg
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field

from polymarket_assets.bronze.active_markets import ActiveMarket
from polymarket_assets.bronze.api import RunApi
from polymarket_assets.bronze.asset_defaults import POOL_CLOB, bronze_asset_kwargs
from polymarket_assets.bronze.config import BronzeRunConfig
from polymarket_assets.bronze.metadata import table_schema
from polymarket_assets.bronze.parquet_io import PartitionWriter, WrittenPartition
from polymarket_assets.bronze.partitions import contiguous_chunks, day_bounds, partition_days, utc_now
from polymarket_assets.bronze.quarantine import Quarantine, check_threshold
from polymarket_assets.bronze.range_run import DiscoverySink, RangeReport, discover_markets, open_range, range_label, range_run_result, resume_hint_on_failure
from polymarket_assets.bronze.schemas import PRICES
from polymarket_assets.clients.clob.client import BATCH_HISTORY_MAX_TOKENS, ClobClient
from polymarket_assets.clients.errors import MalformedResponseError
from polymarket_assets.clients.pagination import malformed
from polymarket_assets.clients import compact_json
from polymarket_assets.resources import LakeResource, PolymarketApiResource

ASSET = "prices"
SOURCE = "clob:/batch-prices-history"
MAX_WINDOW_DAYS = 15
MAX_REQUEST_RETRIES = 2
ROW_GROUP_SIZE = 256_000
PREVIEW_ROWS = 5

#: (kept at least this long, finest bucket in minutes), finest first; None = permanent. CLOB prices history:
#: 1-minute points observed back to 2024 (api_reference §2.4), so one permanent tier.
RETENTION: tuple[tuple[dt.timedelta | None, int], ...] = ((None, 1),)


def finest_fidelity_minutes(day: dt.date, now: dt.datetime) -> int:
    """The finest bucket (minutes) the API still retains for every point of ``day`` at ``now``."""
    age = now - day_bounds(day)[0]
    for kept_for, minutes in RETENTION:
        if kept_for is None or age <= kept_for:
            return minutes
    raise AssertionError("RETENTION ends with a permanent entry")


class PricesRunConfig(BronzeRunConfig):
    """``BronzeRunConfig`` plus the windowing knobs."""

    window_days: int = Field(default=7, ge=1, le=MAX_WINDOW_DAYS, description="Days one request covers (≤ 15).")
    fidelity_minutes: Optional[int] = Field(
        default=None, ge=1, le=1440, description="Bucket in minutes; default: the finest the API retains for the day's age."
    )
    workers: int = Field(default=4, ge=1, le=32, description="Requests in flight at once (the shared limiter paces them).")


def price_windows(
    pending: Sequence[dt.date], window_days: int, now: dt.datetime, fixed_minutes: Optional[int] = None
) -> list[tuple[list[dt.date], int]]:
    """Consecutive pending days in windows of ≤ ``window_days`` that share one fidelity: ``[(days, minutes)]``.

    ``fixed_minutes`` (run config ``fidelity_minutes``) replaces the finest retained bucket for every day."""
    windows: list[tuple[list[dt.date], int]] = []
    for chunk in contiguous_chunks(list(pending), window_days):
        current: list[dt.date] = []
        fidelity = None
        for day in chunk:
            minutes = fixed_minutes or finest_fidelity_minutes(day, now)
            if current and minutes != fidelity:
                windows.append((current, fidelity))  # type: ignore[arg-type]
                current = []
            current.append(day)
            fidelity = minutes
        if current:
            windows.append((current, fidelity))  # type: ignore[arg-type]
    return windows


def batch_prices_request(clob: ClobClient, token_ids: list[str], *, start_ts: int, end_ts: int, fidelity: int) -> dict[str, list[Any]]:
    """One ``POST /batch-prices-history`` (≤ 20 tokens, ≤ 15 days) → ``{token_id: [raw points]}``.

    Points are returned as sent (validated one by one by the caller, so one malformed point is quarantined
    without losing the response); ``ClobClient.batch_prices_history`` is not used because it splits and
    merges windows (not needed here) and its merge sorts on ``t`` before any validation.
    """
    if len(token_ids) > BATCH_HISTORY_MAX_TOKENS or end_ts - start_ts > MAX_WINDOW_DAYS * 86_400:
        raise ValueError("batch_prices_request takes ≤ 20 tokens and ≤ 15 days")
    body = {"markets": token_ids, "start_ts": start_ts, "end_ts": end_ts, "fidelity": fidelity}
    response = clob.endpoint.raw("POST", "/batch-prices-history", json_body=body)
    value = clob.endpoint.decode(response, expect=dict)
    history = value.get("history")
    if not isinstance(history, dict):
        raise malformed(clob.endpoint, response, "expected {'history': {token_id: [...]}}")
    for token, points in history.items():
        if not isinstance(points, list):
            raise malformed(clob.endpoint, response, f"history[{token!r}] is not an array")
    return {str(token): points for token, points in history.items()}


@dataclass(frozen=True)
class TokenSpan:
    token_id: str
    condition_id: str | None
    days: tuple[dt.date, ...]  # window days on which the token's market is active


def token_spans(markets: Sequence[ActiveMarket], days: Sequence[dt.date]) -> list[TokenSpan]:
    """Tokens of markets active on some of ``days``, ordered by lifetime so a request's window stays tight."""
    spans: dict[str, TokenSpan] = {}
    for market in markets:
        active = tuple(market.active_days(days))
        if not active:
            continue
        for token in market.token_ids:
            if token in spans:
                merged = tuple(sorted(set(spans[token].days) | set(active)))
                spans[token] = TokenSpan(token, spans[token].condition_id, merged)
            else:
                spans[token] = TokenSpan(token, market.condition_id, active)
    return sorted(spans.values(), key=lambda s: (s.days[0], s.days[-1], s.token_id))


@dataclass
class _Day:
    day: dt.date
    quarantine: Quarantine
    writer: PartitionWriter | None = None
    rows: int = 0
    quarantined_points: int = 0
    lost_token_days: int = 0
    preview: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class PricesReport(RangeReport):
    fidelity: dict[dt.date, int] = field(default_factory=dict)
    requests: int = 0
    tokens: int = 0
    points_outside_active_days: int = 0
    request_retries: int = 0
    lost_requests: int = 0


class PricesBackfill:
    """Fetch and commit the pending days of one range, window by window (see module docstring)."""

    def __init__(
        self,
        *,
        clob: ClobClient | None,
        bronze_root: Any,
        quarantine_root: Any,
        pending: Sequence[dt.date],
        markets: Sequence[ActiveMarket],
        now: dt.datetime,
        window_days: int = 7,
        workers: int = 4,
        fidelity_minutes: Optional[int] = None,
        max_quarantine_share: float = 0.05,
        on_commit: Callable[[dt.date, WrittenPartition], None] | None = None,
        log: Any = None,
    ):
        self.clob = clob
        self.bronze_root = bronze_root
        self.quarantine_root = quarantine_root
        self.pending = sorted(pending)
        self.markets = markets
        self.now = now
        self.window_days = window_days
        self.workers = workers
        self.fidelity_minutes = fidelity_minutes
        self.max_share = max_quarantine_share
        self.on_commit = on_commit
        self.log = log
        self.report = PricesReport()
        self._days: dict[dt.date, _Day] = {}
        self._quarantine_lock = threading.Lock()  # request threads and the writer thread both quarantine

    # -- quarantine of undecodable bodies (called from request threads) ------------------------------
    def bad_body(self, body: bytes, reason: str, url: str) -> None:
        day = min(self._days) if self._days else self.pending[0]
        state = self._days.get(day)
        box = state.quarantine if state else Quarantine(self.quarantine_root, ASSET, day)
        with self._quarantine_lock:
            box.add(body, reason, url, {"level": "response", "refetched": True})

    def run(self) -> PricesReport:
        for window, fidelity in price_windows(self.pending, self.window_days, self.now, self.fidelity_minutes):
            self._run_window(window, fidelity)
        return self.report

    def _fetch(self, chunk: list[TokenSpan], start_ts: int, end_ts: int, fidelity: int) -> tuple[Any, dt.datetime, int]:
        """One batch request, retried on a wrong-shape body. Returns (history | exception, fetched_at, retries)."""
        assert self.clob is not None, "PricesBackfill.clob must be set before run()"
        retries = 0
        while True:
            try:
                history = batch_prices_request(self.clob, [s.token_id for s in chunk], start_ts=start_ts, end_ts=end_ts, fidelity=fidelity)
                return history, utc_now(), retries
            except MalformedResponseError as exc:
                if not getattr(exc, "already_quarantined", False):
                    self.bad_body(exc.body, exc.reason, exc.url or "")
                if retries >= MAX_REQUEST_RETRIES:
                    return exc, utc_now(), retries
                retries += 1

    def _run_window(self, window: list[dt.date], fidelity: int) -> None:
        self._days = {d: _Day(d, Quarantine(self.quarantine_root, ASSET, d)) for d in window}
        spans = token_spans(self.markets, window)
        self.report.tokens += len(spans)
        chunks = [spans[i : i + BATCH_HISTORY_MAX_TOKENS] for i in range(0, len(spans), BATCH_HISTORY_MAX_TOKENS)]
        try:
            with ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="prices") as pool:
                in_flight: dict[Future, tuple[list[TokenSpan], int, int]] = {}
                queue_ = list(reversed(chunks))
                while queue_ or in_flight:
                    while queue_ and len(in_flight) < 2 * self.workers:
                        chunk = queue_.pop()
                        start_ts = int(day_bounds(min(s.days[0] for s in chunk))[0].timestamp())
                        end_ts = int(day_bounds(max(s.days[-1] for s in chunk))[1].timestamp())
                        in_flight[pool.submit(self._fetch, chunk, start_ts, end_ts, fidelity)] = (chunk, start_ts, end_ts)
                    done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
                    for future in done:
                        chunk, start_ts, end_ts = in_flight.pop(future)
                        history, fetched_at, retries = future.result()
                        self.report.requests += 1 + retries
                        self.report.request_retries += retries
                        if isinstance(history, Exception):
                            self.report.lost_requests += 1
                            for span in chunk:
                                for day in span.days:
                                    self._days[day].lost_token_days += 1
                            continue
                        for span in chunk:
                            self._write_token(span, history.get(span.token_id) or [], fidelity, fetched_at)
            for day in window:
                self._commit(self._days[day], fidelity)
        except BaseException:
            for state in self._days.values():
                if state.writer is not None:
                    state.writer.abort()
            raise

    def _writer(self, day: dt.date) -> PartitionWriter:
        state = self._days[day]
        if state.writer is None:
            state.writer = PartitionWriter(self.bronze_root, ASSET, day, PRICES, row_group_size=ROW_GROUP_SIZE)
        return state.writer

    def _valid_points(self, span: TokenSpan, points: list[Any]) -> tuple[list[int], list[float]]:
        """(t, p) of the well-formed points, oldest first, one per ``t``; malformed ones go to quarantine (filed
        under their day if known)."""
        by_t: dict[int, float] = {}  # one point per timestamp (the last one sent wins)
        for point in points:
            problem = None
            t = p = None
            if not isinstance(point, dict):
                problem = f"price point is a {type(point).__name__}, expected an object"
            else:
                t, p = point.get("t"), point.get("p")
                if isinstance(t, bool) or not isinstance(t, (int, float)) or (isinstance(t, float) and not t.is_integer()):
                    problem = f"t is not integer seconds: {t!r}"
                elif isinstance(p, bool) or not isinstance(p, (int, float)) or not math.isfinite(p) or not 0 <= p <= 1:
                    problem = f"p is not a probability: {p!r}"
            if problem is None:
                by_t[int(t)] = float(p)  # type: ignore[arg-type]
                continue
            day = span.days[0]
            if isinstance(t, (int, float)) and not isinstance(t, bool):
                try:
                    candidate = dt.datetime.fromtimestamp(t, dt.timezone.utc).date()
                    day = candidate if candidate in self._days else day
                except (OverflowError, OSError, ValueError):
                    pass
            body = compact_json({"token_id": span.token_id, "point": point}).encode()
            with self._quarantine_lock:
                self._days[day].quarantine.add(body, f"malformed price point: {problem}", None, {"level": "point", "token_id": span.token_id})
            self._days[day].quarantined_points += 1
        ordered = sorted(by_t)
        return ordered, [by_t[t] for t in ordered]

    def _write_token(self, span: TokenSpan, points: list[Any], fidelity: int, fetched_at: dt.datetime) -> None:
        ts, ps = self._valid_points(span, points if isinstance(points, list) else [])
        if not ts:
            return
        t_arr = pa.array(ts, pa.int64())
        p_arr = pc.cast(pa.array(ps, pa.float64()), PRICES.field("price").type, safe=False)
        kept = 0
        for day in span.days:
            lo, hi = (int(x.timestamp()) for x in day_bounds(day))
            mask = pc.and_(pc.greater_equal(t_arr, lo), pc.less(t_arr, hi))
            day_t = pc.filter(t_arr, mask)
            n = len(day_t)
            if n == 0:
                continue
            kept += n
            table = pa.table(
                {
                    "token_id": pa.array([span.token_id] * n, pa.string()),
                    "condition_id": pa.array([span.condition_id] * n, pa.string()),
                    "ts": pc.cast(pc.multiply(day_t, 1_000_000), pa.int64()).cast(PRICES.field("ts").type),
                    "price": pc.filter(p_arr, mask),
                    "resolution_seconds": pa.array([fidelity * 60] * n, pa.int32()),
                    "source": pa.array([SOURCE] * n, pa.string()),
                    "fetched_at": pa.array([fetched_at] * n, PRICES.field("fetched_at").type),
                },
                schema=PRICES,
            )
            self._writer(day).write_table(table)
            state = self._days[day]
            state.rows += n
            if len(state.preview) < PREVIEW_ROWS:
                state.preview.extend(table.slice(0, PREVIEW_ROWS - len(state.preview)).to_pylist())
        self.report.points_outside_active_days += len(ts) - kept

    def _commit(self, state: _Day, fidelity: int) -> None:
        per_day = (24 * 60) // fidelity
        quarantined = state.quarantined_points + state.lost_token_days * per_day
        check_threshold(
            quarantined,
            state.rows + quarantined,
            self.max_share,
            what=f"price points of {state.day} (a lost token-day counts as {per_day} points)",
        )
        written = self._writer(state.day).commit()
        state.writer = None
        self.report.record_commit(state.day, written, state.preview, state.quarantine.count)
        self.report.fidelity[state.day] = fidelity
        if self.on_commit is not None:
            self.on_commit(state.day, written)
        if self.log:
            self.log.info(f"prices: committed {state.day} ({written.rows} points at {fidelity} min)")


@dg.asset(
    name=ASSET,
    **bronze_asset_kwargs(
        kinds={"polymarket"},
        pool=POOL_CLOB,
        description=(
            "Price-history points of that UTC day for every outcome token of the markets active that day, from CLOB "
            "POST /batch-prices-history (≤ 20 tokens per call) at the finest bucket the API still retains for the "
            "day's age (the CLOB keeps 1-minute history at every age; run config fidelity_minutes asks for coarser); "
            "resolution_seconds stored."
        ),
        metadata={"dagster/column_schema": table_schema(PRICES), "key": "token_id, ts", "source": SOURCE},
    ),
)
def prices(context: dg.AssetExecutionContext, config: PricesRunConfig, polymarket_api: PolymarketApiResource, lake: LakeResource) -> dg.MaterializeResult:
    days = partition_days(context)
    first, last = days[0], days[-1]
    run_id = context.run_id
    now = utc_now()
    checkpoint, pending = open_range(lake, ASSET, days, run_id, fresh=config.fresh)
    if checkpoint.resumed:
        context.log.info(f"prices {first}..{last}: resuming; {len(checkpoint.resumed)} day(s) kept, {len(pending)} to fetch")
    api = RunApi(polymarket_api, config.timeout)
    stats = api.stats
    before = stats.snapshot()
    started = time.monotonic()
    discovery = DiscoverySink(lake.quarantine, ASSET, pending[0] if pending else first)
    markets: list[ActiveMarket] = []
    report = PricesReport()
    with resume_hint_on_failure(ASSET, days, checkpoint):
        if pending:
            markets = discover_markets(
                api,
                discovery,
                pending[0],
                pending[-1],
                limit=config.limit,
                unusable_page=lambda reason: (
                    f"prices {first}..{last}: Gamma market discovery got an unusable page ({reason}); body "
                    f"quarantined under {lake.quarantine / ASSET}; nothing written. Re-run later."
                ),
            )
            engine = PricesBackfill(
                clob=None,
                bronze_root=lake.bronze,
                quarantine_root=lake.quarantine,
                pending=pending,
                markets=markets,
                now=now,
                window_days=config.window_days,
                fidelity_minutes=config.fidelity_minutes,
                workers=config.workers,
                max_quarantine_share=config.max_quarantine_share,
                on_commit=lambda day, written: checkpoint.mark_done(day, written.rows, written.bytes, run_id),
                log=context.log,
            )
            engine.clob = api.clob(engine.bad_body)
            report = engine.run()
    checkpoint.clear()

    delta = stats.since(before)
    return range_run_result(
        context,
        schema=PRICES,
        days=days,
        report=report,
        kept=checkpoint.resumed,
        stats_delta=delta,
        markets_active=len(markets),
        quarantined_elsewhere=discovery.count,
        extra={
            "tokens": dg.MetadataValue.int(report.tokens),
            "batch_requests": dg.MetadataValue.int(report.requests),
            "lost_requests": dg.MetadataValue.int(report.lost_requests),
            "points_outside_active_days": dg.MetadataValue.int(report.points_outside_active_days),
            "fidelity_minutes_by_day": dg.MetadataValue.json({d.isoformat(): m for d, m in sorted(report.fidelity.items())}),
            "elapsed_seconds": dg.MetadataValue.float(round(time.monotonic() - started, 3)),
            "range": dg.MetadataValue.text(range_label(days)),
            "source": dg.MetadataValue.text(SOURCE),
            "limited": dg.MetadataValue.bool(config.limit is not None),
        },
        written_status=lambda day: f"written by run {run_id} at {report.fidelity[day]}-minute resolution",
    )
