"""The one HTTP path every API call takes: shared rate limiter, retry policy, counters, clear errors.

Retry policy is urllib3's ``Retry`` (exponential back-off with jitter, ``Retry-After`` honoured, a
status allow-list), but the loop runs here rather than inside urllib3 so that *every attempt*,
retries included, first takes a permit from the shared rate limiter and is counted.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any, Protocol

import requests
from urllib3.exceptions import ConnectTimeoutError, InvalidHeader, MaxRetryError, ProtocolError, ReadTimeoutError
from urllib3.util.retry import Retry

from polymarket_assets.clients.errors import (
    ApiError,
    ApiHttpError,
    ApiUnreachableError,
    MalformedResponseError,
)
from polymarket_assets.redact import redact_url

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504, 520, 521, 522, 523, 524})


class RateLimiter(Protocol):
    """What the transport needs from a limiter: block until ``api``'s budgets for ``path`` allow a request.

    Returns the seconds spent waiting. Raises ``RateLimitTimeout`` past ``timeout`` seconds.
    """

    def acquire(self, api: str, method: str, path: str, timeout: float | None = None) -> float: ...

    def settle(self) -> None:
        """Called when the attempt that took the calling thread's last permits has completed."""


class NoRateLimit:
    """A limiter that never waits (unit tests of parsing and paging only)."""

    def acquire(self, api: str, method: str, path: str, timeout: float | None = None) -> float:
        return 0.0

    def settle(self) -> None:
        return None


@dataclass(frozen=True)
class HttpOptions:
    user_agent: str
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    max_retries: int = 5
    backoff_factor: float = 0.5
    backoff_max: float = 30.0
    backoff_jitter: float = 0.5
    retry_after_max: float = 120.0
    limiter_timeout: float | None = 900.0


@dataclass
class TransportStats:
    """Counters an asset reports as metadata. Thread-safe; ``snapshot()`` gives a plain dict."""

    requests: int = 0
    retries: int = 0
    http_429: int = 0
    http_5xx: int = 0
    connection_errors: int = 0
    bytes_received: int = 0
    limiter_wait_seconds: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, **deltas: float) -> None:
        with self._lock:
            for name, delta in deltas.items():
                setattr(self, name, getattr(self, name) + delta)

    def snapshot(self) -> dict[str, float]:
        with self._lock:
            data = {f.name: getattr(self, f.name) for f in fields(self) if not f.name.startswith("_")}
        data["limiter_wait_seconds"] = round(data["limiter_wait_seconds"], 3)
        return data

    def since(self, before: Mapping[str, float]) -> dict[str, float]:
        now = self.snapshot()
        return {k: round(now[k] - before.get(k, 0), 3) if isinstance(now[k], float) else now[k] - before.get(k, 0) for k in now}


@dataclass(frozen=True)
class RawResponse:
    status: int
    body: bytes
    url: str
    headers: Mapping[str, str]

    def json(self) -> Any:
        return json.loads(self.body)


def _short(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text)} characters)"


def short_url(url: str, limit: int = 160) -> str:
    """``url`` for a message: a long query (e.g. 50 condition ids) cut, so what follows it stays readable."""
    base, sep, query = url.partition("?")
    if not sep or len(url) <= limit:
        return url
    return f"{base}?{query[:max(20, limit - len(base))]}… ({len(query)}-character query)"


