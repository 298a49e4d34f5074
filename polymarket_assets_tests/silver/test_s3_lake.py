"""Silver with bronze on S3: DuckDB reads the partitions through the lake's registered filesystem, the ledger
fingerprints them by size, mtime and ETag, every table holds exactly what a build over the same bronze on a
local disk holds, and a partition rewritten while it is being read is rolled back and left pending."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from dagster_duckdb import DuckDBResource

from polymarket_assets.bronze.schemas import SCHEMAS
from polymarket_assets.defs.silver.assets import silver_assets as SILVER_ASSETS
from polymarket_assets.defs.silver.assets import silver_cross_table_checks as SILVER_CHECKS
from polymarket_assets.silver import load as load_module
from polymarket_assets.silver.ledger import scan_partitions
from polymarket_assets_tests.silver.bronze_fixtures import DAY1, EXPECTED_ROWS, full_row, trades_day1, write_lake
from polymarket_assets_tests.silver.helpers import BUILD_ORDER, mat_metadata, materialize, query, scalar


def upload_lake(local_root: Path, lake) -> None:
    """Every bronze file of a local lake, to the same key in ``lake`` (one atomic upload each)."""
    for path in sorted((local_root / "bronze").rglob("*.parquet")):
        (lake.root / path.relative_to(local_root).as_posix()).write_bytes(path.read_bytes())


def build_on_s3(lake, db: Path) -> dg.ExecuteInProcessResult:
    return dg.materialize([*SILVER_ASSETS, *SILVER_CHECKS], resources={"duckdb": DuckDBResource(database=str(db)), "lake": lake})


def table_rows(db: Path, table: str) -> list[tuple]:
    return sorted(query(db, f"SELECT * FROM silver.{table}"), key=repr)


@pytest.mark.slow
def test_silver_from_s3_equals_silver_from_a_local_disk(tmp_path: Path, s3_lake) -> None:
    local = write_lake(tmp_path / "local-lake")
    upload_lake(local, s3_lake)
    on_disk = materialize(local, tmp_path / "local.duckdb")
    result = build_on_s3(s3_lake, tmp_path / "s3.duckdb")
    assert on_disk.success and result.success

    def outcomes(run: dg.ExecuteInProcessResult) -> dict[tuple[str, str], tuple[bool, str]]:
        return {(e.asset_key.path[-1], e.check_name): (e.passed, e.severity.value) for e in run.get_asset_check_evaluations()}

    assert outcomes(result) == outcomes(on_disk) and len(outcomes(result)) > 20  # every check, the same verdict
    for table in BUILD_ORDER:
        assert scalar(tmp_path / "s3.duckdb", f"SELECT count(*) FROM silver.{table}") == EXPECTED_ROWS[table], table
        assert table_rows(tmp_path / "s3.duckdb", table) == table_rows(tmp_path / "local.duckdb", table), table
    fingerprints = dict(query(tmp_path / "s3.duckdb", "SELECT dt::VARCHAR, fingerprint FROM silver_meta.load_ledger WHERE target = 'trade_fact'"))
    s3_parts = scan_partitions(s3_lake.bronze / "trades")
    assert fingerprints == {d.isoformat(): p.fingerprint for d, p in s3_parts.items()}
    assert all(f.etag for p in s3_parts.values() for f in p.files)  # the ETag is part of each fingerprint
    again = build_on_s3(s3_lake, tmp_path / "s3.duckdb")
    assert all(md["days_loaded"] == 0 for md in mat_metadata(again).values())  # nothing changed on S3


def test_a_partition_rewritten_while_silver_reads_it_stays_pending(tmp_path: Path, s3_lake, monkeypatch: pytest.MonkeyPatch) -> None:
    local = write_lake(tmp_path / "local-lake")
    upload_lake(local, s3_lake)
    target = s3_lake.bronze / "trades" / f"dt={DAY1}" / "part-0.parquet"
    fewer = trades_day1()[:-1]
    original_view = load_module._source_view
    rewritten = []

    def view_then_rewrite(conn, model, part):
        rows = original_view(conn, model, part)
        if part.source == "trades" and part.dt.isoformat() == DAY1 and not rewritten:
            table = pa.Table.from_pylist([full_row("trades", **r) for r in fewer], schema=SCHEMAS["trades"])
            sink = pa.BufferOutputStream()
            pq.write_table(table, sink, compression="zstd")
            target.write_bytes(sink.getvalue().to_pybytes())  # another run commits the day meanwhile
            rewritten.append(part.dt)
        return rows

    monkeypatch.setattr(load_module, "_source_view", view_then_rewrite)
    db = tmp_path / "s3.duckdb"
    selection = [dg.AssetKey(["silver", "trade_fact"])]
    resources = {"duckdb": DuckDBResource(database=str(db)), "lake": s3_lake}
    first = dg.materialize([*SILVER_ASSETS], selection=selection, resources=resources)
    assert rewritten and first.success
    md = mat_metadata(first)["trade_fact"]
    assert md["days_changed_while_loading"] == 1 and DAY1 not in md["days_loaded_range"]
    assert scalar(db, "SELECT count(*) FROM silver.trade_fact WHERE dt = ?", [DAY1]) == 0  # rolled back: nothing mixed in
    second = dg.materialize([*SILVER_ASSETS], selection=selection, resources=resources)
    assert mat_metadata(second)["trade_fact"]["days_loaded"] == 1
    assert scalar(db, "SELECT count(*) FROM silver.trade_fact WHERE dt = ?", [DAY1]) == len(fewer)
