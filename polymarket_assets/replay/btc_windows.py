"""Synthetic BTC 15-minute up/down windows on real bodies: their Gamma markets, and the books the REST logger
would have recorded during them (labelled synthetic; README beside this file).

* Each window ``[start, start + 15 min)`` is the real 15-minute market
  (``gamma/event_btc_updown_15m_1767200400_market0.json``) with slug ``btc-updown-15m-<start>`` (api_reference
  §1.3), id, condition, tokens and times moved onto the window (pre-created 24 h before), then closed and
  resolved like the real resolved 5-minute markets: ``closedTime`` = ``umaEndDate`` 16 s after the end,
  ``umaResolutionStatus`` ``resolved``, ``outcomePrices`` ``["1","0"]`` (Up) or ``["0","1"]`` (Down),
  ``acceptingOrders`` false, ``liquidity`` ``"0"``.
* The outcome comes from a synthetic BTC path: a Brownian log-return ``x`` over the window (deterministic per
  window); Up wins when ``x(end) > 0``. The Up token's fair price at ``t`` is ``Φ(x(t) / (σ √(end − t)))``,
  the probability of Up given the path so far, so the mids are calibrated by construction; the book is the
  real CLOB book body (``clob/book_election_2024_oct.json``: its level sizes) re-priced around that price on
  the 0.01 tick, the Down book mirrored (1 − price).
* :func:`write_logger_files` writes those books every ``cadence_seconds`` exactly as ``orderbook_logger_job``
  writes its captures: ``streaming/books.py`` (``polymarket_book`` parses the CLOB body, ``build_record``
  makes the line) into ``<data dir>/stream/polymarket/orderbooks/date=…/hour=HH.<run>.jsonl``, so
  ``bronze/orderbook_snapshots`` compacts them like real captures.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
import math
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from polymarket_assets.replay.gamma_world import condition_id, iso, real, token_id
from polymarket_assets.streaming.books import SnapshotRecord, build_record, polymarket_book
from polymarket_assets.streaming.venues import gamma_market_instruments
from polymarket_assets.streaming.writer import hour_path

UTC = dt.timezone.utc
WINDOW = 900
SOURCE = "polymarket_btc15m"
RUN_TAG = "replay"
TEMPLATE = "event_btc_updown_15m_1767200400_market0.json"
BOOK = "book_election_2024_oct.json"
SIGMA = 0.0006  # per √second: about 1.8 % over the window, the order of BTC's 15-minute moves
LEVELS = 5
TICK = Decimal("0.01")


def _phi(z: float) -> float:
    return 0.5 * (1.0 + math.erf(z / math.sqrt(2.0)))


@dataclass(frozen=True)
class Window:
    start: int  # unix seconds, a multiple of 900
    market: dict[str, Any]  # the Gamma market object
    up_wins: bool
    path: tuple[float, ...]  # x(t) for t = 0 .. 900 s, one per second

    @property
    def slug(self) -> str:
        return str(self.market["slug"])

    @property
    def tokens(self) -> tuple[str, str]:
        up, down = json.loads(self.market["clobTokenIds"])
        return up, down

    def fair_up(self, t: int) -> float:
        """P(Up | path up to t seconds into the window)."""
        remaining = WINDOW - t
        if remaining <= 0:
            return 1.0 if self.up_wins else 0.0
        return _phi(self.path[t] / (SIGMA * math.sqrt(remaining)))


def window_starts(days: Sequence[dt.date], per_day: int = 96) -> list[int]:
    """The first ``per_day`` window starts of every day (96 = every window)."""
    out = []
    for day in days:
        midnight = int(dt.datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())
        out += [midnight + k * WINDOW for k in range(min(per_day, 86400 // WINDOW))]
    return out


def build_windows(days: Sequence[dt.date], *, per_day: int = 96, seed: str = "btc", first_id: int = 4_000_000) -> list[Window]:
    template = real("gamma", TEMPLATE)
    windows = []
    for i, start in enumerate(window_starts(days, per_day)):
        rng = random.Random(f"{seed}/{start}")
        x, path = 0.0, [0.0]
        for _ in range(WINDOW):
            x += rng.gauss(0.0, SIGMA)
            path.append(x)
        up = path[-1] > 0
        m = copy.deepcopy(template)
        m["id"] = str(first_id + i)
        m["slug"] = f"btc-updown-15m-{start}"
        m["conditionId"] = condition_id(f"{seed}/{start}")
        m["questionID"] = "0x" + hashlib.sha256(f"{seed}/question/{start}".encode()).hexdigest()
        m["clobTokenIds"] = json.dumps([token_id(f"{seed}/{start}/up"), token_id(f"{seed}/{start}/down")])
        begin, end = dt.datetime.fromtimestamp(start, UTC), dt.datetime.fromtimestamp(start + WINDOW, UTC)
        closed_at = end + dt.timedelta(seconds=16)
        m["startDate"] = iso(begin - dt.timedelta(hours=24))
        m["createdAt"] = iso(begin - dt.timedelta(hours=24))
        m["eventStartTime"] = begin.strftime("%Y-%m-%dT%H:%M:%SZ")
        m["endDate"] = end.strftime("%Y-%m-%dT%H:%M:%SZ")
        m["updatedAt"] = iso(closed_at + dt.timedelta(seconds=73))
        m["closed"] = True
        m["active"] = True
        m["acceptingOrders"] = False
        m["closedTime"] = closed_at.strftime("%Y-%m-%d %H:%M:%S+00")
        m["umaEndDate"] = closed_at.strftime("%Y-%m-%dT%H:%M:%SZ")
        m["umaResolutionStatus"] = "resolved"
        m["umaResolutionStatuses"] = "[]"
        m["outcomePrices"] = json.dumps(["1", "0"] if up else ["0", "1"])
        m["liquidity"] = "0"
        m["question"] = f"Bitcoin Up or Down - {begin:%B %d, %H:%M}-{end:%H:%M} UTC (replay)"
        windows.append(Window(start, m, up, tuple(path)))
    return windows


def _book_body(template: dict[str, Any], *, market: str, asset_id: str, fair: float, when_ms: int, wide: bool) -> dict[str, Any]:
    """The real CLOB book body re-priced around ``fair`` (best levels on the 0.01 tick), CLOB order (best last)."""
    best_bid = min(max(Decimal(str(round(fair - 0.005, 2))), TICK), Decimal("0.97"))
    best_ask = best_bid + (2 * TICK if wide else TICK)
    sizes_b = [lv["size"] for lv in template["bids"]][-LEVELS:]
    sizes_a = [lv["size"] for lv in template["asks"]][-LEVELS:]
    bids = [{"price": format(best_bid - k * TICK, "f"), "size": sizes_b[-1 - k]} for k in range(LEVELS) if best_bid - k * TICK > 0]
    asks = [{"price": format(best_ask + k * TICK, "f"), "size": sizes_a[-1 - k]} for k in range(LEVELS) if best_ask + k * TICK < 1]
    body = copy.deepcopy(template)
    body.update(market=market, asset_id=asset_id, timestamp=str(when_ms), bids=list(reversed(bids)), asks=list(reversed(asks)),
                hash=hashlib.sha1(f"{asset_id}/{when_ms}".encode()).hexdigest())
    return body


def logger_records(windows: Sequence[Window], *, cadence_seconds: int = 10) -> Iterator[tuple[float, SnapshotRecord]]:
    """(received_ts, record) for every book the REST logger would have written during ``windows``, in time order."""
    template = real("clob", BOOK)
    seq = 0
    for cycle_base, w in enumerate(windows):
        instruments = gamma_market_instruments(w.market, source=SOURCE, active_from=float(w.start),
                                               active_until=float(w.start + WINDOW), window_start=w.start)
        by_token = {inst["token_id"]: inst for inst in instruments}
        up, down = w.tokens
        for t in range(0, WINDOW, cadence_seconds):
            fair = w.fair_up(t)
            received = w.start + t + 0.05 + (seq % 7) / 100
            exchange_ms = int((w.start + t) * 1000) - 40
            for token, price in ((up, fair), (down, 1.0 - fair)):
                wide = (t // cadence_seconds + cycle_base) % 3 == 0
                body = _book_body(template, market=w.market["conditionId"], asset_id=token, fair=price, when_ms=exchange_ms, wide=wide)
                levels, exchange_ts, book_hash, _ = polymarket_book(body)
                seq += 1
                record = build_record(by_token[token], levels, exchange_ts=exchange_ts, received_ts=received, fetch_ms=42.0,
                                      seq=seq, poll_cycle=cycle_base * 1000 + t // cadence_seconds, run_tag=RUN_TAG, book_hash=book_hash)
                yield received, record


def write_logger_files(stream_dir: Path, windows: Sequence[Window], *, cadence_seconds: int = 10) -> dict[str, int]:
    """Write :func:`logger_records` as the logger's hourly JSONL files under ``stream_dir``; returns lines per file.

    Files are replaced, not appended, so writing the same windows twice gives the same files."""
    lines: dict[Path, list[str]] = {}
    for received, record in logger_records(windows, cadence_seconds=cadence_seconds):
        path = hour_path(stream_dir, "polymarket", int(received // 3600), RUN_TAG)
        lines.setdefault(path, []).append(json.dumps(record, separators=(",", ":")))
    for path, rows in lines.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text("\n".join(rows) + "\n", encoding="utf-8")
        tmp.replace(path)
    return {str(p): len(r) for p, r in lines.items()}
