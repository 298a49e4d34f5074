"""The shared SQLite rate limiter: throughput, never-over-budget across threads and processes, timeouts."""

from __future__ import annotations

import multiprocessing
import pickle
import threading
import time
from pathlib import Path

import pytest

from polymarket_assets.clients.budgets import Budget, merge_budgets
from polymarket_assets.clients.errors import RateLimitTimeout
from polymarket_assets.clients.ratelimit import SharedRateLimiter
from polymarket_assets.replay.fake_api import FakeApi, budget_utilisation, max_in_window
from polymarket_assets_tests.support.load import BUDGET, PATH, LoadTarget, run_load, run_processes

# Small budgets keep the tests short: 40 requests per 2 s window, limiter margin 100 ms (2/2.1 = 0.95 bound).
LIMIT, WINDOW, SAFETY_MS = 40, 2.0, 100


def _limiter(tmp_path: Path, budgets: dict[str, Budget] | None = None, **kwargs: object) -> SharedRateLimiter:
    return SharedRateLimiter(tmp_path / "ratelimit.sqlite", budgets or {"t": Budget("t", LIMIT, WINDOW)}, safety_ms=SAFETY_MS, **kwargs)  # type: ignore[arg-type]


def _fake(latency: float = 0.02) -> FakeApi:
    api = FakeApi(latency=latency)
    api.route("GET", PATH, lambda request: {"ok": True}, group=BUDGET)
    api.add_budget(BUDGET, LIMIT, WINDOW)
    return api


def _target(tmp_path: Path, api: FakeApi) -> LoadTarget:
    return LoadTarget(api.base_url, LIMIT, WINDOW, SAFETY_MS, db_path=str(tmp_path / "ratelimit.sqlite"))


def test_single_process_throughput_under_a_small_budget(tmp_path: Path) -> None:
    limiter = _limiter(tmp_path)
    granted, waits = [], []
    for _ in range(2 * LIMIT):
        waits.append(limiter.acquire("t", "GET", "/x", timeout=5))
        granted.append(time.monotonic())
    assert waits[:LIMIT] == [0.0] * LIMIT  # a fresh budget admits a full window at once
    assert waits[LIMIT] > WINDOW / 2  # ... then the next permit waits for the first to leave the window
    # The log itself never holds more than LIMIT permits in a window lengthened by the margin ...
    bucket = limiter._slot("t").bucket
    with bucket.lock:
        stored = [row[0] for row in bucket.conn.execute(f"SELECT item_timestamp FROM '{bucket.table}' ORDER BY 1")]
    assert len(stored) == 2 * LIMIT
    assert min(stored[i + LIMIT] - stored[i] for i in range(LIMIT)) > WINDOW * 1000 + SAFETY_MS
    # ... so, as the caller sees its grants (scheduling noise included), never more than LIMIT in a window.
    gaps = [granted[i + LIMIT] - granted[i] for i in range(len(granted) - LIMIT)]
    assert min(gaps) > WINDOW
    assert max_in_window(granted, WINDOW) <= LIMIT
    assert budget_utilisation(granted, LIMIT, WINDOW) >= 0.9
    totals = limiter.wait_totals()["t"]
    assert totals["requests"] == sum(1 for w in waits if w > 0) >= 1
    assert totals["seconds"] == pytest.approx(sum(waits), abs=0.01)


def test_threads_in_one_process_never_exceed_the_server_budget(tmp_path: Path) -> None:
    with _fake() as api:
        result = run_load(_target(tmp_path, api).api(), threads=6, seconds=4.5)
        arrivals = api.arrivals(BUDGET)
        assert api.count_429(BUDGET) == 0
        assert api.max_in_window(BUDGET, WINDOW) <= LIMIT
    assert result.errors == []
    assert result.requests == len(arrivals) >= 2 * LIMIT
    assert budget_utilisation(arrivals, LIMIT, WINDOW) >= 0.9
    assert result.transport_stats["limiter_wait_seconds"] == pytest.approx(sum(result.waits), abs=0.01)


