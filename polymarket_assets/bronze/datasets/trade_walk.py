"""The consumer of a ``bronze/trades`` range: worker threads page the cursor chains (``trade_chains.py``),
:class:`ChainWalk` routes every row to its UTC day, restarts a chain after a malformed page, and says when a
day is finished (no live chain can add to it) together with where each chain restarts after it.
"""

from __future__ import annotations

import datetime as dt
import math
import queue
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from polymarket_assets.bronze.datasets.trade_chains import Chain, ChainScheduler, build_chains
from polymarket_assets.bronze.engine.active_markets import ActiveMarket
from polymarket_assets.bronze.engine.dataset import Complete, Item, Rows
from polymarket_assets.bronze.engine.days import DayBook
from polymarket_assets.bronze.partitions import day_bounds, utc_now
from polymarket_assets.bronze.rows import trade_row
from polymarket_assets.clients.data_api import DataApiClient, parse_trade_v2
from polymarket_assets.clients.errors import ApiHttpError, MalformedResponseError
from polymarket_assets.clients.wire import ParseError

MAX_CHAIN_RESTARTS = 2


@dataclass
class TradesCounters:
    """What a range run did beyond rows and bytes (the metadata of ``bronze/trades``)."""

    markets_active: int = 0
    markets_skipped: int = 0
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


def day_for_frontier(pending: Sequence[dt.date], frontier: float) -> dt.date:
    """The pending day a page following ``frontier`` most likely belongs to (for quarantine filing)."""
    if math.isinf(frontier):
        return pending[-1]
    day = dt.datetime.fromtimestamp(frontier, dt.timezone.utc).date()
    if day in pending:
        return day
    older = [d for d in pending if d <= day]
    return older[-1] if older else pending[0]


class ChainPages:
    """The ``on_bad_body`` hook of the trades client: an undecodable page is filed under the day its chain
    (the one the calling worker thread is fetching, ``local.chain``) has reached."""

    def __init__(self, book: DayBook, pending: Sequence[dt.date], counters: TradesCounters):
        self.book = book
        self.pending = list(pending)
        self.counters = counters
        self.local = threading.local()
        self._lock = threading.Lock()

    def __call__(self, body: bytes, reason: str, url: str) -> None:
        chain: Chain | None = getattr(self.local, "chain", None)
        day = day_for_frontier(self.pending, chain.frontier if chain else math.inf)
        context = {"level": "page", "conditions": chain.conditions if chain else None, "refetched": True}
        self.book.quarantine(day, body, reason, url, context)
        with self._lock:
            self.counters.quarantined_bodies += 1