class HttpTransport:
    """Thread-safe HTTP client shared by every API client of one process (one session per thread)."""

    def __init__(self, options: HttpOptions, limiter: RateLimiter | None = None, stats: TransportStats | None = None):
        self.options = options
        self.limiter: RateLimiter = limiter or NoRateLimit()
        self.stats = stats or TransportStats()
        self._local = threading.local()

    # -- plumbing -----------------------------------------------------------------------------
    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.headers.update({"User-Agent": self.options.user_agent, "Accept": "application/json"})
            adapter = requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=32, max_retries=0)
            session.mount("http://", adapter)
            session.mount("https://", adapter)
            self._local.session = session
        return session

    def last_limiter_waits(self) -> list[float]:
        """The rate-limiter waits (seconds, one per attempt) of the last request this thread sent; the load
        generator of the limiter tests and ``bench/rate_limit.py`` reads them after each request."""
        return list(getattr(self._local, "limiter_waits", ()))

    def _retry_policy(self) -> Retry:
        return Retry(
            total=self.options.max_retries,
            connect=self.options.max_retries,
            read=self.options.max_retries,
            status=self.options.max_retries,
            other=self.options.max_retries,
            redirect=0,
            allowed_methods=None,  # POST /books and /batch-prices-history are reads: retry them too
            status_forcelist=RETRY_STATUSES,
            backoff_factor=self.options.backoff_factor,
            backoff_max=self.options.backoff_max,
            backoff_jitter=self.options.backoff_jitter,
            respect_retry_after_header=True,
            raise_on_status=False,
        )

    def _sleep_before_retry(self, retry: Retry, response: requests.Response | None) -> None:
        delay: float | None = None
        if response is not None:
            try:
                delay = retry.get_retry_after(response.raw)
            except InvalidHeader:
                delay = None
            if delay is not None:
                delay = min(max(delay, 0.0), self.options.retry_after_max)
        if delay is None:
            # urllib3 gives 0 for the first retry; always wait a little (with jitter) so a 429 is not hammered.
            floor = self.options.backoff_factor * (0.5 + random.random())
            delay = max(retry.get_backoff_time(), floor)
        time.sleep(delay)

    def _settle(self) -> None:
        settle = getattr(self.limiter, "settle", None)
        if settle is not None:
            settle()

    def _after_failed_attempt(
        self, retry: Retry, exc: requests.RequestException, method: str, url: str, base_url: str, setting: str
    ) -> Retry:
        """Count a connection-level failure (refused, reset, timeout, truncated body) and sleep before the
        next attempt, or raise ``ApiUnreachableError`` naming the URL and its setting when retries are spent.
        A URL that cannot even be sent (bad port, bad characters) is a configuration error: never retried."""
        if isinstance(exc, (requests.exceptions.InvalidURL, requests.exceptions.InvalidSchema, requests.exceptions.MissingSchema)):
            raise ApiError(
                f"{url} is not a valid URL ({exc}). The base URL {base_url!r} comes from {setting}; fix it and re-run.",
                url=url,
                setting=setting,
            ) from exc
        self.stats.add(requests=1, connection_errors=1)
        error: Exception
        if isinstance(exc, requests.ConnectTimeout):
            error = ConnectTimeoutError(str(exc))
        elif isinstance(exc, requests.Timeout):
            error = ReadTimeoutError(None, url, str(exc))  # type: ignore[arg-type]
        else:
            error = ProtocolError(str(exc))
        try:
            retry = retry.increment(method, redact_url(url), error=error)  # urllib3 logs the URL: no credentials
        except MaxRetryError:
            raise ApiUnreachableError(
                f"Could not reach {short_url(url)} after {len(retry.history) + 1} attempts. "
                f"The base URL {base_url!r} comes from {setting}; check it and that the service is up, "
                f"then re-run. Data already written is kept. ({_short(str(exc))})",
                url=url,
                setting=setting,
            ) from exc
        self.stats.add(retries=1)
        self._sleep_before_retry(retry, None)
        return retry

    # -- the request loop ---------------------------------------------------------------------
    def request(
        self,
        api: str,
        base_url: str,
        setting: str,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | Sequence[tuple[str, Any]] | None = None,
        json_body: Any = None,
        ok_statuses: Sequence[int] = (),
    ) -> RawResponse:
        """Send one logical request; return the response when 2xx or in ``ok_statuses``.

        Raises ``ApiUnreachableError`` / ``ApiHttpError`` with the URL and the setting that chose it.
        """
        url = f"{base_url}{path}"
        retry = self._retry_policy()
        timeout = (self.options.connect_timeout, self.options.read_timeout)
        self._local.limiter_waits = waits = []
        while True:
            waited = self.limiter.acquire(api, method, path, timeout=self.options.limiter_timeout)
            self.stats.add(limiter_wait_seconds=waited)
            waits.append(waited)
            response: requests.Response | None = None
            try:
                response = self._session().request(method, url, params=params, json=json_body, timeout=timeout)
                body = response.content
            except requests.RequestException as exc:
                self._settle()
                retry = self._after_failed_attempt(retry, exc, method, url, base_url, setting)
                continue
            self._settle()

            status = response.status_code
            self.stats.add(
                requests=1,
                bytes_received=len(body),
                http_429=1 if status == 429 else 0,
                http_5xx=1 if status >= 500 else 0,
            )
            if 200 <= status < 300 or status in ok_statuses:
                return RawResponse(status, body, response.url, dict(response.headers))
            if retry.is_retry(method, status, has_retry_after="Retry-After" in response.headers):
                try:
                    retry = retry.increment(method, redact_url(url), response=response.raw)
                except MaxRetryError:
                    raise ApiHttpError(
                        f"{method} {url} answered HTTP {status} on every one of {len(retry.history) + 1} attempts "
                        f"(body: {body[:300]!r}). The service is throttling or failing; wait and re-run "
                        f"(completed partitions are kept), or lower the budgets in the rate_limiter resource config.",
                        status=status,
                        body=body,
                        url=url,
                        setting=setting,
                    ) from None
                self.stats.add(retries=1)
                self._sleep_before_retry(retry, response)
                continue
            raise ApiHttpError(
                f"{method} {url} answered HTTP {status}: {body[:300]!r}. "
                f"{'Check the request parameters.' if 400 <= status < 500 else ''} "
                f"Base URL from {setting}.",
                status=status,
                body=body,
                url=url,
                setting=setting,
            )


