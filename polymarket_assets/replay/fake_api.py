"""A local, threaded fake HTTP API for tests and benchmarks.

Generic on purpose: register routes (method + exact path or regex) with handlers, optionally put them in
*groups* that carry a sliding-window budget (over-budget requests are answered 429, like the real
services), inject faults, and read back every arrival time to check what a client actually did.

Usage::

    with FakeApi(latency=0.02) as api:
        api.route("GET", "/book", lambda req: {"bids": [], "asks": []}, group=("clob:/book", "clob"))
        api.route("GET", re.compile(r"/events/(?P<id>\\d+)"), lambda req: {"id": req.match["id"]})
        api.add_budget("clob:/book", limit=40, window_seconds=2.0)
        api.inject(Fault.error(500), times=2, route="/book")
        ...  # point a client at api.base_url
        assert api.max_in_window("clob:/book", 2.0) <= 40 and api.count_429("clob:/book") == 0

The server runs in the creating process; clients in other processes (``multiprocessing``) simply use
``base_url``. Statistics stay in the server's process. ``python -m polymarket_assets.replay.fake_api``
serves a budgeted echo route for manual experiments; ``python -m polymarket_assets.replay`` serves the offline
world (``polymarket_assets/replay/world.py``). The test suite and the benchmarks use this same server.
"""

from __future__ import annotations

import bisect
import collections
import json
import re
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

__all__ = ["FakeApi", "FakeRequest", "Fault", "Reply", "RequestRecord", "budget_utilisation", "json_reply", "max_in_window"]

JsonValue = Any
#: A handler returns a ``Reply``, a ``(status, headers, body)`` tuple (body bytes/str, or a JSON value) or a
#: JSON value (served as 200 application/json).
Handler = Callable[["FakeRequest"], Any]


@dataclass(frozen=True)
class Reply:
    """A full response. Handlers may also return a ``(status, headers, body)`` tuple or any JSON value."""

    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes | str = b""


def json_reply(value: JsonValue, status: int = 200, headers: Mapping[str, str] | None = None) -> Reply:
    return Reply(status, {"Content-Type": "application/json", **(headers or {})}, json.dumps(value).encode())


@dataclass(frozen=True)
class FakeRequest:
    """What a handler sees."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: Mapping[str, str]
    body: bytes
    match: Mapping[str, str]

    def param(self, name: str, default: str | None = None) -> str | None:
        """First value of a query parameter."""
        values = self.query.get(name)
        return values[0] if values else default

    def json(self) -> JsonValue:
        return json.loads(self.body or b"null")


@dataclass(frozen=True)
class RequestRecord:
    """One arrival as logged by the server (``at`` is ``time.monotonic()`` in the server process)."""

    at: float
    method: str
    path: str
    query: str
    route: str | None
    groups: tuple[str, ...]
    status: int | None  # None: dropped without a response (or still being answered)
    headers: Mapping[str, str]


@dataclass(frozen=True)
class Fault:
    """A misbehaviour to serve instead of the handler's answer. Build with the class methods."""

    kind: str
    status: int = 500
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    seconds: float = 0.0
    #: kinds applied to the handler's real answer: "cut_body" (full Content-Length, half the body, then a reset),
    #: "bad_json" (the first half of the body, a consistent Content-Length), "drift" (``transform`` of the body)
    transform: Callable[[bytes], bytes] | None = None

    @classmethod
    def error(cls, status: int = 500, body: bytes | str = b'{"error":"injected"}') -> "Fault":
        """An HTTP error status (500, 503, 400, ...) with a small JSON body."""
        return cls("status", status, {"Content-Type": "application/json"}, _bytes(body))

    @classmethod
    def rate_limited(cls, retry_after: float | str | None = None) -> "Fault":
        """429, with a ``Retry-After`` header when given (seconds or an HTTP date)."""
        headers = {"Content-Type": "application/json"}
        if retry_after is not None:
            headers["Retry-After"] = str(retry_after)
        return cls("status", 429, headers, b'{"error":"rate limited"}')

    @classmethod
    def reset(cls) -> "Fault":
        """Close the connection with a TCP RST and no response (``ConnectionResetError`` on the client)."""
        return cls("reset")

    @classmethod
    def close(cls) -> "Fault":
        """Close the connection cleanly without any response (``RemoteDisconnected`` on the client)."""
        return cls("close")

    @classmethod
    def html(cls, status: int = 200) -> "Fault":
        """A Cloudflare-style HTML page instead of JSON."""
        page = b"<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>error code: 1010</body></html>"
        return cls("status", status, {"Content-Type": "text/html; charset=UTF-8"}, page)

    @classmethod
    def truncated(cls, body: bytes | str = b'{"data": [1, 2, 3], "next_cursor": "abc"}', keep: int = 10) -> "Fault":
        """Announce the full ``Content-Length`` but send only ``keep`` bytes, then close."""
        data = _bytes(body)
        return cls("truncated", 200, {"Content-Type": "application/json", "Content-Length": str(len(data))}, data[:keep])

    @classmethod
    def slow(cls, seconds: float) -> "Fault":
        """Sleep ``seconds`` before serving the normal answer (read-timeout tests)."""
        return cls("slow", seconds=seconds)


