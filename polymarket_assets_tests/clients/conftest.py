"""Fixtures for the pure API client tests: real bodies, a no-retry transport, vcrpy and a tiny local server.

The local server (``fake_http``) is deliberately minimal — a stdlib ``ThreadingHTTPServer`` on
``127.0.0.1:0`` whose routes are Python callables — for paging edge cases that no recorded body shows
(offset caps, echoed cursors, 20-id batches…). The fuller fake API is the replay's (``polymarket_assets/replay/fake_api.py``).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import vcr

from polymarket_assets.clients.http import Endpoint, HttpOptions, HttpTransport

TESTS = Path(__file__).resolve().parent.parent
REAL = TESTS / "fixtures" / "real"
CASSETTES = TESTS / "cassettes"


def real_bytes(service: str, name: str) -> bytes:
    return (REAL / service / name).read_bytes()


def real_json(service: str, name: str) -> Any:
    return json.loads(real_bytes(service, name))


@pytest.fixture
def transport() -> HttpTransport:
    """No rate limiting, no retries, short timeouts: paging tests must not wait."""
    return HttpTransport(HttpOptions(user_agent="polymarket-assets-tests/0", connect_timeout=2, read_timeout=5, max_retries=0))


@pytest.fixture
def cassette() -> Callable[[str], Any]:
    """``with cassette("gamma_tags.yaml"): ...`` replays a cassette; any unrecorded request fails."""
    recorder = vcr.VCR(
        cassette_library_dir=str(CASSETTES),
        record_mode="none",
        match_on=["method", "scheme", "host", "port", "path", "query", "body"],
    )
    return lambda name: recorder.use_cassette(name)


# ---------------------------------------------------------------------------------------------------
# tiny local HTTP server
# ---------------------------------------------------------------------------------------------------

Handler = Callable[["Seen"], "tuple[int, Any] | tuple[int, Any, str]"]


@dataclass
class Seen:
    """One request the local server received."""

    method: str
    path: str
    pairs: list[tuple[str, str]]
    body: Any = None

    @property
    def query(self) -> dict[str, list[str]]:
        result: dict[str, list[str]] = {}
        for key, value in self.pairs:
            result.setdefault(key, []).append(value)
        return result

    def one(self, key: str) -> str | None:
        values = self.query.get(key)
        return values[0] if values else None


@dataclass
class FakeHttp:
    """Routes ``(method, path)`` to a handler returning ``(status, payload[, content_type])``; a payload that
    is not ``bytes`` is JSON-encoded. Every request is recorded in ``seen``."""

    url: str = ""
    routes: dict[tuple[str, str], Handler] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)

    def route(self, method: str, path: str, handler: Handler) -> None:
        self.routes[(method, path)] = handler

    def requests_to(self, path: str) -> list[Seen]:
        return [s for s in self.seen if s.path == path]

    def endpoint(self, transport: HttpTransport, api: str) -> Endpoint:
        return Endpoint(transport, api, self.url, f"TEST_{api.upper()}_URL")


def _make_handler(fake: FakeHttp) -> type[BaseHTTPRequestHandler]:
    class _Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # keep test output quiet
            pass

        def _serve(self, method: str) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            body = json.loads(raw) if raw else None
            seen = Seen(method, parts.path, parse_qsl(parts.query, keep_blank_values=True), body)
            fake.seen.append(seen)
            handler = fake.routes.get((method, parts.path))
            if handler is None:
                status, payload, ctype = 404, {"type": "not found error"}, "application/json"
            else:
                result = handler(seen)
                status, payload = result[0], result[1]
                ctype = result[2] if len(result) > 2 else "application/json"
            data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            self._serve("GET")

        def do_POST(self) -> None:
            self._serve("POST")

    return _Handler


@pytest.fixture
def fake_http() -> Iterator[FakeHttp]:
    fake = FakeHttp()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(fake))
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
