"""A second process on the same limiter store (``python -m polymarket_assets_tests.infra.neighbour``): it sends
``GET /v2/trades`` as fast as the shared ``data:/trades`` budget allows, with its own User-Agent, until a stop
file appears (or a deadline passes). THE run test starts it beside the backfill, so two processes compete for
one budget through Postgres while the server's arrival log shows whether the budget held."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import requests

from polymarket_assets.clients.budgets import merge_budgets
from polymarket_assets.clients.ratelimit import SharedRateLimiter

USER_AGENT = "polymarket-assets-tests neighbour"


def main(store_url: str, base_url: str, budgets_json: str, condition: str, stop_file: str, max_seconds: float) -> int:
    limiter = SharedRateLimiter(store_url, merge_budgets(json.loads(budgets_json)))
    limiter.check()
    session = requests.Session()
    deadline = time.monotonic() + max_seconds
    sent = 0
    while time.monotonic() < deadline and not Path(stop_file).exists():
        limiter.acquire("data", "GET", "/v2/trades", timeout=60)
        try:
            session.get(f"{base_url}/v2/trades", params={"condition": condition, "limit": 5}, headers={"User-Agent": USER_AGENT}, timeout=10)
        finally:
            limiter.settle()
        sent += 1
    print(f"neighbour sent {sent}", flush=True)
    limiter.close()
    return 0


if __name__ == "__main__":
    url, base, budgets, condition, stop, seconds = sys.argv[1:7]
    sys.exit(main(url, base, budgets, condition, stop, float(seconds)))
