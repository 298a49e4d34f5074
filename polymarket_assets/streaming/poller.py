"""The hot path: poll every active instrument once per cadence tick.

* Ticks are scheduled on **monotonic** time (``next_tick += cadence``); a late tick is not replayed
  (counted as ``missed_ticks``). Which instruments are active is decided on **wall** time at the tick
  (``active_from <= now < active_until``), so the BTC 15-minute set switches on the first tick after
  the boundary.
* Each venue has its own thread pool and its own state, and the tick loop never waits for a request:
  a venue that hangs or fails only occupies its own workers, so it never slows another venue.
* Polymarket: ``POST /books`` batches of up to ``batch_size`` tokens (one request per batch).
  Limitless: one ``GET /markets/{slug}/orderbook`` per market.
* Per-instrument exponential backoff (monotonic): after ``n`` consecutive failures an instrument is
  skipped until ``now + min(max, base * 2**(n-1)) * (1 ± jitter)``.
* Per-venue cooldown: ``cooldown_after_failures`` consecutive failed requests put the whole venue on
  hold for ``min(cooldown_max, cooldown_base * 2**k)`` (k = cooldowns in a row). One success resets it.
* An instrument whose previous request is still in flight is skipped (``inflight_skips``), never queued.
* The active set is reloaded from the snapshot file when its (inode, mtime, size) changes; a failed
  reload keeps the previous set and is counted — it never stops the poller.
* Start-up: the poller runs from the start of the run, beside discovery. With a ``start_gate`` (set by
  discovery once every source has finished its first pass) the first tick waits for it, but never longer
  than ``startup_wait_seconds`` (one cadence by default): a venue whose discovery is down or hanging does
  not hold back the others, whose instruments are polled from the next tick after they are published.
"""

from __future__ import annotations

import itertools
import logging
import os
import queue
import random
import threading
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from polymarket_assets.streaming.books import BookLevels, build_record, limitless_book, polymarket_book
from polymarket_assets.streaming.clock import Clock
from polymarket_assets.streaming.discovery import read_snapshot
from polymarket_assets.streaming.instruments import VENUE_LIMITLESS, VENUE_POLYMARKET, Instrument, is_active
from polymarket_assets.streaming.stats import LoggerStats

Parsed = tuple[BookLevels, "float | None", "str | None"]  # (levels, exchange ts s, hash)


class BookFetcher(Protocol):
    venue: str
    batch_size: int

    def fetch(self, instruments: list[Instrument]) -> dict[str, Parsed]:
        """One request for ``instruments``; returns parsed books by poll_key (missing = no book).
        Raises on a failed request."""


class PolymarketBookFetcher:
    venue = VENUE_POLYMARKET

    def __init__(self, clob: Any, batch_size: int = 100):
        self.clob = clob
        self.batch_size = max(1, min(int(batch_size), 500))

    def fetch(self, instruments: list[Instrument]) -> dict[str, Parsed]:
        tokens = [i["poll_key"] for i in instruments]
        books = self.clob.books(tokens, chunk_size=len(tokens))
        out: dict[str, Parsed] = {}
        for obj in books or ():
            levels, ts, book_hash, asset = polymarket_book(obj)
            if asset is not None:
                out[asset] = (levels, ts, book_hash)
        return out


class LimitlessBookFetcher:
    venue = VENUE_LIMITLESS
    batch_size = 1

    def __init__(self, client: Any):
        self.client = client

    def fetch(self, instruments: list[Instrument]) -> dict[str, Parsed]:
        out: dict[str, Parsed] = {}
        for inst in instruments:
            obj = self.client.orderbook(inst["poll_key"])
            if obj is None:
                continue
            levels, ts = limitless_book(obj, inst["poll_key"])
            out[inst["poll_key"]] = (levels, ts, None)
        return out


@dataclass
class PollerConfig:
    cadence_seconds: float = 1.0
    backoff_base_seconds: float = 1.0
    backoff_max_seconds: float = 60.0
    backoff_jitter: float = 0.1
    cooldown_after_failures: int = 5
    cooldown_base_seconds: float = 10.0
    cooldown_max_seconds: float = 300.0
    workers: dict[str, int] = field(default_factory=lambda: {VENUE_POLYMARKET: 4, VENUE_LIMITLESS: 8})
    shutdown_grace_seconds: float = 2.0
    #: with a start gate, the first tick waits at most this long for every source's first discovery pass
    #: (``None`` = one cadence); a venue whose discovery is slow or down never holds the others back longer
    startup_wait_seconds: float | None = None


@dataclass
class _Backoff:
    failures: int = 0
    next_ok: float = 0.0


@dataclass
class _VenueState:
    consecutive_failures: int = 0
    cooldowns_in_a_row: int = 0
    cooldown_until: float = 0.0


