"""A multi-day trades + price-history "world" built from REAL captured bodies, served by ``FakeApi``.

What is real and what is varied (the README of this directory should repeat this):

* **Gamma markets** are the real market objects of ``fixtures/real/gamma`` (``_vary_market`` of
  ``gamma_world.py``): only ``id``, ``conditionId``, ``clobTokenIds``, ``slug``, ``startDate``/``endDate``,
  ``closed``/``closedTime`` and prices change, so the world has markets with every lifetime the discovery
  must handle (open for months, one-day, closed before the range, starting after it, closed late after its
  end date, open long past its end date).
* **Trades** are the two real ``/v2/trades`` rows of ``fixtures/real/data_api/v2_trades_data_array.json``
  (alternating) with ``proxy_wallet``, ``side``, ``token_id``, ``condition_id``, ``size``, ``price``,
  ``timestamp``, ``title``, ``slug``, ``outcome``, ``outcome_index`` (the real ``999`` sentinel is kept on
  every fifth row), ``name``, ``pseudonym`` and ``transaction_hash`` varied. Every seventh fill repeats the
  previous one byte for byte (same transaction): two identical fills a taker matched, the case the
  ``trade_key`` ordinal exists for. Some markets trade exactly at 00:00:00 (day-boundary rows).
* **Price history** points are the real ``{t, p}`` values of ``v2_prices_history_data_array.json``
  (``timestamp`` → ``t``, ``price`` → ``p``, 0.955 at 60 s) repeated on the requested fidelity grid over each
  token's lifetime with ``p`` varied, in the CLOB ``POST /batch-prices-history`` map shape (§2.4, same shape
  as ``fixtures/real/clob/constructed_batch_prices_history.json``).

Trades are generated lazily: condition ``c`` has a deterministic stream ``trade(c, j)``, newest first, so a
world with millions of trades costs no memory; a ``/v2/trades`` page merges the streams of the requested
conditions from positions carried in the (opaque, signed) cursor.

Routes (envelopes and errors per api_reference §1.1, §2.4, §3.2):

* ``GET /markets/keyset`` — ``start_date_min/max``, ``end_date_min/max`` (inclusive), ``closed``, ``limit``
  (≤ 100), ``after_cursor``; ``{"markets": [...], "next_cursor"}``, cursor absent on the last page;
* ``GET /v2/trades`` — ``condition`` (≤ 20 comma-separated ``0x``+64 hex, else 400 naming the value),
  ``taker_only``, ``limit`` (first page only, ≤ 10,000), ``cursor`` (pins the query: a different condition
  set is a 400), ``offset`` → 400; ``{"data": [...], "pagination": {"limit", "has_more", "next_cursor"}}``;
* ``POST /batch-prices-history`` — ``{"markets": [≤ 20 token ids], "start_ts", "end_ts", "fidelity"}``;
  windows over 15 days → 400 ``interval is too long``; ``{"history": {token: [{"t", "p"}]}}``.
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import hashlib
import heapq
import json
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from polymarket_assets.replay.fake_api import FakeApi, FakeRequest, json_reply
from polymarket_assets.replay.gamma_world import _vary_market, iso, real, wallet

UTC = dt.timezone.utc
DAY = 86_400
TRADE_TEMPLATES_FILE = "v2_trades_data_array.json"
PRICE_TEMPLATE_FILE = "v2_prices_history_data_array.json"
MAX_TRADE_CONDITIONS = 20
MAX_BATCH_TOKENS = 20
MAX_WINDOW_SECONDS = 15 * DAY
_SECRET = b"world-trades-cursor"


def midnight(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=UTC)


def _h(*parts: Any) -> int:
    return int.from_bytes(hashlib.sha256("/".join(map(str, parts)).encode()).digest()[:8], "big")


def _parse(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    if " " in text and text.endswith("+00"):  # Gamma closedTime, Postgres text form
        text = text.replace(" ", "T") + ":00"
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


@dataclass
class TradeStream:
    """The trades of one market (condition), newest first: ``count`` trades, ``trade(j)`` for j < count."""

    condition_id: str
    market: dict[str, Any]
    t0: int  # first instant trades may happen (inclusive)
    t1: int  # trading stops before this instant
    per_day: int
    on_midnight: bool  # grid aligned so that some trades land exactly on 00:00:00
    templates: list[dict[str, Any]]
    count: int = 0

    def __post_init__(self) -> None:
        self.step = DAY / self.per_day
        bases = int((self.t1 - self.t0) // self.step) if self.t1 > self.t0 else 0
        self.bases = bases
        # j → base index: every 7th fill (j % 7 == 3) repeats the previous one; the repeats' bases are 2, 8,
        # 14, ... so ``bases`` distinct fills come with (bases + 3) // 6 repeats.
        self.count = bases + ((bases + 3) // 6 if bases > 2 else 0)
        assert self.count == 0 or (self.base(self.count - 1) == bases - 1 and self.base(self.count) >= bases)
        self.tokens = json.loads(self.market["clobTokenIds"])
        self.outcomes = json.loads(self.market["outcomes"])

    @staticmethod
    def dups_through(j: int) -> int:
        return 0 if j < 3 else (j - 3) // 7 + 1

    def base(self, j: int) -> int:
        return j - self.dups_through(j)

    def ts(self, j: int) -> int:
        offset = 1.0 if self.on_midnight else 0.5
        return int(self.t1 - (self.base(j) + offset) * self.step)

    def trade(self, j: int) -> dict[str, Any]:
        b = self.base(j)
        h = _h(self.condition_id, b)
        row = copy.deepcopy(self.templates[b % len(self.templates)])
        index = h % len(self.tokens)
        row["proxy_wallet"] = wallet(f"trader/{h % 97}")
        row["side"] = "BUY" if (h >> 8) % 2 == 0 else "SELL"
        row["token_id"] = self.tokens[index]
        row["condition_id"] = self.condition_id
        row["size"] = round(1 + ((h >> 16) % 50_000) / 100, 2)
        row["price"] = round(0.01 + ((h >> 32) % 980) / 1000, 3)
        row["timestamp"] = self.ts(j)
        row["title"] = self.market.get("question")
        row["slug"] = self.market.get("slug")
        row["outcome"] = self.outcomes[index] if index < len(self.outcomes) else None
        if b % 5 != 0:  # keep the real 999 "could not be labeled" sentinel on every fifth row
            row["outcome_index"] = index
        row["name"] = f"{row.get('name') or 'trader'}{h % 97}"
        row["pseudonym"] = f"{row.get('pseudonym') or 'Anon'}-{h % 97}"
        row["transaction_hash"] = "0x" + hashlib.sha256(f"tx/{self.condition_id}/{b}".encode()).hexdigest()
        return row


class TradesWorld:
    """Markets over ``days`` with trades and price history; ``install(api)`` serves them."""

    def __init__(
        self,
        days: Sequence[dt.date],
        *,
        markets_per_day: int = 2,
        long_markets: int = 3,
        trades_per_day: int = 24,
        now: dt.datetime | None = None,
        default_trade_limit: int = 100,
        seed: str = "w",
        busy_every: int | None = 3,
    ):
        """``busy_every``: every n-th market trades twice as often (None: every market at ``trades_per_day``)."""
        self.days = sorted(days)
        self.first, self.last = self.days[0], self.days[-1]
        self.now = now or midnight(self.last) + dt.timedelta(days=2, hours=5)
        self.default_trade_limit = default_trade_limit
        self.trades_per_day = trades_per_day
        self.busy_every = busy_every
        self.trade_templates = real("data_api", TRADE_TEMPLATES_FILE)
        self.price_template = real("data_api", PRICE_TEMPLATE_FILE)
        self.markets: list[dict[str, Any]] = []
        self.expect_active: dict[str, set[dt.date]] = {}  # market id → days it must count as active
        self._lock = threading.Lock()
        self._batch_cache: dict[str, list[str]] = {}
        #: faults: a /v2/trades page holding a row on one of these days answers 500 (until cleared).
        self.fail_days: set[dt.date] = set()
        #: the next N /v2/trades pages answer a JSON body of the wrong shape ({"data": "..."}).
        self.wrong_shape_pages = 0
        self.price_requests: list[dict[str, Any]] = []
        self._build(markets_per_day, long_markets, seed)
        self.streams = {m["conditionId"]: self._stream(m, i) for i, m in enumerate(self.markets)}

    # -- building ----------------------------------------------------------------------------------
    def _add(self, template_name: str, seed: str, start: dt.datetime, end: dt.datetime | None, *, closed: bool, closed_time: dt.datetime | None, active_days: set[dt.date]) -> dict[str, Any]:
        market_id = 3_000_000 + len(self.markets)
        m = _vary_market(real("gamma", template_name), f"{seed}{market_id}", market_id, start, Decimal("0.4") + Decimal(len(self.markets) % 5) / 10)
        m["endDate"] = iso(end) if end else None
        m["closed"] = closed
        m["active"] = True
        m["question"] = f"{m.get('question', 'Market')} (world {market_id})"
        if closed_time is not None:
            m["closedTime"] = closed_time.strftime("%Y-%m-%d %H:%M:%S+00")
        else:
            m.pop("closedTime", None)
        self.markets.append(m)
        self.expect_active[m["id"]] = active_days
        return m

    def _build(self, markets_per_day: int, long_markets: int, seed: str) -> None:
        days = set(self.days)
        first0 = midnight(self.first)
        last_end = midnight(self.last) + dt.timedelta(days=1)
        open_template, closed_template = "market_newsom_2028_negrisk_open.json", "market_btc_updown_5m_1784850900_resolved_up.json"
        for k in range(long_markets):  # open for months, still trading "now"
            self._add(open_template, seed, first0 - dt.timedelta(days=40 + k), midnight(self.last) + dt.timedelta(days=400), closed=False, closed_time=None, active_days=days)
        for day in self.days:  # one-day markets, pre-created the day before, closed just after midnight
            for k in range(markets_per_day):
                template = closed_template if k % 2 == 0 else "market_btc_updown_5m_1784851200_resolved_down.json"
                start = midnight(day) - dt.timedelta(hours=20 - k)
                end = midnight(day) + dt.timedelta(days=1)
                closed_at = end + dt.timedelta(seconds=16)
                after = day + dt.timedelta(days=1)
                self._add(template, seed, start, end, closed=True, closed_time=closed_at, active_days={d for d in (day - dt.timedelta(days=1), day, after) if d in days})
        # closed long before the range: never active
        self._add(closed_template, seed, first0 - dt.timedelta(days=20), first0 - dt.timedelta(days=10), closed=True, closed_time=first0 - dt.timedelta(days=10), active_days=set())
        # starts after the range: never active
        self._add(open_template, seed, last_end + dt.timedelta(hours=3), last_end + dt.timedelta(days=30), closed=False, closed_time=None, active_days=set())
        # nominal end 5 days before the range, closed late inside the range (query B)
        late_close = first0 + dt.timedelta(days=1, hours=12)
        self._add(closed_template, seed, first0 - dt.timedelta(days=9), first0 - dt.timedelta(days=5), closed=True, closed_time=late_close, active_days={d for d in days if d <= late_close.date()})
        # nominal end 45 days before the range, still open (query C)
        self._add(open_template, seed, first0 - dt.timedelta(days=60), first0 - dt.timedelta(days=45), closed=False, closed_time=None, active_days=days)

    def _stream(self, market: dict[str, Any], index: int) -> TradeStream:
        start = _parse(market.get("startDate"))
        assert start is not None
        close = _parse(market.get("closedTime")) if market.get("closed") else None
        t0 = max(start, midnight(self.first) - dt.timedelta(days=1))
        t1 = min(close or self.now, self.now)
        if market.get("closed") and close is None:
            t1 = min(_parse(market.get("endDate")) or self.now, self.now)
        busy = self.busy_every is not None and index % self.busy_every == 0
        per_day = max(1, self.trades_per_day * (2 if busy else 1))
        return TradeStream(market["conditionId"], market, int(t0.timestamp()), int(t1.timestamp()), per_day, index % 5 == 0, self.trade_templates)

    # -- expectations for tests ----------------------------------------------------------------------
    def trades_on(self, day: dt.date, conditions: Sequence[str] | None = None) -> list[dict[str, Any]]:
        """Every trade the world holds for ``day`` (UTC), optionally only for ``conditions``."""
        lo, hi = midnight(day).timestamp(), (midnight(day) + dt.timedelta(days=1)).timestamp()
        out = []
        for cid, stream in self.streams.items():
            if conditions is not None and cid not in conditions:
                continue
            for j in range(stream.count):
                ts = stream.ts(j)
                if ts < lo:
                    break
                if ts < hi:
                    out.append(stream.trade(j))
        return out

    def count_on(self, day: dt.date) -> int:
        """How many trades the world holds for ``day`` (without building them)."""
        lo, hi = midnight(day).timestamp(), (midnight(day) + dt.timedelta(days=1)).timestamp()

        def first_below(stream: TradeStream, bound: float) -> int:  # first j with ts(j) < bound (ts non-increasing)
            a, b = 0, stream.count
            while a < b:
                mid = (a + b) // 2
                if stream.ts(mid) < bound:
                    b = mid
                else:
                    a = mid + 1
            return a

        return sum(first_below(s, lo) - first_below(s, hi) for s in self.streams.values())

    def market(self, market_id: str) -> dict[str, Any]:
        return next(m for m in self.markets if m["id"] == market_id)

    # -- serving -------------------------------------------------------------------------------------
    @contextmanager
    def serving(self) -> Iterator[FakeApi]:
        """A running ``FakeApi`` with this world installed; faults and the request log an earlier test left are cleared."""
        self.fail_days.clear()
        self.wrong_shape_pages = 0
        self.price_requests.clear()
        with FakeApi() as api:
            yield self.install(api)

    def install(self, api: FakeApi, *, gamma: bool = True) -> FakeApi:
        if gamma:
            api.route("GET", "/markets/keyset", self._markets_keyset, group=("gamma:/markets", "gamma:listing", "gamma"))
        api.route("GET", "/v2/trades", self._trades, group=("data:/trades", "data"))
        api.route("POST", "/batch-prices-history", self._batch_prices, group=("clob:/prices-history", "clob"))
        return api

    def _markets_keyset(self, request: FakeRequest) -> Any:
        if request.param("offset") is not None:
            return json_reply({"type": "validation error", "error": "offset is not allowed on keyset endpoints"}, 422)
        out = self.markets
        for name, key, op in (
            ("start_date_min", "startDate", "ge"),
            ("start_date_max", "startDate", "le"),
            ("end_date_min", "endDate", "ge"),
            ("end_date_max", "endDate", "le"),
        ):
            value = request.param(name)
            if value:
                bound = _parse(value)
                out = [m for m in out if m.get(key) and ((_parse(m[key]) >= bound) if op == "ge" else (_parse(m[key]) <= bound))]  # type: ignore[operator]
        closed = request.param("closed")
        if closed in ("true", "false"):
            out = [m for m in out if bool(m.get("closed")) == (closed == "true")]
        out = sorted(out, key=lambda m: int(m["id"]))
        limit = min(int(request.param("limit") or 100), 100)
        after = request.param("after_cursor")
        start = int(base64.urlsafe_b64decode(after).decode()) if after else 0
        body: dict[str, Any] = {"markets": out[start : start + limit]}
        if start + limit < len(out):
            body["next_cursor"] = base64.urlsafe_b64encode(str(start + limit).encode()).decode()
        return body

    @staticmethod
    def _sign(payload: dict[str, Any]) -> str:
        raw = json.dumps(payload, separators=(",", ":")).encode()
        sig = hashlib.sha256(_SECRET + raw).hexdigest()[:16]
        return base64.urlsafe_b64encode(raw).decode() + "." + sig

    @staticmethod
    def _unsign(cursor: str) -> dict[str, Any] | None:
        try:
            raw_b64, sig = cursor.rsplit(".", 1)
            raw = base64.urlsafe_b64decode(raw_b64.encode())
        except (ValueError, TypeError):
            return None
        if hashlib.sha256(_SECRET + raw).hexdigest()[:16] != sig:
            return None
        return json.loads(raw)

    def _trades(self, request: FakeRequest) -> Any:
        if request.param("offset") is not None:
            return json_reply({"error": "offset is not supported on v2 endpoints; use cursor"}, 400)
        raw = request.param("condition") or request.param("condition_id") or request.param("conditionId") or ""
        conditions = [c for c in raw.split(",") if c]
        if len(conditions) > MAX_TRADE_CONDITIONS:
            return json_reply({"error": f"condition accepts at most {MAX_TRADE_CONDITIONS} values"}, 400)
        for c in conditions:
            if not (c.startswith("0x") and len(c) == 66):
                return json_reply({"error": f"invalid condition id: {c}"}, 400)
        query = hashlib.sha256((",".join(sorted(conditions)) + "|" + (request.param("taker_only") or "true")).encode()).hexdigest()[:16]
        cursor = request.param("cursor")
        if cursor:
            state = self._unsign(cursor)
            if state is None or state.get("q") != query:
                return json_reply({"error": "cursor does not match the query"}, 400)
            positions, limit = state["pos"], state["l"]
        else:
            limit = min(int(request.param("limit") or self.default_trade_limit), 10_000)
            positions = [0] * len(conditions)
        streams = [self.streams.get(c) for c in conditions]
        heap = [(-s.ts(p), i, p) for i, (s, p) in enumerate(zip(streams, positions, strict=True)) if s is not None and p < s.count]
        heapq.heapify(heap)
        rows: list[dict[str, Any]] = []
        pos = list(positions)
        while heap and len(rows) < limit:
            _, i, p = heapq.heappop(heap)
            stream = streams[i]
            assert stream is not None
            rows.append(stream.trade(p))
            pos[i] = p + 1
            if p + 1 < stream.count:
                heapq.heappush(heap, (-stream.ts(p + 1), i, p + 1))
        more = bool(heap)
        with self._lock:
            if self.wrong_shape_pages > 0:
                self.wrong_shape_pages -= 1
                return {"data": "temporarily unavailable", "pagination": {"has_more": True}}
            fail = self.fail_days and any(dt.datetime.fromtimestamp(r["timestamp"], UTC).date() in self.fail_days for r in rows)
        if fail:
            return json_reply({"error": "internal error (injected for a day)"}, 500)
        next_cursor = self._sign({"q": query, "pos": pos, "l": limit}) if more else None
        return {"data": rows, "pagination": {"limit": limit, "has_more": more, "next_cursor": next_cursor}}

    # -- prices --------------------------------------------------------------------------------------
    def token_lifetimes(self) -> dict[str, tuple[int, int, str]]:
        out = {}
        for m in self.markets:
            stream = self.streams[m["conditionId"]]
            start = int(_parse(m["startDate"]).timestamp())  # type: ignore[union-attr]
            for token in json.loads(m["clobTokenIds"]):
                out[token] = (start, stream.t1, m["conditionId"])
        return out

    def price(self, token: str, t: int) -> float:
        base = float(self.price_template[0]["price"])
        return round(min(0.999, max(0.001, base - (_h(token, t // 3600) % 900) / 1000)), 3)

    def points(self, token: str, start_ts: int, end_ts: int, fidelity: int) -> list[dict[str, Any]]:
        life = self.token_lifetimes().get(token)
        if life is None:
            return []
        lo, hi = max(start_ts, life[0]), min(end_ts, life[1])
        step = 60 * fidelity
        t = -(-lo // step) * step
        out = []
        while t <= hi:
            out.append({"t": t, "p": self.price(token, t)})
            t += step
        return out

    def _batch_prices(self, request: FakeRequest) -> Any:
        body = request.json() or {}
        tokens = body.get("markets") or []
        if len(tokens) > MAX_BATCH_TOKENS:
            return json_reply({"error": f"at most {MAX_BATCH_TOKENS} markets per request"}, 400)
        start, end = int(body.get("start_ts", 0)), int(body.get("end_ts", 0))
        if end - start > MAX_WINDOW_SECONDS:
            return json_reply({"error": "interval is too long"}, 400)
        fidelity = int(body.get("fidelity") or 1)
        with self._lock:
            self.price_requests.append({"tokens": list(tokens), "start_ts": start, "end_ts": end, "fidelity": fidelity})
        return {"history": {token: self.points(token, start, end, fidelity) for token in tokens}}
