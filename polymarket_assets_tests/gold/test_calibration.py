"""gold/calibration_points, calibration_summary and calibration_reliability on the gold fixture lake, against a
direct computation in Python (the definitions of README "Gold: calibration")."""

from __future__ import annotations

import math
from decimal import Decimal

import duckdb
import pytest

from polymarket_assets.gold.checks import murphy_identity_holds
from polymarket_assets.gold.models import GOLD_MODELS
from polymarket_assets.silver.checks import CheckContext
from polymarket_assets_tests.gold.gold_fixtures import CAL, EXPECTED, HORIZONS, N_CAL, RESOLVED, WINS, tokens
from polymarket_assets_tests.gold.helpers import build_gold
from polymarket_assets_tests.silver.helpers import query


def _bin(price: float) -> int:
    return min(int(Decimal(str(price)) * 10), 9)


def murphy(points: list[tuple[float, int]]) -> dict[str, float]:
    """Brier and its binned Murphy decomposition, straight from the definitions (10 fixed-width bins)."""
    n = len(points)
    brier = sum((f - o) ** 2 for f, o in points) / n
    base = sum(o for _, o in points) / n
    bins: dict[int, list[tuple[float, int]]] = {}
    for f, o in points:
        bins.setdefault(_bin(f), []).append((f, o))
    rel = res = wbv = wbc = 0.0
    for members in bins.values():
        nk = len(members)
        fk = sum(f for f, _ in members) / nk
        ok = sum(o for _, o in members) / nk
        rel += nk * (fk - ok) ** 2
        res += nk * (ok - base) ** 2
        wbv += sum((f - fk) ** 2 for f, _ in members)
        wbc += sum((f - fk) * (o - ok) for f, o in members)
    return {"n": n, "brier": brier, "reliability": rel / n, "resolution": res / n, "uncertainty": base * (1 - base),
            "within_bin_variance": wbv / n, "within_bin_covariance": wbc / n}


def test_points_read_the_first_token_at_the_horizon_never_later_and_never_the_last_trade(gold_built):
    _, db = gold_built
    rows = query(db, "SELECT condition_id, horizon, category, price, outcome, token_id, forecast_at, price_resolution_seconds "
                     "FROM gold.calibration_points ORDER BY condition_id, horizon")
    got = {(r[0], r[1]): r[2:] for r in rows}
    assert len(got) == N_CAL * len(HORIZONS)
    for i, m in enumerate(CAL):
        for h, delta in HORIZONS.items():
            category, price, outcome, token, forecast_at, resolution = got[(m["conditionId"], h)]
            assert price == EXPECTED[(i, h)], (i, h)  # the point 5 min before the horizon, not the later one
            assert price not in (Decimal("0.99"), Decimal("0.01"))  # the last trade is never the forecast
            assert outcome == (1 if WINS[i] else 0)
            assert token == tokens(m)[0]
            assert forecast_at == RESOLVED[i] - delta
            assert resolution == 60  # the finest series at that instant
            assert category == ("Politics" if i % 2 == 0 else "uncategorized")


def test_void_pending_disputed_and_multi_outcome_markets_are_left_out_and_counted(gold_built):
    lake, db = gold_built
    result = build_gold(lake, db, ["calibration_points"])["calibration_points"]
    assert not result.committed  # nothing changed since the fixture build: nothing read or written
    notes = result.notes
    # + the 4 resolved BTC windows and the 2 resolved markets of the silver fixture: no price history
    assert notes["markets_resolved_binary"] == N_CAL + 6
    assert notes["markets_left_out_more_than_two_outcomes"] == 1
    assert notes["markets_left_out_void"] == 2  # the void market and the void BTC window
    assert notes["markets_left_out_pending_or_disputed"] == 2
    assert notes["markets_scored"] == N_CAL
    assert notes["points_without_price_at_horizon"] == 6 * 3
    statuses = dict(query(db, "SELECT slug, status FROM silver.market_resolution_dim WHERE slug LIKE 'gold-fixture-%' "
                              "AND slug NOT LIKE 'gold-fixture-cal%'"))
    assert statuses == {"gold-fixture-void": "void", "gold-fixture-pending": "pending", "gold-fixture-disputed": "disputed",
                        "gold-fixture-three": "resolved"}


