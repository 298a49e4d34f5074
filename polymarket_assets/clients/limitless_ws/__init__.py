"""Pure (Dagster-free) protocol of the Limitless Socket.IO feed (``/markets`` namespace, api_reference §5.4):
the subscription message and the received events parsed into typed events. The Socket.IO client itself is
``python-socketio`` (see :mod:`polymarket_assets.streaming.ws.limitless_stream`)."""

from polymarket_assets.clients.limitless_ws.events import (
    LimitlessEvent,
    LimitlessProblem,
    MarketResolved,
    OraclePriceData,
    OrderbookUpdate,
    SystemMessage,
    UnknownLimitlessEvent,
)
from polymarket_assets.clients.limitless_ws.messages import (
    MARKET_RESOLVED,
    NAMESPACE,
    ORACLE_PRICE_DATA,
    ORDERBOOK_UPDATE,
    SUBSCRIBE_EVENT,
    SYSTEM,
    subscribe_payload,
)
from polymarket_assets.clients.limitless_ws.parsing import event_text, parse_event, parse_event_text

__all__ = [
    "LimitlessEvent",
    "LimitlessProblem",
    "MarketResolved",
    "OraclePriceData",
    "OrderbookUpdate",
    "SystemMessage",
    "UnknownLimitlessEvent",
    "MARKET_RESOLVED",
    "NAMESPACE",
    "ORACLE_PRICE_DATA",
    "ORDERBOOK_UPDATE",
    "SUBSCRIBE_EVENT",
    "SYSTEM",
    "subscribe_payload",
    "event_text",
    "parse_event",
    "parse_event_text",
]
