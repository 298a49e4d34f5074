"""Which Polymarket markets were active on which days: one Gamma pass per range, shared by trades and prices.

A market is **active on day D** (UTC, ``[D 00:00, D+1 00:00)``) when its lifetime overlaps D::

    start_date < D_end  and  (end_date >= D_start  or  closed_time >= D_start  or  not closed)

``end_date`` alone is not enough (api_reference §6 quirk 9): markets stay open past their ``endDate`` and
close later, so ``closed_time`` and the ``closed`` flag extend the lifetime. When a closed market has a
``closed_time``, that instant is its end (markets resolved before their nominal end are not active after).

Gamma cannot express that OR in one query (and its ``closed_time_min/max`` filters answer 500, §1.7), so
:func:`markets_active_in` walks ``/markets/keyset`` with three filter sets, all bounded by
``start_date_max = range end`` and merged on the market id:

A. ``end_date_min = range start`` — the nominal lifetime overlaps the range (almost every market);
B. ``end_date_min = range start - LATE_CLOSE_SLACK``, ``end_date_max = range start`` — nominal end shortly
   before the range: kept when still open or closed inside/after the range start (late closers);
C. ``closed = false``, ``end_date_max = range start - LATE_CLOSE_SLACK`` — still open long past the end date.

Known gap: a market that *closed* more than ``LATE_CLOSE_SLACK`` (30 days) after its nominal end date, with
the range in between, is not found. Markets without ``conditionId`` (legacy AMM) are returned but carry
``condition_id=None``; callers skip them for trades/prices.

:func:`discover_markets` is that pass inside a bronze run: every unusable body or market object goes to the
quarantine of one day (:class:`DiscoverySink`), and a page of the wrong shape fails the run.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import dagster as dg

from polymarket_assets.bronze.partitions import day_bounds, iso_z, to_day
from polymarket_assets.clients.errors import MalformedResponseError
from polymarket_assets.clients.gamma import GammaMarket, parse_gamma_market
from polymarket_assets.clients.wire import ParseError, is_condition_id

if TYPE_CHECKING:
    from polymarket_assets.bronze.engine.run import RunContext

LATE_CLOSE_SLACK = dt.timedelta(days=30)
GAMMA_PAGE_SIZE = 100

#: ``on_reject(raw_object, reason, url)`` receives every Gamma market object that could not be read.
RejectCallback = Callable[[Any, str, "str | None"], None]


@dataclass(frozen=True)
class ActiveMarket:
    """The slice of a Gamma market that trades and prices need."""

    market_id: str
    condition_id: str | None
    token_ids: tuple[str, ...]
    start: dt.datetime | None
    end: dt.datetime | None
    closed: bool | None = None
    closed_time: dt.datetime | None = None
    outcomes: tuple[str, ...] = ()

    @classmethod
    def from_gamma(cls, market: GammaMarket) -> ActiveMarket:
        """The slice of a market parsed by the one Gamma parser (``clients/gamma``: ``parse_gamma_market``)."""
        return cls(
            market_id=market["market_id"],
            condition_id=market["condition_id"],
            token_ids=tuple(market["clob_token_ids"]),
            start=market["start_date"],
            end=market["end_date"],
            closed=market["closed"],
            closed_time=market["closed_time"],
            outcomes=tuple(market["outcomes"]),
        )

    @property
    def has_valid_condition(self) -> bool:
        return is_condition_id(self.condition_id)

    def active_on(self, day: dt.date | str) -> bool:
        """The lifetime rule of the module docstring for one UTC day.

        Refinement: when a closed market carries ``closed_time``, that instant ends its life even if the
        nominal ``end_date`` is later (markets resolved early), so no day after the close is requested.
        """
        day_start, day_end = day_bounds(to_day(day))
        if self.start is not None and self.start >= day_end:
            return False
        if self.closed and self.closed_time is not None:
            return self.closed_time >= day_start
        if not self.closed:
            return True  # open now (or never marked closed): open on every day since its start
        return self.end is None or self.end >= day_start

    def active_days(self, days: Iterable[dt.date]) -> list[dt.date]:
        return [d for d in days if self.active_on(d)]


def discovery_queries(start_day: dt.date, end_day: dt.date) -> list[dict[str, Any]]:
    """The Gamma ``/markets/keyset`` filter sets A, B, C of the module docstring for ``[start_day, end_day]``."""
    range_start = day_bounds(start_day)[0]
    range_end = day_bounds(end_day)[1]
    slack_start = range_start - LATE_CLOSE_SLACK
    return [
        {"start_date_max": iso_z(range_end), "end_date_min": iso_z(range_start)},
        {"start_date_max": iso_z(range_end), "end_date_min": iso_z(slack_start), "end_date_max": iso_z(range_start)},
        {"start_date_max": iso_z(range_end), "end_date_max": iso_z(slack_start), "closed": False},
    ]


def markets_active_in(
    gamma: Any,
    start_day: dt.date | str,
    end_day: dt.date | str,
    limit: int | None = None,
    *,
    on_reject: RejectCallback | None = None,
) -> list[ActiveMarket]:
    """Every market active on at least one day of ``[start_day, end_day]`` (UTC, inclusive), ordered by
    (start, market id). One Gamma pass per range: callers compute per-day activity with
    :meth:`ActiveMarket.active_on`. ``limit`` stops after that many markets (quick trials).

    Market objects that cannot be read go to ``on_reject`` (never silently dropped); a malformed *page*
    raises ``MalformedResponseError`` (the caller quarantines the body): without the full market list no
    day could be complete.
    """
    first, last = to_day(start_day), to_day(end_day)
    if last < first:
        raise ValueError(f"end_day {last} is before start_day {first}")
    days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    found: dict[str, ActiveMarket] = {}
    for params in discovery_queries(first, last):
        for page in gamma.iter_market_pages(params, page_size=GAMMA_PAGE_SIZE):
            for obj in page.items:
                try:
                    market = ActiveMarket.from_gamma(parse_gamma_market(obj))
                except ParseError as exc:
                    if on_reject is not None:
                        on_reject(obj, f"unreadable Gamma market: {exc}", page.url)
                    continue
                if market.market_id in found or not any(market.active_on(d) for d in days):
                    continue
                found[market.market_id] = market
                if limit is not None and len(found) >= limit:
                    return _ordered(found.values())
    return _ordered(found.values())


def _ordered(markets: Iterable[ActiveMarket]) -> list[ActiveMarket]:
    far_past = dt.datetime.min.replace(tzinfo=dt.timezone.utc)
    return sorted(markets, key=lambda m: (m.start or far_past, int(m.market_id) if m.market_id.isdigit() else 0, m.market_id))


class DiscoverySink:
    """The quarantine of a run's market discovery, filed under ``day`` with level "gamma market discovery":
    takes raw bodies (the ``on_bad_body`` hook of the Gamma client) and unreadable Gamma market objects
    (``markets_active_in(on_reject=...)``). Thread-safe (the run's book locks); ``count`` is how many."""

    def __init__(self, run: RunContext, day: dt.date):
        self.run = run
        self.day = day
        self.count = 0

    def __call__(self, obj: Any, reason: str, url: str | None) -> None:
        self.run.book.quarantine(self.day, obj, reason, url, {"level": "gamma market discovery"})
        self.count += 1


def discover_markets(
    run: RunContext, sink: DiscoverySink, first: dt.date, last: dt.date, *, limit: int | None, unusable_page: Callable[[str], str]
) -> list[ActiveMarket]:
    """The markets active in ``first..last`` (``markets_active_in``), through a Gamma client guarded by ``sink``.

    A page of the wrong shape is quarantined too and fails the run, ``dg.Failure(description=
    unusable_page(reason))``: without the market list no day can be complete.
    """
    try:
        return markets_active_in(run.clients(on_bad_body=sink).gamma, first, last, limit=limit, on_reject=sink)
    except MalformedResponseError as exc:
        if not getattr(exc, "already_quarantined", False):
            sink(exc.body, exc.reason, exc.url)
        raise dg.Failure(description=unusable_page(exc.reason)) from exc
