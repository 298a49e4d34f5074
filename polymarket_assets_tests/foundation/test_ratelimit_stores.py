"""The limiter on Postgres and on Redis (real servers on 127.0.0.1): shared by processes and never over budget,
re-stamped at completion, permits given back on timeout; unusable stores fail at start naming the setting and
the URL, with the password masked everywhere."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from polymarket_assets.clients.budgets import Budget, merge_budgets
from polymarket_assets.clients.errors import RateLimitTimeout
from polymarket_assets.clients.ratelimit import SharedRateLimiter, StoreError
from polymarket_assets.replay.fake_api import FakeApi, budget_utilisation
from polymarket_assets_tests.support.load import BUDGET, PATH, LoadTarget, run_processes
from polymarket_assets_tests.support.services import free_port

LIMIT, WINDOW, SAFETY_MS = 40, 2.0, 100


@pytest.fixture(params=["postgres", "redis"])
def store_url(request: pytest.FixtureRequest) -> str:
    """A fresh Postgres database or an emptied Redis, as a limiter URL."""
    return request.getfixturevalue("postgres_url" if request.param == "postgres" else "redis_url")


def _fake(limit: int = LIMIT, window: float = WINDOW, latency: float = 0.02) -> FakeApi:
    api = FakeApi(latency=latency)
    api.route("GET", PATH, lambda request: {"ok": True}, group=BUDGET)
    api.add_budget(BUDGET, limit, window)
    return api


@pytest.mark.slow
def test_two_processes_share_the_store_and_never_exceed_the_budget(store_url: str) -> None:
    with _fake() as api:
        results, _, _ = run_processes(LoadTarget(api.base_url, LIMIT, WINDOW, SAFETY_MS, store_url=store_url), processes=2, threads=3, seconds=4.5)
        arrivals = api.arrivals(BUDGET)
        assert api.count_429(BUDGET) == 0
        assert api.max_in_window(BUDGET, WINDOW) <= LIMIT
    assert [r.errors for r in results] == [[], []]
    assert len({r.pid for r in results}) == 2 and all(r.requests > 0 for r in results)
    assert sum(r.requests for r in results) == len(arrivals) >= 2 * LIMIT
    # safe is not enough: the budget is used (the margin alone caps this at 2 / 2.1 = 0.95; a Postgres take is
    # three round trips and a busy table lock is retried, so on a loaded 2-core machine ~0.90; bench/rate_limit.py
    # measures it properly, over 30 s)
    assert budget_utilisation(arrivals, LIMIT, WINDOW) >= 0.85


@pytest.mark.parametrize("settle", [True, False], ids=["settled", "control-without-settle"])
def test_a_send_delay_longer_than_the_margin_never_overruns_the_server(store_url: str, settle: bool) -> None:
    """As for SQLite (test_ratelimit.py): with the completion re-stamp on the store's clock, a request held up
    between grant and send never lets limit + 1 reach the server within a window; without it, one does."""
    import requests

    limit, window, delay = 5, 1.0, 0.6  # the held request lands well inside the next window: the control overruns surely
    limiter = SharedRateLimiter(store_url, {"j": Budget("j", limit, window)}, safety_ms=50)
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
        worst, rejected = api.max_in_window("j", window), api.count_429("j")
    limiter.close()
    if settle:
        assert (worst, rejected) == (limit, 0), api.arrivals("j")
    else:  # the control must overrun; by how many depends on the machine's timing (one or two seen on 2 loaded cores)
        assert worst > limit and rejected >= 1, api.arrivals("j")


def test_a_timeout_names_the_budget_and_gives_taken_permits_back(store_url: str) -> None:
    limiter = SharedRateLimiter(store_url, merge_budgets({"gamma:/tags": 5, "gamma": 2}), safety_ms=50)
    assert limiter.acquire("gamma", "GET", "/tags", timeout=1) == 0.0
    assert limiter.acquire("gamma", "GET", "/tags", timeout=1) == 0.0
    started = time.monotonic()
    with pytest.raises(RateLimitTimeout, match="budget 'gamma' ") as info:
        limiter.acquire("gamma", "GET", "/tags", timeout=3)
    assert time.monotonic() - started < 1.0  # the next permit is ~10 s away: fail at once
    assert limiter.describe() in str(info.value) and "***" in limiter.describe()
    assert limiter.in_window("gamma:/tags") == 2  # the third /tags permit was given back
    assert limiter.in_window("gamma") == 2
    limiter.close()


def test_a_permit_restamped_after_a_takers_clock_read_still_counts(store_url: str) -> None:
    """Another process reads the store's clock, then a permit in the window is re-stamped (its request just
    completed), then that process checks the window: the re-stamped permit, now newer than its clock read, must
    still count (pyrate's Redis script counted only up to the taker's own "now"; the store removes that bound)."""
    from pyrate_limiter import RateItem

    limiter = SharedRateLimiter(store_url, {"t": Budget("t", 2, 10.0)}, safety_ms=50)
    slot = limiter._slot("t")
    granted = [slot.try_take(token) for token in ("p1", "p2")]
    assert [ok for ok, _ in granted] == [True, True]  # the window is full
    clock_read = slot.bucket.now()  # a taker elsewhere reads the clock ...
    time.sleep(0.02)
    slot.restamp("p1", granted[0][1])  # ... p1's request completes ...
    assert not slot.bucket.put(RateItem("late", clock_read))  # ... and the taker must still see a full window
    assert limiter.in_window("t") == 2
    limiter.close()


def test_pickled_limiter_shares_the_store(store_url: str) -> None:
    import pickle

    limiter = SharedRateLimiter(store_url, {"t": Budget("t", 3, 60.0)})
    limiter.acquire("t", "GET", "/x")
    clone = pickle.loads(pickle.dumps(limiter))
    clone.acquire("t", "GET", "/x")
    assert limiter.in_window("t") == clone.in_window("t") == 2
    assert clone.url == limiter.url and clone.db_path is None
    limiter.close()
    clone.close()


# -- bad input: every store fails at start, naming the setting, the URL masked --------------------------


def _failure(url: str) -> str:
    with pytest.raises(StoreError) as info:
        SharedRateLimiter(url, {"t": Budget("t", 1, 1.0)}).check()
    return str(info.value)


def test_an_unreachable_postgres_fails_at_once_naming_the_setting_and_the_masked_url() -> None:
    port = free_port()
    message = _failure(f"postgresql://rl:s3cret-pw@127.0.0.1:{port}/ratelimit")
    assert "POLYMARKET_RATELIMIT_URL" in message
    assert f"postgresql://rl:***@127.0.0.1:{port}/ratelimit" in message
    assert "s3cret-pw" not in message and "Connection refused" in message


def test_a_wrong_postgres_password_is_named_but_never_shown(postgres_server, postgres_database: str) -> None:
    url = f"postgresql://{postgres_server.user}:wrong-{postgres_server.password}@127.0.0.1:{postgres_server.port}/{postgres_database}"
    message = _failure(url)
    assert "password authentication failed" in message and "Check the user and password" in message
    assert postgres_server.password not in message


def test_a_role_without_create_rights_is_told_what_to_grant(postgres_server, postgres_database: str) -> None:
    with postgres_server.connect(postgres_database, superuser=True) as conn:
        conn.execute("CREATE ROLE rl_reader LOGIN PASSWORD 'reader-pw'")
        conn.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
    try:
        limiter = SharedRateLimiter(f"postgresql://rl_reader:reader-pw@127.0.0.1:{postgres_server.port}/{postgres_database}",
                                    {"t": Budget("t", 1, 1.0)})
        limiter.check()  # it may connect
        with pytest.raises(StoreError, match=r"(?s)permission denied.*GRANT CREATE ON SCHEMA public") as info:
            limiter.acquire("t", "GET", "/x", timeout=1)
        assert "reader-pw" not in str(info.value)
        limiter.close()
    finally:
        with postgres_server.connect(postgres_database, superuser=True) as conn:
            conn.execute("DROP ROLE IF EXISTS rl_reader")


def test_an_unreachable_redis_fails_at_once_naming_the_setting_and_the_masked_url() -> None:
    port = free_port()
    started = time.monotonic()
    message = _failure(f"redis://:s3cret-pw@127.0.0.1:{port}/0")
    assert time.monotonic() - started < 3
    assert "POLYMARKET_RATELIMIT_URL" in message and f"redis://:***@127.0.0.1:{port}/0" in message
    assert "s3cret-pw" not in message


def test_a_wrong_redis_password_fails_at_once_and_is_never_shown(redis_server) -> None:
    started = time.monotonic()
    message = _failure(f"redis://:not-{redis_server.password}@127.0.0.1:{redis_server.port}/0")
    assert time.monotonic() - started < 2  # no 3 s of redis-py's default retries
    assert "Check the password" in message and redis_server.password not in message


def test_a_sqlite_store_in_an_unwritable_place_names_the_setting(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    assert "cannot be opened" in _failure(f"sqlite:///{str(blocker / 'rl.sqlite').lstrip('/')}")


@pytest.mark.parametrize(("url", "module"), [("postgresql://u:secret@127.0.0.1:9/db", "psycopg_pool"), ("redis://:secret@127.0.0.1:9/0", "redis")])
def test_a_missing_client_library_says_to_install_the_distributed_extra(url: str, module: str, monkeypatch) -> None:
    import importlib.util

    from polymarket_assets.clients.ratelimit.store import open_store

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == module else real(name, *a))
    with pytest.raises(StoreError) as err:
        open_store(url)
    assert "[distributed]" in str(err.value) and module in str(err.value) and "secret" not in str(err.value)
