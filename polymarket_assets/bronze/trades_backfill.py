"""The range-backfill engine of bronze/trades: condition chains paged newest first, split by day, each day
committed as soon as no chain can add to it, resumable from saved cursors (see ``trades_assets``)."""


# (no "from __future__ import annotations": Dagster reads the asset signature annotations at import)

import datetime as dt
import hashlib
import heapq
import math
import queue
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any


from polymarket_assets.bronze.active_markets import ActiveMarket
from polymarket_assets.bronze.parquet_io import PartitionWriter, WrittenPartition
from polymarket_assets.bronze.partitions import day_bounds, utc_now
from polymarket_assets.bronze.quarantine import Quarantine, check_threshold
from polymarket_assets.bronze.range_run import RangeReport
from polymarket_assets.bronze.schemas import TRADES
from polymarket_assets.clients.data_api import DataApiClient
from polymarket_assets.clients.errors import ApiHttpError, MalformedResponseError
from polymarket_assets.clients.pagination import CursorGuard, Page, envelope_list, malformed, optional_cursor
from polymarket_assets.clients import ParseError, compact_json, parse_trade_v2

from polymarket_assets.bronze.rows import TradeKeyer, trade_row

ASSET = "trades"
MAX_CONDITIONS_PER_CHAIN = 20
MAX_CHAIN_RESTARTS = 2
ROW_GROUP_SIZE = 64_000
WRITER_BUFFER_BYTES = 24 * 1024 * 1024
PREVIEW_ROWS = 5




@dataclass
class Chain:
    """One batch of ≤ 20 condition ids and its cursor walk over ``/v2/trades`` (newest first)."""

    index: int
    conditions: list[str]
    boundary: float  # epoch seconds: stop at the first page entirely older than this
    frontier: float = math.inf  # oldest timestamp seen so far (unfetched rows are ≤ frontier)
    frontier_keys: set[str] = field(default_factory=set)  # keys already routed at exactly ``frontier``
    pages: int = 0
    restarts: int = 0
    replaying: bool = False
    keyer: TradeKeyer = field(default_factory=TradeKeyer)
    iterator: Iterator[Any] | None = None
    start_cursor: str | None = None  # a saved cursor to resume from (None = the newest page)
    done: bool = False
    abandoned: bool = False
    #: day start (epoch s) → cursor of this chain's first page holding rows older than it (None = first page)
    cursor_before: dict[float, str | None] = field(default_factory=dict)

    @property
    def condition_set(self) -> set[str]:
        return {c.lower() for c in self.conditions}

    @property
    def key(self) -> str:
        """Stable id of the batch (same markets → same batches → same key in the next attempt)."""
        return hashlib.sha256(",".join(sorted(self.conditions)).encode()).hexdigest()[:16]


class ChainScheduler:
    """Hands idle chains to workers, newest frontier first; knows the *watermark*: no row still to be
    fetched (or in flight) is newer than it."""

    def __init__(self, chains: Sequence[Chain]):
        self._cv = threading.Condition()
        self._live: dict[int, Chain] = {c.index: c for c in chains}
        self._idle: list[tuple[float, int]] = [(-c.frontier, c.index) for c in chains]
        heapq.heapify(self._idle)
        self._stopped = False

    def acquire(self) -> Chain | None:
        with self._cv:
            while not self._idle and self._live and not self._stopped:
                self._cv.wait()
            if self._stopped or not self._idle:
                return None
            _, index = heapq.heappop(self._idle)
            return self._live[index]

    def release(self, chain: Chain, *, done: bool) -> None:
        with self._cv:
            if done:
                self._live.pop(chain.index, None)
            elif chain.index in self._live:
                heapq.heappush(self._idle, (-chain.frontier, chain.index))
            self._cv.notify_all()

    def watermark(self) -> float:
        with self._cv:
            return max((c.frontier for c in self._live.values()), default=-math.inf)

    @property
    def live(self) -> int:
        with self._cv:
            return len(self._live)

    def stop(self) -> None:
        with self._cv:
            self._stopped = True
            self._cv.notify_all()


