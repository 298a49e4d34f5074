"""Fixtures for the bronze-A asset tests: a local fake API serving a world built from real bodies."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from polymarket_assets.replay.fake_api import FakeApi
from polymarket_assets.replay.gamma_world import World, build_world, install
from polymarket_assets.resources import LakeResource, PolymarketApiResource, RateLimiterResource

DAY = dt.date(2026, 11, 3)


@pytest.fixture(scope="session")
def world() -> World:
    return build_world()


@pytest.fixture
def fake_api(world: World) -> Iterator[FakeApi]:
    with FakeApi() as api:
        install(api, world)
        yield api


def make_resources(tmp_path: Path, base_url: str, **api_options: Any) -> dict[str, Any]:
    limiter = RateLimiterResource(db_path=str(tmp_path / "_state" / "rl.sqlite"))
    options = {"max_retries": 2, "backoff_factor": 0.01, "read_timeout": 10.0, **api_options}
    return {
        "rate_limiter": limiter,
        "polymarket_api": PolymarketApiResource(rate_limiter=limiter, gamma_url=base_url, clob_url=base_url, data_url=base_url, **options),
        "lake": LakeResource(data_dir=str(tmp_path)),
    }


@pytest.fixture
def resources(tmp_path: Path, fake_api: FakeApi) -> dict[str, Any]:
    return make_resources(tmp_path, fake_api.base_url)
