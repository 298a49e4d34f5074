"""The gold plots: PNGs under <data dir>/gold/plots/ and the same image inline in the materialization metadata."""

from __future__ import annotations

import base64
import re
import struct

import duckdb

from polymarket_assets.gold.plots import PLOTS, PlotOptions, draw
from polymarket_assets_tests.gold.helpers import materialize_gold

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PLOT_OF = {"calibration_reliability": "reliability_diagram", "token_ohlcv": "price_path",
           "market_daily_volume": "top_markets_daily_volume", "btc15m_windows": "btc15m_mid_vs_outcome"}


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_SIGNATURE, data[:8]
    width, height = struct.unpack(">II", data[16:24])  # the IHDR chunk
    return width, height


def test_each_plotted_asset_writes_its_png_and_shows_it_inline(gold_lake, tmp_path):
    db = tmp_path / "polymarket.duckdb"
    result = materialize_gold(gold_lake, db, config={"plot_market": "gold-fixture-cal3"})
    assert result.success
    md = {e.asset_key.path[-1]: e.materialization.metadata for e in result.get_asset_materialization_events()
          if e.asset_key.path[0] == "gold"}
    for asset, plot in PLOT_OF.items():
        text = md[asset]["plot"].value
        match = re.fullmatch(r"!\[([^\]]*)\]\(data:image/png;base64,([A-Za-z0-9+/=]+)\)", text)
        assert match, text[:80]
        inline = base64.b64decode(match.group(2))
        path = gold_lake / "gold" / "plots" / f"{plot}.png"
        assert md[asset]["plot_path"].value == str(path)
        assert path.read_bytes() == inline  # the file and the UI show the same image
        assert png_size(inline) == (900, 460)
    for asset in ("calibration_points", "calibration_summary", "btc15m_calibration"):
        assert "plot" not in md[asset]


def test_plots_say_so_when_there_is_nothing_to_draw(tmp_path):
    with duckdb.connect(str(tmp_path / "empty.duckdb")) as conn:
        conn.execute("CREATE SCHEMA gold")
        conn.execute("CREATE TABLE gold.calibration_reliability (horizon VARCHAR, category VARCHAR, bin SMALLINT, mean_forecast DOUBLE, "
                     "observed_frequency DOUBLE, n BIGINT)")
        conn.execute("CREATE TABLE gold.calibration_summary (horizon VARCHAR, category VARCHAR, n BIGINT, brier DOUBLE, reliability DOUBLE, "
                     "resolution DOUBLE, uncertainty DOUBLE)")
        conn.execute("CREATE TABLE gold.market_daily_volume (dt DATE, condition_id VARCHAR, market_slug VARCHAR, trades BIGINT, "
                     "notional_usdc DECIMAL(38, 6))")
        conn.execute("CREATE TABLE gold.btc15m_windows (window_start TIMESTAMPTZ, mid_open DECIMAL(18, 6), mid_t5 DECIMAL(18, 6), "
                     "mid_t1 DECIMAL(18, 6), outcome_up SMALLINT)")
        for name in PLOTS:
            path, png = draw(conn, name, PlotOptions(), tmp_path)
            assert path.read_bytes() == png and png_size(png) == (900, 460), name
