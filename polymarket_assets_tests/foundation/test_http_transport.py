"""HttpTransport against the local FakeApi: retries, Retry-After, clear errors, counters, User-Agent."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from polymarket_assets.clients.errors import ApiHttpError, ApiUnreachableError, MalformedResponseError
from polymarket_assets.clients.http import Endpoint, HttpOptions, HttpTransport, TransportStats
from polymarket_assets.replay.fake_api import FakeApi, Fault

UA = "polymarket-assets-tests/0.1 (transport tests)"
SETTING = "POLYMARKET_GAMMA_URL"
MAX_RETRIES = 3


def _options(**overrides: float) -> HttpOptions:
    values = {"connect_timeout": 1.0, "read_timeout": 2.0, "max_retries": MAX_RETRIES,
              "backoff_factor": 0.01, "backoff_max": 0.05, "backoff_jitter": 0.0}
    values.update(overrides)
    return HttpOptions(user_agent=UA, **values)  # type: ignore[arg-type]


class RecordingLimiter:
    """Pretends every permit took ``wait`` seconds; remembers each call."""

    def __init__(self, wait: float = 0.0):
        self.wait = wait
        self.calls: list[tuple[str, str, str, float | None]] = []

    def acquire(self, api: str, method: str, path: str, timeout: float | None = None) -> float:
        self.calls.append((api, method, path, timeout))
        return self.wait


@pytest.fixture
def api() -> Iterator[FakeApi]:
    with FakeApi() as server:
        server.route("GET", "/events", lambda request: [{"id": "1"}], group="events")
        server.route("POST", "/books", lambda request: [{"asset_id": t["token_id"]} for t in request.json()], group="books")
        server.route("GET", "/always-503", lambda request: (503, {}, b"upstream down"), group="down")
        yield server


def _endpoint(api: FakeApi, limiter: RecordingLimiter | None = None, **options: float) -> Endpoint:
    transport = HttpTransport(_options(**options), limiter or RecordingLimiter())
    return Endpoint(transport, "gamma", api.base_url, SETTING)


def _stats(endpoint: Endpoint) -> TransportStats:
    return endpoint.transport.stats


@pytest.mark.parametrize("statuses", [(500,), (500, 503), (502, 504, 520)])
def test_server_errors_are_retried_until_success(api: FakeApi, statuses: tuple[int, ...]) -> None:
    for status in statuses:
        api.inject(Fault.error(status), route="events")
    endpoint = _endpoint(api)
    assert endpoint.get_json("/events", expect=list) == [{"id": "1"}]
    stats = _stats(endpoint)
    assert api.count("events") == stats.requests == len(statuses) + 1
    assert (stats.retries, stats.http_5xx, stats.http_429) == (len(statuses), len(statuses), 0)


def test_429_without_retry_after_is_retried_and_counted(api: FakeApi) -> None:
    api.inject(Fault.rate_limited(), times=2, route="events")
    endpoint = _endpoint(api)
    assert endpoint.get_json("/events") == [{"id": "1"}]
    stats = _stats(endpoint)
    assert (stats.requests, stats.retries, stats.http_429, stats.http_5xx) == (3, 2, 1 + 1, 0)
    assert api.count_429("events") == 2


def test_retry_after_is_honoured(api: FakeApi) -> None:
    api.inject(Fault.rate_limited(retry_after=1), route="events")
    endpoint = _endpoint(api)  # without Retry-After the back-off here is ~10 ms
    assert endpoint.get_json("/events") == [{"id": "1"}]
    first, second = api.arrivals("events")
    assert 1.0 <= second - first < 1.5


def test_retry_after_is_capped(api: FakeApi) -> None:
    api.inject(Fault.rate_limited(retry_after=3600), route="events")
    endpoint = _endpoint(api, retry_after_max=0.2)
    assert endpoint.get_json("/events") == [{"id": "1"}]
    first, second = api.arrivals("events")
    assert 0.2 <= second - first < 0.6


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_client_errors_are_not_retried(api: FakeApi, status: int) -> None:
    api.inject(Fault.error(status, b'{"type":"validation error","error":"id is invalid"}'), route="events")
    endpoint = _endpoint(api)
    with pytest.raises(ApiHttpError) as info:
        endpoint.get_json("/events")
    error = info.value
    assert error.status == status and b"id is invalid" in error.body
    assert f"{api.base_url}/events" in str(error) and SETTING in str(error)
    assert api.count("events") == 1
    assert _stats(endpoint).retries == 0


def test_404_can_mean_none(api: FakeApi) -> None:
    api.inject(Fault.error(404, b'{"error": "No orderbook exists for the requested token id"}'), route="events")
    endpoint = _endpoint(api)
    assert endpoint.get_json("/events", none_on=(404,)) is None
    assert api.count("events") == 1


def test_persistent_server_error_gives_up_with_a_clear_error(api: FakeApi) -> None:
    endpoint = _endpoint(api)
    with pytest.raises(ApiHttpError) as info:
        endpoint.get_json("/always-503")
    assert info.value.status == 503
    assert f"on every one of {MAX_RETRIES + 1} attempts" in str(info.value)
    assert api.count("down") == MAX_RETRIES + 1
    assert _stats(endpoint).retries == MAX_RETRIES


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_connection_refused_names_the_setting_and_url() -> None:
    base = f"http://127.0.0.1:{_closed_port()}"
    transport = HttpTransport(_options(), RecordingLimiter())
    endpoint = Endpoint(transport, "gamma", base, SETTING)
    with pytest.raises(ApiUnreachableError) as info:
        endpoint.get_json("/events")
    error = info.value
    assert SETTING in str(error) and f"{base}/events" in str(error) and repr(base) in str(error)
    assert (error.url, error.setting) == (f"{base}/events", SETTING)
    assert transport.stats.connection_errors == MAX_RETRIES + 1
    assert transport.stats.retries == MAX_RETRIES


def test_an_unreachable_long_url_keeps_the_setting_and_the_fix_in_the_first_300_characters() -> None:
    """A batched request (50 condition ids) must not push the setting and what to do out of the headline."""
    base = f"http://127.0.0.1:{_closed_port()}"
    transport = HttpTransport(_options(max_retries=0), RecordingLimiter())
    endpoint = Endpoint(transport, "data", base, "POLYMARKET_DATA_URL")
    ids = ",".join(f"0x{i:064x}" for i in range(50))
    with pytest.raises(ApiUnreachableError) as info:
        endpoint.get_json("/v2/trades", params={"condition": ids})
    head = str(info.value)[:300]
    assert "POLYMARKET_DATA_URL" in head and "check it" in head and "characters" in str(info.value)


@pytest.mark.parametrize("fault", [Fault.reset(), Fault.close(), Fault.truncated()], ids=["reset", "close", "truncated"])
def test_dropped_connections_and_truncated_bodies_are_retried(api: FakeApi, fault: Fault) -> None:
    api.inject(fault, times=2, route="events")
    endpoint = _endpoint(api)
    assert endpoint.get_json("/events") == [{"id": "1"}]
    stats = _stats(endpoint)
    assert (stats.requests, stats.retries, stats.connection_errors) == (3, 2, 2)
    assert api.count("events") == 3


def test_read_timeout_is_retried(api: FakeApi) -> None:
    api.inject(Fault.slow(1.0), route="events")
    endpoint = _endpoint(api, read_timeout=0.3)
    assert endpoint.get_json("/events") == [{"id": "1"}]
    stats = _stats(endpoint)
    assert (stats.connection_errors, stats.retries) == (1, 1)


def test_html_page_is_a_malformed_response_keeping_the_raw_bytes(api: FakeApi) -> None:
    api.inject(Fault.html(200), route="events")
    endpoint = _endpoint(api)
    with pytest.raises(MalformedResponseError) as info:
        endpoint.get_json("/events")
    error = info.value
    assert error.body.startswith(b"<!DOCTYPE html>") and b"error code: 1010" in error.body
    assert "HTML" in str(error) and error.url == f"{api.base_url}/events"
    assert api.count("events") == 1  # a 200 is not retried, whatever its body


def test_wrong_json_type_is_malformed(api: FakeApi) -> None:
    endpoint = _endpoint(api)
    with pytest.raises(MalformedResponseError, match="expected dict"):
        endpoint.get_json("/events", expect=dict)


def test_limiter_is_asked_before_every_attempt_and_its_wait_is_counted(api: FakeApi) -> None:
    api.inject(Fault.error(500), times=2, route="books")
    limiter = RecordingLimiter(wait=0.25)
    endpoint = _endpoint(api, limiter, limiter_timeout=42.0)
    books = endpoint.post_json("/books", [{"token_id": "1"}, {"token_id": "2"}], expect=list)
    assert books == [{"asset_id": "1"}, {"asset_id": "2"}]
    assert limiter.calls == [("gamma", "POST", "/books", 42.0)] * 3
    stats = _stats(endpoint)
    assert stats.limiter_wait_seconds == pytest.approx(0.75)
    assert (stats.requests, stats.retries, stats.http_5xx) == (3, 2, 2)
    assert all(record.method == "POST" for record in api.records("books"))


def test_explicit_user_agent_is_sent(api: FakeApi) -> None:
    _endpoint(api).get_json("/events")
    (record,) = api.records("events")
    assert record.headers["User-Agent"] == UA
    assert record.headers["Accept"] == "application/json"


def test_bytes_received_are_counted(api: FakeApi) -> None:
    endpoint = _endpoint(api)
    endpoint.get_json("/events")
    assert _stats(endpoint).bytes_received == len(b'[{"id": "1"}]')


def test_stats_snapshot_is_a_plain_dict() -> None:
    stats = TransportStats()
    stats.add(requests=2, limiter_wait_seconds=0.5)
    assert stats.snapshot()["requests"] == 2
    assert stats.since({"requests": 1})["requests"] == 1


def test_permits_are_settled_after_every_attempt_even_failed_ones() -> None:
    from polymarket_assets.clients.http import Endpoint, HttpOptions, HttpTransport

    class Recorder:
        def __init__(self) -> None:
            self.events: list[str] = []

        def acquire(self, api: str, method: str, path: str, timeout: float | None = None) -> float:
            self.events.append("acquire")
            return 0.0

        def settle(self) -> None:
            self.events.append("settle")

    recorder = Recorder()
    with FakeApi() as api:
        api.route("GET", "/x", lambda request: {"ok": True})
        api.inject(Fault.error(503))
        api.inject(Fault.reset())
        transport = HttpTransport(HttpOptions(user_agent="t", backoff_factor=0.01, max_retries=3), recorder)
        assert Endpoint(transport, "gamma", api.base_url, "POLYMARKET_GAMMA_URL").get_json("/x") == {"ok": True}
    assert recorder.events == ["acquire", "settle"] * 3
