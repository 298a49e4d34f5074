"""Pure (Dagster-free) protocol of the Polymarket CLOB market WebSocket channel (api_reference §4, §7.1):
the messages a client sends, and received frames parsed into typed events. No I/O here; the connection
machinery lives in :mod:`polymarket_assets.streaming.ws`."""

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
from polymarket_assets.clients.clob_ws.messages import (
    PING,
    PING_INTERVAL_SECONDS,
    PONG,
    SUBSCRIBE,
    UNSUBSCRIBE,
    initial_subscribe,
    parse_client_message,
    update_subscription,
)
from polymarket_assets.clients.clob_ws.parsing import parse_event, parse_frame

__all__ = [
    "BUY",
    "SELL",
    "BestBidAskEvent",
    "BookEvent",
    "FrameProblem",
    "LastTradePriceEvent",
    "Level",
    "MarketEvent",
    "MarketResolvedEvent",
    "NewMarketEvent",
    "ParsedFrame",
    "PriceChange",
    "PriceChangeEvent",
    "TickSizeChangeEvent",
    "UnknownEvent",
    "PING",
    "PONG",
    "PING_INTERVAL_SECONDS",
    "SUBSCRIBE",
    "UNSUBSCRIBE",
    "initial_subscribe",
    "update_subscription",
    "parse_client_message",
    "parse_event",
    "parse_frame",
]
