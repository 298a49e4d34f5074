"""Gap events: the periods in which an asset's book was not known to be right.

A gap opens when a book that was being maintained becomes untrustworthy (``reason``: ``bbo_mismatch``,
``tick_size_change``, ``reconnect``, ``silence``, ``malformed``, ``no_snapshot``, ``stop``) and closes when a fresh full
book arrives (``closed_by``: ``book`` or ``rest``), or when the asset stops being followed (``unsubscribed``,
``resolved``). ``start_ns`` is the last moment the book was known right (the last passed check, the last
frame on a connection that went silent or dropped); ``detected_ns`` is when the problem was seen. Gaps still
open at the end of a run are reported with ``end_ns = None``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

BBO_MISMATCH = "bbo_mismatch"
TICK_SIZE_CHANGE = "tick_size_change"
RECONNECT = "reconnect"
SILENCE = "silence"
MALFORMED = "malformed"
NO_SNAPSHOT = "no_snapshot"
STOP = "stop"  # the run stopped: the books are no longer maintained (closed by the next run's books)
REASONS = (BBO_MISMATCH, TICK_SIZE_CHANGE, RECONNECT, SILENCE, MALFORMED, NO_SNAPSHOT, STOP)


def close_reason(data: str) -> str:
    """The gap reason of a ``close`` record: ``stop`` for a deliberate stop, else ``reconnect``."""
    return STOP if data.startswith('{"reason": "stop"') or data.startswith('{"reason":"stop"') else RECONNECT


@dataclass(slots=True)
class Gap:
    venue: str
    asset_id: str
    market: str | None
    conn: str | None
    reason: str
    start_ns: int
    detected_ns: int
    end_ns: int | None = None
    closed_by: str | None = None
    detail: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)
