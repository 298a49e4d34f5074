"""Pure, Dagster-free API clients for Polymarket (Gamma, CLOB, Data API v2) and Limitless.

One package per API family holds its client and its parsers (``clients/gamma``, ``clob``, ``data_api``,
``limitless``); the wire formats they share are decoded by :mod:`polymarket_assets.clients.wire`. Every
client takes an :class:`Endpoint` (one family's base URL bound to the shared :class:`HttpTransport`: rate
limiter, retries, counters); :class:`ApiClients` holds all four over one transport (in the platform:
``PolymarketApiResource.clients()``). Clients return raw decoded JSON (``dict``/``list``) or :class:`Page`
objects that also carry the raw body; the ``parse_*`` functions turn those into typed rows (``TypedDict``).
The two WebSocket feeds have pure protocol packages of their own (no I/O: the messages a client sends and
received frames parsed to typed events): :mod:`~polymarket_assets.clients.clob_ws` (the CLOB market channel,
§4, §7.1) and :mod:`~polymarket_assets.clients.limitless_ws` (the Limitless Socket.IO ``/markets`` namespace,
§5.4); their connections live in :mod:`polymarket_assets.streaming.ws`. :mod:`~polymarket_assets.clients.fastjson`
is the hot path's JSON codec (orjson when installed).
Section numbers in docstrings refer to ``docs/api_reference.md``.
"""

from polymarket_assets.clients import clob_ws, fastjson, limitless_ws
from polymarket_assets.clients.api_clients import ApiClients
from polymarket_assets.clients.clob import (
    ClobClient,
    ClobMarket,
    ClobMarketToken,
    PricePoint,
    clob_market_tokens,
    parse_clob_book,
    parse_clob_market,
    parse_clob_price_point,
)
from polymarket_assets.clients.data_api import (
    DATA_V2_OUTCOME_INDEX_UNKNOWN,
    DataApiClient,
    LeaderboardRowV2,
    ResolutionV2,
    TradeV2,
    parse_leaderboard_row_v2,
    parse_price_point_v2,
    parse_resolution_v2,
    parse_trade_v2,
)
from polymarket_assets.clients.errors import (
    ApiError,
    ApiHttpError,
    ApiUnreachableError,
    MalformedResponseError,
    RateLimitTimeout,
)
from polymarket_assets.clients.gamma import (
    GammaClient,
    GammaEvent,
    GammaMarket,
    GammaMarketToken,
    GammaTag,
    gamma_market_tokens,
    market_resolution,
    parse_gamma_event,
    parse_gamma_market,
    parse_gamma_tag,
)
from polymarket_assets.clients.guarded_endpoint import BadBodyHook, GuardedEndpoint, QuarantinedResponseError
from polymarket_assets.clients.http import Endpoint, HttpOptions, HttpTransport, RawResponse, TransportStats
from polymarket_assets.clients.limitless import (
    LIMITLESS_SIZE_DECIMALS,
    LimitlessBook,
    LimitlessClient,
    LimitlessMarket,
    parse_limitless_book,
    parse_limitless_market,
)
from polymarket_assets.clients.orderbook import BookSnapshot, NormalizedBook, normalize_book
from polymarket_assets.clients.pagination import OffsetCapError, Page, PaginationError
from polymarket_assets.clients.wire import (
    ParseError,
    compact_json,
    epoch_seconds,
    json_list,
    parse_date,
    parse_timestamp,
    to_bool,
    to_decimal,
    to_id_str,
    to_int,
)

__all__ = [
    # clients
    "ApiClients",
    "GammaClient",
    "ClobClient",
    "DataApiClient",
    "LimitlessClient",
    # WebSocket protocols (pure) and the hot path's JSON codec
    "clob_ws",
    "limitless_ws",
    "fastjson",
    # transport
    "HttpTransport",
    "HttpOptions",
    "Endpoint",
    "GuardedEndpoint",
    "BadBodyHook",
    "RawResponse",
    "TransportStats",
    # paging
    "Page",
    "PaginationError",
    "OffsetCapError",
    # errors
    "ApiError",
    "ApiHttpError",
    "ApiUnreachableError",
    "MalformedResponseError",
    "QuarantinedResponseError",
    "RateLimitTimeout",
    "ParseError",
    # typed rows
    "BookSnapshot",
    "ClobMarket",
    "ClobMarketToken",
    "GammaEvent",
    "GammaMarket",
    "GammaMarketToken",
    "GammaTag",
    "LeaderboardRowV2",
    "LimitlessBook",
    "LimitlessMarket",
    "NormalizedBook",
    "PricePoint",
    "ResolutionV2",
    "TradeV2",
    # parsing
    "DATA_V2_OUTCOME_INDEX_UNKNOWN",
    "LIMITLESS_SIZE_DECIMALS",
    "clob_market_tokens",
    "gamma_market_tokens",
    "market_resolution",
    "normalize_book",
    "parse_clob_book",
    "parse_clob_market",
    "parse_clob_price_point",
    "parse_gamma_event",
    "parse_gamma_market",
    "parse_gamma_tag",
    "parse_leaderboard_row_v2",
    "parse_limitless_book",
    "parse_limitless_market",
    "parse_price_point_v2",
    "parse_resolution_v2",
    "parse_trade_v2",
    # wire formats
    "compact_json",
    "epoch_seconds",
    "json_list",
    "parse_date",
    "parse_timestamp",
    "to_bool",
    "to_decimal",
    "to_id_str",
    "to_int",
]
