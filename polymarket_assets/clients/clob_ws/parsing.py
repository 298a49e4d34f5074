"""Market-channel frame text -> :class:`~polymarket_assets.clients.clob_ws.events.ParsedFrame`.

A frame is ``PONG`` (the answer to our text ``PING``), one JSON object, or a JSON array of objects (the
initial snapshot of several assets arrives as an array; §4). Every object is parsed on its own: a bad object
becomes a :class:`FrameProblem` and the others still count; an unknown ``event_type`` becomes an
:class:`UnknownEvent` (kept, counted by the caller). Nothing here raises for bad input.

Wire quirks handled (api_reference §6): prices/sizes are strings -> Decimal from the text (quirk 3); the
millisecond ``timestamp`` is a string (quirk 4); token ids stay strings (quirk 5); ``price_change`` has two
schemas (quirk 10): the 2025+ batched ``price_changes[]`` (with ``best_bid``/``best_ask`` per entry) and the
legacy flat one (``asset_id``/``price``/``side``/``size``/``hash`` at top level). ``new_market`` carries
``clob_token_ids`` as a real array (quirk 1).
"""

from __future__ import annotations

from typing import Any, Callable

from polymarket_assets.clients import fastjson
from polymarket_assets.clients.clob_ws.events import (
    BUY,
    SELL,
    BestBidAskEvent,
    BookEvent,
    FrameProblem,
    LastTradePriceEvent,
    Level,
    MarketEvent,
    MarketResolvedEvent,
    NewMarketEvent,
    ParsedFrame,
    PriceChange,
    PriceChangeEvent,
    TickSizeChangeEvent,
    UnknownEvent,
)
from polymarket_assets.clients.clob_ws.messages import PONG
from polymarket_assets.clients.wire import ParseError, to_bool, to_decimal, to_id_str, to_int

EXCERPT_CHARS = 300


def _excerpt(value: Any) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text[:EXCERPT_CHARS]


def _req_id(obj: dict[str, Any], key: str) -> str:
    value = to_id_str(obj.get(key), field=key)
    if not value:
        raise ParseError(f"required {key!r} is missing")
    return value


def _opt_id(obj: dict[str, Any], key: str) -> str | None:
    return to_id_str(obj.get(key), field=key)


def _ts(obj: dict[str, Any]) -> int | None:
    return to_int(obj.get("timestamp"), field="timestamp")


def _side(value: Any) -> str:
    side = value.upper() if isinstance(value, str) else None
    if side not in (BUY, SELL):
        raise ParseError(f"side must be BUY or SELL, got {value!r}")
    return side


def _levels(raw: Any, name: str) -> list[Level]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise ParseError(f"{name} must be an array, got {type(raw).__name__}")
    out: list[Level] = []
    for level in raw:
        if not isinstance(level, dict):
            raise ParseError(f"{name} level must be an object, got {level!r}")
        price = to_decimal(level.get("price"), field="price")
        size = to_decimal(level.get("size"), field="size")
        if price is None or size is None:
            raise ParseError(f"{name} level without price or size: {level!r}")
        out.append((price, size))
    return out


def _ids(obj: dict[str, Any], *keys: str) -> list[str]:
    for key in keys:
        value = obj.get(key)
        if isinstance(value, list):
            return [i for i in (to_id_str(v, field=key) for v in value) if i]
    return []


def _book(obj: dict[str, Any]) -> BookEvent:
    return BookEvent(
        asset_id=_req_id(obj, "asset_id"),
        market=_opt_id(obj, "market"),
        timestamp_ms=_ts(obj),
        hash=obj.get("hash") or None,
        bids=_levels(obj.get("bids"), "bids"),
        asks=_levels(obj.get("asks"), "asks"),
        tick_size=to_decimal(obj.get("tick_size"), field="tick_size"),
        last_trade_price=to_decimal(obj.get("last_trade_price"), field="last_trade_price"),
    )


def _change(entry: Any, *, flat: bool) -> PriceChange:
    if not isinstance(entry, dict):
        raise ParseError(f"price_changes entry must be an object, got {entry!r}")
    price = to_decimal(entry.get("price"), field="price")
    size = to_decimal(entry.get("size"), field="size")
    if price is None or size is None:
        raise ParseError("price change without price or size")
    return PriceChange(
        asset_id=_req_id(entry, "asset_id"),
        price=price,
        size=size,
        side=_side(entry.get("side")),
        hash=entry.get("hash") or None,
        best_bid=None if flat else to_decimal(entry.get("best_bid"), field="best_bid"),
        best_ask=None if flat else to_decimal(entry.get("best_ask"), field="best_ask"),
    )


def _price_change(obj: dict[str, Any], problems: list[FrameProblem]) -> PriceChangeEvent | None:
    market = _opt_id(obj, "market")
    timestamp = _ts(obj)
    entries = obj.get("price_changes")
    if entries is None and "price" in obj:  # legacy flat shape (price_change_legacy_v1_2024.json)
        return PriceChangeEvent(market=market, timestamp_ms=timestamp, changes=[_change(obj, flat=True)], legacy=True)
    if not isinstance(entries, list):
        raise ParseError("price_change without a price_changes array or a flat price")
    changes: list[PriceChange] = []
    for entry in entries:
        try:
            changes.append(_change(entry, flat=False))
        except (ParseError, TypeError, ValueError, AttributeError) as exc:  # one bad entry: report it with its asset, keep the others
            asset = entry.get("asset_id") if isinstance(entry, dict) else None
            problems.append(FrameProblem(f"price_change entry: {exc}", _excerpt(entry), asset_id=_safe_id(asset), market=market))
    return PriceChangeEvent(market=market, timestamp_ms=timestamp, changes=changes)