class ChainWalk:
    """Fetch the pending days of one range: ``workers`` threads page the chains, this (the consumer) routes
    rows to days and says when a day is finished (see the module docstring)."""

    def __init__(
        self,
        *,
        data: DataApiClient,
        pages: ChainPages,
        book: DayBook,
        range_days: Sequence[dt.date],
        pending: Sequence[dt.date],
        markets: Sequence[ActiveMarket],
        counters: TradesCounters,
        page_size: int,
        workers: int,
        resume: dict[str, Any] | None,
        log: Any = None,
    ):
        """``resume``: the ``{"chains": {chain key: {"cursor": c} | {"exhausted": true}}}`` record an earlier
        attempt stored with its oldest committed day (valid when every later day of the range is kept)."""
        self.data = data
        self.pages = pages
        self.book = book
        self.range_days = sorted(range_days)
        self.pending = sorted(pending)
        self.pending_set = set(self.pending)
        self.counters = counters
        self.page_size = page_size
        self.workers = workers
        self.log = log
        chains, counters.markets_skipped = build_chains(markets, self.range_days, self.pending)
        saved = (resume or {}).get("chains") or {}
        self.exhausted_keys = {k for k, v in saved.items() if isinstance(v, dict) and v.get("exhausted")}
        self.chains: list[Chain] = []
        for chain in chains:
            record = saved.get(chain.key)
            if chain.key in self.exhausted_keys:
                counters.chains_skipped_exhausted += 1
                continue
            if isinstance(record, dict) and isinstance(record.get("cursor"), str):
                chain.start_cursor = record["cursor"]
                counters.chains_resumed_from_cursor += 1
            chain.index = len(self.chains)
            self.chains.append(chain)
        counters.chains = len(self.chains)
        self._starts = {d: day_bounds(d)[0].timestamp() for d in self.pending}
        self._finished: set[dt.date] = set()

    # -- workers -----------------------------------------------------------------------------------
    def _pager(self, chain: Chain) -> Iterator[Any]:
        return iter(
            self.data.iter_trade_pages(conditions=list(chain.conditions), taker_only=True, limit=self.page_size, cursor=chain.start_cursor)
        )

    def _next_page(self, chain: Chain) -> Any:
        if chain.iterator is None:
            chain.iterator = self._pager(chain)
        try:
            return next(chain.iterator)
        except ApiHttpError as exc:
            if chain.start_cursor is None or chain.pages > 0 or not 400 <= exc.status < 500:
                raise
            # the saved cursor was refused (expired, or the API changed): walk this chain from its newest page
            chain.start_cursor = None
            self.counters.resume_cursors_refused += 1
            chain.iterator = self._pager(chain)
            return next(chain.iterator)

    def _worker(self, scheduler: ChainScheduler, out: queue.Queue[tuple[str, Chain, Any, Any]]) -> None:
        while True:
            chain = scheduler.acquire()
            if chain is None:
                return
            self.pages.local.chain = chain
            try:
                page = self._next_page(chain)
                out.put(("page", chain, page, utc_now()))
            except StopIteration:
                out.put(("end", chain, None, None))
            except MalformedResponseError as exc:
                out.put(("malformed", chain, exc, None))
            except BaseException as exc:
                out.put(("error", chain, exc, None))
            finally:
                self.pages.local.chain = None

    # -- the consumer --------------------------------------------------------------------------------
    def items(self) -> Iterator[Item]:
        """Rows of each page as they arrive, and ``Complete`` for each day as soon as it is finished (newest
        first). Closing the generator (the engine does on any error) stops and drains the workers."""
        if not self.pending:
            return
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
                    chain.done, by_day = self._on_page(chain, value, fetched_at)
                    for day, rows in by_day.items():
                        yield Rows(day, rows)
                elif kind == "end":
                    chain.done = True
                elif kind == "malformed":
                    chain.done = self._on_malformed(chain, value)
                else:
                    raise value
                scheduler.release(chain, done=chain.done)
                yield from self._days_finished(scheduler.watermark())
            yield from self._days_finished(-math.inf)
        except BaseException:
            scheduler.stop()
            self._drain(out, threads)
            raise
        for thread in threads:
            thread.join(timeout=5)

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
        day = day_for_frontier(self.pending, chain.frontier)
        if not getattr(exc, "already_quarantined", False):
            context = {"level": "page", "conditions": chain.conditions, "error": str(exc)[:500]}
            self.book.quarantine(day, exc.body, exc.reason, exc.url, context)
            self.counters.quarantined_bodies += 1
        chain.iterator = None
        chain.keyer.reset()
        if chain.restarts >= MAX_CHAIN_RESTARTS:
            chain.abandoned = True
            self.counters.chains_abandoned += 1
            self.book.lose(day, self.page_size)  # a page lost to a malformed body counts as page_size trades
            if self.log:
                self.log.warning(f"trades: chain of {len(chain.conditions)} conditions abandoned after {chain.restarts} restarts ({exc.reason})")
            return True
        chain.restarts += 1
        chain.replaying = not math.isinf(chain.frontier)
        self.counters.chain_restarts += 1
        if self.log:
            self.log.warning(f"trades: restarting a chain after a malformed page ({exc.reason})")
        return False

    def _on_page(self, chain: Chain, page: Any, fetched_at: dt.datetime) -> tuple[bool, dict[dt.date, list[dict[str, Any]]]]:
        """Route one page's rows to their days. Returns whether the chain is finished, and the new rows by day."""
        chain.pages += 1
        self.counters.pages += 1
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
                base, row = trade_row(parse_trade_v2(obj), fetched_at)
            except (ParseError, ValueError, TypeError, ArithmeticError) as exc:
                self._quarantine_row(day_for_frontier(self.pending, chain.frontier), obj, f"unreadable trade: {exc}", page.url)
                continue
            ts: dt.datetime = row["ts"]
            epoch = ts.timestamp()
            newest = max(newest, epoch)
            oldest_any = min(oldest_any, epoch)
            if chain.replaying:
                if epoch > chain.frontier:
                    self.counters.replayed_rows_skipped += 1
                    continue
                if epoch < chain.frontier:
                    chain.replaying = False
            key = chain.keyer.key(base, int(epoch))
            if chain.replaying and key in chain.frontier_keys:
                self.counters.replayed_rows_skipped += 1
                continue
            if epoch < oldest:
                oldest, oldest_keys = epoch, set()
            if epoch == oldest:
                oldest_keys.add(key)
            day = ts.date()
            if str(row["condition_id"]).lower() not in conditions:
                target = day if day in self.pending_set else day_for_frontier(self.pending, chain.frontier)
                self._quarantine_row(target, obj, "trade for a condition id that was not requested in this batch", page.url)
                continue
            if day not in self.pending_set:
                if day > last:
                    self.counters.rows_after_range += 1
                elif day < first:
                    self.counters.rows_before_range += 1
                else:
                    self.counters.rows_in_kept_days += 1
                continue
            in_range = True
            row["trade_key"] = key
            by_day.setdefault(day, []).append(row)
        if in_range:
            self.counters.pages_with_range_rows += 1
        if oldest < chain.frontier:
            chain.frontier, chain.frontier_keys = oldest, oldest_keys
        elif oldest == chain.frontier:
            chain.frontier_keys |= oldest_keys
        for start in self._starts.values():  # remember where this chain first went below each day's start
            if start not in chain.cursor_before and oldest_any < start:
                chain.cursor_before[start] = page.cursor
        if page.next_cursor is None:
            return True, by_day
        return newest != -math.inf and newest < chain.boundary, by_day

    def _quarantine_row(self, day: dt.date, obj: Any, reason: str, url: str | None) -> None:
        self.book.reject(day, obj, reason, url, {"level": "row"})

    def _days_finished(self, watermark: float) -> Iterator[Complete]:
        """``Complete`` for every pending day that no live chain can still add rows to (newest first)."""
        for day in sorted(self.pending, reverse=True):
            if day in self._finished or self._starts[day] <= watermark:
                continue
            what = f"trades of {day} (a page lost to a malformed body counts as {self.page_size} trades)"
            yield Complete([day], what=what, resume=self.resume_record(day))
            self._finished.add(day)

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
