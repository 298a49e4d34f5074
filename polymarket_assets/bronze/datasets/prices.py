"""``bronze/prices``: the price-history points of a UTC day for every outcome token of the markets active that
day, from CLOB ``POST /batch-prices-history`` (api_reference §2.4).

Rows of partition ``dt=D``: one row per (``token_id``, ``ts``) with ``D 00:00 <= ts < D+1 00:00`` UTC, for each
token of a market active on D (``engine/active_markets.py``; points of a token on days its market was not active are
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
checkpointed by the engine when the window is done; a failed range resumes from the days not yet committed.

Bad input: undecodable bodies are quarantined and re-requested (``GuardedEndpoint``); a JSON body of the
wrong shape is quarantined and the request retried (``MAX_REQUEST_RETRIES``), then counted as lost (each
lost token-day counts as a full day of points); malformed points are quarantined one by one. A day is not
committed when its quarantined share passes ``max_quarantine_share``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, Optional

import dagster as dg
import pyarrow as pa
import pyarrow.compute as pc

from polymarket_assets.bronze.coerce import coerce_value
from polymarket_assets.bronze.engine.active_markets import ActiveMarket, DiscoverySink, discover_markets
from polymarket_assets.bronze.engine.dataset import Complete, Item, Table
from polymarket_assets.bronze.engine.days import DayBook
from polymarket_assets.bronze.engine.metadata import range_label
from polymarket_assets.bronze.partitions import contiguous_chunks, day_bounds, utc_now
from polymarket_assets.bronze.schemas import PRICES
from polymarket_assets.clients.clob import parse_clob_price_point
from polymarket_assets.clients.clob.client import BATCH_HISTORY_MAX_TOKENS, ClobClient
from polymarket_assets.clients.errors import MalformedResponseError
from polymarket_assets.clients.guarded_endpoint import BadBodyHook
from polymarket_assets.clients.wire import ParseError

if TYPE_CHECKING:
    from polymarket_assets.bronze.engine.run import RunContext

ASSET = "prices"
SOURCE = "clob:/batch-prices-history"
MAX_WINDOW_DAYS = 15
MAX_REQUEST_RETRIES = 2
ROW_GROUP_SIZE = 256_000
_PRICE_TYPE = PRICES.field("price").type
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
_MICROSECOND = dt.timedelta(microseconds=1)

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


def _day_of_point(point: Any, window: set[dt.date]) -> dt.date | None:
    """The window day a malformed point's ``t`` falls on, when it can be told (for its quarantine file)."""
    t = point.get("t") if isinstance(point, dict) else None
    if isinstance(t, bool) or not isinstance(t, (int, float)):
        return None
    try:
        day = dt.datetime.fromtimestamp(t, dt.timezone.utc).date()
    except (OverflowError, OSError, ValueError):
        return None
    return day if day in window else None


