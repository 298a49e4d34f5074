"""Gamma API (events, markets, tags): the client and its parsers."""

from polymarket_assets.clients.gamma.client import GammaClient
from polymarket_assets.clients.gamma.parsing import (
    gamma_market_tokens,
    market_resolution,
    parse_gamma_event,
    parse_gamma_market,
    parse_gamma_tag,
    uma_statuses,
)
from polymarket_assets.clients.gamma.types import GammaEvent, GammaMarket, GammaMarketToken, GammaTag

__all__ = [
    "GammaClient",
    "GammaEvent",
    "GammaMarket",
    "GammaMarketToken",
    "GammaTag",
    "gamma_market_tokens",
    "market_resolution",
    "parse_gamma_event",
    "parse_gamma_market",
    "parse_gamma_tag",
    "uma_statuses",
]
