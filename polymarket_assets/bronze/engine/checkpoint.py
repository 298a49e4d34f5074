"""Range-backfill checkpoints: which days of a range run are already committed, so a failed range resumes.

File: ``<lake.state>/checkpoints/<asset>/<first>..<last>.json`` (one per asset and exact range), e.g.
``data/_state/checkpoints/trades/2026-11-01..2026-11-07.json``::

    {"asset": "trades", "first": "2026-11-01", "last": "2026-11-07", "status": "running",
     "run_id": "<latest attempt>", "runs": ["<attempt 1>", "<attempt 2>"], "updated_at": "...",
     "days": {"2026-11-07": {"rows": 1234, "bytes": 56789, "run_id": "<attempt 1>", "committed_at": "..."}}}

The file is in the lake (``LakeResource.state``), so a re-run on another machine finds it. Every write
replaces it atomically (``LakePath.write_bytes``: locally a temporary file renamed over it, on S3 one PUT), so
a crash leaves either the previous or the new checkpoint, never a torn one. One run writes a range's
checkpoint at a time (a range is one run), so there is no concurrent writer to race with.

Resume rule: a day is skipped when the checkpoint of an earlier, *unfinished* attempt of the same range lists
it **and** its partition is on disk (a listed day whose files were deleted is fetched again). ``fresh=True``
ignores the checkpoint. When a range completes, its checkpoint is removed (:meth:`RangeCheckpoint.clear`), so
re-running a finished range refreshes every day. A different range, even an overlapping one, has its own
checkpoint and starts from scratch.

Two ways to use it::

    cp = RangeCheckpoint(lake.state, "trades", first, last)      # low level
    done = cp.load(fresh=False)                                   # days listed by an unfinished attempt
    cp.mark_done(day, rows, size, run_id)                         # after each atomic commit
    cp.clear()                                                    # the whole range is committed

    cp = RangeCheckpoint.open(lake.state, "trades", days, run_id, fresh=False,
                              exists=lambda d: partition_exists(lake.bronze, "trades", d))
    cp.resumed_days                                               # done AND on disk: skip these
"""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
from collections.abc import Callable, Sequence
from typing import Any

from polymarket_assets.bronze.partitions import to_day
from polymarket_assets.lake import LakePath, as_lake_path
from polymarket_assets.paths import component

RUNNING = "running"
FAILED = "failed"
#: top-level keys an asset may store (``mark_done(top=...)``) that carry over to the next attempt.
CARRIED_KEYS = ("resume",)


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds")


def checkpoint_path(state_root: LakePath | str | os.PathLike[str], asset: str, first: dt.date | str, last: dt.date | str) -> LakePath:
    return as_lake_path(state_root) / "checkpoints" / component(asset, "asset") / f"{to_day(first).isoformat()}..{to_day(last).isoformat()}.json"


