"""Messages a client sends on the CLOB market channel (api_reference §4, §7.1).

* the first frame on a connection: ``{"assets_ids": [...], "type": "market", "custom_feature_enabled": true}``
  (``custom_feature_enabled`` adds ``best_bid_ask``, ``new_market`` and ``market_resolved``);
* later changes on the live connection: ``{"assets_ids": [...], "operation": "subscribe" | "unsubscribe"}``.
  The venue ignores a duplicate subscribe, so a fresh ``book`` needs an unsubscribe, then a subscribe;
* the heartbeat: the text ``PING`` every 10 s, answered by ``PONG``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

PING = "PING"
PONG = "PONG"
PING_INTERVAL_SECONDS = 10.0
SUBSCRIBE = "subscribe"
UNSUBSCRIBE = "unsubscribe"


def _ids(asset_ids: Iterable[str]) -> list[str]:
    ids = [str(a) for a in asset_ids]
    if not ids or not all(ids):
        raise ValueError("a market-channel message needs at least one non-empty asset id")
    return ids


def initial_subscribe(asset_ids: Iterable[str], *, custom_feature_enabled: bool = True) -> str:
    """The first frame of a connection."""
    message: dict[str, object] = {"assets_ids": _ids(asset_ids), "type": "market"}
    if custom_feature_enabled:
        message["custom_feature_enabled"] = True
    return json.dumps(message, separators=(",", ":"))


def update_subscription(asset_ids: Iterable[str], operation: str) -> str:
    """Add (``"subscribe"``) or remove (``"unsubscribe"``) assets on a live connection."""
    if operation not in (SUBSCRIBE, UNSUBSCRIBE):
        raise ValueError(f"operation must be {SUBSCRIBE!r} or {UNSUBSCRIBE!r}, got {operation!r}")
    return json.dumps({"assets_ids": _ids(asset_ids), "operation": operation}, separators=(",", ":"))


def parse_client_message(text: str) -> tuple[str, list[str]] | None:
    """What a client frame asks for: ``("subscribe" | "unsubscribe", asset ids)``, ``None`` for ``PING`` or
    anything else. The initial ``type: market`` frame counts as ``subscribe``. Used by the book state
    machine to follow the subscriptions recorded in the raw log, and by the local test server."""
    if text == PING:
        return None
    try:
        message = json.loads(text)
    except ValueError:
        return None
    if not isinstance(message, dict) or not isinstance(message.get("assets_ids"), list):
        return None
    ids = [str(a) for a in message["assets_ids"]]
    operation = message.get("operation")
    if operation in (SUBSCRIBE, UNSUBSCRIBE):
        return operation, ids
    if message.get("type") == "market" or message.get("type") == "MARKET":
        return SUBSCRIBE, ids
    return None
