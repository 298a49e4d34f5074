"""bronze/gamma_events, markets, market_tokens, gamma_categories materialized in-process against a local
fake API serving real captured objects (``gamma_world.py``)."""

from __future__ import annotations

import json
from decimal import Decimal

import dagster as dg

from polymarket_assets.bronze import schemas
from polymarket_assets.bronze.parquet_io import partition_dir
from polymarket_assets.defs.bronze.gamma_categories import gamma_categories
from polymarket_assets.defs.bronze.gamma_events import gamma_events
from polymarket_assets.defs.bronze.market_tokens import market_tokens
from polymarket_assets.defs.bronze.markets import markets
from polymarket_assets_tests.bronze.conftest import DAY
from polymarket_assets_tests.bronze.helpers import asset_config, materialize, metadata, table, without

KEY = DAY.isoformat()
ALL = [gamma_events, markets, market_tokens, gamma_categories]


def test_each_asset_holds_exactly_the_rows_of_its_day(tmp_path, resources, world, fake_api):
    result = materialize(ALL, resources, partition=KEY)
    assert result.success

    events = table(tmp_path, "gamma_events", DAY)
    assert events.schema.equals(schemas.GAMMA_EVENTS, check_metadata=False)
    assert sorted(events["event_id"].to_pylist()) == sorted(e["id"] for e in world.events_on(DAY))
    for row in events.to_pylist():
        assert row["start_date"].date() == DAY and row["start_date"].tzinfo is not None
        source = next(e for e in world.events_on(DAY) if e["id"] == row["event_id"])
        assert row["market_ids"] == [m["id"] for m in source["markets"]]
        assert row["tag_ids"] == [t["id"] for t in source["tags"]]
        assert json.loads(row["raw_json"]) == source  # nothing lost

    mk = table(tmp_path, "markets", DAY)
    assert mk.schema.equals(schemas.MARKETS, check_metadata=False)
    assert sorted(mk["market_id"].to_pylist()) == sorted(m["id"] for m in world.markets_on(DAY))
    assert all(isinstance(t, str) and len(t) > 60 for ids in mk["clob_token_ids"].to_pylist() for t in ids)

    tokens = table(tmp_path, "market_tokens", DAY)
    expected_tokens = {t for m in world.markets_on(DAY) for t in json.loads(m["clobTokenIds"])}
    assert set(tokens["token_id"].to_pylist()) == expected_tokens
    assert tokens.num_rows == len(expected_tokens)

    cats = table(tmp_path, "gamma_categories", DAY).to_pylist()
    tags = {r["tag_id"] for r in cats if r["record_type"] == "tag"}
    assert tags == {t["id"] for t in world.tags_created_on(DAY)}
    links = {(r["event_id"], r["tag_id"]) for r in cats if r["record_type"] == "event_tag"}
    assert links == {(e["id"], t["id"]) for e in world.events_on(DAY) for t in e["tags"]}


def test_metadata_on_every_materialization(tmp_path, resources):
    result = materialize(ALL, resources, partition=KEY)
    for name in ("gamma_events", "markets", "market_tokens", "gamma_categories"):
        md = metadata(result, name)
        for key in ("dagster/row_count", "dagster/column_schema", "requests", "retries", "http_429", "bytes_written",
                    "time_window", "preview", "quarantined", "limiter_wait_seconds"):
            assert key in md, (name, key)
        assert md["dagster/row_count"] > 0 and md["bytes_written"] > 0
        assert md["time_window"].startswith("[2026-11-03T00:00:00Z, 2026-11-04T00:00:00Z)")
        assert [c.name for c in md["dagster/column_schema"].columns] == schemas.SCHEMAS[name].names
    assert metadata(result, "gamma_events")["requests"] == 1
    assert metadata(result, "market_tokens")["requests"] == 0  # derived from bronze/markets, no API call


