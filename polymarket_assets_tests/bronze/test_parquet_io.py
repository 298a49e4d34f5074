"""PartitionWriter: atomic swap, abort, replace-not-duplicate, empty partitions, orphans, format."""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from polymarket_assets.bronze.parquet_io import (
    PartitionWriter,
    clean_orphans,
    partition_dir,
    partition_exists,
    partition_stats,
    read_partition,
    write_partition,
)
from polymarket_assets.bronze.schemas import MARKET_TOKENS

NOW = dt.datetime(2026, 11, 3, 12, tzinfo=dt.timezone.utc)
DAY = "2026-11-03"


def rows(n: int, start: int = 0) -> list[dict]:
    return [
        {"token_id": str(10**76 + i), "condition_id": "0x" + "ab" * 32, "market_id": str(i), "outcome": "Yes",
         "outcome_index": 0, "price": Decimal("0.5"), "winner": None, "fetched_at": NOW}
        for i in range(start, start + n)
    ]


def test_nothing_is_visible_before_commit_and_everything_after(tmp_path):
    with PartitionWriter(tmp_path, "market_tokens", DAY, MARKET_TOKENS, row_group_size=10) as writer:
        writer.write_rows(rows(25))
        assert not partition_exists(tmp_path, "market_tokens", DAY)
        assert writer.tmp_path.exists() and partition_dir(tmp_path, "market_tokens", DAY) not in writer.tmp_path.parents
        written = writer.commit()
    assert written.rows == 25 and written.bytes == written.path.stat().st_size
    assert read_partition(tmp_path, "market_tokens", DAY).num_rows == 25
    assert not writer.tmp_path.exists()


def test_an_exception_aborts_and_keeps_the_previous_partition(tmp_path):
    write_partition(tmp_path, "market_tokens", DAY, MARKET_TOKENS, rows(3))
    with pytest.raises(RuntimeError):
        with PartitionWriter(tmp_path, "market_tokens", DAY, MARKET_TOKENS) as writer:
            writer.write_rows(rows(100))
            raise RuntimeError("boom")
    assert read_partition(tmp_path, "market_tokens", DAY).num_rows == 3
    assert list((tmp_path / "_staging" / "market_tokens").iterdir()) == []


def test_rewrite_replaces_never_duplicates(tmp_path):
    write_partition(tmp_path, "market_tokens", DAY, MARKET_TOKENS, rows(7))
    write_partition(tmp_path, "market_tokens", DAY, MARKET_TOKENS, rows(5))
    assert read_partition(tmp_path, "market_tokens", DAY).num_rows == 5
    assert [p.name for p in partition_dir(tmp_path, "market_tokens", DAY).iterdir()] == ["part-0.parquet"]


def test_empty_partition_is_a_zero_row_file_with_the_schema(tmp_path):
    write_partition(tmp_path, "market_tokens", DAY, MARKET_TOKENS, [])
    assert partition_exists(tmp_path, "market_tokens", DAY)
    t = read_partition(tmp_path, "market_tokens", DAY)
    assert t.num_rows == 0 and t.schema.equals(MARKET_TOKENS, check_metadata=False)
    assert partition_stats(tmp_path, "market_tokens", DAY)[0] == 0


def test_file_format_zstd_row_groups_and_schema_metadata(tmp_path):
    written = write_partition(tmp_path, "market_tokens", DAY, MARKET_TOKENS, rows(25), row_group_size=10)
    meta = pq.ParquetFile(written.path).metadata
    assert meta.num_row_groups == 3 and meta.row_group(0).num_rows == 10
    assert meta.row_group(0).column(0).compression == "ZSTD"
    schema = pq.read_schema(written.path)
    assert schema.field("token_id").type == "string" and str(schema.field("fetched_at").type) == "timestamp[us, tz=UTC]"
    assert schema.metadata[b"polymarket_assets.dataset"] == b"market_tokens"


def test_hive_readers_see_only_committed_partitions(tmp_path):
    write_partition(tmp_path, "market_tokens", DAY, MARKET_TOKENS, rows(4))
    with PartitionWriter(tmp_path, "market_tokens", "2026-11-04", MARKET_TOKENS, row_group_size=2) as writer:
        writer.write_rows(rows(10))
        writer._flush()  # bytes on disk in the staging file
        glob = str(tmp_path / "market_tokens" / "*" / "*.parquet")
        count, days = duckdb.sql(f"select count(*), count(distinct dt) from read_parquet('{glob}', hive_partitioning=true)").fetchall()[0]
        assert (count, days) == (4, 1)
        writer.abort()


def test_orphans_of_dead_writers_are_removed(tmp_path):
    staging = tmp_path / "_staging" / "market_tokens"
    staging.mkdir(parents=True)
    dead = staging / f"dt={DAY}.999999999.abc.parquet.tmp"  # no such pid
    alive = staging / f"dt={DAY}.{os.getpid()}.def.parquet.tmp"
    dead.write_bytes(b"PAR1partial")
    alive.write_bytes(b"PAR1partial")
    assert clean_orphans(tmp_path, "market_tokens") == 1
    assert not dead.exists() and alive.exists()


def test_decimals_that_do_not_fit_are_refused_not_wrapped(tmp_path):
    bad = rows(1)
    bad[0]["price"] = Decimal("1234567.5")  # decimal128(12, 6) holds < 10^6
    with pytest.raises((ValueError, pa.ArrowInvalid)):
        write_partition(tmp_path, "market_tokens", DAY, MARKET_TOKENS, bad)
    assert not partition_exists(tmp_path, "market_tokens", DAY)
