"""Discovery snapshot file, poller backoff/cooldown/reload, writer rotation/flush/fsync — thread by thread."""

import json
import os
import queue
import threading
import time
from pathlib import Path

import pytest

from polymarket_assets.atomic_files import atomic_write_json
from polymarket_assets.streaming.clock import Clock
from polymarket_assets.streaming.discovery import DiscoveryThread, read_snapshot
from polymarket_assets.streaming.instruments import make_instrument
from polymarket_assets.streaming.poller import Poller, PollerConfig
from polymarket_assets.streaming.stats import LoggerStats
from polymarket_assets.streaming.venues import DiscoveryResult
from polymarket_assets.streaming.writer import SnapshotWriter
from polymarket_assets_tests.streaming.conftest import read_records
from polymarket_assets_tests.streaming.fake_clock import FakeClock

LEVELS = {"best_bid": "0.4", "best_ask": "0.6", "mid": "0.5", "spread": "0.2",
          "bids": [{"price": "0.4", "size": "1"}], "asks": [{"price": "0.6", "size": "1"}]}


def inst(venue: str, n: int) -> dict:
    return make_instrument(venue=venue, source=venue, market_id=f"m{n}", instrument_id=f"t{n}", poll_key=f"{venue}-{n}")


class StubFetcher:
    """Answers from memory; ``fail`` keys (or everything when ``down``) raise, ``hang`` sleeps."""

    def __init__(self, venue: str, batch_size: int = 100):
        self.venue = venue
        self.batch_size = batch_size
        self.down = False
        self.hang = 0.0
        self.missing: set[str] = set()
        self.calls = 0
        self.polled: list[tuple[float, str]] = []
        self.lock = threading.Lock()

    def fetch(self, instruments):
        with self.lock:
            self.calls += 1
        if self.hang:
            time.sleep(self.hang)
        if self.down:
            raise ConnectionError(f"{self.venue} is down")
        now = time.monotonic()
        with self.lock:
            self.polled.extend((now, i["poll_key"]) for i in instruments)
        return {i["poll_key"]: (LEVELS, None, None) for i in instruments if i["poll_key"] not in self.missing}


def write_snapshot(path: Path, instruments: list[dict]) -> None:
    atomic_write_json(path, {"version": 1, "instruments": instruments, "sources": {}})


def make_poller(tmp_path, fetchers, instruments, **cfg):
    snap = tmp_path / "state" / "active_instruments.snapshot.json"
    write_snapshot(snap, instruments)
    out: queue.SimpleQueue = queue.SimpleQueue()
    stats = LoggerStats()
    stop = threading.Event()
    config = PollerConfig(**{"cadence_seconds": 0.1, "backoff_jitter": 0.0, **cfg})
    poller = Poller(fetchers={f.venue: f for f in fetchers}, snapshot_path=snap, out=out, clock=Clock(), stop_event=stop, stats=stats, config=config)
    return poller, out, stats, stop, snap


# -- discovery -------------------------------------------------------------------------------------


class ListDiscoverer:
    source = "fake"
    venue = "polymarket"
    interval_seconds = 0.05

    def __init__(self):
        self.n = 0
        self.fail = False

    def discover(self, now):
        if self.fail:
            raise RuntimeError("gamma down")
        self.n += 1
        insts = [inst("polymarket", i) for i in range(50 + self.n % 7)]
        return DiscoveryResult(insts, [{"market_id": i["market_id"], "pass": self.n} for i in insts[:2]])