class Endpoint:
    """One API family's base URL bound to the shared transport; what a client holds."""

    def __init__(self, transport: HttpTransport, api: str, base_url: str, setting: str):
        self.transport = transport
        self.api = api
        self.base_url = base_url.rstrip("/")
        self.setting = setting

    def raw(self, method: str, path: str, *, params: Any = None, json_body: Any = None, ok_statuses: Sequence[int] = ()) -> RawResponse:
        return self.transport.request(
            self.api, self.base_url, self.setting, method, path, params=params, json_body=json_body, ok_statuses=ok_statuses
        )

    def decode(self, response: RawResponse, expect: type | tuple[type, ...] | None = None) -> Any:
        """Parse a JSON body, raising ``MalformedResponseError`` (with the raw bytes) when it is not JSON
        or not of the expected top-level type."""
        content_type = response.headers.get("Content-Type", response.headers.get("content-type", ""))
        try:
            value = json.loads(response.body)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            kind = "an HTML page" if b"<html" in response.body[:512].lower() or "html" in content_type else "invalid JSON"
            raise MalformedResponseError(
                f"{response.url} returned {kind} ({exc}; {len(response.body)} bytes, content-type {content_type!r}).",
                body=response.body,
                url=response.url,
                reason=f"{kind}: {exc}",
                setting=self.setting,
            ) from exc
        if expect is not None and not isinstance(value, expect):
            names = expect.__name__ if isinstance(expect, type) else "/".join(t.__name__ for t in expect)
            raise MalformedResponseError(
                f"{response.url} returned a JSON {type(value).__name__}, expected {names}.",
                body=response.body,
                url=response.url,
                reason=f"unexpected type {type(value).__name__} (expected {names})",
                setting=self.setting,
            )
        return value

    def get_json(self, path: str, params: Any = None, *, expect: type | tuple[type, ...] | None = None, none_on: Sequence[int] = ()) -> Any:
        """GET and decode. Statuses in ``none_on`` (typically 404) return ``None`` instead of raising."""
        response = self.raw("GET", path, params=params, ok_statuses=none_on)
        if response.status in none_on:
            return None
        return self.decode(response, expect)

    def post_json(self, path: str, body: Any, *, expect: type | tuple[type, ...] | None = None) -> Any:
        return self.decode(self.raw("POST", path, json_body=body), expect)
