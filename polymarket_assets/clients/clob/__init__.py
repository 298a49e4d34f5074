"""CLOB REST API (books, price history, CLOB markets): the client and its parsers."""

from polymarket_assets.clients.clob.client import ClobClient
from polymarket_assets.clients.clob.parsing import (
    ClobMarket,
    ClobMarketToken,
    PricePoint,
    clob_market_tokens,
    parse_clob_book,
    parse_clob_market,
    parse_clob_price_point,
)

__all__ = [
    "ClobClient",
    "ClobMarket",
    "ClobMarketToken",
    "PricePoint",
    "clob_market_tokens",
    "parse_clob_book",
    "parse_clob_market",
    "parse_clob_price_point",
]
