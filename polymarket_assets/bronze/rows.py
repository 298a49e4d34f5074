"""Parsed API objects (``clients/<family>/parsing.py``) → bronze rows: the one place bronze decides columns.

The row contract of every bronze dataset is parse (client) → map (here) → type (``coerce.py``). The maps
name the bronze schema's columns (``schemas.py``) and decide what no parser should: a feed's sentinels
become NULL here and nowhere else (``/v2/trades`` ``outcome_index: 999`` and ``event_slug: ""``), and the
derived columns are computed here (``trades.usdc_size``, ``trades.trade_key``). Types are fixed by
``coerce_row``; silver reads the result as is. Free text arrives cleaned by the parsers (``""`` is NULL:
``wire.text_or_none``), and the leaderboard's ``time_period``/``sort_by`` are the dataset's own constants
(lower-case / upper-case), so silver SQL does not clean them again. Wallets are kept as sent (they enter
``trade_key``); silver lower-cases them as its join key.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from polymarket_assets.bronze.coerce import coerce_row, coerce_value
from polymarket_assets.bronze.schemas import TRADES
from polymarket_assets.clients.data_api import DATA_V2_OUTCOME_INDEX_UNKNOWN, LeaderboardRowV2, ResolutionV2, TradeV2
from polymarket_assets.clients.gamma import GammaEvent, GammaMarket, GammaMarketToken, GammaTag


def _first(values: Any) -> Any:
    return values[0] if isinstance(values, list) and values else None


def event_row(parsed: GammaEvent, fetched_at: dt.datetime) -> dict[str, Any]:
    """``parse_gamma_event`` → ``GAMMA_EVENTS`` columns."""
    return {
        "event_id": parsed["event_id"],
        "slug": parsed.get("slug"),
        "ticker": parsed.get("ticker"),
        "title": parsed.get("title"),
        "description": parsed.get("description"),
        "start_date": parsed.get("start_date"),
        "end_date": parsed.get("end_date"),
        "created_at": parsed.get("created_at"),
        "updated_at": parsed.get("updated_at"),
        "closed_time": parsed.get("closed_time"),
        "active": parsed.get("active"),
        "closed": parsed.get("closed"),
        "archived": parsed.get("archived"),
        "neg_risk": parsed.get("neg_risk"),
        "volume": parsed.get("volume"),
        "liquidity": parsed.get("liquidity"),
        "open_interest": parsed.get("open_interest"),
        "volume_24hr": parsed.get("volume_24hr"),
        "series_slug": _first(parsed.get("series_slugs")),
        "tag_ids": parsed.get("tag_ids") or [],
        "tag_slugs": parsed.get("tag_slugs") or [],
        "market_ids": parsed.get("market_ids") or [],
        "raw_json": parsed["raw_json"],
        "fetched_at": fetched_at,
    }


def tag_row(parsed: GammaTag, fetched_at: dt.datetime, *, event_id: str | None = None) -> dict[str, Any]:
    """``parse_gamma_tag`` → ``GAMMA_CATEGORIES`` columns: a ``tag`` row, or an ``event_tag`` link row when
    ``event_id`` is given (the tag columns then repeat the tag as embedded in the event)."""
    return {
        "record_type": "event_tag" if event_id is not None else "tag",
        "tag_id": parsed["tag_id"],
        "label": parsed.get("label"),
        "slug": parsed.get("slug"),
        "force_show": parsed.get("force_show"),
        "created_at": parsed.get("created_at"),
        "updated_at": parsed.get("updated_at"),
        "event_id": event_id,
        "raw_json": parsed["raw_json"],
        "fetched_at": fetched_at,
    }


def market_row(parsed: GammaMarket, fetched_at: dt.datetime) -> dict[str, Any]:
    """``parse_gamma_market`` → ``MARKETS`` columns. ``event_id``/``event_slug`` come from the market's
    embedded ``events[]`` when the endpoint embeds it (``/markets/{id}``, ``/markets/slug``), else null;
    ``uma_resolution_status`` is the current status, else the last of its history."""
    statuses = parsed.get("uma_resolution_statuses") or []
    return {
        "market_id": parsed["market_id"],
        "condition_id": parsed.get("condition_id"),
        "question_id": parsed.get("question_id"),
        "slug": parsed.get("slug"),
        "question": parsed.get("question"),
        "description": parsed.get("description"),
        "event_id": _first(parsed.get("event_ids")),
        "event_slug": parsed.get("event_slug"),
        "outcomes": parsed.get("outcomes"),
        "outcome_prices": parsed.get("outcome_prices"),
        "clob_token_ids": parsed.get("clob_token_ids"),
        "start_date": parsed.get("start_date"),
        "end_date": parsed.get("end_date"),
        "created_at": parsed.get("created_at"),
        "updated_at": parsed.get("updated_at"),
        "closed_time": parsed.get("closed_time"),
        "active": parsed.get("active"),
        "closed": parsed.get("closed"),
        "archived": parsed.get("archived"),
        "accepting_orders": parsed.get("accepting_orders"),
        "enable_order_book": parsed.get("enable_order_book"),
        "neg_risk": parsed.get("neg_risk"),
        "neg_risk_market_id": parsed.get("neg_risk_market_id"),
        "volume": parsed.get("volume"),
        "liquidity": parsed.get("liquidity"),
        "volume_24hr": parsed.get("volume_24hr"),
        "best_bid": parsed.get("best_bid"),
        "best_ask": parsed.get("best_ask"),
        "last_trade_price": parsed.get("last_trade_price"),
        "tick_size": parsed.get("order_price_min_tick_size"),
        "min_order_size": parsed.get("order_min_size"),
        "uma_resolution_status": parsed.get("uma_resolution_status") or (statuses[-1] if statuses else None),
        "resolved_outcome_index": parsed.get("resolved_outcome_index"),
        "raw_json": parsed["raw_json"],
        "fetched_at": fetched_at,
    }


def token_row(parsed: GammaMarketToken, fetched_at: dt.datetime) -> dict[str, Any]:
    """``gamma_market_tokens`` element → ``MARKET_TOKENS`` columns (same names)."""
    return {
        "token_id": parsed["token_id"],
        "condition_id": parsed.get("condition_id"),
        "market_id": parsed.get("market_id"),
        "outcome": parsed.get("outcome"),
        "outcome_index": parsed.get("outcome_index"),
        "price": parsed.get("price"),
        "winner": parsed.get("winner"),
        "fetched_at": fetched_at,
    }


def leaderboard_row(
    parsed: LeaderboardRowV2, *, snapshot_at: dt.datetime, time_period: str, sort_by: str, category: str, fetched_at: dt.datetime
) -> dict[str, Any]:
    """``parse_leaderboard_row_v2`` → ``LEADERBOARD`` columns (``pnl``/``volume`` as float64, as sent)."""
    return {
        "snapshot_at": snapshot_at,
        "time_period": time_period,
        "sort_by": sort_by,
        "category": category,
        "rank": parsed.get("rank"),
        "user_id": parsed["user_id"],
        "user_name": parsed.get("user_name"),
        "x_username": parsed.get("x_username"),
        "verified": parsed.get("verified"),
        "pnl": parsed.get("pnl"),
        "volume": parsed.get("volume"),
        "raw_json": parsed["raw_json"],
        "fetched_at": fetched_at,
    }


def resolution_row(
    market: GammaMarket,
    records: list[ResolutionV2],
    *,
    fetched_at: dt.datetime,
    resolution_fetched_at: dt.datetime | None,
    resolution_url: str | None,
) -> dict[str, Any]:
    """A closed Gamma market (``parse_gamma_market``) and its ``/v2/resolutions`` records → ``RESOLUTIONS``.

    Several records for one condition (a question re-posed: ``new_version_q``) are all kept in
    ``resolution_raw_json``; the columns hold the newest by ``last_update`` (ties: the last sent). No record
    → ``resolution_found`` false and the resolution columns NULL (silver calls the market pending)."""
    newest: ResolutionV2 | None = None
    for record in records:
        if newest is None or (record["last_update"] or dt.datetime.min.replace(tzinfo=dt.timezone.utc)) >= (
            newest["last_update"] or dt.datetime.min.replace(tzinfo=dt.timezone.utc)
        ):
            newest = record
    statuses = market.get("uma_resolution_statuses") or []
    return {
        "condition_id": market.get("condition_id"),
        "market_id": market["market_id"],
        "question_id": market.get("question_id"),
        "slug": market.get("slug"),
        "question": market.get("question"),
        "event_id": _first(market.get("event_ids")),
        "neg_risk": market.get("neg_risk"),
        "outcomes": market.get("outcomes"),
        "outcome_prices": market.get("outcome_prices"),
        "clob_token_ids": market.get("clob_token_ids"),
        "start_date": market.get("start_date"),
        "end_date": market.get("end_date"),
        "closed": market.get("closed"),
        "closed_time": market.get("closed_time"),
        "uma_resolution_status": market.get("uma_resolution_status"),
        "uma_resolution_statuses": statuses,
        "uma_end_date": market.get("uma_end_date"),
        "updated_at": market.get("updated_at"),
        "resolution_found": newest is not None,
        "resolution_records": len(records),
        "resolution_question_id": newest["question_id"] if newest else None,
        "resolution_status": newest["status"] if newest else None,
        "was_disputed": newest["was_disputed"] if newest else None,
        "extended_review": newest["extended_review"] if newest else None,
        "resolution_price": newest["price"] if newest else None,
        "proposed_price": newest["proposed_price"] if newest else None,
        "reproposed_price": newest["reproposed_price"] if newest else None,
        "resolution_tx_hash": newest["transaction_hash"] if newest else None,
        "resolution_log_index": newest["log_index"] if newest else None,
        "resolution_updated_at": newest["last_update"] if newest else None,
        "resolution_url": resolution_url,
        "raw_json": market["raw_json"],
        "resolution_raw_json": ("[" + ",".join(r["raw_json"] for r in records) + "]") if records else None,
        "fetched_at": fetched_at,
        "resolution_fetched_at": resolution_fetched_at,
    }


# -- bronze/trades ------------------------------------------------------------------------------------

#: Every ``TRADES`` column but ``trade_key``, which needs the chain's ordinal counter (``TradeKeyer``).
TRADE_COLUMNS = TRADES.remove(TRADES.get_field_index("trade_key"))
_USDC = TRADES.field("usdc_size").type
_SEP = "\x1f"


def trade_row(parsed: TradeV2, fetched_at: dt.datetime) -> tuple[str, dict[str, Any]]:
    """``parse_trade_v2`` → (key base, typed ``TRADES`` row whose ``trade_key`` is still ``None``).

    The feed's sentinels become NULL: ``outcome_index`` 999 ("could not be labeled") and ``event_slug`` ""
    (their raw values stay in ``raw_json``). ``usdc_size`` is derived as ``price × size`` of the stored
    6-place values (v2 trades carry no USDC amount), rounded to 6 places. Raises ``ValueError``
    (``RowCoercionError``: quarantine the row) when a required column is missing or a number does not fit.
    The key base joins the identifying columns (price/size with their 6 stored places, ``ts`` in epoch
    seconds) with U+001F; ``TradeKeyer.key`` adds the ordinal and hashes it.
    """
    outcome_index = parsed.get("outcome_index")
    row = coerce_row(
        {
            "transaction_hash": parsed.get("transaction_hash"),
            "condition_id": parsed.get("condition_id"),
            "token_id": parsed.get("token_id"),
            "proxy_wallet": parsed.get("proxy_wallet"),
            "side": parsed.get("side"),
            "price": parsed.get("price"),
            "size": parsed.get("size"),
            "ts": parsed.get("timestamp"),
            "outcome": parsed.get("outcome"),
            "outcome_index": None if outcome_index == DATA_V2_OUTCOME_INDEX_UNKNOWN else outcome_index,
            "market_slug": parsed.get("slug"),
            "event_slug": parsed.get("event_slug") or None,
            "title": parsed.get("title"),
            "trader_name": parsed.get("name"),
            "trader_pseudonym": parsed.get("pseudonym"),
            "raw_json": parsed.get("raw_json"),
            "fetched_at": fetched_at,
        },
        TRADE_COLUMNS,
    )
    price, size = row["price"], row["size"]
    row["usdc_size"] = coerce_value(price * size, _USDC)
    row["trade_key"] = None
    base = _SEP.join(
        (
            row["transaction_hash"] or "",
            row["condition_id"],
            row["token_id"],
            row["proxy_wallet"],
            row["side"],
            format(price, "f"),
            format(size, "f"),
            str(int(row["ts"].timestamp())),
        )
    )
    return base, row


class TradeKeyer:
    """Computes ``trade_key`` for one cursor chain (ordinals of identical fills within a transaction).

    Only the counters of the current timestamp are kept: rows arrive newest first, and every fill of one
    transaction shares its timestamp, so memory stays bounded.
    """

    def __init__(self) -> None:
        self._ts: int | None = None
        self._counts: dict[str, int] = {}

    def reset(self) -> None:
        self._ts, self._counts = None, {}

    def key(self, base: str, epoch: int) -> str:
        if epoch != self._ts:
            self._ts, self._counts = epoch, {}
        ordinal = self._counts.get(base, 0)
        self._counts[base] = ordinal + 1
        return hashlib.sha256(f"{base}{_SEP}{ordinal}".encode()).hexdigest()
