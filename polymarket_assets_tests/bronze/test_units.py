"""Partitions, row typing, quarantine and metadata helpers."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from decimal import Decimal

import dagster as dg
import pytest

from polymarket_assets.bronze.coerce import RowCoercionError, coerce_row, coerce_value, to_utc_timestamp
from polymarket_assets.bronze.engine.metadata import markdown_preview, table_schema
from polymarket_assets.bronze.engine.quarantine import Quarantine, check_threshold
from polymarket_assets.bronze.partitions import DAILY_PARTITIONS, contiguous_chunks, day_bounds, partition_days
from polymarket_assets.bronze.schemas import LEADERBOARD, MARKETS

UTC = dt.timezone.utc


def test_daily_partitions_are_utc_and_include_today():
    assert DAILY_PARTITIONS.timezone == "UTC" and DAILY_PARTITIONS.end_offset == 1
    today = dt.datetime.now(UTC).date().isoformat()
    assert DAILY_PARTITIONS.get_last_partition_key() == today
    assert day_bounds("2026-11-03") == (dt.datetime(2026, 11, 3, tzinfo=UTC), dt.datetime(2026, 11, 4, tzinfo=UTC))


def test_partition_days_single_and_range():
    seen = []

    @dg.asset(partitions_def=DAILY_PARTITIONS, backfill_policy=dg.BackfillPolicy.single_run())
    def probe(context) -> None:
        seen.append(partition_days(context))

    dg.materialize([probe], partition_key="2026-11-03")
    dg.materialize([probe], tags={"dagster/asset_partition_range_start": "2026-11-01", "dagster/asset_partition_range_end": "2026-11-04"})
    assert seen == [[dt.date(2026, 11, 3)], [dt.date(2026, 11, d) for d in range(1, 5)]]

    reversed_range = dg.materialize([probe], raise_on_error=False,
                                    tags={"dagster/asset_partition_range_start": "2026-11-03", "dagster/asset_partition_range_end": "2026-11-01"})
    [failure] = [e for e in reversed_range.all_events if e.event_type_value == "STEP_FAILURE"]
    text = failure.event_specific_data.user_failure_data.description
    assert "is it reversed?" in text and "--partition-range 2026-11-01...2026-11-03" in text


def test_contiguous_chunks():
    days = [dt.date(2026, 11, d) for d in (1, 2, 3, 5, 6, 7, 8)]
    assert [[d.day for d in c] for c in contiguous_chunks(days, 3)] == [[1, 2, 3], [5, 6, 7], [8]]


def test_start_date_comes_from_the_environment_and_is_validated():
    code = "from polymarket_assets.bronze.partitions import DAILY_PARTITIONS as P; print(P.start.date())"
    out = subprocess.run([sys.executable, "-c", code], env={**os.environ, "POLYMARKET_BRONZE_START_DATE": "2026-10-01"},
                         capture_output=True, text=True, check=True).stdout
    assert out.strip() == "2026-10-01"
    bad = subprocess.run([sys.executable, "-c", code], env={**os.environ, "POLYMARKET_BRONZE_START_DATE": "1 Oct"},
                         capture_output=True, text=True)
    assert bad.returncode != 0 and "POLYMARKET_BRONZE_START_DATE" in bad.stderr


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2026-04-05 19:37:33+00", dt.datetime(2026, 4, 5, 19, 37, 33, tzinfo=UTC)),
        ("2025-07-11T18:41:17.827458Z", dt.datetime(2025, 7, 11, 18, 41, 17, 827458, tzinfo=UTC)),
        ("2024-11-07T23:07:25.5Z", dt.datetime(2024, 11, 7, 23, 7, 25, 500000, tzinfo=UTC)),
        (1788887014, dt.datetime(2026, 9, 8, 17, 3, 34, tzinfo=UTC)),
        ("1728799418260", dt.datetime(2024, 10, 13, 6, 3, 38, 260000, tzinfo=UTC)),
    ],
)
def test_timestamps(text, expected):
    assert to_utc_timestamp(text) == expected


def test_timestamps_without_a_time_zone_are_refused():
    with pytest.raises(ValueError, match="time zone"):
        to_utc_timestamp(dt.datetime(2026, 11, 3, 12))
    with pytest.raises(ValueError, match="time zone"):
        to_utc_timestamp("2026-11-03T12:00:00")
    assert to_utc_timestamp("2026-11-03") == dt.datetime(2026, 11, 3, tzinfo=UTC)  # a date is a UTC day
    assert to_utc_timestamp(dt.datetime(2026, 11, 3, 13, tzinfo=dt.timezone(dt.timedelta(hours=1)))) == dt.datetime(2026, 11, 3, 12, tzinfo=UTC)


def test_coerce_decimals_quantize_and_refuse_what_does_not_fit():
    price = MARKETS.field("best_bid").type  # decimal128(12, 6)
    assert coerce_value("0.1234565", price) == Decimal("0.123456")  # ROUND_HALF_EVEN
    assert coerce_value(0.43, price) == Decimal("0.430000")  # a float through its repr, not binary
    assert coerce_value("999999.9999994", price) == Decimal("999999.999999")
    with pytest.raises(ValueError, match="more than 12 digits"):
        coerce_value("1000000", price)
    with pytest.raises(ValueError):
        coerce_value("NaN", price)
    with pytest.raises(ValueError):
        coerce_value(True, price)
    assert coerce_value(["1", None], MARKETS.field("outcome_prices").type) == [Decimal("1.000000"), None]


def test_coerce_row_types_and_rejects():
    row = coerce_row({"market_id": 12, "volume": 799823812.487094, "outcome_prices": ["0.5843311669077693146635445446077281"],
                      "volume_24hr": Decimal("1.5"), "raw_json": "{}", "fetched_at": "2026-11-03T00:00:00Z",
                      "resolved_outcome_index": 1, "closed": True}, MARKETS)
    assert row["market_id"] == "12" and row["volume"] == Decimal("799823812.487094")
    assert row["outcome_prices"] == [Decimal("0.584331")] and row["volume_24hr"] == 1.5
    with pytest.raises(RowCoercionError, match="'market_id'.*missing"):
        coerce_row({"raw_json": "{}", "fetched_at": "2026-11-03T00:00:00Z"}, MARKETS)
    with pytest.raises(RowCoercionError, match="'closed'"):
        coerce_row({"market_id": "1", "closed": "maybe", "raw_json": "{}", "fetched_at": "2026-11-03T00:00:00Z"}, MARKETS)
    with pytest.raises(RowCoercionError, match="'rank'.*out of range"):
        coerce_row({"snapshot_at": "2026-11-03T00:00:00Z", "time_period": "day", "sort_by": "PNL", "category": "overall",
                    "rank": 2**40, "user_id": "0x1", "raw_json": "{}", "fetched_at": "2026-11-03T00:00:00Z"}, LEADERBOARD)


def test_quarantine_keeps_body_and_reason(tmp_path):
    q = Quarantine(tmp_path, "markets", "2026-11-03")
    path = q.add(b"<html>oops</html>", "HTML page instead of JSON", "http://x/markets/keyset", {"level": "page"})
    assert path.read_bytes() == b"<html>oops</html>"
    sidecar = json.loads(path.with_suffix(".json").read_text())
    assert sidecar["reason"] == "HTML page instead of JSON" and sidecar["url"] == "http://x/markets/keyset"
    assert sidecar["bytes"] == 17 and len(sidecar["sha256"]) == 64 and q.count == 1
    assert path.parent == tmp_path / "markets" / "dt=2026-11-03"


def test_threshold():
    check_threshold(0, 0, 0.0)
    check_threshold(5, 100, 0.05)
    with pytest.raises(dg.Failure, match="6 of 100"):
        check_threshold(6, 100, 0.05)


def test_metadata_helpers():
    schema = table_schema(MARKETS)
    assert [c.name for c in schema.columns] == MARKETS.names
    assert next(c for c in schema.columns if c.name == "market_id").constraints.nullable is False
    md = markdown_preview([{"market_id": "1", "question": "a|b", "raw_json": "{...}"}], MARKETS)
    assert "a\\|b" in md and "raw_json" not in md