def test_decimal_and_timestamp_typing_of_a_real_market(tmp_path, resources, world):
    materialize([markets], resources, partition=KEY)
    rows = {r["market_id"]: r for r in table(tmp_path, "markets", DAY).to_pylist()}
    for source in world.markets_on(DAY):
        row = rows[source["id"]]
        if "volume" in source:
            assert row["volume"] == Decimal(source["volume"]).quantize(Decimal("0.000001"))
        else:
            assert row["volume"] is None
        assert row["outcome_prices"] == [Decimal(p).quantize(Decimal("0.000001")) for p in json.loads(source["outcomePrices"])]
        assert row["created_at"].tzinfo is not None
        if source.get("closedTime"):
            assert row["closed_time"] is not None  # Postgres text "2026-04-05 19:37:33+00" parsed


def test_rematerializing_gives_the_same_content_not_duplicates(tmp_path, resources):
    materialize(ALL, resources, partition=KEY)
    first = {n: table(tmp_path, n, DAY) for n in ("gamma_events", "markets", "market_tokens", "gamma_categories")}
    materialize(ALL, resources, partition=KEY)
    for name, before in first.items():
        after = table(tmp_path, name, DAY)
        assert after.num_rows == before.num_rows
        assert without(after, "fetched_at").equals(without(before, "fetched_at")), name
        assert [p.name for p in partition_dir(tmp_path / "bronze", name, DAY).iterdir()] == ["part-0.parquet"]


def test_range_run_pages_the_api_once_and_splits_by_day(tmp_path, resources, world, fake_api):
    result = materialize([gamma_events, markets], resources, first="2026-11-01", last="2026-11-07")
    assert result.success
    assert fake_api.count("gamma:/events") == 1 and fake_api.count("gamma:/markets") == 1
    for day in world.days:
        assert sorted(table(tmp_path, "gamma_events", day)["event_id"].to_pylist()) == sorted(e["id"] for e in world.events_on(day))
        assert table(tmp_path, "markets", day).num_rows == len(world.markets_on(day))
        md = metadata(result, "markets", day.isoformat())
        assert md["dagster/row_count"] == len(world.markets_on(day))  # per-partition figure, not the range total
        assert md["time_window"].startswith(f"[{day.isoformat()}T00:00:00Z")


def test_limit_caps_markets(tmp_path, resources):
    result = materialize([markets], resources, partition=KEY, run_config=asset_config("markets", limit=2))
    assert table(tmp_path, "markets", DAY).num_rows == 2
    assert metadata(result, "markets")["limited"] is True


def test_derived_assets_fail_clearly_without_their_upstream(tmp_path, resources):
    result = materialize([market_tokens], resources, partition=KEY, raise_on_error=False)
    assert not result.success
    failure = result.get_step_failure_events()[0].step_failure_data.error
    assert "bronze/markets" in failure.message and "Materialize" in failure.message


def test_asset_definitions_follow_the_conventions():
    for asset in ALL:
        spec = next(iter(asset.specs))
        assert spec.key.path[0] == "bronze" and spec.group_name == "bronze"
        assert spec.owners == ["team:data-platform"] and "parquet" in spec.kinds
        assert asset.partitions_def is not None and asset.backfill_policy == dg.BackfillPolicy.single_run()
    assert gamma_events.op.pool == "polymarket_gamma" and markets.op.pool == "polymarket_gamma"
    assert gamma_categories.op.pool == "polymarket_gamma" and market_tokens.op.pool is None


def test_asset_called_directly_with_a_partitioned_context(tmp_path, resources, world):
    """The asset function itself, invoked with ``build_asset_context(partition_key=...)`` (no job, no instance)."""
    from polymarket_assets.bronze.config import BronzeRunConfig

    context = dg.build_asset_context(partition_key=KEY)
    result = markets(context, config=BronzeRunConfig(), polymarket_api=resources["polymarket_api"], lake=resources["lake"])
    assert isinstance(result, dg.MaterializeResult)
    assert result.metadata["dagster/row_count"] == dg.MetadataValue.int(len(world.markets_on(DAY)))
    assert sorted(table(tmp_path, "markets", DAY)["market_id"].to_pylist()) == sorted(m["id"] for m in world.markets_on(DAY))
