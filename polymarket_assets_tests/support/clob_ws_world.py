"""The order books a local market-channel server keeps, and the frames it sends, built from real captures.

Two kinds of worlds:

* :meth:`MarketWorld.real_burst` — the real capture ``market_channel_book_then_price_change_burst_2026.json``:
  its ``book`` and its 15 ``price_change`` frames, sent verbatim (byte-identical values).
* :meth:`MarketWorld.synthetic` — SYNTHETIC markets: the shapes of the real frames (``book`` with
  ``tick_size``/``last_trade_price``/``hash``; batched ``price_change`` carrying the mirrored change of both
  outcome tokens, as the real burst does) with made-up token ids, prices and sizes. Token ids are 77-digit
  numbers starting ``9999`` so they cannot be mistaken for real ones.

The server's books are kept here with plain dicts and ``max``/``min`` — an implementation independent of the
client's :class:`~polymarket_assets.streaming.ws.book.Book` — so comparing the two proves something.
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

REAL = Path(__file__).resolve().parents[1] / "fixtures" / "real"
BURST = "market_channel_book_then_price_change_burst_2026.json"
ONE = Decimal(1)
TICK = Decimal("0.001")


def real_frames(name: str) -> Any:
    return json.loads((REAL / "clob_ws" / name).read_text())


@dataclass
class ServerBook:
    asset_id: str
    market: str
    bids: dict[Decimal, Decimal] = field(default_factory=dict)
    asks: dict[Decimal, Decimal] = field(default_factory=dict)
    tick_size: str = "0.001"
    hash: str = ""
    timestamp_ms: int = 0
    last_trade_price: str | None = None

    def set(self, side: str, price: Decimal, size: Decimal) -> None:
        levels = self.bids if side == "BUY" else self.asks
        if size == 0:
            levels.pop(price, None)
        else:
            levels[price] = size

    def best_bid(self) -> Decimal | None:
        return max(self.bids) if self.bids else None

    def best_ask(self) -> Decimal | None:
        return min(self.asks) if self.asks else None

    def levels(self) -> tuple[list[tuple[Decimal, Decimal]], list[tuple[Decimal, Decimal]]]:
        return sorted(self.bids.items(), reverse=True), sorted(self.asks.items())

    def frame(self) -> dict[str, Any]:
        """The ``book`` event in the 2026 wire shape (bids ascending, asks descending: best LAST)."""
        return {
            "market": self.market,
            "asset_id": self.asset_id,
            "timestamp": str(self.timestamp_ms),
            "hash": self.hash,
            "bids": [{"price": str(p), "size": str(s)} for p, s in sorted(self.bids.items())],
            "asks": [{"price": str(p), "size": str(s)} for p, s in sorted(self.asks.items(), reverse=True)],
            "tick_size": self.tick_size,
            "event_type": "book",
            "last_trade_price": self.last_trade_price or "",
        }


def _hash(*parts: object) -> str:
    return hashlib.sha1("|".join(map(str, parts)).encode()).hexdigest()


def _side_of(text: str) -> str:
    return "BUY" if text == "BUY" else "SELL"


class MarketWorld:
    def __init__(self, seed: int = 7):
        self.books: dict[str, ServerBook] = {}
        self.complement: dict[str, str] = {}
        self.rng = random.Random(seed)
        self.clock_ms = 1_790_658_700_000
        self.scripted: list[dict[str, Any]] = []  # real frames to send verbatim, in order
        self.changes_sent = 0

    # -- construction -------------------------------------------------------------------------------
    @classmethod
    def real_burst(cls) -> "MarketWorld":
        """The real capture: one asset's book (the burst holds no book of the complementary token)."""
        frames = real_frames(BURST)
        world = cls()
        raw = frames[0]
        book = ServerBook(raw["asset_id"], raw["market"], tick_size=raw["tick_size"], hash=raw["hash"],
                          timestamp_ms=int(raw["timestamp"]), last_trade_price=raw.get("last_trade_price"))
        for lvl in raw["bids"]:
            book.set("BUY", Decimal(lvl["price"]), Decimal(lvl["size"]))
        for lvl in raw["asks"]:
            book.set("SELL", Decimal(lvl["price"]), Decimal(lvl["size"]))
        world.books[book.asset_id] = book
        world.scripted = frames[1:]
        return world

    @classmethod
    def synthetic(cls, markets: int, *, seed: int = 7, levels: int = 12) -> "MarketWorld":
        """SYNTHETIC: ``markets`` binary markets (two mirrored tokens each), real shapes, invented values."""
        world = cls(seed)
        for m in range(markets):
            market = "0x" + _hash("synthetic-market", seed, m)[:40] + "0" * 24
            yes, no = world.token_id(seed, m, 0), world.token_id(seed, m, 1)
            world.complement[yes], world.complement[no] = no, yes
            mid = Decimal(world.rng.randint(150, 850)) * TICK
            a = ServerBook(yes, market, timestamp_ms=world.clock_ms)
            b = ServerBook(no, market, timestamp_ms=world.clock_ms)
            for i in range(1, levels + 1):
                size = Decimal(world.rng.randint(5, 50_000)) / 100
                bid, ask = mid - i * TICK, mid + i * TICK
                a.set("BUY", bid, size)
                b.set("SELL", ONE - bid, size)
                size = Decimal(world.rng.randint(5, 50_000)) / 100
                a.set("SELL", ask, size)
                b.set("BUY", ONE - ask, size)
            for book in (a, b):
                book.hash = _hash(book.asset_id, 0)
                world.books[book.asset_id] = book
        return world

    @staticmethod
    def token_id(seed: int, market: int, outcome: int) -> str:
        digest = int(_hash("synthetic-token", seed, market, outcome), 16)
        return "9999" + str(digest).rjust(73, "0")[:73]

    def asset_ids(self) -> list[str]:
        return list(self.books)

    # -- changes --------------------------------------------------------------------------------------
    def tick(self) -> int:
        self.clock_ms += self.rng.randint(1, 40)
        return self.clock_ms

    def _entry(self, book: ServerBook, side: str, price: Decimal, size: Decimal) -> dict[str, str]:
        book.set(side, price, size)
        book.hash = _hash(book.asset_id, self.clock_ms, price, size)
        book.timestamp_ms = self.clock_ms
        return {
            "asset_id": book.asset_id,
            "price": str(price),
            "size": str(size),
            "side": side,
            "hash": book.hash,
            "best_bid": str(book.best_bid() or "0"),
            "best_ask": str(book.best_ask() or "1"),
        }

    def random_change(self, asset_id: str, *, apply_only: bool = False) -> dict[str, Any] | None:
        """A real-shaped batched ``price_change`` for ``asset_id`` and its mirrored complement, applied to the
        server books. ``apply_only`` changes the books without returning a frame (a lost delta)."""
        book = self.books[asset_id]
        other = self.books.get(self.complement.get(asset_id, ""))
        self.tick()
        side = self.rng.choice(("BUY", "SELL"))
        levels = book.bids if side == "BUY" else book.asks
        best = book.best_bid() if side == "BUY" else book.best_ask()
        roll = self.rng.random()
        if levels and roll < 0.3:
            price = self.rng.choice(list(levels))
            size = Decimal(0)
        else:
            ref = best if best is not None else Decimal("0.5")
            step = self.rng.randint(-1, 6) * TICK
            price = ref - step if side == "BUY" else ref + step
            opposite = book.best_ask() if side == "BUY" else book.best_bid()
            if opposite is not None and ((side == "BUY" and price >= opposite) or (side == "SELL" and price <= opposite)):
                price = opposite - TICK if side == "BUY" else opposite + TICK  # never cross the synthetic book
            price = min(max(price, TICK), ONE - TICK)
            size = Decimal(self.rng.randint(1, 500_000)) / 100
        entries = [self._entry(book, side, price, size)]
        if other is not None:
            entries.append(self._entry(other, "SELL" if side == "BUY" else "BUY", ONE - price, size))
        if self.rng.random() < 0.5:
            entries.reverse()  # the real burst sends the two tokens in either order
        if apply_only:
            return None
        self.changes_sent += len(entries)
        return {"market": book.market, "price_changes": entries, "timestamp": str(self.clock_ms), "event_type": "price_change"}

    def apply_scripted(self, frame: dict[str, Any]) -> None:
        """Apply a real scripted ``price_change`` to the server's books (entries of unknown assets skipped)."""
        for entry in frame.get("price_changes", []):
            book = self.books.get(entry["asset_id"])
            if book is not None:
                book.set(_side_of(entry["side"]), Decimal(entry["price"]), Decimal(entry["size"]))

    def hidden_top_change(self, asset_id: str) -> None:
        """Change the best bid without telling anyone (a lost delta the next message's best_bid reveals)."""
        book = self.books[asset_id]
        best = book.best_bid() or Decimal("0.1")
        book.set("BUY", best, Decimal(0))
        other = self.books.get(self.complement.get(asset_id, ""))
        if other is not None:
            other.set("SELL", ONE - best, Decimal(0))

    def tick_size_frame(self, asset_id: str, new: str) -> dict[str, Any]:
        """A ``tick_size_change`` in the real shape (``tick_size_change_2025.json``)."""
        book = self.books[asset_id]
        old, book.tick_size = book.tick_size, new
        return {"asset_id": asset_id, "event_type": "tick_size_change", "market": book.market,
                "new_tick_size": new, "old_tick_size": old, "timestamp": str(self.tick())}