def test_snapshot_file_is_atomic_and_discovery_keeps_last_good_set(tmp_path):
    snap = tmp_path / "state" / "active_instruments.snapshot.json"
    disc = ListDiscoverer()
    stop = threading.Event()
    stats = LoggerStats()
    thread = DiscoveryThread([disc], snapshot_path=snap, stream_dir=tmp_path / "stream", clock=Clock(), stop_event=stop, stats=stats)
    thread.run_due(force=True)
    assert len(read_snapshot(snap)) >= 50
    # a reader racing the writer only ever sees complete files (temp file + rename)
    seen, bad = 0, []

    def reader():
        nonlocal seen
        while not stop.is_set():
            try:
                read_snapshot(snap)
                seen += 1
            except FileNotFoundError:
                bad.append("missing")
            except ValueError as exc:
                bad.append(str(exc))

    r = threading.Thread(target=reader)
    r.start()
    deadline = time.monotonic() + 1.0
    while time.monotonic() < deadline:
        thread.run_due(force=True)
    stop.set()
    r.join()
    assert not bad and seen > 10 and stats.totals["discovery_writes"] > 10
    assert not [p for p in snap.parent.iterdir() if p.name.endswith(".tmp")]
    # a failing discoverer keeps its previous instruments and records the error in the file
    before = read_snapshot(snap)
    disc.fail = True
    thread.run_due(force=True)
    payload = json.loads(snap.read_text())
    assert payload["instruments"] == before
    assert payload["sources"]["fake"]["ok"] is False and "gamma down" in payload["sources"]["fake"]["error"]
    # metadata appended as JSONL on each successful pass
    meta = list((tmp_path / "stream" / "polymarket" / "markets").glob("date=*/markets.jsonl"))
    assert meta and len(meta[0].read_text().splitlines()) >= 2 * 10


class SlowDiscoverer(ListDiscoverer):
    source = "slow"
    venue = "limitless"

    def discover(self, now):
        time.sleep(3.0)  # e.g. a listing stuck in transport retries
        return DiscoveryResult([inst("limitless", 1)])


def test_a_slow_source_never_delays_another(tmp_path):
    snap = tmp_path / "state" / "active_instruments.snapshot.json"
    stop = threading.Event()
    fast = ListDiscoverer()
    thread = DiscoveryThread([SlowDiscoverer(), fast], snapshot_path=snap, stream_dir=tmp_path / "stream", clock=Clock(),
                             stop_event=stop, stats=LoggerStats())
    thread.start()
    deadline = time.monotonic() + 1.0
    while time.monotonic() < deadline and not snap.exists():
        time.sleep(0.02)
    first = fast.n
    time.sleep(0.5)
    assert snap.exists() and fast.n > first >= 1  # the fast source kept its cadence while the slow one blocks
    assert {i["venue"] for i in read_snapshot(snap)} == {"polymarket"}
    stop.set()
    thread.join(2)
    assert not thread.is_alive()


# -- poller ----------------------------------------------------------------------------------------


def test_per_instrument_exponential_backoff(tmp_path):
    fetcher = StubFetcher("polymarket")
    insts = [inst("polymarket", i) for i in range(3)]
    fetcher.missing = {"polymarket-1"}
    poller, out, stats, stop, _ = make_poller(tmp_path, [fetcher], insts, backoff_base_seconds=0.2, backoff_max_seconds=0.4)
    poller.maybe_reload()
    key = insts[1]["instrument_key"]
    poller.poll_cycle(1, time.time())
    time.sleep(0.05)
    failures, next_ok = poller.backoff_state(key)
    assert failures == 1 and 0.1 < next_ok - time.monotonic() <= 0.2
    poller.poll_cycle(2, time.time())  # still backing off: skipped
    time.sleep(0.05)
    assert stats.venue["polymarket"]["backoff_skips"] == 1
    time.sleep(0.2)
    poller.poll_cycle(3, time.time())
    time.sleep(0.05)
    failures, next_ok = poller.backoff_state(key)
    assert failures == 2 and 0.3 < next_ok - time.monotonic() <= 0.4  # doubled
    time.sleep(0.4)
    poller.poll_cycle(4, time.time())
    time.sleep(0.05)
    assert poller.backoff_state(key)[0] == 3 and 0.3 < poller.backoff_state(key)[1] - time.monotonic() <= 0.4  # capped
    fetcher.missing.clear()
    time.sleep(0.4)
    poller.poll_cycle(5, time.time())
    time.sleep(0.05)
    assert poller.backoff_state(key) is None  # one success resets it
    # the healthy instruments were polled every cycle
    polled = [k for _, k in fetcher.polled]
    assert polled.count("polymarket-0") == 5 and polled.count("polymarket-2") == 5
    poller.shutdown()


