"""Discovery per venue. Each discoverer has ``source``, ``venue``, ``interval_seconds`` and
``discover(now) -> DiscoveryResult``; it never writes files (``discovery.py`` does)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from polymarket_assets.streaming.instruments import Instrument


@dataclass
class DiscoveryResult:
    instruments: list[Instrument]
    markets: list[dict[str, Any]] = field(default_factory=list)  # metadata rows appended as JSONL
    warnings: list[str] = field(default_factory=list)


class Discoverer(Protocol):
    source: str
    venue: str
    interval_seconds: float

    def discover(self, now: float) -> DiscoveryResult: ...


def json_list(value: Any) -> list[Any]:
    """Gamma's JSON-inside-a-string arrays (``"[\\"Up\\", \\"Down\\"]"``) or a real array -> list."""
    if value is None or value == "":
        return []
    if isinstance(value, list):
        return value
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except json.JSONDecodeError:
            return []
        return parsed if isinstance(parsed, list) else []
    return []


def iso_utc(ts: float | None) -> str | None:
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, tz=timezone.utc).isoformat().replace("+00:00", "Z")


def parse_iso(value: Any) -> float | None:
    """ISO-8601 (any fractional digits, ``Z`` or offset) or Postgres text ``2026-04-05 19:37:33+00`` -> epoch s."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip().replace("Z", "+00:00")
    if text.endswith("+00") and not text.endswith(":00+00"):
        text += ":00"
    elif len(text) > 3 and text[-3] in "+-" and text[-2:].isdigit():
        text += ":00"
    try:
        dt = datetime.fromisoformat(text)
    except ValueError:
        try:
            dt = datetime.fromisoformat(text.split(".")[0])
        except ValueError:
            return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.timestamp()


def gamma_market_instruments(market: dict[str, Any], *, source: str, **extra: Any) -> list[Instrument]:
    """Two instruments (one per outcome token) for a Gamma market object; [] if it has no order book."""
    from polymarket_assets.streaming.instruments import VENUE_POLYMARKET, make_instrument

    tokens = [str(t) for t in json_list(market.get("clobTokenIds"))]
    outcomes = [str(o) for o in json_list(market.get("outcomes"))]
    condition = market.get("conditionId") or market.get("condition_id")
    if not tokens or not condition or market.get("enableOrderBook") is False:
        return []
    end = parse_iso(market.get("endDate"))
    out = []
    for i, token in enumerate(tokens):
        extra_fields = dict(extra)
        out.append(
            make_instrument(
                venue=VENUE_POLYMARKET,
                source=source,
                market_id=str(condition),
                instrument_id=token,
                poll_key=token,
                token_id=token,
                slug=market.get("slug"),
                outcome=outcomes[i] if i < len(outcomes) else None,
                question=market.get("question"),
                expiration=iso_utc(end),
                gamma_market_id=None if market.get("id") is None else str(market.get("id")),
                **extra_fields,
            )
        )
    return out


def gamma_market_metadata(market: dict[str, Any], *, source: str, now: float) -> dict[str, Any]:
    return {
        "discovered_at": iso_utc(now),
        "source": source,
        "venue": "polymarket",
        "market_id": market.get("conditionId"),
        "gamma_market_id": market.get("id"),
        "slug": market.get("slug"),
        "question": market.get("question"),
        "outcomes": json_list(market.get("outcomes")),
        "clob_token_ids": [str(t) for t in json_list(market.get("clobTokenIds"))],
        "outcome_prices": json_list(market.get("outcomePrices")),
        "start_date": market.get("startDate"),
        "event_start_time": market.get("eventStartTime"),
        "end_date": market.get("endDate"),
        "active": market.get("active"),
        "closed": market.get("closed"),
        "accepting_orders": market.get("acceptingOrders"),
        "volume_24hr": market.get("volume24hr"),
        "liquidity": market.get("liquidity"),
        "best_bid": market.get("bestBid"),
        "best_ask": market.get("bestAsk"),
        "tick_size": market.get("orderPriceMinTickSize"),
        "neg_risk": market.get("negRisk"),
    }
