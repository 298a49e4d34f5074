"""Errors raised by the API clients. Each message says what failed and what to do about it."""

from __future__ import annotations

from polymarket_assets.redact import redact


class ApiError(RuntimeError):
    """Base class for every API failure."""

    def __init__(self, message: str, *, url: str | None = None, setting: str | None = None):
        # a base URL may carry credentials (a proxy's user:password, a signed query): never in a message
        super().__init__(redact(message))
        self.url = redact(url) if url is not None else None
        self.setting = setting


class ApiUnreachableError(ApiError):
    """Connection refused, DNS failure or timeout after every retry."""


class ApiHttpError(ApiError):
    """An HTTP error status that retries did not cure (4xx other than 429 are never retried)."""

    def __init__(self, message: str, *, status: int, body: bytes, url: str, setting: str | None = None):
        super().__init__(message, url=url, setting=setting)
        self.status = status
        self.body = body


class MalformedResponseError(ApiError):
    """The server answered 2xx but the body is not what the endpoint returns (HTML, truncated JSON, wrong type).

    ``body`` keeps the raw bytes so callers can quarantine them; nothing fetched is lost.
    """

    def __init__(self, message: str, *, body: bytes, url: str, reason: str, setting: str | None = None):
        super().__init__(message, url=url, setting=setting)
        self.body = body
        self.reason = reason


class RateLimitTimeout(ApiError):
    """Waited longer than the configured maximum for the shared rate limiter."""
