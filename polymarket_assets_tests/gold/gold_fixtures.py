"""A bronze lake for the gold tests: the silver fixture lake (``silver/bronze_fixtures.py``) plus resolved
markets with price histories and trades, the markets calibration must leave out, and BTC 15-minute windows with
the logger's books.

Every market is a REAL Gamma market object (``gamma/market_btc_updown_5m_1784850900_resolved_up.json``, the
resolved BTC 5-minute market) with only its ids, slug, tokens, outcomes, prices, UMA status and closedTime
varied, mapped to bronze rows by bronze's own code (``bronze/rows.py`` + ``coerce_row``); the v2 records are the
real ``/v2/resolutions`` records moved onto each market. Price points and trades are synthetic values in the
bronze shapes. The BTC windows and their books come from the replay (``polymarket_assets/replay/btc_windows.py``,
synthetic books on the real CLOB book body), compacted by ``bronze/orderbook_snapshots``' own code.

Calibration markets ``CAL[i]`` (i < 12) resolve at ``RESOLVED[i]``; the first token's price history has, per
horizon h: a point at resolved − h − 5 min with the price ``EXPECTED[(i, h)]`` (the one calibration must use),
a later point at resolved − h + 10 min (after the horizon: must not be used), the same instant again at a
coarser resolution (the finest series wins) and, near resolution, a last trade at 0.99/0.01 (never used).
Even markets embed event 30829 (tag 'Politics'), odd ones no event ('uncategorized').
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from polymarket_assets.bronze.datasets import orderbook_snapshots
from polymarket_assets.replay import btc_windows
from polymarket_assets_tests.silver.bronze_fixtures import (
    EVENT,
    MARKET_BTC,
    resolution_rows,
    trade_row,
    v2_record,
    write_lake,
    write_partition,
)

UTC = dt.timezone.utc
N_CAL = 12
HORIZONS = {"1h": dt.timedelta(hours=1), "24h": dt.timedelta(hours=24), "7d": dt.timedelta(days=7)}
BASE = dt.datetime(2026, 10, 1, 6, 0, tzinfo=UTC)
RESOLVED = [BASE + dt.timedelta(hours=5 * i) for i in range(N_CAL)]
WINS = [i % 3 != 0 for i in range(N_CAL)]  # does the first outcome win?
BTC_DAY = dt.date(2026, 10, 5)
BTC_WINDOWS = 6


def _hex(seed: str) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()


def _price(i: int, horizon: str) -> Decimal:
    """The forecast calibration must read for market i at a horizon: informative, but not perfect."""
    base = {"1h": Decimal("0.25"), "24h": Decimal("0.15"), "7d": Decimal("0.05")}[horizon]
    lean = base + Decimal(i % 4) * Decimal("0.06")  # at most 0.43: prices stay inside (0, 1)
    return (Decimal("0.5") + lean if WINS[i] else Decimal("0.5") - lean).quantize(Decimal("0.000001"))


EXPECTED: dict[tuple[int, str], Decimal] = {(i, h): _price(i, h) for i in range(N_CAL) for h in HORIZONS}


def market(seed: str, market_id: int, *, closed_at: dt.datetime, prices: list[str], outcomes: list[str] | None = None,
           uma: str | None = "resolved", event: bool = False, slug: str | None = None) -> dict[str, Any]:
    """The real resolved BTC 5-minute market moved onto a new identity and resolution."""
    m = copy.deepcopy(MARKET_BTC)
    outcomes = outcomes or ["Up", "Down"]
    m.update(
        id=str(market_id), conditionId="0x" + _hex(f"condition/{seed}"), questionID="0x" + _hex(f"question/{seed}"),
        slug=slug or f"gold-fixture-{seed}", question=f"Gold fixture market {seed}?",
        outcomes=json.dumps(outcomes), outcomePrices=json.dumps(prices),
        clobTokenIds=json.dumps([str(int(_hex(f"token/{seed}/{k}")[:30], 16)) for k in range(len(outcomes))]),
        closedTime=closed_at.strftime("%Y-%m-%d %H:%M:%S+00"), umaEndDate=closed_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        startDate=(closed_at - dt.timedelta(days=10)).strftime("%Y-%m-%dT%H:%M:%S.000000Z"),
        endDate=closed_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
    )
    if uma is None:
        m.pop("umaResolutionStatus", None)
    else:
        m["umaResolutionStatus"] = uma
    if event:
        m["events"] = [{"id": EVENT["id"], "slug": EVENT["slug"]}]
    return m


CAL = [market(f"cal{i}", 5_000_000 + i, closed_at=RESOLVED[i], prices=["1", "0"] if WINS[i] else ["0", "1"], event=i % 2 == 0)
       for i in range(N_CAL)]
VOID = market("void", 5_100_000, closed_at=BASE + dt.timedelta(hours=3), prices=["0.5", "0.5"])
PENDING = market("pending", 5_100_001, closed_at=BASE + dt.timedelta(hours=4), prices=["1", "0"], uma=None)
DISPUTED = market("disputed", 5_100_002, closed_at=BASE + dt.timedelta(hours=5), prices=["0.62", "0.38"], uma="disputed")
THREE_WAY = market("three", 5_100_003, closed_at=BASE + dt.timedelta(hours=6), prices=["0", "1", "0"], outcomes=["A", "B", "C"])
EXCLUDED = (VOID, PENDING, DISPUTED, THREE_WAY)


def tokens(m: dict[str, Any]) -> list[str]:
    return json.loads(m["clobTokenIds"])


def _points(m: dict[str, Any], resolved: dt.datetime, prices: dict[str, Decimal]) -> list[dict[str, Any]]:
    token = tokens(m)[0]
    rows = []
    for h, delta in HORIZONS.items():
        at = resolved - delta
        good = prices[h]
        later = Decimal("0.999000") if good < Decimal("0.5") else Decimal("0.001000")  # after the horizon: a tell
        rows.append({"ts": at - dt.timedelta(minutes=5), "price": good, "resolution_seconds": 60})
        rows.append({"ts": at - dt.timedelta(minutes=5), "price": Decimal("0.5"), "resolution_seconds": 3600})  # coarser series
        rows.append({"ts": at + dt.timedelta(minutes=10), "price": later, "resolution_seconds": 60})
    return [{"token_id": token, "condition_id": m["conditionId"], "source": "clob:/batch-prices-history", **r} for r in rows]


def _last_trades(m: dict[str, Any], resolved: dt.datetime, first_wins: bool, n: int) -> list[dict[str, Any]]:
    """A trade 2 minutes before resolution at the extreme price (what a last-trade forecast would use)."""
    t = {
        "proxy_wallet": "0x" + _hex(f"wallet/{n}")[:40], "side": "BUY", "token_id": tokens(m)[0], "condition_id": m["conditionId"],
        "size": "10", "price": "0.99" if first_wins else "0.01", "timestamp": int((resolved - dt.timedelta(minutes=2)).timestamp()),
        "title": m["question"], "slug": m["slug"], "event_slug": "", "outcome": "Up", "outcome_index": 0, "name": None,
        "pseudonym": None, "transaction_hash": "0x" + _hex(f"tx/gold/{n}"),
    }
    return [trade_row(t)]


def btc_windows_for_tests() -> list[btc_windows.Window]:
    return btc_windows.build_windows([BTC_DAY], per_day=BTC_WINDOWS, seed="gold-btc")


def write_gold_lake(root: Path) -> Path:
    """The silver fixture lake plus everything above; returns ``root`` (the lake's data_dir)."""
    write_lake(root)
    by_day: dict[tuple[str, dt.date], list[dict[str, Any]]] = {}
    for i, m in enumerate(CAL):
        records = [v2_record(m)]
        by_day.setdefault(("resolutions", RESOLVED[i].date()), []).append(resolution_rows(m, records))
        for p in _points(m, RESOLVED[i], {h: EXPECTED[(i, h)] for h in HORIZONS}):
            by_day.setdefault(("prices", p["ts"].date()), []).append(p)
        for t in _last_trades(m, RESOLVED[i], WINS[i], i):
            by_day.setdefault(("trades", t["ts"].date()), []).append(t)
    for m in EXCLUDED:
        closed = dt.datetime.strptime(m["closedTime"], "%Y-%m-%d %H:%M:%S+00").replace(tzinfo=UTC)
        records = [] if m is PENDING else [v2_record(m)] if m is not DISPUTED else [v2_record(m, 1)]
        by_day.setdefault(("resolutions", closed.date()), []).append(resolution_rows(m, records))
        for p in _points(m, closed, dict.fromkeys(HORIZONS, Decimal("0.7"))):
            by_day.setdefault(("prices", p["ts"].date()), []).append(p)
    windows = btc_windows_for_tests()
    for k, w in enumerate(windows):
        if k == len(windows) - 1:
            continue  # the last window has no resolution row yet: no outcome
        override = {"outcomePrices": json.dumps(["0.5", "0.5"])} if k == 0 else {}  # the first one is void
        closed = dt.datetime.fromtimestamp(w.start + 900 + 16, UTC)
        by_day.setdefault(("resolutions", closed.date()), []).append(resolution_rows(w.market, [v2_record(w.market)], **override))
    for (dataset, day), rows in sorted(by_day.items(), key=lambda kv: (kv[0][0], kv[0][1])):
        write_partition(root, dataset, day, rows)
    btc_windows.write_logger_files(root / "stream", windows, cadence_seconds=30)
    orderbook_snapshots.write_partition(root / "stream", root / "bronze", BTC_DAY.isoformat())
    return root
