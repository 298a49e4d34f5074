"""The slow path: runs each venue's discoverer on its own cadence, publishes the active set as an atomic
snapshot file and appends market metadata as JSONL.

``state/active_instruments.snapshot.json``::

    {"version": 1, "written_at": "...Z",
     "sources": {"polymarket_btc15m": {"venue": "polymarket", "ok": true, "error": null,
                                        "refreshed_at": "...Z", "count": 4, "warnings": [...]}, ...},
     "instruments": [<instrument dict>, ...]}

Each source runs in its own thread on its own cadence, **including its first pass** (a slow, failing or
hanging Limitless listing never delays the BTC next-window lookup, at start-up or later); the merged set is
published under a lock after every pass of any source, so the poller picks up a source's instruments as
soon as that source has them. ``first_pass_done`` is set once every source has finished one pass (ok or
failed); a source still in its first pass has ``"ok": null`` in ``sources``. The file is written to a temp file in
the same directory, fsynced, then ``os.replace``d over the old one, so
a reader (the poller) sees the old or the new file, never a half-written one. A discoverer that raises
keeps its previous instruments (stale beats empty) and its error is recorded in ``sources``.

Metadata: ``stream/<venue>/markets/date=YYYY-MM-DD/markets.jsonl`` gets one line per market on every
discovery pass of its source.
"""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path
from typing import Any, Callable, Iterable

from polymarket_assets.atomic_files import atomic_write_json
from polymarket_assets.paths import child, component
from polymarket_assets.streaming.clock import Clock, iso_ms
from polymarket_assets.streaming.instruments import Instrument, validate
from polymarket_assets.streaming.stats import LoggerStats
from polymarket_assets.streaming.venues import Discoverer

SNAPSHOT_NAME = "active_instruments.snapshot.json"
SNAPSHOT_VERSION = 1


def read_snapshot(path: Path) -> list[Instrument]:
    """Load and validate a snapshot file; raises ``ValueError``/``OSError`` on a bad one."""
    with open(path, "rb") as fh:
        payload = json.loads(fh.read())
    if not isinstance(payload, dict) or not isinstance(payload.get("instruments"), list):
        raise ValueError(f"{path} is not an instrument snapshot (no 'instruments' list)")
    instruments = payload["instruments"]
    bad = [i for i in instruments if not validate(i)]
    if bad:
        raise ValueError(f"{path} has {len(bad)} malformed instrument(s), e.g. {bad[0]!r}")
    return instruments