def build_chains(
    markets: Sequence[ActiveMarket], range_days: Sequence[dt.date], pending: Sequence[dt.date] | None = None
) -> tuple[list[Chain], int]:
    """Batches of ≤ 20 condition ids for the markets active on a pending day. Returns (chains, markets skipped
    for an unusable condition id).

    Batches are formed from the markets' lifetimes over the whole *range* (markets with similar lifetimes
    together, so chains stay short), which keeps them identical between attempts of the same range: a
    resumed attempt recognises its chains and restarts them from their saved cursors. A batch none of whose
    markets is active on a pending day is dropped; a chain stops below the earliest pending day on which one
    of its markets is active.
    """
    pending = list(range_days) if pending is None else list(pending)
    spans: dict[str, tuple[dt.date, dt.date]] = {}
    pending_active: dict[str, list[dt.date]] = {}
    skipped = 0
    for market in markets:
        active = market.active_days(range_days)
        if not active:
            continue
        if not market.has_valid_condition:
            skipped += 1
            continue
        cid = str(market.condition_id).lower()
        first, last = spans.get(cid, (active[0], active[-1]))
        spans[cid] = (min(first, active[0]), max(last, active[-1]))
        pending_active.setdefault(cid, []).extend(market.active_days(pending))
    ordered = sorted(spans, key=lambda c: (spans[c][1], spans[c][0], c))
    chains = []
    for start in range(0, len(ordered), MAX_CONDITIONS_PER_CHAIN):
        batch = ordered[start : start + MAX_CONDITIONS_PER_CHAIN]
        active_pending = [d for c in batch for d in pending_active.get(c, [])]
        if not active_pending:
            continue
        chains.append(Chain(index=len(chains), conditions=batch, boundary=day_bounds(min(active_pending))[0].timestamp()))
    return chains, skipped


def iter_trade_pages_from(data: DataApiClient, conditions: Sequence[str], *, cursor: str | None, limit: int) -> Iterator[Page]:
    """``DataApiClient.iter_trade_pages`` for one batch (taker_only=true), optionally starting at a saved
    cursor (a resumed chain). The cursor pins the query, so the same filters are re-sent with it."""
    if cursor is None:
        yield from data.iter_trade_pages(conditions=list(conditions), taker_only=True, limit=limit)
        return
    endpoint = data.endpoint
    base = {"taker_only": "true", "condition": ",".join(conditions)}
    guard = CursorGuard("Data API /v2/trades (resumed)", setting=endpoint.setting)
    current: str | None = cursor
    while current is not None:
        response = endpoint.raw("GET", "/v2/trades", params={**base, "cursor": current})
        value = endpoint.decode(response, expect=dict)
        items = envelope_list(endpoint, response, value, "data", null_is_empty=True)
        pagination = value.get("pagination") or {}
        if not isinstance(pagination, dict):
            raise malformed(endpoint, response, "pagination is not an object")
        next_cursor = optional_cursor(endpoint, response, pagination.get("next_cursor"))
        if pagination.get("has_more") is False:
            next_cursor = None
        guard.advance(next_cursor, response.url)
        yield Page(items, next_cursor, response.url, response.body, cursor=current, extra={**pagination, "conditions": list(conditions)})
        current = next_cursor


# ------------------------------------------------------------------------------------------------
# The range run
# ------------------------------------------------------------------------------------------------


@dataclass
class DayState:
    day: dt.date
    quarantine: Quarantine
    writer: PartitionWriter | None = None
    rows: int = 0
    quarantined_rows: int = 0
    lost_pages: int = 0
    preview: list[dict[str, Any]] = field(default_factory=list)
    written: WrittenPartition | None = None


@dataclass
class TradesReport(RangeReport):
    """What a range run did (metadata source)."""

    chains: int = 0
    pages: int = 0
    chain_restarts: int = 0
    chains_abandoned: int = 0
    rows_after_range: int = 0
    rows_before_range: int = 0
    rows_in_kept_days: int = 0
    replayed_rows_skipped: int = 0
    quarantined_bodies: int = 0
    pages_with_range_rows: int = 0
    chains_resumed_from_cursor: int = 0
    chains_skipped_exhausted: int = 0
    resume_cursors_refused: int = 0


