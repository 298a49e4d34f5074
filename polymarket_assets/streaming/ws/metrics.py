"""Run metrics of the WebSocket capture, per venue: messages/s and level changes/s, reconnects, resyncs,
gaps, malformed and unknown frames, and the raw-log writer's lag. Logged periodically and returned at the end
of a run (the Dagster job will put the final snapshot in its materialization metadata)."""

from __future__ import annotations

import logging
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)

@dataclass
class VenueMetrics:
    """Counters of one venue's connection layer; the book machine and the writer keep their own."""

    venue: str
    machine: Any
    writer: Any
    counts: Counter[str] = field(default_factory=Counter)
    connections_open: int = 0
    started: float = field(default_factory=time.monotonic)
    _last_at: float = field(default_factory=time.monotonic)
    _last_frames: int = 0
    _last_changes: int = 0

    def incr(self, key: str, by: int = 1) -> None:
        self.counts[key] += by

    def snapshot(self, *, reset_rates: bool = True) -> dict[str, Any]:
        now = time.monotonic()
        m = self.machine.counts
        frames = m.get("frames", 0) - m.get("pongs", 0)
        changes = m.get("level_changes", 0)
        window = max(now - self._last_at, 1e-9)
        elapsed = max(now - self.started, 1e-9)
        out: dict[str, Any] = {
            "venue": self.venue,
            "messages": frames,
            "level_changes": changes,
            "messages_per_s": round((frames - self._last_frames) / window, 1),
            "changes_per_s": round((changes - self._last_changes) / window, 1),
            "messages_per_s_run": round(frames / elapsed, 1),
            "changes_per_s_run": round(changes / elapsed, 1),
            "books": m.get("book", 0) + m.get("books", 0) + m.get("rest_books", 0),
            "reconnects": self.counts.get("reconnects", 0),
            "connect_failures": self.counts.get("connect_failures", 0),
            "connections_open": self.connections_open,
            "resyncs": self.counts.get("resyncs", 0),
            "resync_assets": self.counts.get("resync_assets", 0),
            "gaps_opened": m.get("gaps_opened", 0),
            "gaps_closed": m.get("gaps_closed", 0),
            "stale_by_reason": {k[6:]: v for k, v in m.items() if k.startswith("stale_")},
            "malformed_frames": m.get("malformed", 0),
            "unknown_events": m.get("unknown", 0),
            "unknown_types": dict(self.machine.unknown_types),
            "changes_ignored_stale": m.get("changes_ignored_stale", 0),
            "crossed_tops": m.get("crossed_tops", 0),
        }
        if self.writer is not None:
            out.update({f"writer_{k}": v for k, v in self.writer.stats.snapshot().items()})
            out["writer_pending"] = self.writer.pending
        if reset_rates:
            self._last_at, self._last_frames, self._last_changes = now, frames, changes
        return out


def log_line(snapshot: dict[str, Any]) -> str:
    return (
        f"{snapshot['venue']}: {snapshot['messages_per_s']} msg/s, {snapshot['changes_per_s']} changes/s, "
        f"{snapshot['connections_open']} connections, reconnects={snapshot['reconnects']} resyncs={snapshot['resyncs']} "
        f"gaps={snapshot['gaps_opened']}/{snapshot['gaps_closed']} closed, malformed={snapshot['malformed_frames']} "
        f"unknown={snapshot['unknown_events']}, writer lag {snapshot.get('writer_lag_seconds')} s "
        f"pending={snapshot.get('writer_pending')}"
    )
