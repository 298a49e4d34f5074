"""Which Polymarket markets closed on which days: the bounded Gamma lookup behind ``bronze/resolutions``.

A market **closed on day D** when its Gamma ``closedTime`` falls in ``[D 00:00, D+1 00:00)`` UTC. For UMA
markets ``closedTime`` is the instant the question resolved (it equals ``umaEndDate`` in every resolved real
body, e.g. ``polymarket_assets_tests/fixtures/real/gamma/market_sports_moneyline_closed.json``).

Gamma cannot be asked "closed on D": its ``closed_time_min/max`` filters answer 500 (api_reference §1.7). So
:func:`closed_markets_in` walks ``/markets/keyset`` **once per run range** ``[first, last]`` with

    closed = true,  start_date_max = last + 1 day (00:00),  end_date_min = first − lookback

and routes every market to the UTC day of its ``closedTime``. Why that finds the markets closed on D:

* a market closed on D started before D ended (``start_date_max``);
* its nominal ``endDate`` is at least ``lookback`` days before D, unless it closed more than ``lookback`` days
  after its end date (``end_date_min``; markets stay open past their end date, quirk 9 (§6));
* markets resolved *early*, long before their nominal end (the real ``katana`` market closed 2026-03-19 with
  ``endDate`` 2028-01-01), have an end date after D and are found: there is no ``end_date_max``.

The walk returns about what the active-market pass of ``trades``/``prices`` walks (markets alive around the
range that have closed since), so its cost is of the same order: a few hundred ``/markets/keyset`` pages for a
recent day.

**What it misses, exactly** (``README``, "Resolutions"):

1. a market that closed on D more than ``lookback_days`` (default 30, run config) after its nominal end date;
2. a closed market Gamma lists without ``startDate`` (legacy markets of 2020–21: ``start_date_max`` cannot match
   them);
3. a market Gamma has not marked closed yet when the partition is fetched (re-run the day later);
4. a closed market without ``closedTime``: returned, but it has no day; counted, not written.

Counted in the run metadata: ``closed_without_closed_time`` (4), ``closed_on_other_days`` (found, routed to a
day outside the run), ``not_closed_skipped`` (a server that ignored ``closed=true``),
``max_days_closed_after_end`` and ``closed_near_lookback_edge`` (closed more than 80 % of the lookback after the
nominal end: the tail that case 1 cuts; when it is not zero, a longer lookback may find more). Silver's
``market_resolution_dim`` counts the markets ``market_dim`` knows as closed that have no resolution row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from polymarket_assets.bronze.partitions import day_bounds, day_of, iso_z, utc_now
from polymarket_assets.clients.gamma import GammaMarket, parse_gamma_market
from polymarket_assets.clients.wire import ParseError

DEFAULT_LOOKBACK_DAYS = 30
GAMMA_PAGE_SIZE = 100
EDGE_SHARE = 0.8

#: ``on_reject(raw_object, reason, url)`` receives every Gamma market object that could not be read.
RejectCallback = Callable[[Any, str, "str | None"], None]


@dataclass(frozen=True)
class ClosedMarket:
    """A closed Gamma market, parsed (``parse_gamma_market``), with the time its page arrived."""

    market: GammaMarket
    fetched_at: dt.datetime

    @property
    def closed_day(self) -> dt.date:
        closed_time = self.market["closed_time"]
        assert closed_time is not None
        return day_of(closed_time)


@dataclass
class ClosedLookup:
    """The markets closed on each day of a range, and what the lookup saw but could not use."""

    lookback_days: int
    query: dict[str, Any]
    by_day: dict[dt.date, list[ClosedMarket]] = field(default_factory=dict)
    found: int = 0
    closed_on_other_days: int = 0
    closed_without_closed_time: int = 0
    not_closed_skipped: int = 0
    max_days_closed_after_end: float | None = None
    closed_near_lookback_edge: int = 0
    limited: bool = False

    def count(self) -> int:
        return sum(len(v) for v in self.by_day.values())


def closed_markets_query(first: dt.date, last: dt.date, lookback_days: int) -> dict[str, Any]:
    """The one ``/markets/keyset`` filter set of the module docstring for ``[first, last]``."""
    range_start, range_end = day_bounds(first)[0], day_bounds(last)[1]
    return {
        "closed": True,
        "start_date_max": iso_z(range_end),
        "end_date_min": iso_z(range_start - dt.timedelta(days=lookback_days)),
    }


def closed_markets_in(
    gamma: Any,
    days: Iterable[dt.date],
    *,
    lookback_days: int = DEFAULT_LOOKBACK_DAYS,
    limit: int | None = None,
    on_reject: RejectCallback | None = None,
) -> ClosedLookup:
    """Every market Gamma reports closed on one of ``days`` (UTC), found by one walk over their range.

    Market objects that cannot be read go to ``on_reject`` (never silently dropped); a malformed *page* raises
    ``MalformedResponseError`` (the caller quarantines it and fails: without the list no day is complete).
    ``limit`` stops after that many markets routed to ``days`` (quick trials)."""
    wanted = set(days)
    if not wanted:
        raise ValueError("closed_markets_in() needs at least one day")
    first, last = min(wanted), max(wanted)
    lookup = ClosedLookup(lookback_days, closed_markets_query(first, last, lookback_days))
    edge = dt.timedelta(days=lookback_days * EDGE_SHARE)
    seen: set[str] = set()
    for page in gamma.iter_market_pages(lookup.query, page_size=GAMMA_PAGE_SIZE):
        fetched_at = utc_now()
        for obj in page.items:
            try:
                market = parse_gamma_market(obj)
            except (ParseError, ValueError) as exc:
                if on_reject is not None:
                    on_reject(obj, f"unreadable Gamma market: {exc}", page.url)
                continue
            if market["market_id"] in seen:
                continue  # CDN-cached pages may repeat objects (quirk 8 (§6))
            seen.add(market["market_id"])
            if market["closed"] is not True:
                lookup.not_closed_skipped += 1
                continue
            lookup.found += 1
            closed_time = market["closed_time"]
            if closed_time is None:
                lookup.closed_without_closed_time += 1
                continue
            day = day_of(closed_time)
            if day not in wanted:
                lookup.closed_on_other_days += 1
                continue
            end = market["end_date"]
            if end is not None:
                late = closed_time - end
                days_late = late.total_seconds() / 86400
                if lookup.max_days_closed_after_end is None or days_late > lookup.max_days_closed_after_end:
                    lookup.max_days_closed_after_end = round(days_late, 3)
                if late > edge:
                    lookup.closed_near_lookback_edge += 1
            lookup.by_day.setdefault(day, []).append(ClosedMarket(market, fetched_at))
            if limit is not None and lookup.count() >= limit:
                lookup.limited = True
                return lookup
    return lookup
