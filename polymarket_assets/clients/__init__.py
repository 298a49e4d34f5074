"""Pure, Dagster-free API clients for Polymarket (Gamma, CLOB, Data API v2) and Limitless.

Every client takes an :class:`Endpoint` (one API family's base URL bound to the shared
:class:`HttpTransport`: rate limiter, retries, counters) or is built with ``Client.from_settings(transport)``.
Clients return raw decoded JSON (``dict``/``list``) or :class:`Page` objects that also carry the raw body;
:mod:`polymarket_assets.clients.parsing` turns those into typed rows. Section numbers in docstrings refer to
``docs/api_reference.md``.
"""

from polymarket_assets.clients.clob import ClobClient
from polymarket_assets.clients.data_api import DataApiClient
from polymarket_assets.clients.errors import (
    ApiError,
    ApiHttpError,
    ApiUnreachableError,
    MalformedResponseError,
    RateLimitTimeout,
)
from polymarket_assets.clients.gamma import GammaClient
from polymarket_assets.clients.http import Endpoint, HttpOptions, HttpTransport, RawResponse, TransportStats
from polymarket_assets.clients.limitless import LimitlessClient
from polymarket_assets.clients.pagination import OffsetCapError, Page, PaginationError
from polymarket_assets.clients.parsing import (
    NormalizedBook,
    ParseError,
    clob_market_tokens,
    compact_json,
    gamma_market_tokens,
    json_list,
    market_resolution,
    normalize_book,
    parse_clob_book,
    parse_clob_market,
    parse_clob_price_point,
    parse_date,
    parse_gamma_event,
    parse_gamma_market,
    parse_gamma_tag,
    parse_leaderboard_row_v2,
    parse_limitless_book,
    parse_limitless_market,
    parse_price_point_v2,
    parse_timestamp,
    parse_trade_v2,
    to_decimal,
)

__all__ = [
    # clients
    "GammaClient",
    "ClobClient",
    "DataApiClient",
    "LimitlessClient",
    # transport
    "HttpTransport",
    "HttpOptions",
    "Endpoint",
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
    "RateLimitTimeout",
    "ParseError",
    # parsing
    "NormalizedBook",
    "clob_market_tokens",
    "compact_json",
    "gamma_market_tokens",
    "json_list",
    "market_resolution",
    "normalize_book",
    "parse_clob_book",
    "parse_clob_market",
    "parse_clob_price_point",
    "parse_date",
    "parse_gamma_event",
    "parse_gamma_market",
    "parse_gamma_tag",
    "parse_leaderboard_row_v2",
    "parse_limitless_book",
    "parse_limitless_market",
    "parse_price_point_v2",
    "parse_timestamp",
    "parse_trade_v2",
    "to_decimal",
]
