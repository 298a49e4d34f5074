"""Discovery snapshot file, poller backoff/cooldown/reload, writer rotation/flush/fsync — thread by thread."""

import json
import os
import queue
import threading
import time
from pathlib import Path


from polymarket_assets.streaming.clock import Clock, FakeClock
from polymarket_assets.streaming.discovery import DiscoveryThread, atomic_write_json, read_snapshot
from polymarket_assets.streaming.instruments import make_instrument
from polymarket_assets.streaming.poller import Poller, PollerConfig
from polymarket_assets.streaming.stats import LoggerStats
from polymarket_assets.streaming.venues import DiscoveryResult
from polymarket_assets.streaming.writer import SnapshotWriter
from polymarket_assets_tests.streaming.conftest import read_records

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
    calls_before = lim.calls
    # while cooling down, no request reaches the venue
    assert poller.venue_state("limitless").cooldown_until > time.monotonic() or lim.calls - calls_before <= 3
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