@pytest.mark.slow
def test_two_processes_share_one_sqlite_limiter(tmp_path: Path) -> None:
    with _fake() as api:
        results, _, _ = run_processes(_target(tmp_path, api), processes=2, threads=3, seconds=4.5)
        arrivals = api.arrivals(BUDGET)
        assert api.count_429(BUDGET) == 0
        assert api.max_in_window(BUDGET, WINDOW) <= LIMIT
    assert [r.errors for r in results] == [[], []]
    assert len({r.pid for r in results}) == 2 and all(r.requests > 0 for r in results)
    assert sum(r.requests for r in results) == len(arrivals) >= 2 * LIMIT
    assert budget_utilisation(arrivals, LIMIT, WINDOW) >= 0.9


def test_general_budget_is_shared_and_timeouts_name_the_budget(tmp_path: Path) -> None:
    limiter = _limiter(tmp_path, merge_budgets({"gamma:/events": 3, "gamma": 4}))
    for _ in range(3):
        assert limiter.acquire("gamma", "GET", "/events/123", timeout=1) == 0.0
    with pytest.raises(RateLimitTimeout) as info:
        limiter.acquire("gamma", "GET", "/events/slug/x", timeout=0.5)
    message = str(info.value)
    assert "'gamma:/events'" in message and "3 requests / 10 s" in message
    assert "limiter_timeout" in message and "budgets: {'gamma:/events': 6}" in message

    assert limiter.acquire("gamma", "GET", "/markets/1", timeout=1) == 0.0  # 4th of the host budget
    started = time.monotonic()
    with pytest.raises(RateLimitTimeout, match="budget 'gamma' "):
        limiter.acquire("gamma", "GET", "/tags", timeout=5)
    assert time.monotonic() - started < 1.0  # the next permit is ~10 s away: fail at once, not after 5 s
    # the /tags permit taken before the host budget refused is given back
    assert limiter.in_window("gamma:/tags") == 0
    assert limiter.in_window("gamma:/events") == 3 and limiter.in_window("gamma") == 4
    assert limiter.in_window("gamma:listing") == 0  # single-event reads are not listing calls


def test_listing_calls_spend_the_combined_listing_budget(tmp_path: Path) -> None:
    limiter = _limiter(tmp_path, merge_budgets({"gamma:listing": 2}))
    limiter.acquire("gamma", "GET", "/events/keyset", timeout=1)
    limiter.acquire("gamma", "GET", "/markets", timeout=1)
    with pytest.raises(RateLimitTimeout, match="'gamma:listing'"):
        limiter.acquire("gamma", "GET", "/markets/keyset", timeout=0.2)
    assert limiter.acquire("gamma", "GET", "/markets/12", timeout=1) == 0.0


def test_permit_is_retimed_when_a_general_budget_makes_the_request_wait(tmp_path: Path) -> None:
    budgets = merge_budgets({"gamma": {"limit": 2, "window_seconds": 0.5}})
    limiter = SharedRateLimiter(tmp_path / "rl.sqlite", budgets, safety_ms=50)
    limiter.acquire("gamma", "GET", "/tags")
    limiter.acquire("gamma", "GET", "/tags")
    before_ms = time.time() * 1000
    waited = limiter.acquire("gamma", "GET", "/tags", timeout=5)
    assert waited >= 0.4  # the host budget (2 per 0.55 s) held it back, not /tags (200 per 10 s)
    slot = limiter._slot("gamma:/tags")
    newest = slot.bucket.peek(0)
    assert newest is not None and newest.timestamp >= before_ms + 400  # stamped at the real send time


def test_zero_timeout_fails_immediately_when_full(tmp_path: Path) -> None:
    limiter = _limiter(tmp_path, {"t": Budget("t", 1, 60.0)})
    assert limiter.acquire("t", "GET", "/x", timeout=0) == 0.0
    started = time.monotonic()
    with pytest.raises(RateLimitTimeout, match="1 requests / 60 s"):
        limiter.acquire("t", "GET", "/x", timeout=0)
    assert time.monotonic() - started < 0.5


def test_unknown_api_without_a_host_budget_is_an_error(tmp_path: Path) -> None:
    limiter = _limiter(tmp_path)
    with pytest.raises(ValueError, match="No rate-limit budget named 'gamma'.*configured budgets: t"):
        limiter.acquire("gamma", "GET", "/events", timeout=1)
    assert limiter.budget_names() == ["t"]
    assert SharedRateLimiter(tmp_path / "x.sqlite").budget_names()[:3] == ["clob", "clob:/book", "clob:/books"]


