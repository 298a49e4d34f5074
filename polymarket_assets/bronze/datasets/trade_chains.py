"""The cursor chains of ``bronze/trades``: which condition ids are paged together, and in what order.

A chain is one batch of ≤ 20 condition ids and its cursor walk over ``/v2/trades``, newest first, for the whole
range (the API has no time filter for condition feeds, §3.2). :class:`ChainScheduler` hands idle chains to the
worker threads, newest frontier first, so every chain moves down the range in step, and knows the
*watermark*: no row still to be fetched is newer than it (a day older than nothing is finished).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import heapq
import math
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from polymarket_assets.bronze.engine.active_markets import ActiveMarket
from polymarket_assets.bronze.partitions import day_bounds
from polymarket_assets.bronze.rows import TradeKeyer

MAX_CONDITIONS_PER_CHAIN = 20


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
    chains: list[Chain] = []
    for start in range(0, len(ordered), MAX_CONDITIONS_PER_CHAIN):
        batch = ordered[start : start + MAX_CONDITIONS_PER_CHAIN]
        active_pending = [d for c in batch for d in pending_active.get(c, [])]
        if not active_pending:
            continue
        chains.append(Chain(index=len(chains), conditions=batch, boundary=day_bounds(min(active_pending))[0].timestamp()))
    return chains, skipped


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