class PricesDataset:
    """``bronze/prices`` for the engine: one batch per window of days sharing a fidelity (see module docstring)."""

    asset = ASSET
    schema = PRICES
    writer_options = {"row_group_size": ROW_GROUP_SIZE}
    copied_to_partitions: tuple[str, ...] = ("range",)

    def __init__(self, *, window_days: int = 7, workers: int = 4, fidelity_minutes: Optional[int] = None):
        self.window_days = window_days
        self.workers = workers
        self.fidelity_minutes = fidelity_minutes
        self.now = utc_now()
        self.markets: list[ActiveMarket] = []
        self.fidelity: dict[dt.date, int] = {}
        self._window_fidelity: dict[tuple[dt.date, ...], int] = {}
        self.requests = 0
        self.request_retries = 0
        self.lost_requests = 0
        self.tokens = 0
        self.points_outside_active_days = 0
        self.discovered_bodies = 0

    def prepare(self, run: RunContext) -> None:
        first, last = run.days[0], run.days[-1]
        discovery = DiscoverySink(run, run.pending[0])
        try:
            self.markets = discover_markets(
                run,
                discovery,
                run.pending[0],
                run.pending[-1],
                limit=run.config.limit,
                unusable_page=lambda reason: (
                    f"prices {first}..{last}: Gamma market discovery got an unusable page ({reason}); body "
                    f"quarantined under {run.lake.quarantine / ASSET}; nothing written. Re-run later."
                ),
            )
        finally:
            self.discovered_bodies = discovery.count

    def batches(self, pending: list[dt.date]) -> list[list[dt.date]]:
        windows = price_windows(pending, self.window_days, self.now, self.fidelity_minutes)
        self._window_fidelity = {tuple(days): minutes for days, minutes in windows}
        return [days for days, _ in windows]

    def fetch(self, batch: list[dt.date], run: RunContext) -> Iterator[Item]:
        fidelity = self._window_fidelity[tuple(batch)]
        book = run.book

        def bad_response(body: bytes, reason: str, url: str) -> None:
            """An unusable response: filed under the window's first day (its token-days are many)."""
            book.quarantine(batch[0], body, reason, url, {"level": "response", "refetched": True})

        clob = run.clients(on_bad_body=bad_response).clob
        window = set(batch)
        per_day = (24 * 60) // fidelity
        spans = token_spans(self.markets, batch)
        self.tokens += len(spans)
        chunks = [spans[i : i + BATCH_HISTORY_MAX_TOKENS] for i in range(0, len(spans), BATCH_HISTORY_MAX_TOKENS)]
        with ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="prices") as pool:
            in_flight: dict[Future, list[TokenSpan]] = {}
            queue_ = list(reversed(chunks))
            while queue_ or in_flight:
                while queue_ and len(in_flight) < 2 * self.workers:
                    chunk = queue_.pop()
                    start_ts = int(day_bounds(min(s.days[0] for s in chunk))[0].timestamp())
                    end_ts = int(day_bounds(max(s.days[-1] for s in chunk))[1].timestamp())
                    in_flight[pool.submit(self._fetch, clob, bad_response, chunk, start_ts, end_ts, fidelity)] = chunk
                done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
                for future in done:
                    chunk = in_flight.pop(future)
                    history, fetched_at, retries = future.result()
                    self.requests += 1 + retries
                    self.request_retries += retries
                    if isinstance(history, Exception):
                        self.lost_requests += 1
                        for span in chunk:
                            for day in span.days:
                                book.lose(day, per_day)  # a lost token-day counts as a full day of points
                        continue
                    for span in chunk:
                        yield from self._token_tables(span, history.get(span.token_id) or [], fidelity, fetched_at, window, book)
        for day in batch:
            yield Complete([day], what=f"price points of {day} (a lost token-day counts as {per_day} points)")
            self.fidelity[day] = fidelity

    def _fetch(
        self, clob: ClobClient, bad_response: BadBodyHook, chunk: list[TokenSpan], start_ts: int, end_ts: int, fidelity: int
    ) -> tuple[Any, dt.datetime, int]:
        """One batch request, retried on a wrong-shape body. Returns (history | exception, fetched_at, retries)."""
        retries = 0
        while True:
            try:
                history = clob.batch_prices_history_window([s.token_id for s in chunk], start_ts=start_ts, end_ts=end_ts, fidelity=fidelity)
                return history, utc_now(), retries
            except MalformedResponseError as exc:
                if not getattr(exc, "already_quarantined", False):
                    bad_response(exc.body, exc.reason, exc.url or "")
                if retries >= MAX_REQUEST_RETRIES:
                    return exc, utc_now(), retries
                retries += 1

    def _valid_points(self, span: TokenSpan, points: list[Any], window: set[dt.date], book: DayBook) -> tuple[list[int], list[Decimal]]:
        """(ts in microseconds, price) of the well-formed points, oldest first, one per ``ts``: read by the one
        CLOB parser (``parse_clob_price_point``) and typed by the one coerce (``coerce_value``: the price
        quantized half-even to the column's scale). Malformed ones go to quarantine (under their day if known)."""
        by_ts: dict[int, Decimal] = {}  # one point per timestamp (the last one sent wins)
        for point in points:
            try:
                parsed = parse_clob_price_point(point, span.token_id)
                ts = parsed["ts"]
                assert ts is not None  # the parser requires t
                by_ts[(ts - _EPOCH) // _MICROSECOND] = coerce_value(parsed["price"], _PRICE_TYPE)
            except (ParseError, ValueError, InvalidOperation) as exc:
                point_context = {"level": "point", "token_id": span.token_id}
                day = _day_of_point(point, window) or span.days[0]
                book.reject(day, {"token_id": span.token_id, "point": point}, f"malformed price point: {exc}", None, point_context)
        ordered = sorted(by_ts)
        return ordered, [by_ts[t] for t in ordered]

    def _token_tables(
        self, span: TokenSpan, points: list[Any], fidelity: int, fetched_at: dt.datetime, window: set[dt.date], book: DayBook
    ) -> Iterator[Table]:
        """The token's well-formed points as one Arrow table per active day of the window."""
        ts, ps = self._valid_points(span, points if isinstance(points, list) else [], window, book)
        if not ts:
            return
        t_arr = pa.array(ts, pa.int64())
        p_arr = pa.array(ps, _PRICE_TYPE)  # exact: already quantized to the column's scale
        kept = 0
        for day in span.days:
            lo, hi = ((x - _EPOCH) // _MICROSECOND for x in day_bounds(day))
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
                    "ts": day_t.cast(PRICES.field("ts").type),
                    "price": pc.filter(p_arr, mask),
                    "resolution_seconds": pa.array([fidelity * 60] * n, pa.int32()),
                    "source": pa.array([SOURCE] * n, pa.string()),
                    "fetched_at": pa.array([fetched_at] * n, PRICES.field("fetched_at").type),
                },
                schema=PRICES,
            )
            yield Table(day, table)
        self.points_outside_active_days += len(ts) - kept

    def metadata(self, run: RunContext) -> dict[str, Any]:
        return {
            "markets_active": dg.MetadataValue.int(len(self.markets)),
            "tokens": dg.MetadataValue.int(self.tokens),
            "batch_requests": dg.MetadataValue.int(self.requests),
            "lost_requests": dg.MetadataValue.int(self.lost_requests),
            "points_outside_active_days": dg.MetadataValue.int(self.points_outside_active_days),
            "fidelity_minutes_by_day": dg.MetadataValue.json({d.isoformat(): m for d, m in sorted(self.fidelity.items())}),
            "elapsed_seconds": dg.MetadataValue.float(round(run.book.report.elapsed_seconds, 3)),
            "range": dg.MetadataValue.text(range_label(run.days)),
            "source": dg.MetadataValue.text(SOURCE),
            "limited": dg.MetadataValue.bool(run.config.limit is not None),
        }

    def written_status(self, day: dt.date, run_id: str) -> str:
        return f"written by run {run_id} at {self.fidelity[day]}-minute resolution"
