"""Which assets (Polymarket tokens) or markets (Limitless slugs) a stream should follow right now.

Targets come from a discovery callable returning the instrument dicts of
:mod:`polymarket_assets.streaming.instruments` (so the existing Gamma / Limitless discoverers feed it
unchanged: BTC 15-minute windows, slugs, tag, top N, all active), plus, in ``all_active`` mode, markets
announced live by ``new_market``. A target is wanted from ``lead_seconds`` before its ``active_from`` (the
next BTC window is subscribed before the boundary, so its book is complete when trading starts) until
``grace_seconds`` after its ``active_until`` (the last changes of an expiring window are kept), and never
after a ``market_resolved`` for it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Target:
    key: str  # Polymarket: token id; Limitless: market slug
    market: str | None = None
    source: str | None = None
    active_from: float | None = None
    active_until: float | None = None


def targets_from_instruments(instruments: Iterable[dict[str, Any]], venue: str) -> list[Target]:
    out: list[Target] = []
    for inst in instruments:
        if inst.get("venue") != venue:
            continue
        key = (inst.get("token_id") or inst.get("poll_key")) if venue == "polymarket" else (inst.get("poll_key") or inst.get("slug"))
        if not key:
            continue
        out.append(Target(str(key), inst.get("market_id"), inst.get("source"), inst.get("active_from"), inst.get("active_until")))
    return out


class Selection:
    def __init__(self, *, lead_seconds: float = 120.0, grace_seconds: float = 60.0):
        self.lead_seconds = lead_seconds
        self.grace_seconds = grace_seconds
        self._discovered: dict[str, Target] = {}
        self._live: dict[str, Target] = {}
        self._resolved: set[str] = set()

    def update_discovered(self, targets: Iterable[Target]) -> None:
        """Replace the discovered set (one discovery pass)."""
        self._discovered = {t.key: t for t in targets}
        for key in list(self._live):
            if key in self._discovered:
                del self._live[key]  # discovery caught up with a live-added market

    def add_live(self, targets: Iterable[Target]) -> list[str]:
        added = []
        for t in targets:
            if t.key not in self._resolved and t.key not in self._discovered and t.key not in self._live:
                self._live[t.key] = t
                added.append(t.key)
        return added

    def resolve(self, keys: Iterable[str]) -> None:
        for key in keys:
            self._resolved.add(key)
            self._live.pop(key, None)

    def wanted(self, now: float) -> dict[str, Target]:
        out: dict[str, Target] = {}
        for group in (self._discovered, self._live):
            for key, t in group.items():
                if key in self._resolved:
                    continue
                if t.active_from is not None and now < t.active_from - self.lead_seconds:
                    continue
                if t.active_until is not None and now >= t.active_until + self.grace_seconds:
                    continue
                out[key] = t
        return out
