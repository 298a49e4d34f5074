"""Data API v2 (trades, leaderboard, prices history, resolutions): the client and its parsers."""

from polymarket_assets.clients.data_api.client import DataApiClient
from polymarket_assets.clients.data_api.parsing import (
    DATA_V2_OUTCOME_INDEX_UNKNOWN,
    LeaderboardRowV2,
    ResolutionV2,
    TradeV2,
    parse_leaderboard_row_v2,
    parse_price_point_v2,
    parse_resolution_v2,
    parse_trade_v2,
)

__all__ = [
    "DATA_V2_OUTCOME_INDEX_UNKNOWN",
    "DataApiClient",
    "LeaderboardRowV2",
    "ResolutionV2",
    "TradeV2",
    "parse_leaderboard_row_v2",
    "parse_price_point_v2",
    "parse_resolution_v2",
    "parse_trade_v2",
]