class DiscoveryThread(threading.Thread):
    def __init__(
        self,
        discoverers: Iterable[Discoverer],
        *,
        snapshot_path: Path,
        stream_dir: Path,
        clock: Clock,
        stop_event: threading.Event,
        stats: LoggerStats,
        log: logging.Logger | None = None,
        heartbeat_seconds: float = 60.0,
        on_publish: Callable[[list[Instrument]], None] | None = None,
    ):
        super().__init__(name="orderbook-discovery", daemon=True)
        self.discoverers = list(discoverers)
        self.snapshot_path = snapshot_path
        self.stream_dir = stream_dir
        self.clock = clock
        self.stop_event = stop_event
        self.stats = stats
        self.log = log or logging.getLogger(__name__)
        self.heartbeat_seconds = heartbeat_seconds
        self.on_publish = on_publish
        self._current: dict[str, list[Instrument]] = {d.source: [] for d in self.discoverers}
        self._status: dict[str, dict[str, Any]] = {
            d.source: {"venue": d.venue, "ok": None, "error": None, "refreshed_at": None, "count": 0, "warnings": []}
            for d in self.discoverers
        }
        self._next_due: dict[str, float] = {d.source: 0.0 for d in self.discoverers}
        self._last_published: str | None = None
        self._last_write_mono = float("-inf")
        self._lock = threading.RLock()
        self._workers: list[threading.Thread] = []
        #: set once every source has finished its first pass (successfully or not)
        self.first_pass_done = threading.Event()
        self._first_pending: set[str] = {d.source for d in self.discoverers}
        if not self._first_pending:
            self.first_pass_done.set()

    # -- one pass ----------------------------------------------------------------------------
    def run_due(self, force: bool = False) -> bool:
        """Run every discoverer that is due (all when ``force``); publish if anything changed."""
        now_mono = self.clock.monotonic()
        ran: list[str] = []
        try:
            for disc in self.discoverers:
                if not force and now_mono < self._next_due[disc.source]:
                    continue
                self._next_due[disc.source] = now_mono + disc.interval_seconds
                ran.append(disc.source)
                self._run_one_inner(disc)
            if ran or now_mono - self._last_write_mono >= self.heartbeat_seconds:
                with self._lock:
                    self.publish()
        finally:
            for source in ran:
                self._first_pass_finished(source)
        return bool(ran)

    def pending_sources(self) -> list[str]:
        """Sources that have not finished their first pass yet."""
        with self._lock:
            return sorted(self._first_pending)

    def _first_pass_finished(self, source: str) -> None:
        with self._lock:
            self._first_pending.discard(source)
            if not self._first_pending:
                self.first_pass_done.set()

    def _run_one_inner(self, disc: Discoverer) -> None:
        now = self.clock.time()
        status = self._status[disc.source]
        self.stats.incr("discovery_runs")
        try:
            result = disc.discover(now)
        except Exception as exc:
            self.stats.incr("discovery_errors")
            with self._lock:
                status.update(ok=False, error=f"{type(exc).__name__}: {exc}"[:500])
            self.log.warning("discovery %s failed (keeping %d previous instruments): %s", disc.source, len(self._current[disc.source]), exc)
            return
        with self._lock:
            self._current[disc.source] = result.instruments
            status.update(ok=True, error=None, refreshed_at=iso_ms(now), count=len(result.instruments), warnings=result.warnings[:20])
        if result.markets:
            self._append_metadata(disc.venue, result.markets, now)

    def _append_metadata(self, venue: str, rows: list[dict[str, Any]], now: float) -> None:
        date = iso_ms(now)[:10]  # type: ignore[index]
        path = child(self.stream_dir, component(venue, "venue"), "markets", f"date={date}", "markets.jsonl")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "ab") as fh:
                fh.write(b"".join(json.dumps(r, separators=(",", ":"), default=str).encode() + b"\n" for r in rows))
        except OSError as exc:
            self.log.warning("could not append market metadata to %s: %s", path, exc)

    def instruments(self) -> list[Instrument]:
        seen: set[str] = set()
        out: list[Instrument] = []
        with self._lock:
            groups = list(self._current.values())
        for insts in groups:
            for inst in insts:
                key = inst["instrument_key"]
                if key in seen:
                    continue
                seen.add(key)
                out.append(inst)
        return out

    def publish(self) -> None:
        """Write the merged set if it changed (or the heartbeat is due). Call with ``self._lock`` held."""
        instruments = self.instruments()
        fingerprint = json.dumps([instruments, [(s, st["ok"], st["error"]) for s, st in self._status.items()]], sort_keys=True, default=str)
        now_mono = self.clock.monotonic()
        if fingerprint == self._last_published and now_mono - self._last_write_mono < self.heartbeat_seconds:
            return
        payload = {
            "version": SNAPSHOT_VERSION,
            "written_at": iso_ms(self.clock.time()),
            "sources": self._status,
            "instruments": instruments,
        }
        atomic_write_json(self.snapshot_path, payload, separators=(",", ":"))
        self._last_published = fingerprint
        self._last_write_mono = now_mono
        self.stats.incr("discovery_writes")
        self.stats.set_gauge("active_instruments", len(instruments))
        if self.on_publish is not None:
            self.on_publish(instruments)

    # -- threads ---------------------------------------------------------------------------------
    def _source_loop(self, disc: Discoverer) -> None:
        while not self.stop_event.is_set():
            now_mono = self.clock.monotonic()
            if now_mono >= self._next_due[disc.source]:
                self._next_due[disc.source] = now_mono + disc.interval_seconds
                try:
                    self._run_one_inner(disc)
                    try:
                        with self._lock:
                            self.publish()
                    except Exception as exc:
                        self.stats.incr("discovery_errors")
                        self.log.error("publishing %s failed: %s", self.snapshot_path, exc)
                finally:
                    # after the publish: whoever waits on ``first_pass_done`` finds this source in the file
                    if not self.first_pass_done.is_set():
                        self._first_pass_finished(disc.source)
            wait = self._next_due[disc.source] - self.clock.monotonic()
            self.clock.wait(self.stop_event, min(max(wait, 0.05), 1.0))

    def run(self) -> None:
        self._workers = [
            threading.Thread(target=self._source_loop, args=(d,), name=f"discovery-{d.source}", daemon=True) for d in self.discoverers
        ]
        for worker in self._workers:
            worker.start()
        while not self.stop_event.is_set():  # heartbeat: rewrite the file now and then even if nothing changed
            try:
                with self._lock:
                    self.publish()
            except Exception as exc:
                self.stats.incr("discovery_errors")
                self.log.error("publishing %s failed: %s", self.snapshot_path, exc)
            self.clock.wait(self.stop_event, 1.0)
        for worker in self._workers:
            worker.join(0.5)  # a source blocked in a request is a daemon thread: not waited for