class TradesBackfill:
    """Fetch the pending days of one range and commit each day as soon as it is finished (see module doc)."""

    def __init__(
        self,
        *,
        data: DataApiClient | None,
        bronze_root: Any,
        quarantine_root: Any,
        range_days: Sequence[dt.date],
        pending: Sequence[dt.date],
        markets: Sequence[ActiveMarket],
        page_size: int = 1000,
        workers: int = 4,
        max_quarantine_share: float = 0.05,
        on_commit: Callable[[dt.date, WrittenPartition, dict[str, Any]], None] | None = None,
        log: Any = None,
        resume: dict[str, Any] | None = None,
    ):
        """``resume``: the ``{"chains": {chain key: {"cursor": c} | {"exhausted": true}}}`` record an earlier
        attempt stored with its oldest committed day (valid when every later day of the range is kept)."""
        self.data = data
        self.bronze_root = bronze_root
        self.range_days = sorted(range_days)
        self.pending = sorted(pending)
        self.pending_set = set(self.pending)
        self.page_size = page_size
        self.workers = workers
        self.max_share = max_quarantine_share
        self.on_commit = on_commit
        self.log = log
        self.days = {d: DayState(d, Quarantine(quarantine_root, ASSET, d)) for d in self.pending}
        self.report = TradesReport()
        self.chains, self.skipped_markets = build_chains(markets, self.range_days, self.pending)
        saved = (resume or {}).get("chains") or {}
        self.exhausted_keys = {k for k, v in saved.items() if isinstance(v, dict) and v.get("exhausted")}
        kept_chains = []
        for chain in self.chains:
            record = saved.get(chain.key)
            if chain.key in self.exhausted_keys:
                self.report.chains_skipped_exhausted += 1
                continue
            if isinstance(record, dict) and isinstance(record.get("cursor"), str):
                chain.start_cursor = record["cursor"]
                self.report.chains_resumed_from_cursor += 1
            chain.index = len(kept_chains)
            kept_chains.append(chain)
        self.chains = kept_chains
        self.report.chains = len(self.chains)
        self._quarantine_lock = threading.Lock()
        self._local = threading.local()
        self._starts = {d: day_bounds(d)[0].timestamp() for d in self.pending}

    # -- quarantine (worker threads call bad_body via GuardedEndpoint) -------------------------------
    def _day_for_frontier(self, frontier: float) -> dt.date:
        """The pending day a page following ``frontier`` most likely belongs to (for quarantine filing)."""
        if math.isinf(frontier):
            return self.pending[-1]
        day = dt.datetime.fromtimestamp(frontier, dt.timezone.utc).date()
        if day in self.days:
            return day
        older = [d for d in self.pending if d <= day]
        return older[-1] if older else self.pending[0]

    def bad_body(self, body: bytes, reason: str, url: str) -> None:
        chain: Chain | None = getattr(self._local, "chain", None)
        day = self._day_for_frontier(chain.frontier if chain else math.inf)
        context = {"level": "page", "conditions": chain.conditions if chain else None, "refetched": True}
        with self._quarantine_lock:
            self.days[day].quarantine.add(body, reason, url, context)
            self.report.quarantined_bodies += 1

    def _quarantine_row(self, day: dt.date, obj: Any, reason: str, url: str | None) -> None:
        try:
            body = compact_json(obj).encode()
        except (TypeError, ValueError):
            body = repr(obj).encode()
        with self._quarantine_lock:
            self.days[day].quarantine.add(body, reason, url, {"level": "row"})
            self.days[day].quarantined_rows += 1

    # -- workers -----------------------------------------------------------------------------------
    def _next_page(self, chain: Chain) -> Any:
        assert self.data is not None, "TradesBackfill.data must be set before run()"
        if chain.iterator is None:
            chain.iterator = iter(iter_trade_pages_from(self.data, chain.conditions, cursor=chain.start_cursor, limit=self.page_size))
        try:
            return next(chain.iterator)
        except ApiHttpError as exc:
            if chain.start_cursor is None or chain.pages > 0 or not 400 <= exc.status < 500:
                raise
            # the saved cursor was refused (expired, or the API changed): walk this chain from its newest page
            chain.start_cursor, chain.iterator = None, None
            self.report.resume_cursors_refused += 1
            chain.iterator = iter(iter_trade_pages_from(self.data, chain.conditions, cursor=None, limit=self.page_size))
            return next(chain.iterator)

    def _worker(self, scheduler: ChainScheduler, out: "queue.Queue[tuple[str, Chain, Any, Any]]") -> None:
        while True:
            chain = scheduler.acquire()
            if chain is None:
                return
            self._local.chain = chain
            try:
                page = self._next_page(chain)
                out.put(("page", chain, page, utc_now()))
            except StopIteration:
                out.put(("end", chain, None, None))
            except MalformedResponseError as exc:
                out.put(("malformed", chain, exc, None))
            except BaseException as exc:  # noqa: BLE001 - handed to the consumer, which fails the run
                out.put(("error", chain, exc, None))
            finally:
                self._local.chain = None

    # -- the consumer --------------------------------------------------------------------------------
    def run(self) -> TradesReport:
        if not self.pending:
            return self.report
        scheduler = ChainScheduler(self.chains)
        out: queue.Queue[tuple[str, Chain, Any, Any]] = queue.Queue(maxsize=max(2, 2 * self.workers))
        threads = [
            threading.Thread(target=self._worker, args=(scheduler, out), name=f"trades-chain-{i}", daemon=True)
            for i in range(min(self.workers, max(1, len(self.chains))))
        ]
        for thread in threads:
            thread.start()
        try:
            while scheduler.live:
                try:
                    kind, chain, value, fetched_at = out.get(timeout=1.0)
                except queue.Empty:
                    if not any(t.is_alive() for t in threads):
                        raise RuntimeError("every trades worker thread stopped unexpectedly") from None
                    continue
                if kind == "page":
                    chain.done = self._on_page(chain, value, fetched_at)
                elif kind == "end":
                    chain.done = True
                elif kind == "malformed":
                    chain.done = self._on_malformed(chain, value)
                else:
                    raise value
                scheduler.release(chain, done=chain.done)
                self._commit_finished(scheduler.watermark())
            self._commit_finished(-math.inf)
        except BaseException:
            scheduler.stop()
            self._drain(out, threads)
            for state in self.days.values():
                if state.writer is not None and state.written is None:
                    state.writer.abort()
            raise
        for thread in threads:
            thread.join(timeout=5)
        return self.report

    @staticmethod
    def _drain(out: queue.Queue, threads: list[threading.Thread]) -> None:
        deadline = time.monotonic() + 60
        while any(t.is_alive() for t in threads) and time.monotonic() < deadline:
            try:
                out.get(timeout=0.05)
            except queue.Empty:
                pass

    def _on_malformed(self, chain: Chain, exc: MalformedResponseError) -> bool:
        """Quarantine a wrong-shape page and restart its chain. Returns whether the chain is finished."""
        day = self._day_for_frontier(chain.frontier)
        if not getattr(exc, "already_quarantined", False):
            with self._quarantine_lock:
                self.days[day].quarantine.add(exc.body, exc.reason, exc.url, {"level": "page", "conditions": chain.conditions, "error": str(exc)[:500]})
                self.report.quarantined_bodies += 1
        chain.iterator = None
        chain.keyer.reset()
        if chain.restarts >= MAX_CHAIN_RESTARTS:
            chain.abandoned = True
            self.report.chains_abandoned += 1
            self.days[day].lost_pages += 1
            if self.log:
                self.log.warning(f"trades: chain of {len(chain.conditions)} conditions abandoned after {chain.restarts} restarts ({exc.reason})")
            return True
        chain.restarts += 1
        chain.replaying = not math.isinf(chain.frontier)
        self.report.chain_restarts += 1
        if self.log:
            self.log.warning(f"trades: restarting a chain after a malformed page ({exc.reason})")
        return False

    def _state(self, day: dt.date) -> DayState:
        state = self.days[day]
        if state.writer is None:
            state.writer = PartitionWriter(
                self.bronze_root, ASSET, day, TRADES, row_group_size=ROW_GROUP_SIZE, max_buffer_bytes=WRITER_BUFFER_BYTES
            )
        return state

    def _on_page(self, chain: Chain, page: Any, fetched_at: dt.datetime) -> bool:
        """Route one page's rows to their days. Returns whether the chain is finished."""
        chain.pages += 1
        self.report.pages += 1
        first, last = self.range_days[0], self.range_days[-1]
        by_day: dict[dt.date, list[dict[str, Any]]] = {}
        newest = -math.inf
        oldest = math.inf
        oldest_any = math.inf  # replayed rows included: where this page sits in the chain
        oldest_keys: set[str] = set()
        in_range = False
        conditions = chain.condition_set
        for obj in page.items:
            try:
                parsed = parse_trade_v2(obj)
                ts = parsed.get("timestamp")
                if ts is None:
                    raise ParseError("trade without timestamp", obj)
                base, row = trade_row(parsed, fetched_at)
            except (ParseError, ValueError, TypeError, ArithmeticError) as exc:
                self._quarantine_row(self._day_for_frontier(chain.frontier), obj, f"unreadable trade: {exc}", page.url)
                continue
            epoch = ts.timestamp()
            newest = max(newest, epoch)
            oldest_any = min(oldest_any, epoch)
            if chain.replaying:
                if epoch > chain.frontier:
                    self.report.replayed_rows_skipped += 1
                    continue
                if epoch < chain.frontier:
                    chain.replaying = False
            key = chain.keyer.key(base, int(epoch))
            if chain.replaying and key in chain.frontier_keys:
                self.report.replayed_rows_skipped += 1
                continue
            if epoch < oldest:
                oldest, oldest_keys = epoch, set()
            if epoch == oldest:
                oldest_keys.add(key)
            if str(row["condition_id"]).lower() not in conditions:
                day = ts.date() if ts.date() in self.days else self._day_for_frontier(chain.frontier)
                self._quarantine_row(day, obj, "trade for a condition id that was not requested in this batch", page.url)
                continue
            day = ts.date()
            if day not in self.pending_set:
                if day > last:
                    self.report.rows_after_range += 1
                elif day < first:
                    self.report.rows_before_range += 1
                else:
                    self.report.rows_in_kept_days += 1
                continue
            in_range = True
            row["trade_key"] = key
            by_day.setdefault(day, []).append(row)
        for day, rows in by_day.items():
            state = self._state(day)
            state.writer.write_rows(rows)  # type: ignore[union-attr]
            state.rows += len(rows)
            if len(state.preview) < PREVIEW_ROWS:
                state.preview.extend(rows[: PREVIEW_ROWS - len(state.preview)])
        if in_range:
            self.report.pages_with_range_rows += 1
        if oldest < chain.frontier:
            chain.frontier, chain.frontier_keys = oldest, oldest_keys
        elif oldest == chain.frontier:
            chain.frontier_keys |= oldest_keys
        for start in self._starts.values():  # remember where this chain first went below each day's start
            if start not in chain.cursor_before and oldest_any < start:
                chain.cursor_before[start] = page.cursor
        if page.next_cursor is None:
            return True
        return newest != -math.inf and newest < chain.boundary

    def _commit_finished(self, watermark: float) -> None:
        """Commit every pending day that no live chain can still add rows to (newest first)."""
        for day in sorted(self.days, reverse=True):
            state = self.days[day]
            if state.written is not None or self._starts[day] <= watermark:
                continue
            self._commit(state)

    def resume_record(self, day: dt.date) -> dict[str, Any]:
        """Where each chain must restart so that a later attempt rebuilds exactly the days older than ``day``.

        Called when ``day`` is committed (every day after it already is): a chain restarts at the page where
        it first went below ``day``'s start (rows from there on went to days not yet committed); a finished
        chain that never went below it has nothing left for older days (``exhausted``).
        """
        start = self._starts[day]
        chains: dict[str, dict[str, Any]] = {key: {"exhausted": True} for key in self.exhausted_keys}
        for chain in self.chains:
            if start in chain.cursor_before:
                chains[chain.key] = {"cursor": chain.cursor_before[start]}
            elif chain.done and not chain.abandoned:
                chains[chain.key] = {"exhausted": True}
            else:
                chains[chain.key] = {"cursor": chain.start_cursor}
        return {"day": day.isoformat(), "chains": chains}

    def _commit(self, state: DayState) -> None:
        lost = state.lost_pages * self.page_size
        quarantined = state.quarantined_rows + lost
        check_threshold(
            quarantined,
            state.rows + quarantined,
            self.max_share,
            what=f"trades of {state.day} (a page lost to a malformed body counts as {self.page_size} trades)",
        )
        writer = self._state(state.day).writer
        assert writer is not None
        state.written = writer.commit()
        state.writer = None
        self.report.record_commit(state.day, state.written, state.preview, state.quarantine.count)
        if self.on_commit is not None:
            self.on_commit(state.day, state.written, self.resume_record(state.day))
        if self.log:
            self.log.info(f"trades: committed {state.day} ({state.written.rows} rows, {state.written.bytes} bytes)")


# ------------------------------------------------------------------------------------------------
# The Dagster asset
# ------------------------------------------------------------------------------------------------


def usable_resume_record(record: Any, days: Sequence[dt.date], kept: set[dt.date]) -> dict[str, Any] | None:
    """The saved chain cursors, when they still describe this attempt: every day from the record's day to the
    end of the range is kept (days commit newest first, so the kept days normally are exactly that suffix)."""
    if not isinstance(record, dict) or not isinstance(record.get("chains"), dict):
        return None
    try:
        since = dt.date.fromisoformat(str(record.get("day")))
    except ValueError:
        return None
    suffix = [d for d in days if d >= since]
    return record if suffix and all(d in kept for d in suffix) else None
