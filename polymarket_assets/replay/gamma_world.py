"""A multi-day Gamma + leaderboard "world" built from REAL captured bodies, served by ``FakeApi``.

Every object served is a real recorded object (``polymarket_assets_tests/fixtures/real``, reached through the
``real`` link of this package) with only its ids, slugs, timestamps and prices varied so that several distinct
events/markets/tags exist on each day (see ``README.md`` in this directory for exactly what changes). Envelopes follow api_reference §1.1
(keyset ``{"events"|"markets": [...], "next_cursor"}``, cursor absent on the last page), §1.4 (``/tags``
array + limit/offset) and §3.2 (Data v2 ``{"data": [...], "pagination": {...}}``).

Routes (server-side filters the pipeline relies on are implemented; unknown filters are ignored):

* ``GET /events/keyset`` / ``GET /markets/keyset``: ``start_date_min``/``start_date_max`` (inclusive),
  ``end_date_min``/``end_date_max``, ``closed``, ``limit``, ``after_cursor`` — sorted by id;
* ``GET /tags``: ``limit``, ``offset``;
* ``GET /v2/leaderboard``: ``time_period``, ``sort_by``, ``limit`` (first page), ``cursor``.
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from polymarket_assets.replay.fake_api import FakeApi, FakeRequest, json_reply

#: The real captured bodies (``real`` → the test suite's ``polymarket_assets_tests/fixtures/real/``: one copy).
REAL = Path(__file__).resolve().parent / "real"
UTC = dt.timezone.utc

MARKET_TEMPLATES = (
    "market_btc_updown_5m_1773307200.json",
    "market_btc_updown_5m_1784850900_resolved_up.json",
    "market_btc_updown_5m_1784851200_resolved_down.json",
    "market_closed_binary_accepting_false.json",
    "market_closed_binary_accepting_true.json",
    "market_newsom_2028_negrisk_open.json",
    "market_sports_moneyline_closed.json",
    "event_btc_updown_15m_1767200400_market0.json",
)


def real(service: str, name: str) -> Any:
    return json.loads((REAL / service / name).read_text())


def iso(ts: dt.datetime) -> str:
    """Gamma's ISO form with 6 fractional digits and ``Z``."""
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _hex(seed: str, n: int) -> str:
    out = ""
    counter = 0
    while len(out) < n:
        out += hashlib.sha256(f"{seed}/{counter}".encode()).hexdigest()
        counter += 1
    return out[:n]


def condition_id(seed: str) -> str:
    return "0x" + _hex(f"condition/{seed}", 64)


def token_id(seed: str) -> str:
    """A uint256-sized decimal string (77 digits), like real clobTokenIds."""
    return str(int(_hex(f"token/{seed}", 64), 16)).rjust(77, "1")[:77]


def wallet(seed: str) -> str:
    return "0x" + _hex(f"wallet/{seed}", 40)


def _parse(ts: str) -> dt.datetime:
    return dt.datetime.fromisoformat(ts.replace("Z", "+00:00"))


@dataclass
class World:
    days: list[dt.date]
    events: list[dict[str, Any]] = field(default_factory=list)
    markets: list[dict[str, Any]] = field(default_factory=list)
    tags: list[dict[str, Any]] = field(default_factory=list)
    leaderboard: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)

    def events_on(self, day: dt.date) -> list[dict[str, Any]]:
        return [e for e in self.events if _parse(e["startDate"]).date() == day]

    def markets_on(self, day: dt.date) -> list[dict[str, Any]]:
        return [m for m in self.markets if m.get("startDate") and _parse(m["startDate"]).date() == day]

    def tags_created_on(self, day: dt.date) -> list[dict[str, Any]]:
        return [t for t in self.tags if _parse(t["createdAt"]).date() == day]


