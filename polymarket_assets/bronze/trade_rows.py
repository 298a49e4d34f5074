"""One bronze/trades row from a parsed Data API v2 trade, and its deterministic dedupe key (``trade_key``)."""


# (no "from __future__ import annotations": Dagster reads the asset signature annotations at import)

import datetime as dt
import hashlib
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any



_SIX = Decimal("0.000001")
_SEP = "\x1f"


def _dec6(value: Decimal | None, precision: int) -> Decimal | None:
    if value is None:
        return None
    quantized = value.quantize(_SIX, rounding=ROUND_HALF_EVEN)
    if len(quantized.as_tuple().digits) > precision:
        raise ValueError(f"{value} does not fit decimal({precision}, 6)")
    return quantized


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


def trade_row(parsed: dict[str, Any], fetched_at: dt.datetime) -> tuple[str, dict[str, Any]]:
    """``parse_trade_v2`` output → (base key, ``TRADES`` row without ``trade_key``).

    Raises ``ValueError`` (quarantine the row) when a required column is missing or a number does not fit.
    ``usdc_size`` is derived as ``price × size`` (v2 trades carry no USDC amount), rounded to 6 places.
    """
    price = _dec6(parsed.get("price"), 12)
    size = _dec6(parsed.get("size"), 38)
    ts = parsed.get("timestamp")
    row = {
        "trade_key": None,
        "transaction_hash": parsed.get("transaction_hash"),
        "condition_id": parsed.get("condition_id"),
        "token_id": parsed.get("token_id"),
        "proxy_wallet": parsed.get("proxy_wallet"),
        "side": parsed.get("side"),
        "price": price,
        "size": size,
        "usdc_size": _dec6(price * size, 38) if price is not None and size is not None else None,
        "ts": ts,
        "outcome": parsed.get("outcome"),
        "outcome_index": None if parsed.get("outcome_index") == 999 else parsed.get("outcome_index"),
        "market_slug": parsed.get("slug"),
        "event_slug": parsed.get("event_slug") or None,
        "title": parsed.get("title"),
        "trader_name": parsed.get("name"),
        "trader_pseudonym": parsed.get("pseudonym"),
        "raw_json": parsed.get("raw_json"),
        "fetched_at": fetched_at,
    }
    missing = [c for c in ("condition_id", "token_id", "proxy_wallet", "side", "price", "size", "ts", "raw_json") if row[c] is None]
    if missing:
        raise ValueError(f"required trade field(s) missing: {', '.join(missing)}")
    index = row["outcome_index"]
    if index is not None and not -(2**15) <= index < 2**15:
        raise ValueError(f"outcome_index {index} out of int16 range")
    base = _SEP.join(
        (
            row["transaction_hash"] or "",
            row["condition_id"],
            row["token_id"],
            row["proxy_wallet"],
            row["side"],
            format(price, "f"),
            format(size, "f"),
            str(int(ts.timestamp())),
        )
    )
    return base, row


# ------------------------------------------------------------------------------------------------
# Cursor chains and their scheduling
# ------------------------------------------------------------------------------------------------
