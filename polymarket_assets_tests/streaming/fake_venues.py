"""A small local HTTP server that plays Gamma, the CLOB and Limitless for the order-book logger.

Every book it serves is a REAL recorded body from ``fixtures/real`` with only identifiers swapped
(see ``README.md`` beside this file for exactly what is rewritten). Used by the streaming tests (in a
thread) and by ``bench/logger.py`` (in a separate process, so its CPU is not the logger's).

Routes::

    GET  /events/slug/btc-updown-15m-<start>    real 15-min BTC market, slug/ids/times rewritten per window
    GET  /markets/slug/<slug>                   same market object (BTC windows and general markets)
    GET  /markets/keyset?...                    {"markets": [N general markets], "next_cursor": null}
    POST /books                                 real book bodies, asset_id/market swapped per token
    GET  /book?token_id=                        one real book body
    GET  /markets/active?page=N                 Limitless active markets, 25 a page (clob, amm, expired)
    GET  /markets/<slug>/orderbook              real Limitless orderbook object, tokenId swapped

Faults: ``server.state.faults[<api>] = "500" | "hang" | None`` per api (``gamma``, ``clob``,
``limitless``); ``server.state.latency`` seconds added to every response; per-route counters.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

HERE = Path(__file__).resolve()


def fixtures_dir() -> Path:
    candidates = [
        HERE.parents[1] / "fixtures" / "real",  # the copies committed with the tests (preferred)
        HERE.parents[2].parent / "shared" / "fixtures" / "real",  # ../shared beside the repo (CI layout)
    ]
    for c in candidates:
        if (c / "clob" / "book_election_2024_oct.json").is_file():
            return c
    raise FileNotFoundError(f"real fixtures not found in any of {candidates}")


def load(rel: str) -> Any:
    return json.loads((fixtures_dir() / rel).read_text())


BTC_FIXTURE = "gamma/event_btc_updown_15m_1767200400_market0.json"
BTC_FIXTURE_START = 1767200400
GENERAL_FIXTURE = "gamma/market_newsom_2028_negrisk_open.json"
BOOK_FIXTURES = ("clob/book_election_2024_oct.json", "clob_ws/book_snapshot_with_tick_size_2026.json")
LIMITLESS_FIXTURES = (
    "limitless/ws_orderbookUpdate_full_book_eth_daily.json",
    "limitless/ws_orderbookUpdate_last_before_resolution_btc_5min.json",
)


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _hex64(text: str) -> str:
    return "0x" + hashlib.sha256(text.encode()).hexdigest()


def btc_market(start: int) -> dict[str, Any]:
    """The real 15-minute BTC market with slug, ids, tokens and window times moved to ``start``."""
    market = load(BTC_FIXTURE)
    shift = start - BTC_FIXTURE_START
    slug = f"btc-updown-15m-{start}"
    tokens = [str(int(t) + shift) for t in json.loads(market["clobTokenIds"])]
    market.update(
        id=str(int(market["id"]) + shift // 900),
        slug=slug,
        conditionId=_hex64(slug),
        questionID=_hex64("q" + slug),
        clobTokenIds=json.dumps(tokens),
        eventStartTime=_iso(start),
        endDate=_iso(start + 900),
        startDate=_iso(start - 86400),
        createdAt=_iso(start - 86400),
        endDateIso=_iso(start + 900)[:10],
        startDateIso=_iso(start - 86400)[:10],
    )
    return market


def btc_tokens(start: int) -> list[str]:
    return json.loads(btc_market(start)["clobTokenIds"])


def btc_event(start: int) -> dict[str, Any]:
    market = btc_market(start)
    return {
        "id": str(900000 + (start - BTC_FIXTURE_START) // 900),
        "slug": market["slug"],
        "title": market["question"],
        "startDate": market["startDate"],
        "endDate": market["endDate"],
        "active": True,
        "closed": False,
        "markets": [market],
    }


def general_market(i: int) -> dict[str, Any]:
    """The real open neg-risk market, i-th copy: slug, ids and tokens rewritten."""
    market = load(GENERAL_FIXTURE)
    market.pop("events", None)
    slug = f"general-market-{i:04d}"
    market.update(
        id=str(2_000_000 + i),
        slug=slug,
        conditionId=_hex64(slug),
        clobTokenIds=json.dumps([str(10**75 + 2 * i), str(10**75 + 2 * i + 1)]),
        volume24hr=float(100000 - i),
        active=True,
        closed=False,
    )
    return market


def limitless_market(i: int, *, trade_type: str = "clob", expires_at: float | None = None, underlying: str = "btc") -> dict[str, Any]:
    """A Limitless ``/markets/active`` row. No real REST row exists in the fixtures (README 'Known gaps'),
    so this one is SYNTHETIC, with the field names and types of §5.1."""
    exp = expires_at if expires_at is not None else time.time() + 86400 * 30
    slug = f"{underlying}-up-or-down-daily-{1788105600 + i}"
    return {
        "id": 50000 + i,
        "slug": slug,
        "title": f"{underlying.upper()} up or down daily #{i}",
        "tradeType": trade_type,
        "marketType": "single",
        "status": "FUNDED",
        "expired": False,
        "expirationTimestamp": int(exp * 1000),
        "expirationDate": "Jan 1, 2027",
        "tokens": {"yes": str(7 * 10**70 + i), "no": str(8 * 10**70 + i)},
        "prices": [0.5, 0.5],
        "volumeFormatted": "290.091252",
        "categories": ["Crypto"],
        "tags": [],
    }


@dataclass
class ServerState:
    latency: float = 0.0
    faults: dict[str, str | None] = field(default_factory=dict)
    general_markets: int = 0
    limitless_markets: list[dict[str, Any]] = field(default_factory=list)
    btc_missing: set[int] = field(default_factory=set)
    counts: dict[str, int] = field(default_factory=dict)
    tokens_served: dict[str, int] = field(default_factory=dict)
    served_at: list[float] = field(default_factory=list)  # wall time of every book answered (the chaos suite's loss check)
    hang_seconds: float = 30.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, route: str, n: int = 1) -> None:
        with self.lock:
            self.counts[route] = self.counts.get(route, 0) + n


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: "FakeVenueServer"

    def log_message(self, *args: Any) -> None:  # quiet
        pass

    def _send(self, status: int, payload: Any) -> None:
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _fault(self, api: str) -> bool:
        state = self.server.state
        fault = state.faults.get(api)
        if state.latency:
            time.sleep(state.latency)
        if fault == "500":
            self._send(500, {"error": "injected failure"})
            return True
        if fault == "hang":
            time.sleep(state.hang_seconds)
            self._send(504, {"error": "injected hang"})
            return True
        return False

    def do_GET(self) -> None:
        url = urlparse(self.path)
        path, query = url.path, parse_qs(url.query)
        state = self.server.state
        m = re.fullmatch(r"/events/slug/btc-updown-15m-(\d+)", path)
        if m:
            state.count("gamma:event_by_slug")
            if self._fault("gamma"):
                return
            start = int(m.group(1))
            if start % 900 or start in state.btc_missing:
                return self._send(404, {"type": "not found error"})
            return self._send(200, btc_event(start))
        m = re.fullmatch(r"/markets/slug/(.+)", path)
        if m:
            state.count("gamma:market_by_slug")
            if self._fault("gamma"):
                return
            slug = m.group(1)
            bm = re.fullmatch(r"btc-updown-15m-(\d+)", slug)
            if bm and int(bm.group(1)) % 900 == 0 and int(bm.group(1)) not in state.btc_missing:
                return self._send(200, btc_market(int(bm.group(1))))
            gm = re.fullmatch(r"general-market-(\d+)", slug)
            if gm:
                return self._send(200, general_market(int(gm.group(1))))
            return self._send(404, {"type": "not found error"})
        if path == "/markets/keyset":
            state.count("gamma:markets_keyset")
            if self._fault("gamma"):
                return
            limit = int(query.get("limit", ["100"])[0])
            # unordered unless asked: ascending id = lowest 24 h volume first (as Gamma does without order=)
            rows = [general_market(i) for i in reversed(range(state.general_markets))]
            order = query.get("order", [None])[0]
            if order:
                descending = query.get("ascending", ["true"])[0] == "false"
                rows.sort(key=lambda m: float(m.get(order) or 0), reverse=descending)
            return self._send(200, {"markets": rows[:limit], "next_cursor": None})
        if path == "/book":
            state.count("clob:book")
            if self._fault("clob"):
                return
            token = query.get("token_id", [""])[0]
            with state.lock:
                state.served_at.append(time.time())
            return self._send(200, self.server.book_for(token))
        if path == "/markets/active":
            state.count("limitless:active")
            if self._fault("limitless"):
                return
            page = int(query.get("page", ["1"])[0])
            rows = state.limitless_markets[(page - 1) * 25 : page * 25]
            return self._send(200, {"data": rows, "totalMarketsCount": len(state.limitless_markets) if rows else 0})
        m = re.fullmatch(r"/markets/([^/]+)/orderbook", path)
        if m:
            state.count("limitless:orderbook")
            if self._fault("limitless"):
                return
            slug = m.group(1)
            row = next((r for r in state.limitless_markets if r["slug"] == slug), None)
            if row is None:
                return self._send(404, {"message": "not found"})
            if row["tradeType"] != "clob":
                return self._send(400, {"message": "AMM market has no orderbook"})
            with state.lock:
                state.tokens_served[slug] = state.tokens_served.get(slug, 0) + 1
                state.served_at.append(time.time())
            return self._send(200, self.server.limitless_book_for(row))
        self._send(404, {"error": f"no route {path}"})

    def do_POST(self) -> None:
        url = urlparse(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        state = self.server.state
        if url.path == "/books":
            state.count("clob:books")
            if self._fault("clob"):
                return
            try:
                body = json.loads(raw)
                tokens = [str(item["token_id"]) for item in body]
            except (ValueError, KeyError, TypeError):
                return self._send(400, {"error": "Invalid payload"})
            with state.lock:
                for t in tokens:
                    state.tokens_served[t] = state.tokens_served.get(t, 0) + 1
                state.served_at.extend([time.time()] * len(tokens))
            return self._send(200, b"[" + b",".join(self.server.book_bytes_for(t) for t in tokens) + b"]")
        self._send(404, {"error": f"no route {url.path}"})


class FakeVenueServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, host: str = "127.0.0.1", port: int = 0, state: ServerState | None = None):
        super().__init__((host, port), _Handler)
        self.state = state or ServerState()
        self._books = [load(rel) for rel in BOOK_FIXTURES]
        self._limitless_books = [load(rel)[1]["orderbook"] for rel in LIMITLESS_FIXTURES]
        self._book_cache: dict[str, bytes] = {}
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def book_for(self, token: str) -> dict[str, Any]:
        book = copy.deepcopy(self._books[int(hashlib.md5(token.encode()).hexdigest(), 16) % len(self._books)])
        book["asset_id"] = token
        book["market"] = _hex64("market-of-" + token)
        return book

    def book_bytes_for(self, token: str) -> bytes:
        cached = self._book_cache.get(token)
        if cached is None:
            cached = json.dumps(self.book_for(token)).encode()
            self._book_cache[token] = cached
        return cached

    def limitless_book_for(self, row: dict[str, Any]) -> dict[str, Any]:
        book = copy.deepcopy(self._limitless_books[row["id"] % len(self._limitless_books)])
        book["tokenId"] = row["tokens"]["yes"]
        return book

    def start(self) -> "FakeVenueServer":
        self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


def serve_main() -> None:  # pragma: no cover - used by bench/logger.py in a child process
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency", type=float, default=0.02)
    parser.add_argument("--general-markets", type=int, default=100)
    parser.add_argument("--limitless-markets", type=int, default=0)
    args = parser.parse_args()
    state = ServerState(latency=args.latency, general_markets=args.general_markets)
    state.limitless_markets = [limitless_market(i) for i in range(args.limitless_markets)]
    server = FakeVenueServer(port=args.port, state=state)
    print(json.dumps({"url": server.url}), flush=True)
    server.serve_forever(poll_interval=0.1)


if __name__ == "__main__":  # pragma: no cover
    serve_main()
