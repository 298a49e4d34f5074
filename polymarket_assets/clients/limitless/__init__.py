"""Limitless Exchange REST API (active markets, market, order book): the client and its parsers."""

from polymarket_assets.clients.limitless.client import LimitlessClient
from polymarket_assets.clients.limitless.parsing import (
    LIMITLESS_SIZE_DECIMALS,
    LimitlessBook,
    LimitlessMarket,
    parse_limitless_book,
    parse_limitless_market,
)

__all__ = [
    "LIMITLESS_SIZE_DECIMALS",
    "LimitlessBook",
    "LimitlessClient",
    "LimitlessMarket",
    "parse_limitless_book",
    "parse_limitless_market",
]