class RangeCheckpoint:
    """The checkpoint of one asset's range ``[first, last]``. Thread-safe for one attempt's writers."""

    def __init__(self, state_root: LakePath | str | os.PathLike[str], asset: str, first: dt.date | str, last: dt.date | str):
        self.asset = asset
        self.first = to_day(first)
        self.last = to_day(last)
        if self.last < self.first:
            raise ValueError(f"checkpoint range {self.first}..{self.last} is reversed")
        self.path = checkpoint_path(state_root, asset, self.first, self.last)
        self._lock = threading.Lock()
        self.state: dict[str, Any] = self._blank(run_id=None, runs=[])
        #: days taken over from an earlier attempt (listed AND on disk when opened with ``open``).
        self.resumed: dict[str, dict[str, Any]] = {}

    # -- reading --------------------------------------------------------------------------------
    def _blank(self, *, run_id: str | None, runs: list[str]) -> dict[str, Any]:
        return {
            "asset": self.asset,
            "first": self.first.isoformat(),
            "last": self.last.isoformat(),
            "status": RUNNING,
            "run_id": run_id,
            "runs": runs,
            "created_at": _now(),
            "updated_at": _now(),
            "days": {},
        }

    def read(self) -> dict[str, Any] | None:
        """The stored checkpoint, or ``None`` when absent or unreadable (then the range starts over)."""
        try:
            value = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except ValueError:
            return None  # torn or foreign content: the range starts over
        return value if isinstance(value, dict) else None

    def load(self, *, fresh: bool = False) -> set[dt.date]:
        """Start an attempt: adopt the days an earlier unfinished attempt committed (none when ``fresh``).

        Returns those days; callers must still check each is on disk (``open`` does it for you).
        """
        previous = None if fresh else self.read()
        days: dict[str, dict[str, Any]] = {}
        runs: list[str] = []
        if previous is not None:
            runs = [r for r in previous.get("runs", []) if isinstance(r, str)]
            for key, record in (previous.get("days") or {}).items():
                try:
                    day = to_day(key)
                except ValueError:
                    continue
                if self.first <= day <= self.last and isinstance(record, dict):
                    days[day.isoformat()] = record
        with self._lock:
            self.state = self._blank(run_id=None, runs=runs)
            if previous is not None and days:
                self.state["created_at"] = previous.get("created_at", self.state["created_at"])
                for key in CARRIED_KEYS:
                    if key in previous:
                        self.state[key] = previous[key]
            self.state["days"] = days
        return {to_day(k) for k in days}

    @classmethod
    def open(
        cls,
        state_root: LakePath | str | os.PathLike[str],
        asset: str,
        days: Sequence[dt.date],
        run_id: str | None,
        *,
        fresh: bool,
        exists: Callable[[dt.date], bool],
    ) -> "RangeCheckpoint":
        """Load (or start) the checkpoint of ``days``; keep only listed days that ``exists(day)`` on disk;
        record this attempt's ``run_id`` and save."""
        ordered = sorted(to_day(d) for d in days)
        if not ordered:
            raise ValueError("a checkpoint needs at least one day")
        checkpoint = cls(state_root, asset, ordered[0], ordered[-1])
        listed = checkpoint.load(fresh=fresh)
        wanted = set(ordered)
        with checkpoint._lock:
            kept = {k: v for k, v in checkpoint.state["days"].items() if to_day(k) in wanted and to_day(k) in listed and exists(to_day(k))}
            checkpoint.state["days"] = kept
            checkpoint.resumed = dict(kept)
            checkpoint.state["run_id"] = run_id
            checkpoint.state["fresh"] = bool(fresh)
            if run_id:
                checkpoint.state["runs"] = checkpoint.state["runs"] + [run_id]
            checkpoint._save()
        return checkpoint

    # -- progress -------------------------------------------------------------------------------
    @property
    def done_days(self) -> set[dt.date]:
        return {to_day(k) for k in self.state["days"]}

    @property
    def resumed_days(self) -> set[dt.date]:
        return {to_day(k) for k in self.resumed}

    def mark_done(
        self, day: dt.date | str, rows: int, size: int, run_id: str | None = None, *, top: dict[str, Any] | None = None, **extra: Any
    ) -> None:
        """Record a committed day (call right after its partition was swapped in). Saved atomically.

        ``top`` updates top-level keys in the same write (e.g. ``{"resume": ...}``: where each cursor chain of
        ``bronze/trades`` can restart); keys in ``CARRIED_KEYS`` survive into the next attempt's checkpoint.
        """
        with self._lock:
            if top:
                self.state.update(top)
            if run_id and self.state.get("run_id") is None:
                self.state["run_id"] = run_id
                if run_id not in self.state["runs"]:
                    self.state["runs"].append(run_id)
            self.state["days"][to_day(day).isoformat()] = {
                "rows": int(rows),
                "bytes": int(size),
                "run_id": run_id or self.state.get("run_id"),
                "committed_at": _now(),
                **extra,
            }
            self._save()

    def record_day(self, day: dt.date | str, *, rows: int, bytes_written: int, **extra: Any) -> None:
        self.mark_done(day, rows, bytes_written, self.state.get("run_id"), **extra)

    def fail(self, reason: str | None = None) -> None:
        """Keep the checkpoint for the next attempt, marked ``failed`` (with the reason)."""
        with self._lock:
            self.state["status"] = FAILED
            if reason:
                self.state["last_error"] = reason[:2000]
            self._save()

    def clear(self) -> None:
        """The whole range is committed: remove the checkpoint (a later run of the range refreshes it)."""
        with self._lock:
            self.path.unlink(missing_ok=True)

    def _save(self) -> None:
        self.state["updated_at"] = _now()
        self.path.write_bytes(json.dumps(self.state, indent=2, sort_keys=True).encode("utf-8"))
