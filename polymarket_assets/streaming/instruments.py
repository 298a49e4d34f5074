"""The shared instrument dict every venue's discovery produces and the poller consumes.

An instrument is one order book to poll. It is a plain JSON-serialisable dict (it round-trips through
``state/active_instruments.snapshot.json``) with at least:

=================  ===========================================================================
``venue``          ``polymarket`` or ``limitless``
``source``         the discovery that produced it: ``polymarket_btc15m``, ``polymarket_general``,
                   ``limitless``
``market_id``      Polymarket: the ``conditionId``; Limitless: the market slug
``instrument_id``  Polymarket: the outcome's CLOB token id (uint256 as a string); Limitless: ``BOOK``
``instrument_key`` ``venue:market_id:instrument_id``
``poll_key``       what the poller sends: Polymarket token id (``POST /books``); Limitless slug
``token_id``       CLOB / Limitless YES token id (string) when known
``slug``           market slug
``outcome``        ``Up`` / ``Down`` / ``Yes`` / ``No`` …; Limitless ``YES`` (its book is the YES token's)
``question``       market question / title
``expiration``     ISO-8601 UTC end of trading, or None
``active_from``    epoch seconds from which the poller polls it (None = now)
``active_until``   epoch seconds from which the poller stops polling it (None = never)
=================  ===========================================================================

and the venue-specific fields (``None`` where they do not apply): ``gamma_market_id`` (Polymarket),
``limitless_market_id`` and ``condition_id`` (Limitless), ``window_start`` (BTC 15-minute markets). Its type
across modules is :class:`Instrument`.
"""

from __future__ import annotations

from typing import Any, TypedDict

VENUE_POLYMARKET = "polymarket"
VENUE_LIMITLESS = "limitless"
VENUES = (VENUE_POLYMARKET, VENUE_LIMITLESS)

REQUIRED_FIELDS = ("venue", "source", "market_id", "instrument_id", "instrument_key", "poll_key")


class Instrument(TypedDict):
    """One order book to poll (the table of the module docstring)."""

    venue: str
    source: str
    market_id: str
    instrument_id: str
    instrument_key: str
    poll_key: str
    token_id: str | None
    slug: str | None
    outcome: str | None
    question: str | None
    expiration: str | None
    active_from: float | None
    active_until: float | None
    gamma_market_id: str | None
    limitless_market_id: str | None
    condition_id: str | None
    window_start: int | None


def instrument_key(venue: str, market_id: str, instrument_id: str) -> str:
    return f"{venue}:{market_id}:{instrument_id}"


def make_instrument(
    *,
    venue: str,
    source: str,
    market_id: str,
    instrument_id: str,
    poll_key: str,
    slug: str | None = None,
    outcome: str | None = None,
    question: str | None = None,
    expiration: str | None = None,
    token_id: str | None = None,
    active_from: float | None = None,
    active_until: float | None = None,
    gamma_market_id: str | None = None,
    limitless_market_id: str | None = None,
    condition_id: str | None = None,
    window_start: int | None = None,
) -> Instrument:
    if venue not in VENUES:
        raise ValueError(f"unknown venue {venue!r}; expected one of {VENUES}")
    for name, value in (("market_id", market_id), ("instrument_id", instrument_id), ("poll_key", poll_key)):
        if not value or not isinstance(value, str):
            raise ValueError(f"instrument {name} must be a non-empty string, got {value!r}")
    return {
        "venue": venue,
        "source": source,
        "market_id": market_id,
        "instrument_id": instrument_id,
        "instrument_key": instrument_key(venue, market_id, instrument_id),
        "poll_key": poll_key,
        "token_id": token_id,
        "slug": slug,
        "outcome": outcome,
        "question": question,
        "expiration": expiration,
        "active_from": active_from,
        "active_until": active_until,
        "gamma_market_id": gamma_market_id,
        "limitless_market_id": limitless_market_id,
        "condition_id": condition_id,
        "window_start": window_start,
    }


def is_active(inst: Instrument, now: float) -> bool:
    """Whether the poller should poll ``inst`` at wall time ``now`` (half-open window)."""
    start = inst.get("active_from")
    end = inst.get("active_until")
    if start is not None and now < start:
        return False
    if end is not None and now >= end:
        return False
    return True


def validate(inst: Any) -> bool:
    return isinstance(inst, dict) and all(isinstance(inst.get(f), str) and inst.get(f) for f in REQUIRED_FIELDS)