def test_summary_equals_a_direct_computation_and_the_identity_holds(gold_built):
    _, db = gold_built
    summary = {(r[0], r[1]): r for r in query(db, "SELECT horizon, category, n, brier, reliability, resolution, uncertainty, "
                                                  "within_bin_variance, within_bin_covariance, decomposition_residual FROM gold.calibration_summary")}
    assert set(summary) == {(h, c) for h in HORIZONS for c in ("overall", "Politics", "uncategorized")}
    for h in HORIZONS:
        for category, members in (("overall", range(N_CAL)), ("Politics", range(0, N_CAL, 2)), ("uncategorized", range(1, N_CAL, 2))):
            points = [(float(EXPECTED[(i, h)]), 1 if WINS[i] else 0) for i in members]
            want = murphy(points)
            row = summary[(h, category)]
            assert row[2] == want["n"]
            for k, name in enumerate(("brier", "reliability", "resolution", "uncertainty", "within_bin_variance", "within_bin_covariance")):
                assert math.isclose(row[3 + k], want[name], rel_tol=1e-12, abs_tol=1e-12), (h, category, name)
            # the exact identity, and the size of the within-bin terms the three-term form leaves out
            rhs = want["reliability"] - want["resolution"] + want["uncertainty"] + want["within_bin_variance"] - 2 * want["within_bin_covariance"]
            assert math.isclose(want["brier"], rhs, abs_tol=1e-12)
            assert abs(row[9]) < 1e-12
    # the fixture's forecasts spread inside their bins: the classic three-term form is off, by exactly the two terms
    overall = summary[("24h", "overall")]
    three_term = overall[4] - overall[5] + overall[6]
    assert abs(overall[3] - three_term) > 1e-4
    assert math.isclose(overall[3] - three_term, overall[7] - 2 * overall[8], abs_tol=1e-12)


def test_reliability_table_by_price_decile(gold_built):
    _, db = gold_built
    rows = query(db, "SELECT bin, n, mean_forecast, observed_frequency, bin_lower, bin_upper FROM gold.calibration_reliability "
                     "WHERE horizon = '1h' AND category = 'overall' ORDER BY bin")
    points = [(float(EXPECTED[(i, "1h")]), 1 if WINS[i] else 0) for i in range(N_CAL)]
    want: dict[int, list[tuple[float, int]]] = {}
    for f, o in points:
        want.setdefault(_bin(f), []).append((f, o))
    assert [r[0] for r in rows] == sorted(want)
    for b, n, mean_f, freq, lo, hi in rows:
        members = want[b]
        assert n == len(members)
        assert math.isclose(mean_f, sum(f for f, _ in members) / n, rel_tol=1e-12)
        assert math.isclose(freq, sum(o for _, o in members) / n, rel_tol=1e-12)
        assert (lo, hi) == (b / 10, (b + 1) / 10)


def test_the_identity_check_fails_when_a_term_is_wrong(gold_built):
    _, db = gold_built
    model = GOLD_MODELS["calibration_summary"]
    with duckdb.connect(str(db)) as conn:
        assert murphy_identity_holds(CheckContext(conn, model)).passed
        conn.execute("UPDATE gold.calibration_summary SET decomposition_residual = 0.01 WHERE horizon = '7d' AND category = 'overall'")
        outcome = murphy_identity_holds(CheckContext(conn, model))
    assert not outcome.passed and outcome.metadata["rows_identity_off"] == 1


@pytest.mark.parametrize("name", ["calibration_points", "calibration_summary", "calibration_reliability"])
def test_every_check_passes_on_the_fixture(gold_template, name):
    lake, db = gold_template
    copy = db.with_name(f"check-{name}.duckdb")
    copy.write_bytes(db.read_bytes())
    with duckdb.connect(str(copy)) as conn:
        conn.execute(f"DELETE FROM silver_meta.model_versions WHERE target = '{name}'")  # force a rebuild: checks run
    result = build_gold(lake, copy, [name])[name]
    assert result.rebuilt and result.checks and all(o.passed for o in result.checks.values()), result.checks