def test_pickled_limiter_shares_state_through_the_file(tmp_path: Path) -> None:
    limiter = _limiter(tmp_path, {"t": Budget("t", 3, 60.0)})
    limiter.acquire("t", "GET", "/x")
    clone = pickle.loads(pickle.dumps(limiter))
    clone.acquire("t", "GET", "/x")
    assert limiter.in_window("t") == clone.in_window("t") == 2
    assert (clone.db_path, clone.safety_ms, clone.budgets) == (limiter.db_path, limiter.safety_ms, limiter.budgets)
    limiter.close()
    clone.close()


def _acquire_in_child(limiter: SharedRateLimiter, out: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    try:
        limiter.acquire("t", "GET", "/x", timeout=5)
        out.put(limiter.in_window("t"))
    except BaseException as exc:
        out.put(f"{type(exc).__name__}: {exc}")


def test_forked_child_rebuilds_its_connections(tmp_path: Path) -> None:
    limiter = _limiter(tmp_path, {"t": Budget("t", 10, 60.0)})
    limiter.acquire("t", "GET", "/x")
    limiter.acquire("t", "GET", "/x")  # the parent's connection and file lock now exist
    ctx = multiprocessing.get_context("fork")
    out = ctx.Queue()
    child = ctx.Process(target=_acquire_in_child, args=(limiter, out))
    child.start()
    seen_by_child = out.get(timeout=30)
    child.join(timeout=30)
    assert seen_by_child == 3
    assert child.exitcode == 0
    assert limiter.in_window("t") == 3


def test_permits_are_stamped_when_granted_even_under_contention(tmp_path: Path) -> None:
    """The safety margin only protects if a permit's stored time is its grant time (pyrate 4.5.1's own
    blocking loop lets it drift by the accumulated oversleep and lock waits: hundreds of ms)."""
    limiter = _limiter(tmp_path, {"t": Budget("t", 10, 0.5)})
    granted: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(6):
            limiter.acquire("t", "GET", "/x", timeout=10)
            with lock:
                granted.append(time.time() * 1000)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    bucket = limiter._slot("t").bucket
    with bucket.lock:
        stored = [row[0] for row in bucket.conn.execute(f"SELECT item_timestamp FROM '{bucket.table}' ORDER BY 1")]
    assert len(stored) == len(granted) == 48
    lags = [grant - stamp for grant, stamp in zip(sorted(granted), stored, strict=True)]
    assert max(lags) < 40, f"stored permit times lag their grants by up to {max(lags):.0f} ms"


def test_unknown_budget_name_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="Unknown rate-limit budget 'nope'; configured: t"):
        _limiter(tmp_path).acquire_budgets(["nope"])


@pytest.mark.parametrize("settle", [True, False], ids=["settled", "control-without-settle"])
def test_send_delay_longer_than_the_margin_never_overruns_the_server(tmp_path: Path, settle: bool) -> None:
    """A request held up between its grant and its send (CPU contention, GIL) by far more than the safety
    margin: with permits re-stamped at completion (``settle``) the server still never sees limit + 1 in a
    window; the control run without ``settle`` shows the overrun the re-stamp prevents."""
    import requests

    limit, window, delay = 5, 1.0, 0.4
    limiter = SharedRateLimiter(tmp_path / "rl.sqlite", {"j": Budget("j", limit, window)}, safety_ms=50)
    if not settle:
        limiter.settle = lambda: None  # type: ignore[method-assign]
    with FakeApi(latency=0.01) as api:
        api.route("GET", "/j", lambda request: {"ok": True}, group="j")
        api.add_budget("j", limit, window)

        def one(hold: float) -> None:
            limiter.acquire("j", "GET", "/j", timeout=10)
            time.sleep(hold)
            requests.get(f"{api.base_url}/j", timeout=5)
            limiter.settle()

        first_wave = [threading.Thread(target=one, args=(delay if i == 0 else 0.0,)) for i in range(limit)]
        for thread in first_wave:
            thread.start()
        time.sleep(0.1)
        second_wave = [threading.Thread(target=one, args=(0.0,)) for _ in range(limit)]
        for thread in second_wave:
            thread.start()
        for thread in first_wave + second_wave:
            thread.join(15)
        worst = api.max_in_window("j", window)
        rejected = api.count_429("j")
    if settle:
        assert (worst, rejected) == (limit, 0)
    else:
        assert worst == limit + 1 and rejected == 1