def _vary_market(template: dict[str, Any], seed: str, market_id: int, start: dt.datetime, price: Decimal) -> dict[str, Any]:
    m = copy.deepcopy(template)
    m["id"] = str(market_id)
    m["conditionId"] = condition_id(seed)
    if "questionID" in m:
        m["questionID"] = "0x" + _hex(f"question/{seed}", 64)
    m["slug"] = f"{template.get('slug', 'market')}-w{market_id}"
    outcomes = json.loads(m["outcomes"]) if isinstance(m.get("outcomes"), str) else ["Yes", "No"]
    m["clobTokenIds"] = json.dumps([token_id(f"{seed}/{i}") for i in range(len(outcomes))])
    resolved = json.loads(m.get("outcomePrices") or "[]") in (["1", "0"], ["0", "1"])
    if not resolved and len(outcomes) == 2:  # vary live prices only; resolved 0/1 prices stay as captured
        m["outcomePrices"] = json.dumps([str(price), str(Decimal(1) - price)])
    m["startDate"] = iso(start)
    m["createdAt"] = iso(start - dt.timedelta(hours=6))
    end = _parse(template["endDate"]) if template.get("endDate") else None
    if end is not None and end < start:  # keep the template's lifetime length when its dates are in the past
        lifetime = end - _parse(template["startDate"]) if template.get("startDate") else dt.timedelta(days=1)
        m["endDate"] = iso(start + max(lifetime, dt.timedelta(minutes=5)))
    for key in ("events",):
        if isinstance(m.get(key), list):
            for e in m[key]:
                e["id"] = str(int(e["id"]) + 700000) if str(e.get("id", "")).isdigit() else e.get("id")
    return m


def build_world(first: dt.date = dt.date(2026, 11, 1), n_days: int = 7, events_per_day: int = 3, markets_per_day: int = 4, leaderboard_rows: int = 30) -> World:
    days = [first + dt.timedelta(days=i) for i in range(n_days)]
    world = World(days)
    event_templates = [real("gamma", "events_by_slug_democratic_nominee_2028.json")[0], real("gamma", "public_search_bitcoin.json")["events"][0]]
    market_templates = [real("gamma", name) for name in MARKET_TEMPLATES]
    tag_templates = real("gamma", "tags_page.json")
    world.tags = copy.deepcopy(tag_templates)  # the captured tags keep their 2024/2025 createdAt
    next_market = 2_000_000
    for d_index, day in enumerate(days):
        midnight = dt.datetime(day.year, day.month, day.day, tzinfo=UTC)
        # tags created on this day (real tag objects, new ids/slugs/createdAt)
        day_tags = []
        for j in range(2):
            tag = copy.deepcopy(tag_templates[(d_index + j) % len(tag_templates)])
            tag["id"] = str(990_000 + d_index * 10 + j)
            tag["slug"] = f"{tag['slug']}-w{tag['id']}"
            tag["label"] = f"{tag['label']} {tag['id']}"
            tag["createdAt"] = iso(midnight + dt.timedelta(hours=3 + 7 * j, minutes=d_index))
            tag["updatedAt"] = iso(midnight + dt.timedelta(hours=23))
            day_tags.append(tag)
        world.tags.extend(day_tags)
        for k in range(events_per_day):
            template = event_templates[k % len(event_templates)]
            event = copy.deepcopy(template)
            event_id = 800_000 + d_index * 100 + k
            start = midnight + dt.timedelta(hours=1 + 7 * k, minutes=13, seconds=d_index)
            event["id"] = str(event_id)
            event["slug"] = f"{template['slug']}-w{event_id}"
            event["ticker"] = event["slug"]
            event["title"] = f"{template['title']} (world {event_id})"
            event["startDate"] = iso(start)
            event["creationDate"] = iso(start)
            event["createdAt"] = iso(start - dt.timedelta(days=1))
            event["updatedAt"] = iso(start + dt.timedelta(hours=2))
            event["volume"] = float(Decimal(str(template["volume"])) / (k + 2))
            event["tags"] = [*copy.deepcopy(template.get("tags") or []), copy.deepcopy(day_tags[k % len(day_tags)])]
            embedded = []
            for m_template in template.get("markets") or []:
                next_market += 1
                embedded.append(_vary_market(m_template, f"m{next_market}", next_market, start, Decimal("0.2") + Decimal(k) / 10))
            event["markets"] = embedded
            world.events.append(event)
            world.markets.extend(copy.deepcopy(embedded))
        for k in range(markets_per_day):
            next_market += 1
            template = market_templates[(d_index * markets_per_day + k) % len(market_templates)]
            start = midnight + dt.timedelta(hours=2 + 5 * k, minutes=41)
            world.markets.append(_vary_market(template, f"m{next_market}", next_market, start, Decimal("0.35") + Decimal(k) / 20))
    rows = real("data_api", "v2_leaderboard_data_array.json")
    for period in ("day", "week", "month", "all"):
        for sort_by in ("PNL", "VOLUME"):
            board = []
            for rank in range(1, leaderboard_rows + 1):
                row = copy.deepcopy(rows[rank % len(rows)])
                row["rank"] = rank
                row["user_id"] = wallet(f"{period}/{sort_by}/{rank}")
                row["user_name"] = f"{row['user_name']}{rank}"
                row["pnl"] = round(row["pnl"] / rank, 6)
                row["volume"] = round(row["volume"] / rank, 6)
                board.append(row)
            world.leaderboard[(period, sort_by)] = board
    return world


