import json
from pathlib import Path

import pytest

from polymarket_assets.clients.clob import ClobClient
from polymarket_assets.clients.gamma import GammaClient
from polymarket_assets.clients.http import Endpoint, HttpOptions, HttpTransport
from polymarket_assets.clients.limitless import LimitlessClient
from polymarket_assets_tests.streaming.fake_venues import FakeVenueServer, ServerState, limitless_market

BOUNDARY = 1767201300  # 2025-12-31T17:15:00Z, the end of the recorded BTC window 1767200400


@pytest.fixture
def server():
    state = ServerState(general_markets=3)
    state.limitless_markets = [limitless_market(i) for i in range(3)]
    srv = FakeVenueServer(state=state).start()
    yield srv
    srv.stop()


@pytest.fixture
def transport():
    return HttpTransport(HttpOptions(user_agent="polymarket-assets-tests", max_retries=0, connect_timeout=2, read_timeout=2))


@pytest.fixture
def clients(server, transport):
    return (
        GammaClient(Endpoint(transport, GammaClient.API, server.url, "POLYMARKET_GAMMA_URL")),
        ClobClient(Endpoint(transport, ClobClient.API, server.url, "POLYMARKET_CLOB_URL")),
        LimitlessClient(Endpoint(transport, LimitlessClient.API, server.url, "LIMITLESS_API_URL")),
    )


def read_records(stream_dir: Path) -> list[dict]:
    out = []
    for path in sorted(stream_dir.glob("*/orderbooks/date=*/*.jsonl")):
        data = path.read_bytes()
        assert not data or data.endswith(b"\n"), f"{path} ends with a partial line"
        out.extend(json.loads(line) for line in data.splitlines() if line.strip())
    return out
