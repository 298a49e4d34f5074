"""Options of the WebSocket streams, and the URL settings they come from."""

from __future__ import annotations

from dataclasses import dataclass

from polymarket_assets import settings


def ws_url(setting: settings.Setting, override: str | None = None, *, source: str | None = None) -> tuple[str, str]:
    """A validated ``ws``/``wss`` URL for ``setting`` and where it came from (for error messages)."""
    return settings.resolve_ws_url(setting, override, source=source)


class StreamUnreachable(ConnectionError):
    """The venue's WebSocket could not be reached at all; the message names the URL and its setting."""


def unreachable(url: str, origin: str, setting: settings.Setting, attempts: int, error: BaseException | None) -> StreamUnreachable:
    return StreamUnreachable(
        f"Could not connect to {url} after {attempts} attempts (last error: {type(error).__name__}: {error}). "
        f"{setting.env}: the URL comes from {origin}; check it (environment variable {setting.env}, or the resource config "
        f"field that overrides it) and the network, then retry."
    )


@dataclass
class PolymarketWsOptions:
    url: str
    url_origin: str = "default"
    max_assets_per_connection: int = 200
    ping_interval: float = 10.0
    silence_timeout: float = 30.0
    open_interval: float = 0.5  # at least this long between two connection attempts (many at once draw 429s)
    backoff_initial: float = 0.5
    backoff_max: float = 30.0
    connect_attempts: int = 6  # the run fails when no connection ever opened after this many attempts
    open_timeout: float = 10.0
    close_timeout: float = 2.0
    resync_via: str = "resubscribe"  # or "rest" (POST /books through the shared limiter)
    resync_delay: float = 0.05  # coalesce resync requests of one connection
    resync_min_interval: float = 5.0  # an asset is resynced at most this often (a venue that keeps disagreeing draws no storm)
    custom_feature_enabled: bool = True
    all_active: bool = False
    discovery_interval: float = 10.0
    lead_seconds: float = 120.0
    grace_seconds: float = 60.0
    compression: str | None = "deflate"
    max_frame_bytes: int = 64 * 1024 * 1024

    def __post_init__(self) -> None:
        if not 1 <= self.max_assets_per_connection <= 500:
            raise ValueError("max_assets_per_connection must be 1..500 (past 500 the venue sends no initial snapshots)")
        if self.resync_via not in ("resubscribe", "rest"):
            raise ValueError("resync_via must be 'resubscribe' or 'rest'")


@dataclass
class LimitlessWsOptions:
    url: str
    url_origin: str = "default"
    namespace: str = "/markets"
    backoff_initial: float = 0.5
    backoff_max: float = 30.0
    connect_attempts: int = 6
    open_timeout: float = 10.0
    discovery_interval: float = 60.0
    lead_seconds: float = 120.0
    grace_seconds: float = 60.0