def _bytes(value: bytes | str) -> bytes:
    return value.encode() if isinstance(value, str) else value


@dataclass
class _Route:
    method: str
    pattern: str | re.Pattern[str]
    handler: Handler
    name: str
    groups: tuple[str, ...]
    latency: float | None

    def matches(self, method: str, path: str) -> Mapping[str, str] | None:
        if method != self.method and self.method != "*":
            return None
        if isinstance(self.pattern, str):
            return {} if path == self.pattern else None
        found = self.pattern.fullmatch(path)
        return None if found is None else found.groupdict()


@dataclass
class _Budget:
    limit: int
    window: float
    recent: collections.deque[float] = field(default_factory=collections.deque)


@dataclass
class _PendingFault:
    fault: Fault
    remaining: int
    target: str | None  # route name, group, or None for any request


class FakeApi:
    """Threaded HTTP/1.1 server on 127.0.0.1 (ephemeral port by default). Use as a context manager."""

    def __init__(self, *, latency: float = 0.0, host: str = "127.0.0.1", port: int = 0, count_rejected: bool = True):
        """``latency`` is added to every response; ``count_rejected``: 429-ed requests still count against
        the budget (as Cloudflare counts them)."""
        self.latency = latency
        self.count_rejected = count_rejected
        self._host, self._port = host, port
        self._routes: list[_Route] = []
        self._budgets: dict[str, _Budget] = {}
        self._faults: list[_PendingFault] = []
        self._mix: tuple[Any, str | None] | None = None  # (FaultMix, route or group) of replay/fault_mix.py
        self._log: list[RequestRecord] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- configuration ----------------------------------------------------------------------------
    def route(
        self,
        method: str,
        path: str | re.Pattern[str],
        handler: Handler | None = None,
        *,
        group: str | Sequence[str] | None = None,
        name: str | None = None,
        latency: float | None = None,
    ) -> Any:
        """Register ``handler`` for ``method`` (``"*"`` = any) and an exact path or a regex (full match; named
        groups land in ``request.match``). ``group`` (one or several names) is what budgets, faults and
        statistics refer to; it defaults to the route name (the path / pattern text). Later registrations
        win over earlier ones. Without ``handler`` returns a decorator."""

        def register(func: Handler) -> Handler:
            route_name = name or (path if isinstance(path, str) else path.pattern)
            groups = (route_name,) if group is None else ((group,) if isinstance(group, str) else tuple(group))
            with self._lock:
                self._routes.insert(0, _Route(method.upper(), path, func, route_name, groups, latency))
            return func

        return register if handler is None else register(handler)

    def add_budget(self, group: str, limit: int, window_seconds: float) -> None:
        """Answer 429 to requests of ``group`` once ``limit`` arrived within the last ``window_seconds``."""
        with self._lock:
            self._budgets[group] = _Budget(limit, window_seconds)

    def inject(self, fault: Fault, *, times: int = 1, route: str | None = None) -> None:
        """Serve ``fault`` to the next ``times`` requests of ``route`` (a route name or group; ``None`` = any).
        Faults queue in injection order."""
        with self._lock:
            self._faults.append(_PendingFault(fault, times, route))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()
            self._mix = None

    def fault_mix(self, mix: Any, *, route: str | None = None) -> None:
        """Serve ``mix.pick()`` (``replay/fault_mix.py``: a seeded share of random faults) to requests of
        ``route`` (a route name or group; ``None`` = any) that no injected fault claims."""
        with self._lock:
            self._mix = (mix, route)

    # -- lifecycle --------------------------------------------------------------------------------
    def start(self) -> "FakeApi":
        if self._server is not None:
            return self
        handler = type("FakeApiHandler", (_Handler,), {"api": self})
        self._server = ThreadingHTTPServer((self._host, self._port), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> "FakeApi":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("FakeApi is not started; use it as a context manager or call start().")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://{self._host}:{self.port}"

    # -- statistics -------------------------------------------------------------------------------
    @property
    def log(self) -> list[RequestRecord]:
        """Every request so far, in arrival order."""
        with self._lock:
            return list(self._log)

    def records(self, group: str | None = None) -> list[RequestRecord]:
        """Requests whose route is in ``group`` (or is named ``group``); ``None`` = all."""
        return [r for r in self.log if group is None or group in r.groups or r.route == group]

    def arrivals(self, group: str | None = None) -> list[float]:
        """Arrival times (server ``time.monotonic()``, ascending) of ``group``'s requests, 429s included."""
        return [r.at for r in self.records(group)]

    def count(self, group: str | None = None, status: int | None = None) -> int:
        return sum(1 for r in self.records(group) if status is None or r.status == status)

    def count_429(self, group: str | None = None) -> int:
        return self.count(group, 429)

    def max_in_window(self, group: str | None, seconds: float) -> int:
        """The most requests of ``group`` that arrived within any window of ``seconds`` (half-open)."""
        return max_in_window(self.arrivals(group), seconds)

    def reset_stats(self) -> None:
        """Forget the request log and the budgets' recent arrivals (not routes, budgets or faults)."""
        with self._lock:
            self._log.clear()
            for budget in self._budgets.values():
                budget.recent.clear()

    # -- request path (called from handler threads) -----------------------------------------------
    def _dispatch(self, method: str, path: str) -> tuple[_Route | None, Mapping[str, str]]:
        with self._lock:
            routes = list(self._routes)
        for route in routes:
            found = route.matches(method, path)
            if found is not None:
                return route, found
        return None, {}

    def _admit(self, route: _Route | None, fields: dict[str, Any]) -> tuple[int, Fault | None, bool]:
        """Log the arrival (status still unknown); return (log index, fault to serve, over budget)."""
        groups = route.groups if route else ()
        names = {route.name, *groups} if route else set()
        with self._lock:
            now = time.monotonic()
            fault = None
            for pending in self._faults:
                if pending.target is None or pending.target in names:
                    fault = pending.fault
                    pending.remaining -= 1
                    if pending.remaining <= 0:
                        self._faults.remove(pending)
                    break
            if fault is None and self._mix is not None and (self._mix[1] is None or self._mix[1] in names):
                fault = self._mix[0].pick()
            over = False
            for group in groups:
                budget = self._budgets.get(group)
                if budget is None:
                    continue
                while budget.recent and budget.recent[0] <= now - budget.window:
                    budget.recent.popleft()
                if len(budget.recent) >= budget.limit:
                    over = True
            for group in groups:
                budget = self._budgets.get(group)
                if budget is not None and (self.count_rejected or not over):
                    budget.recent.append(now)
            self._log.append(RequestRecord(at=now, **fields))
            return len(self._log) - 1, fault, over

    def _set_status(self, index: int, status: int) -> None:
        """Fill in the status *before* the response is written, so a client that has its answer always
        finds its request in the statistics."""
        with self._lock:
            if index < len(self._log):  # reset_stats() may have emptied the log meanwhile
                self._log[index] = replace(self._log[index], status=status)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in separate writes; avoid the 40 ms delayed-ACK stall
    api: FakeApi

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._handle()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_GET

    def _handle(self) -> None:
        api = self.api
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        route, match = api._dispatch(self.command, url.path)
        headers = dict(self.headers.items())
        index, fault, over = api._admit(
            route,
            {
                "method": self.command,
                "path": url.path,
                "query": url.query,
                "route": route.name if route else None,
                "groups": route.groups if route else (),
                "status": None,
                "headers": headers,
            },
        )
        try:
            latency = route.latency if route and route.latency is not None else api.latency
            if latency:
                time.sleep(latency)
            if fault is not None and fault.kind in ("reset", "close"):
                self._drop(reset=fault.kind == "reset")
                return
            if fault is not None and fault.kind in ("status", "truncated"):
                api._set_status(index, fault.status)
                self._send(fault.status, fault.headers, fault.body, content_length=fault.kind == "status")
                if fault.kind == "truncated":
                    self.close_connection = True
                return
            if fault is not None and fault.kind == "slow":
                time.sleep(fault.seconds)
            if over:
                reply = json_reply({"error": "Too Many Requests (fake budget)"}, 429)
            elif route is None:
                reply = json_reply({"error": f"no route for {self.command} {url.path}"}, 404)
            else:
                request = FakeRequest(self.command, url.path, parse_qs(url.query), headers, body, match)
                try:
                    reply = _as_reply(route.handler(request))
                except Exception as exc:  # a broken handler is a test bug: make it loud but keep serving
                    reply = json_reply({"error": f"fake handler raised {type(exc).__name__}: {exc}"}, 599)
            api._set_status(index, reply.status)
            data = _bytes(reply.body)
            if fault is not None and fault.kind == "drift" and fault.transform is not None:
                data = fault.transform(data)
            elif fault is not None and fault.kind == "bad_json":
                data = data[: len(data) // 2]
            elif fault is not None and fault.kind == "cut_body":
                self._send(reply.status, {**reply.headers, "Content-Length": str(len(data))}, data[: len(data) // 2])
                self.wfile.flush()
                self._drop(reset=True)
                return
            self._send(reply.status, reply.headers, data)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (e.g. its read timeout)
            self.close_connection = True

    def _send(self, status: int, headers: Mapping[str, str], body: bytes, content_length: bool = True) -> None:
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        if content_length and not any(k.lower() == "content-length" for k in headers):
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _drop(self, *, reset: bool) -> None:
        """Close the connection without a response; ``reset`` sends a TCP RST instead of a FIN."""
        self.close_connection = True
        sock = self.connection
        if reset:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.rfile.close()  # drop the makefile reference so close() really closes the descriptor
            sock.close()
        else:
            sock.shutdown(socket.SHUT_RDWR)


def _as_reply(result: Any) -> Reply:
    if isinstance(result, Reply):
        return result
    if isinstance(result, tuple) and len(result) == 3 and isinstance(result[0], int):
        status, headers, body = result
        if isinstance(body, (bytes, str)):
            return Reply(status, dict(headers), body)
        return json_reply(body, status, headers)
    return json_reply(result)


def max_in_window(times: Iterable[float], seconds: float) -> int:
    """The most ``times`` inside any half-open window ``[t, t + seconds)``."""
    ordered = sorted(times)
    best = 0
    for i, start in enumerate(ordered):
        best = max(best, bisect.bisect_left(ordered, start + seconds, lo=i) - i)
    return best


def budget_utilisation(times: Iterable[float], limit: int, window_seconds: float) -> float:
    """How much of a "``limit`` per sliding ``window_seconds``" budget a client used, in steady state.

    A client at exactly the budget sends request ``i + limit`` one window after request ``i``, however
    bursty it is; so the answer is ``window / mean(t[i + limit] - t[i])`` (1.0 = the whole budget). Needs
    more than ``limit`` arrivals.
    """
    ordered = sorted(times)
    gaps = [ordered[i + limit] - ordered[i] for i in range(len(ordered) - limit)]
    if not gaps:
        raise ValueError(f"budget_utilisation needs more than {limit} arrivals, got {len(ordered)}")
    return window_seconds / (sum(gaps) / len(gaps))


def _main(argv: Sequence[str] | None = None) -> None:
    import argparse

    parser = argparse.ArgumentParser(description="Serve a budgeted echo route (GET/POST /echo) until Ctrl-C.")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--limit", type=int, default=500, help="requests per window before 429")
    parser.add_argument("--window", type=float, default=10.0, help="window seconds")
    parser.add_argument("--latency-ms", type=float, default=20.0)
    args = parser.parse_args(argv)
    api = FakeApi(latency=args.latency_ms / 1000, port=args.port)
    api.route("*", "/echo", lambda req: {"method": req.method, "query": req.query}, group="echo")
    api.add_budget("echo", args.limit, args.window)
    with api:
        print(f"serving {api.base_url}/echo ({args.limit} req / {args.window:g} s); Ctrl-C to stop", flush=True)
        try:
            while True:
                time.sleep(10)
                print(f"{api.count('echo')} requests, {api.count_429('echo')} answered 429, "
                      f"max in any {args.window:g} s window: {api.max_in_window('echo', args.window)}", flush=True)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    _main()