class Poller(threading.Thread):
    def __init__(
        self,
        *,
        fetchers: dict[str, BookFetcher],
        snapshot_path: Path,
        out: "queue.SimpleQueue[Any]",
        clock: Clock,
        stop_event: threading.Event,
        stats: LoggerStats,
        config: PollerConfig | None = None,
        run_tag: str = "run",
        log: logging.Logger | None = None,
        start_gate: threading.Event | None = None,
    ):
        super().__init__(name="orderbook-poller", daemon=True)
        self.start_gate = start_gate
        self.fetchers = fetchers
        self.snapshot_path = snapshot_path
        self.out = out
        self.clock = clock
        self.stop_event = stop_event
        self.stats = stats
        self.config = config or PollerConfig()
        self.run_tag = run_tag
        self.log = log or logging.getLogger(__name__)
        self.instruments: list[Instrument] = []
        self._snapshot_sig: tuple[int, int, int] | None = None
        self._backoff: dict[str, _Backoff] = {}
        self._venues: dict[str, _VenueState] = {v: _VenueState() for v in fetchers}
        self._inflight: set[str] = set()
        self._lock = threading.Lock()
        self._out_lock = threading.Lock()
        self._seq = itertools.count(1)
        self._futures: set[Future[Any]] = set()
        self._closed = False
        self.cycle = 0
        self._executors = {
            venue: ThreadPoolExecutor(max_workers=max(1, self.config.workers.get(venue, 4)), thread_name_prefix=f"poll-{venue}")
            for venue in fetchers
        }
        self._rng = random.Random()

    # -- snapshot reload ------------------------------------------------------------------------
    def maybe_reload(self) -> bool:
        try:
            st = os.stat(self.snapshot_path)
        except FileNotFoundError:
            return False
        except OSError as exc:
            self.stats.incr("snapshot_reload_errors")
            self.log.warning("cannot stat %s: %s (keeping %d instruments)", self.snapshot_path, exc, len(self.instruments))
            return False
        sig = (st.st_ino, st.st_mtime_ns, st.st_size)
        if sig == self._snapshot_sig:
            return False
        try:
            instruments = read_snapshot(self.snapshot_path)
        except Exception as exc:
            self.stats.incr("snapshot_reload_errors")
            self._snapshot_sig = sig  # do not re-read the same bad file every tick
            self.log.warning("snapshot reload failed: %s (keeping %d instruments)", exc, len(self.instruments))
            return False
        self._snapshot_sig = sig
        self.instruments = [i for i in instruments if i["venue"] in self.fetchers]
        self.stats.incr("snapshot_reloads")
        return True

    # -- one tick -------------------------------------------------------------------------------
    def active_now(self, wall: float) -> list[Instrument]:
        return [i for i in self.instruments if is_active(i, wall)]

    def poll_cycle(self, cycle: int, wall: float) -> int:
        """Submit this tick's requests; returns how many instruments were submitted."""
        now = self.clock.monotonic()
        by_venue: dict[str, list[Instrument]] = {}
        for inst in self.active_now(wall):
            by_venue.setdefault(inst["venue"], []).append(inst)
        submitted = 0
        for venue, insts in by_venue.items():
            self.stats.incr("polls_due", len(insts), venue)
            state = self._venues[venue]
            if now < state.cooldown_until:
                self.stats.incr("cooldown_skips", len(insts), venue)
                continue
            due: list[Instrument] = []
            with self._lock:
                for inst in insts:
                    key = inst["instrument_key"]
                    if key in self._inflight:
                        self.stats.incr("inflight_skips", 1, venue)
                        continue
                    backoff = self._backoff.get(key)
                    if backoff is not None and now < backoff.next_ok:
                        self.stats.incr("backoff_skips", 1, venue)
                        continue
                    self._inflight.add(key)
                    due.append(inst)
            fetcher = self.fetchers[venue]
            size = fetcher.batch_size
            for start in range(0, len(due), size):
                batch = due[start : start + size]
                try:
                    future = self._executors[venue].submit(self._run_batch, fetcher, batch, cycle)
                except RuntimeError:  # executor shut down
                    with self._lock:
                        self._inflight.difference_update(i["instrument_key"] for i in batch)
                    return submitted
                with self._lock:
                    self._futures.add(future)
                future.add_done_callback(self._forget)
                submitted += len(batch)
        return submitted

    def _forget(self, future: Future[Any]) -> None:
        with self._lock:
            self._futures.discard(future)

    def _run_batch(self, fetcher: BookFetcher, batch: list[Instrument], cycle: int) -> None:
        venue = fetcher.venue
        t0 = self.clock.monotonic()
        try:
            try:
                self.stats.incr("requests", 1, venue)
                books = fetcher.fetch(batch)
            except Exception as exc:
                self.stats.incr("request_errors", 1, venue)
                self.stats.set_gauge(f"{venue}_last_error", f"{type(exc).__name__}: {exc}"[:300])
                self._request_failed(venue, batch, exc)
                return
            received = self.clock.time()
            t1 = self.clock.monotonic()
            self._request_ok(venue)
            fetch_ms = (t1 - t0) * 1000.0
            failed: list[Instrument] = []
            for inst in batch:
                parsed = books.get(inst["poll_key"])
                if parsed is None:
                    failed.append(inst)
                    continue
                levels, exchange_ts, book_hash = parsed
                record = build_record(
                    inst,
                    levels,
                    exchange_ts=exchange_ts,
                    received_ts=received,
                    fetch_ms=fetch_ms,
                    seq=next(self._seq),
                    poll_cycle=cycle,
                    run_tag=self.run_tag,
                    book_hash=book_hash,
                )
                with self._out_lock:
                    if self._closed:
                        self.stats.incr("dropped_after_shutdown")
                        continue
                    self.out.put((venue, received, t0, record))
                self.stats.incr("snapshots", 1, venue)
                self._instrument_ok(inst["instrument_key"])
            if failed:
                self.stats.incr("book_errors", len(failed), venue)
                self._instruments_failed(venue, failed)
        finally:
            with self._lock:
                self._inflight.difference_update(i["instrument_key"] for i in batch)

    # -- backoff / cooldown ---------------------------------------------------------------------
    def _instrument_ok(self, key: str) -> None:
        if key in self._backoff:
            with self._lock:
                self._backoff.pop(key, None)

    def _instruments_failed(self, venue: str, insts: list[Instrument]) -> None:
        now = self.clock.monotonic()
        cfg = self.config
        with self._lock:
            for inst in insts:
                b = self._backoff.setdefault(inst["instrument_key"], _Backoff())
                b.failures += 1
                delay = min(cfg.backoff_max_seconds, cfg.backoff_base_seconds * (2 ** (b.failures - 1)))
                if cfg.backoff_jitter:
                    delay *= 1.0 + cfg.backoff_jitter * (2 * self._rng.random() - 1)
                b.next_ok = now + delay
        self.stats.incr("backoffs", len(insts), venue)

    def _request_ok(self, venue: str) -> None:
        state = self._venues[venue]
        state.consecutive_failures = 0
        state.cooldowns_in_a_row = 0

    def _request_failed(self, venue: str, batch: list[Instrument], exc: Exception) -> None:
        self._instruments_failed(venue, batch)
        cfg = self.config
        with self._lock:
            state = self._venues[venue]
            state.consecutive_failures += 1
            start_cooldown = state.consecutive_failures >= cfg.cooldown_after_failures and self.clock.monotonic() >= state.cooldown_until
            if start_cooldown:
                length = min(cfg.cooldown_max_seconds, cfg.cooldown_base_seconds * (2**state.cooldowns_in_a_row))
                state.cooldowns_in_a_row += 1
                state.consecutive_failures = 0
                state.cooldown_until = self.clock.monotonic() + length
        if start_cooldown:
            self.stats.incr("cooldowns", 1, venue)
            self.log.warning("%s: %d failed requests in a row (last: %s); cooling down %.1fs", venue, cfg.cooldown_after_failures, exc, length)
        else:
            self.log.debug("%s request failed: %s", venue, exc)

    def backoff_state(self, key: str) -> tuple[int, float] | None:
        b = self._backoff.get(key)
        return None if b is None else (b.failures, b.next_ok)

    def venue_state(self, venue: str) -> _VenueState:
        return self._venues[venue]

    # -- thread ---------------------------------------------------------------------------------
    def _wait_for_gate(self) -> None:
        """Before the first tick: wait for the start gate (every source's first discovery pass), at most
        ``startup_wait_seconds`` (default one cadence). Whatever the file holds by then is polled."""
        if self.start_gate is None:
            return
        limit = self.config.startup_wait_seconds
        limit = self.config.cadence_seconds if limit is None else limit
        deadline = self.clock.monotonic() + max(0.0, limit)
        while not self.stop_event.is_set() and not self.start_gate.is_set():
            left = deadline - self.clock.monotonic()
            if left <= 0:
                self.log.info("first tick without waiting further for discovery (%.2fs start-up wait elapsed)", limit)
                return
            self.clock.wait(self.start_gate, min(left, 0.05))

    def run(self) -> None:
        cadence = self.config.cadence_seconds
        try:
            self._wait_for_gate()
            next_tick = self.clock.monotonic()
            while not self.stop_event.is_set():
                now = self.clock.monotonic()
                if now < next_tick:
                    self.clock.wait(self.stop_event, next_tick - now)
                    continue
                late = now - next_tick
                if late >= cadence:
                    missed = int(late // cadence)
                    self.stats.incr("missed_ticks", missed)
                    next_tick += missed * cadence
                next_tick += cadence
                self.cycle += 1
                self.stats.incr("cycles")
                self.maybe_reload()
                try:
                    self.poll_cycle(self.cycle, self.clock.time())
                except Exception as exc:
                    self.log.exception("poll cycle %d failed: %s", self.cycle, exc)
        finally:
            self.shutdown()

    def shutdown(self) -> None:
        """Stop submitting; give in-flight requests ``shutdown_grace_seconds`` to land, then abandon them."""
        for executor in self._executors.values():
            executor.shutdown(wait=False, cancel_futures=True)
        with self._lock:
            pending = set(self._futures)
        if pending:
            wait(pending, timeout=self.config.shutdown_grace_seconds)
        with self._out_lock:
            self._closed = True