def _last_trade(obj: dict[str, Any]) -> LastTradePriceEvent:
    side = obj.get("side")
    return LastTradePriceEvent(
        asset_id=_req_id(obj, "asset_id"),
        market=_opt_id(obj, "market"),
        price=to_decimal(obj.get("price"), field="price"),
        side=_side(side) if side not in (None, "") else None,
        size=to_decimal(obj.get("size"), field="size"),
        fee_rate_bps=to_decimal(obj.get("fee_rate_bps"), field="fee_rate_bps"),
        timestamp_ms=_ts(obj),
        transaction_hash=obj.get("transaction_hash") or None,
    )


def _tick(obj: dict[str, Any]) -> TickSizeChangeEvent:
    return TickSizeChangeEvent(
        asset_id=_req_id(obj, "asset_id"),
        market=_opt_id(obj, "market"),
        old_tick_size=to_decimal(obj.get("old_tick_size"), field="old_tick_size"),
        new_tick_size=to_decimal(obj.get("new_tick_size"), field="new_tick_size"),
        timestamp_ms=_ts(obj),
    )


def _bba(obj: dict[str, Any]) -> BestBidAskEvent:
    return BestBidAskEvent(
        asset_id=_req_id(obj, "asset_id"),
        market=_opt_id(obj, "market"),
        best_bid=to_decimal(obj.get("best_bid"), field="best_bid"),
        best_ask=to_decimal(obj.get("best_ask"), field="best_ask"),
        spread=to_decimal(obj.get("spread"), field="spread"),
        timestamp_ms=_ts(obj),
    )


def _new_market(obj: dict[str, Any]) -> NewMarketEvent:
    outcomes = obj.get("outcomes")
    tags = obj.get("tags")
    return NewMarketEvent(
        market=_opt_id(obj, "market") or _opt_id(obj, "condition_id"),
        asset_ids=_ids(obj, "clob_token_ids", "assets_ids"),
        gamma_market_id=_opt_id(obj, "id"),
        slug=obj.get("slug") or None,
        question=obj.get("question") or None,
        outcomes=[str(o) for o in outcomes] if isinstance(outcomes, list) else [],
        active=to_bool(obj.get("active"), field="active"),
        tick_size=to_decimal(obj.get("order_price_min_tick_size"), field="order_price_min_tick_size"),
        tags=[str(t) for t in tags] if isinstance(tags, list) else [],
        timestamp_ms=_ts(obj),
    )


def _resolved(obj: dict[str, Any]) -> MarketResolvedEvent:
    return MarketResolvedEvent(
        market=_opt_id(obj, "market"),
        asset_ids=_ids(obj, "assets_ids", "clob_token_ids"),
        gamma_market_id=_opt_id(obj, "id"),
        winning_asset_id=_opt_id(obj, "winning_asset_id"),
        winning_outcome=obj.get("winning_outcome") or None,
        timestamp_ms=_ts(obj),
    )


_SIMPLE: dict[str, Callable[[dict[str, Any]], MarketEvent]] = {
    "book": _book,
    "last_trade_price": _last_trade,
    "tick_size_change": _tick,
    "best_bid_ask": _bba,
    "new_market": _new_market,
    "market_resolved": _resolved,
}


def _safe_id(value: Any) -> str | None:
    try:
        return to_id_str(value)
    except ParseError:
        return None


def parse_event(obj: Any, problems: list[FrameProblem]) -> MarketEvent | None:
    """One decoded JSON object -> its event (``None`` when it is malformed; the problem is appended)."""
    if not isinstance(obj, dict):
        problems.append(FrameProblem(f"expected a JSON object, got {type(obj).__name__}", _excerpt(obj)))
        return None
    event_type = obj.get("event_type")
    if event_type is None and "bids" in obj and "asks" in obj and "asset_id" in obj:
        event_type = "book"  # 2024 book snapshots carry no event_type (book_snapshot_trump_2024.json)
    try:
        if event_type == "price_change":
            return _price_change(obj, problems)
        parser = _SIMPLE.get(event_type)  # type: ignore[arg-type]
        if parser is None:
            return UnknownEvent(event_type=event_type if isinstance(event_type, str) else None, raw=obj)
        return parser(obj)
    except (ParseError, TypeError, ValueError, AttributeError) as exc:
        problems.append(
            FrameProblem(f"{event_type}: {exc}", _excerpt(obj), asset_id=_safe_id(obj.get("asset_id")), market=_safe_id(obj.get("market")))
        )
        return None


def parse_frame(text: str | bytes) -> ParsedFrame:
    """Parse one received frame. Never raises: problems are reported in the result."""
    frame = ParsedFrame()
    if text == PONG or text == PONG.encode():
        frame.pong = True
        return frame
    try:
        decoded = fastjson.loads(text)
    except fastjson.JSONDecodeError as exc:
        frame.problems.append(FrameProblem(f"not JSON: {exc}", _excerpt(text if isinstance(text, str) else text.decode("utf-8", "replace"))))
        return frame
    items = decoded if isinstance(decoded, list) else [decoded]
    for item in items:
        event = parse_event(item, frame.problems)
        if event is not None:
            frame.events.append(event)
    return frame