# -- serving ---------------------------------------------------------------------------------------

def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"w:{offset}".encode()).decode()


def _offset(cursor: str | None) -> int:
    if not cursor:
        return 0
    return int(base64.urlsafe_b64decode(cursor.encode()).decode().split(":", 1)[1])


def _date_filter(objects: list[dict[str, Any]], request: FakeRequest) -> list[dict[str, Any]]:
    out = objects
    lo, hi = request.param("start_date_min"), request.param("start_date_max")
    end_lo, end_hi = request.param("end_date_min"), request.param("end_date_max")
    if lo:
        out = [o for o in out if o.get("startDate") and _parse(o["startDate"]) >= _parse(lo)]
    if hi:
        out = [o for o in out if o.get("startDate") and _parse(o["startDate"]) <= _parse(hi)]
    if end_lo:
        out = [o for o in out if not o.get("endDate") or _parse(o["endDate"]) >= _parse(end_lo)]
    if end_hi:
        out = [o for o in out if o.get("endDate") and _parse(o["endDate"]) <= _parse(end_hi)]
    closed = request.param("closed")
    if closed in ("true", "false"):
        out = [o for o in out if bool(o.get("closed")) == (closed == "true")]
    return sorted(out, key=lambda o: int(o["id"]) if str(o.get("id", "")).isdigit() else 0)


def _keyset(objects: list[dict[str, Any]], key: str, max_limit: int):
    def handler(request: FakeRequest):
        if request.param("offset") is not None:
            return json_reply({"type": "validation error", "error": "offset is not allowed on keyset endpoints"}, 422)
        limit = min(int(request.param("limit") or max_limit), max_limit)
        matching = _date_filter(objects, request)
        start = _offset(request.param("after_cursor"))
        page = matching[start : start + limit]
        body: dict[str, Any] = {key: page}
        if start + limit < len(matching):
            body["next_cursor"] = _cursor(start + limit)
        return body

    return handler


def install(api: FakeApi, world: World) -> FakeApi:
    """Register the world's routes on ``api`` (groups: ``gamma:/events``, ``gamma:/markets``,
    ``gamma:/tags``, ``data:/leaderboard``)."""
    api.route("GET", "/events/keyset", _keyset(world.events, "events", 500), group=("gamma:/events", "gamma"))
    api.route("GET", "/markets/keyset", _keyset(world.markets, "markets", 100), group=("gamma:/markets", "gamma"))

    def tags(request: FakeRequest):
        limit = int(request.param("limit") or 100)
        offset = int(request.param("offset") or 0)
        return world.tags[offset : offset + limit]

    api.route("GET", "/tags", tags, group=("gamma:/tags", "gamma"))

    def leaderboard(request: FakeRequest):
        board = world.leaderboard[(request.param("time_period") or "day", request.param("sort_by") or "PNL")]
        start = _offset(request.param("cursor"))
        limit = int(request.param("limit") or 10) if start == 0 else 10
        page = board[start : start + limit]
        more = start + limit < len(board)
        return {"data": page, "pagination": {"limit": limit, "has_more": more, "next_cursor": _cursor(start + limit) if more else None}}

    api.route("GET", "/v2/leaderboard", leaderboard, group=("data:/leaderboard", "data"))
    return api