def test_venue_cooldown_and_isolation(tmp_path):
    """Limitless fails, then hangs: it goes on cooldown and Polymarket keeps its cadence throughout."""
    poly, lim = StubFetcher("polymarket"), StubFetcher("limitless", batch_size=1)
    lim.down = True
    insts = [inst("polymarket", i) for i in range(4)] + [inst("limitless", i) for i in range(3)]
    poller, out, stats, stop, _ = make_poller(
        tmp_path, [poly, lim], insts, cooldown_after_failures=3, cooldown_base_seconds=0.5, backoff_base_seconds=0.05,
        backoff_max_seconds=0.05, workers={"polymarket": 2, "limitless": 2},
    )
    poller.start()
    time.sleep(1.0)
    assert stats.venue["limitless"]["cooldowns"] >= 1
    assert stats.venue["limitless"]["cooldown_skips"] > 0
    # while limitless failed, polymarket kept its cadence: every instrument polled on (nearly) every tick
    failing_cycles = stats.totals["cycles"]
    polled = [k for _, k in poly.polled]
    assert failing_cycles >= 8
    for i in range(4):
        assert polled.count(f"polymarket-{i}") >= failing_cycles - 1
    assert stats.venue["polymarket"]["request_errors"] == 0 and stats.venue["polymarket"]["cooldowns"] == 0
    # while cooling down, no request reaches the venue (wait for a cooldown with >= 0.2 s left, then watch it)
    deadline = time.monotonic() + 3.0
    while poller.venue_state("limitless").cooldown_until - time.monotonic() < 0.25 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert poller.venue_state("limitless").cooldown_until - time.monotonic() >= 0.25
    calls_before = lim.calls
    time.sleep(0.2)
    assert lim.calls == calls_before
    lim.down = False
    lim.hang = 3.0  # now it hangs: only its own 2 workers are stuck
    time.sleep(1.5)
    stop.set()
    t = time.monotonic()
    poller.join(5)
    assert not poller.is_alive() and time.monotonic() - t < 3.5  # shutdown grace, not the hang
    cycles = stats.totals["cycles"]
    polled = [k for _, k in poly.polled]
    # polymarket polled on (nearly) every tick despite the other venue failing and hanging
    for i in range(4):
        assert polled.count(f"polymarket-{i}") >= cycles - 2
    assert stats.venue["limitless"]["inflight_skips"] > 0
    assert stats.venue["polymarket"]["request_errors"] == 0


def test_failed_snapshot_reload_never_kills_the_poller(tmp_path):
    fetcher = StubFetcher("polymarket")
    insts = [inst("polymarket", i) for i in range(2)]
    poller, out, stats, stop, snap = make_poller(tmp_path, [fetcher], insts)
    poller.start()
    time.sleep(0.3)
    snap.write_text('{"instruments": [{"venue": "polymarket"')  # torn/corrupt file (not via rename)
    time.sleep(0.3)
    snap.write_text('{"no": "instruments"}')
    time.sleep(0.3)
    assert poller.is_alive()
    assert stats.totals["snapshot_reload_errors"] >= 2
    assert len(poller.instruments) == 2
    n = len(fetcher.polled)
    time.sleep(0.3)
    assert len(fetcher.polled) > n  # still polling the last good set
    write_snapshot(snap, insts + [inst("polymarket", 9)])
    time.sleep(0.3)
    assert len(poller.instruments) == 3
    os.unlink(snap)
    time.sleep(0.2)
    assert poller.is_alive() and len(poller.instruments) == 3
    stop.set()
    poller.join(5)


# -- writer ----------------------------------------------------------------------------------------


def record(i: int, venue: str, received: float) -> tuple:
    rec = {"snapshot_id": f"r-{i}", "seq": i, "venue": venue, "instrument_key": f"{venue}:m:t", "received_ts": received}
    return (venue, received, time.monotonic(), rec)


