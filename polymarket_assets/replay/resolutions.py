"""``GET /v2/resolutions`` for a world's markets, from the two REAL captured records.

``polymarket_assets_tests/fixtures/real/data_api/v2_resolutions_data_array.json`` holds one ``resolved`` and one
``posed`` record (the ``data`` array of a response; no envelope was captured). A market whose Gamma state is
final (closed, UMA ``resolved``, prices all 0/1 with one 1, or all equal) gets a copy of the ``resolved``
record, any other market a copy of the ``posed`` one; only ``condition_id``, ``question_id`` (the market's),
``transaction_hash``, ``log_index`` and ``last_update_timestamp`` (the market's ``closedTime``, else its
``updatedAt``) are varied. Conditions in ``missing`` have no record: the API's documented miss, ``{"data": []}``
(api_reference §7.2). ``overrides`` replace fields of one condition's record (e.g. ``status: disputed``).

Route: ``GET /v2/resolutions?condition=<≤ 20 comma-separated 0x+64 hex>`` → ``{"data": [records]}``; more than
20 ids, a malformed id or ``offset`` → 400 naming the problem (§3.2). Counter: ``requests`` per batch size.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
import threading
from collections.abc import Iterable, Mapping
from typing import Any

from polymarket_assets.replay.fake_api import FakeApi, FakeRequest, json_reply
from polymarket_assets.replay.gamma_world import real

MAX_CONDITIONS = 20
TEMPLATES_FILE = "v2_resolutions_data_array.json"


def _instant(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    if " " in text and text.endswith("+00"):  # Gamma closedTime, Postgres text form
        text = text.replace(" ", "T") + ":00"
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def final_state(market: Mapping[str, Any]) -> bool:
    """Closed, a UMA 'resolved' status, and final prices (0/1 with one 1, or all equal)."""
    statuses = json.loads(market.get("umaResolutionStatuses") or "[]")
    resolved = str(market.get("umaResolutionStatus") or "").lower() == "resolved" or "resolved" in [str(s).lower() for s in statuses]
    prices = [float(p) for p in json.loads(market.get("outcomePrices") or "[]")]
    final = bool(prices) and ((all(p in (0.0, 1.0) for p in prices) and prices.count(1.0) == 1) or len(set(prices)) == 1)
    return bool(market.get("closed")) and resolved and final


class Resolutions:
    """The ``/v2/resolutions`` records of ``markets`` (Gamma market objects), by condition id."""

    def __init__(self, markets: Iterable[Mapping[str, Any]], *, missing: Iterable[str] = (),
                 overrides: Mapping[str, Mapping[str, Any]] | None = None):
        templates = real("data_api", TEMPLATES_FILE)
        self.resolved_template = next(r for r in templates if r["status"] == "resolved")
        self.posed_template = next(r for r in templates if r["status"] != "resolved")
        self.missing = set(missing)
        self.overrides = {k: dict(v) for k, v in (overrides or {}).items()}
        self.records: dict[str, dict[str, Any]] = {}
        for market in markets:
            self.add(market)
        self.requests: list[list[str]] = []
        self._lock = threading.Lock()

    def add(self, market: Mapping[str, Any]) -> None:
        condition = market.get("conditionId")
        if not condition or condition in self.missing:
            return
        record = copy.deepcopy(self.resolved_template if final_state(market) else self.posed_template)
        record["condition_id"] = condition
        record["question_id"] = market.get("questionID") or "0x" + hashlib.sha256(f"q/{condition}".encode()).hexdigest()
        record["transaction_hash"] = "0x" + hashlib.sha256(f"resolution/{condition}".encode()).hexdigest()
        record["log_index"] = str(int(hashlib.sha256(condition.encode()).hexdigest()[:4], 16) % 400)
        when = _instant(market.get("closedTime")) or _instant(market.get("updatedAt"))
        if when is not None:
            record["last_update_timestamp"] = str(int(when.timestamp()))
        record.update(self.overrides.get(condition, {}))
        self.records[condition] = record

    def install(self, api: FakeApi) -> FakeApi:
        api.route("GET", "/v2/resolutions", self._handle, group=("data:/resolutions", "data"))
        return api

    def _handle(self, request: FakeRequest) -> Any:
        if request.param("offset") is not None:
            return json_reply({"error": "offset is not supported on v2 endpoints; use cursor"}, 400)
        raw = request.param("condition") or ""
        conditions = [c for c in raw.split(",") if c]
        if not conditions and not request.param("question_id") and not request.param("event_id"):
            return json_reply({"error": "exactly one of condition, question_id or event_id is required"}, 400)
        if len(conditions) > MAX_CONDITIONS:
            return json_reply({"error": f"condition accepts at most {MAX_CONDITIONS} values"}, 400)
        for c in conditions:
            if not (c.startswith("0x") and len(c) == 66):
                return json_reply({"error": f"invalid condition id: {c}"}, 400)
        with self._lock:
            self.requests.append(conditions)
        return {"data": [self.records[c] for c in conditions if c in self.records]}