def test_writer_rotates_hourly_flushes_every_second_and_fsyncs(tmp_path, monkeypatch):
    synced = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(fd), real_fsync(fd)))
    hour_end = 1767204000  # 18:00Z
    clock = FakeClock(hour_end - 2)
    q: queue.SimpleQueue = queue.SimpleQueue()
    stats = LoggerStats()
    writer = SnapshotWriter(stream_dir=tmp_path, source=q, clock=clock, stats=stats, run_tag="t1", flush_interval_seconds=1.0)
    writer.start()
    q.put(record(1, "polymarket", hour_end - 1.5))
    time.sleep(1.2)  # flushed without closing: visible on disk within a second
    first = tmp_path / "polymarket/orderbooks/date=2025-12-31/hour=17.t1.jsonl"
    assert first.read_text().count("\n") == 1
    assert not synced
    q.put(record(2, "polymarket", hour_end + 0.5))  # next hour: rotation closes + fsyncs the old file
    q.put(record(3, "limitless", hour_end + 0.6))
    time.sleep(0.5)
    second = tmp_path / "polymarket/orderbooks/date=2025-12-31/hour=18.t1.jsonl"
    assert second.read_text().count("\n") == 1
    assert len(synced) == 1 and stats.totals["rotations"] == 1
    for i in range(4, 20004):  # a burst, then shutdown drains it completely
        q.put(record(i, "polymarket", hour_end + 1))
    writer.close()
    writer.join(10)
    assert not writer.is_alive() and writer.error is None
    assert len(synced) == 3  # + both open files on shutdown
    recs = read_records(tmp_path)
    assert sorted(r["seq"] for r in recs) == list(range(1, 20004))
    assert stats.latency.count == 20003


def test_a_full_disk_stops_the_writer_with_a_message_naming_the_directory_and_the_fix(tmp_path):
    import errno

    from polymarket_assets.storage_errors import DiskFullError

    class FullDisk:
        def write(self, _line: bytes) -> int:
            raise OSError(errno.ENOSPC, "No space left on device")

    q: queue.SimpleQueue = queue.SimpleQueue()
    writer = SnapshotWriter(stream_dir=tmp_path, source=q, clock=FakeClock(1767204000), stats=LoggerStats(), run_tag="t1")
    writer._file = lambda venue, hour: FullDisk()  # type: ignore[method-assign]
    writer.start()
    q.put(record(1, "polymarket", 1767204000.5))
    writer.join(10)
    assert isinstance(writer.error, DiskFullError)
    message = str(writer.error)
    assert str(tmp_path) in message and "order-book writer" in message and "POLYMARKET_LOCAL_DIR" in message


# -- logger start-up / stop ------------------------------------------------------------------------


class HangingDiscoverer:
    """A venue whose listing fails (``mode="fail"``, after a transport-retry-like delay) or hangs from the first request."""

    source = "limitless"
    venue = "limitless"
    interval_seconds = 60.0

    def __init__(self, mode: str = "hang", seconds: float = 5.0):
        self.mode, self.seconds, self.calls = mode, seconds, 0
        self.release = threading.Event()

    def discover(self, now):
        self.calls += 1
        self.release.wait(self.seconds)
        if self.mode == "fail":
            raise ConnectionError("limitless answered HTTP 500 on every attempt")
        return DiscoveryResult([inst("limitless", 1)])


class QuickDiscoverer(ListDiscoverer):
    source = "polymarket_btc15m"
    interval_seconds = 10.0


def make_logger(tmp_path, discoverers, fetchers, **settings):
    from polymarket_assets.streaming.logger import LoggerSettings, OrderbookLogger

    poller = PollerConfig(cadence_seconds=0.2, backoff_jitter=0.0, shutdown_grace_seconds=0.2)
    return OrderbookLogger(
        LoggerSettings(stream_dir=tmp_path / "stream", state_dir=tmp_path / "state", poller=poller, **settings),
        discoverers=discoverers, fetchers={f.venue: f for f in fetchers}, clock=Clock(),
    )


@pytest.mark.parametrize("mode", ["fail", "hang"])
def test_one_venue_down_from_the_first_request_never_delays_the_others_first_snapshot(tmp_path, mode):
    """A: start() returns at once; the healthy venue's first snapshot comes within ~1-2 cadences while the
    other venue's first discovery pass still fails slowly or hangs (before: only after that pass ended)."""
    poly, lim = StubFetcher("polymarket"), StubFetcher("limitless", batch_size=1)
    slow = HangingDiscoverer(mode, seconds=5.0)
    logger = make_logger(tmp_path, [slow, QuickDiscoverer()], [poly, lim])
    t0 = time.monotonic()
    starter = threading.Thread(target=logger.start, daemon=True)  # before the fix start() itself blocked
    starter.start()
    starter.join(1.0)
    start_seconds = time.monotonic() - t0
    deadline = t0 + 3.0
    while time.monotonic() < deadline and not poly.polled:
        time.sleep(0.01)
    first = poly.polled[0][0] - t0 if poly.polled else None
    cadence = logger.settings.poller.cadence_seconds
    try:
        assert start_seconds < 0.5, f"start() blocked {start_seconds:.1f}s"
        assert first is not None and first <= 2 * cadence + 0.2, f"first polymarket snapshot after {first}s"
        assert slow.calls == 1 and not logger.discovery.first_pass_done.is_set()  # the other venue is still stuck
        time.sleep(5 * cadence)
        ticks = logger.stats.totals["cycles"]
        polled = [k for _, k in poly.polled]
        assert ticks >= 5 and polled.count("polymarket-0") >= ticks - 1  # and it keeps its cadence
        assert not lim.calls
    finally:
        slow.release.set()
        summary = logger.stop()
    assert summary["clean_shutdown"] and summary["shutdown_seconds"] < 3


def test_the_run_duration_counts_from_start_not_from_a_slow_first_pass(tmp_path):
    poly = StubFetcher("polymarket")
    slow = HangingDiscoverer("hang", seconds=10.0)
    slow.venue = "polymarket"
    logger = make_logger(tmp_path, [slow, QuickDiscoverer()], [poly])
    t0 = time.monotonic()
    summary = logger.run(1.0)
    slow.release.set()
    assert time.monotonic() - t0 < 2.5
    assert summary["venues"]["polymarket"]["snapshots"] >= 3 * 50  # polled during (nearly) the whole second


@pytest.mark.parametrize("when", ["before_start", "during_start", "after_start", "twice"])
def test_stop_at_any_moment_flushes_writes_final_stats_and_returns(tmp_path, when, monkeypatch):
    """B: stop() before, during (threads not all started yet) or after start() never raises
    (before: ``RuntimeError: cannot join thread before it is started``) and writes the final stats."""
    from polymarket_assets.streaming.logger import load_stats

    poly = StubFetcher("polymarket")
    logger = make_logger(tmp_path, [QuickDiscoverer()], [poly])
    if when == "during_start":
        # the op thread is interrupted (SIGTERM -> DagsterExecutionInterruptedError) while start() runs:
        # here after the writer and discovery started, before the poller did
        def interrupted():
            raise KeyboardInterrupt

        monkeypatch.setattr(logger.poller, "start", interrupted)
        with pytest.raises(KeyboardInterrupt):
            logger.start()
        assert logger.writer.is_alive() and logger.poller.ident is None
    elif when in ("after_start", "twice"):
        logger.start()
        time.sleep(0.5)
    t0 = time.monotonic()
    summary = logger.stop()
    assert time.monotonic() - t0 < 2
    if when == "twice":
        assert logger.stop() is summary
    assert summary["final"] and summary["clean_shutdown"]
    final = load_stats(tmp_path / "state")
    assert final is not None and final["final"] and final["run_tag"] == logger.run_tag
    assert not logger.writer.is_alive() and not logger.poller.is_alive()
    records = read_records(tmp_path / "stream") if (tmp_path / "stream").exists() else []
    assert len(records) == summary["venues"].get("polymarket", {}).get("snapshots", 0)
    if when in ("after_start", "twice"):
        assert records
    logger.start()  # a stopped logger never starts again
    assert logger.poller.ident is None or not logger.poller.is_alive()
