"""Silver order-book facts in DuckDB, loaded incrementally from ``bronze/orderbook_snapshots``.

* ``silver.orderbook_snapshot_fact`` — one row per snapshot (deduplicated on ``snapshot_id``): ids, exchange
  and received timestamps, top of book, sizes at the top, depth and level counts, exchange lag.
* ``silver.orderbook_top_of_book_1m`` — the top-of-book time series per instrument: one row per instrument
  and UTC minute with first/last/min/max mid, last bid/ask, mean spread and the snapshot count.

Both are unpartitioned tables loaded day by day. Which days to (re)load comes from the shared load ledger
(``silver_meta.load_ledger``, :mod:`polymarket_assets.silver.ledger`): a bronze day whose files changed
(fingerprint of name, size, mtime) or a change of this module's SQL (model version) is reloaded; unchanged
days cost nothing; a day removed from bronze is removed here. Each day is replaced in ONE transaction
(DELETE the day, INSERT … SELECT from Parquet, record the ledger row), so a re-run is idempotent and a
failure leaves the previous state.

Conventions shared with the silver layer: connections come from ``silver.duck.open_writer`` (the one
read-write connection, queued behind ``<db>.writer.lock``, ``TimeZone = 'UTC'`` so minutes and days are UTC),
``pool="duckdb"``, and the silver automation condition (refresh after a bronze partition lands), evaluated
by the silver layer's ``silver_automation_sensor``, which targets the whole ``silver`` group.
"""

import datetime as dt
import hashlib
from pathlib import Path
from collections.abc import Sequence
from typing import Any

import dagster as dg
from dagster_duckdb import DuckDBResource

from polymarket_assets.resources import LakeResource
from polymarket_assets.silver.automation import SILVER_AUTOMATION_CONDITION
from polymarket_assets.silver.duck import open_writer, transaction
from polymarket_assets.silver.ledger import LoadLedger, Partition, scan_partitions
from polymarket_assets.streaming.assets import ASSET_NAME as BRONZE_NAME

SCHEMA = "silver"
FACT = "orderbook_snapshot_fact"
TOB = "orderbook_top_of_book_1m"
FACT_VERSION = "orderbook_snapshot_fact/v1"
TOB_VERSION = "orderbook_top_of_book_1m/v1"
BRONZE_KEY = dg.AssetKey(["bronze", BRONZE_NAME])

FACT_DDL = f"""
CREATE SCHEMA IF NOT EXISTS {SCHEMA};
CREATE TABLE IF NOT EXISTS {SCHEMA}.{FACT} (
    dt               DATE        NOT NULL,
    snapshot_id      VARCHAR     NOT NULL,
    run_tag          VARCHAR,
    poll_cycle       BIGINT,
    venue            VARCHAR     NOT NULL,
    source           VARCHAR,
    instrument_key   VARCHAR     NOT NULL,
    market_id        VARCHAR,
    instrument_id    VARCHAR,
    token_id         VARCHAR,
    slug             VARCHAR,
    outcome          VARCHAR,
    exchange_ts      TIMESTAMPTZ,
    received_ts      TIMESTAMPTZ NOT NULL,
    best_bid         DECIMAL(18, 6),
    best_ask         DECIMAL(18, 6),
    mid              DECIMAL(18, 6),
    spread           DECIMAL(18, 6),
    best_bid_size    DECIMAL(28, 8),
    best_ask_size    DECIMAL(28, 8),
    bid_levels       INTEGER,
    ask_levels       INTEGER,
    bid_depth        DECIMAL(38, 8),
    ask_depth        DECIMAL(38, 8),
    book_hash        VARCHAR,
    fetch_ms         DOUBLE,
    exchange_lag_ms  BIGINT
);
"""

FACT_INSERT = f"""
INSERT INTO {SCHEMA}.{FACT}
SELECT
    CAST(? AS DATE)                                         AS dt,
    snapshot_id,
    regexp_extract(snapshot_id, '^(.*)-[0-9]+$', 1)         AS run_tag,
    poll_cycle,
    venue,
    source,
    instrument_key,
    market_id,
    instrument_id,
    token_id,
    slug,
    outcome,
    exchange_ts,
    received_ts,
    best_bid,
    best_ask,
    mid,
    spread,
    CAST(bids[1].size AS DECIMAL(28, 8))                    AS best_bid_size,
    CAST(asks[1].size AS DECIMAL(28, 8))                    AS best_ask_size,
    CAST(len(bids) AS INTEGER)                              AS bid_levels,
    CAST(len(asks) AS INTEGER)                              AS ask_levels,
    CAST(coalesce(list_sum(list_transform(bids, lambda x: x.size)), 0) AS DECIMAL(38, 8)) AS bid_depth,
    CAST(coalesce(list_sum(list_transform(asks, lambda x: x.size)), 0) AS DECIMAL(38, 8)) AS ask_depth,
    hash                                                    AS book_hash,
    fetch_ms,
    CASE WHEN exchange_ts IS NULL THEN NULL ELSE epoch_ms(received_ts) - epoch_ms(exchange_ts) END AS exchange_lag_ms
FROM read_parquet(?, hive_partitioning = true, union_by_name = true)
QUALIFY row_number() OVER (PARTITION BY snapshot_id ORDER BY received_ts, source_file) = 1
"""

TOB_DDL = f"""
CREATE SCHEMA IF NOT EXISTS {SCHEMA};
CREATE TABLE IF NOT EXISTS {SCHEMA}.{TOB} (
    dt              DATE        NOT NULL,
    instrument_key  VARCHAR     NOT NULL,
    venue           VARCHAR     NOT NULL,
    market_id       VARCHAR,
    instrument_id   VARCHAR,
    slug            VARCHAR,
    outcome         VARCHAR,
    minute          TIMESTAMPTZ NOT NULL,
    snapshots       BIGINT      NOT NULL,
    first_mid       DECIMAL(18, 6),
    last_mid        DECIMAL(18, 6),
    min_mid         DECIMAL(18, 6),
    max_mid         DECIMAL(18, 6),
    last_best_bid   DECIMAL(18, 6),
    last_best_ask   DECIMAL(18, 6),
    mean_spread     DOUBLE,
    last_received_ts TIMESTAMPTZ NOT NULL
);
"""

TOB_INSERT = f"""
INSERT INTO {SCHEMA}.{TOB}
SELECT
    dt,
    instrument_key,
    any_value(venue),
    any_value(market_id),
    any_value(instrument_id),
    arg_max(slug, received_ts),
    arg_max(outcome, received_ts),
    date_trunc('minute', received_ts)        AS minute,
    count(*)                                 AS snapshots,
    arg_min(mid, received_ts)                AS first_mid,
    arg_max(mid, received_ts)                AS last_mid,
    min(mid),
    max(mid),
    arg_max(best_bid, received_ts),
    arg_max(best_ask, received_ts),
    avg(CAST(spread AS DOUBLE)),
    max(received_ts)
FROM {SCHEMA}.{FACT}
WHERE dt = CAST(? AS DATE)
GROUP BY dt, instrument_key, date_trunc('minute', received_ts)
"""


def _reset_if_new_model(conn: Any, ledger: LoadLedger, target: str, version: str, ddl: str) -> None:
    """A changed model version drops and recreates the table (and its ledger rows), so old and new rows never mix."""
    current = ledger.model_version(target)
    if current is not None and current != version:
        conn.execute(f"DROP TABLE IF EXISTS {SCHEMA}.{target}")
        ledger.forget(target)
    conn.execute(ddl)
    if current != version:
        ledger.set_model_version(target, version)


def load_fact(conn: Any, bronze_dir: Path, run_id: str | None = None) -> dict[str, Any]:
    """Bring ``silver.orderbook_snapshot_fact`` up to date with the bronze partitions on disk."""
    ledger = LoadLedger(conn)
    _reset_if_new_model(conn, ledger, FACT, FACT_VERSION, FACT_DDL)
    parts = scan_partitions(bronze_dir / BRONZE_NAME, source=BRONZE_NAME)
    plan = ledger.plan(FACT, BRONZE_NAME, parts, model_version=FACT_VERSION)
    loaded: dict[str, int] = {}
    for day in plan.removed:
        with transaction(conn):
            conn.execute(f"DELETE FROM {SCHEMA}.{FACT} WHERE dt = ?", [day])
            ledger.forget(FACT, BRONZE_NAME, [day])
    for part in plan.to_load:
        with transaction(conn):
            conn.execute(f"DELETE FROM {SCHEMA}.{FACT} WHERE dt = ?", [part.dt])
            conn.execute(FACT_INSERT, [part.dt, part.paths])
            rows = conn.execute(f"SELECT count(*) FROM {SCHEMA}.{FACT} WHERE dt = ?", [part.dt]).fetchone()[0]
            source_rows = conn.execute("SELECT count(*) FROM read_parquet(?)", [part.paths]).fetchone()[0]
            ledger.record(
                FACT, part, model_version=FACT_VERSION, source_rows=source_rows, loaded_rows=rows,
                dropped_rows=source_rows - rows, run_id=run_id,
            )
        loaded[part.dt.isoformat()] = rows
    total = conn.execute(f"SELECT count(*) FROM {SCHEMA}.{FACT}").fetchone()[0]
    return {"loaded": loaded, "removed": [d.isoformat() for d in plan.removed], "unchanged": len(plan.unchanged), "total_rows": total}


def _fact_partitions(ledger: LoadLedger) -> dict[dt.date, Partition]:
    """The fact's loaded days as pseudo-partitions whose fingerprint is the fact's ledger row for the day,
    so the minute series reloads exactly the days the fact (re)loaded."""
    out: dict[dt.date, Partition] = {}
    for (_, day), row in ledger.entries(FACT, BRONZE_NAME).items():
        fp = hashlib.sha256(f"{row['fingerprint']}|{row['model_version']}|{row['loaded_rows']}".encode()).hexdigest()
        out[day] = Partition(FACT, day, Path("."), (), fp)
    return out


def load_top_of_book(conn: Any, run_id: str | None = None) -> dict[str, Any]:
    """Bring ``silver.orderbook_top_of_book_1m`` up to date with the fact table."""
    ledger = LoadLedger(conn)
    conn.execute(FACT_DDL)
    _reset_if_new_model(conn, ledger, TOB, TOB_VERSION, TOB_DDL)
    plan = ledger.plan(TOB, FACT, _fact_partitions(ledger), model_version=TOB_VERSION)
    loaded: dict[str, int] = {}
    for day in plan.removed:
        with transaction(conn):
            conn.execute(f"DELETE FROM {SCHEMA}.{TOB} WHERE dt = ?", [day])
            ledger.forget(TOB, FACT, [day])
    for part in plan.to_load:
        with transaction(conn):
            conn.execute(f"DELETE FROM {SCHEMA}.{TOB} WHERE dt = ?", [part.dt])
            conn.execute(TOB_INSERT, [part.dt])
            rows = conn.execute(f"SELECT count(*) FROM {SCHEMA}.{TOB} WHERE dt = ?", [part.dt]).fetchone()[0]
            source_rows = conn.execute(f"SELECT count(*) FROM {SCHEMA}.{FACT} WHERE dt = ?", [part.dt]).fetchone()[0]
            ledger.record(TOB, part, model_version=TOB_VERSION, source_rows=source_rows, loaded_rows=rows, dropped_rows=0, run_id=run_id)
        loaded[part.dt.isoformat()] = rows
    total = conn.execute(f"SELECT count(*) FROM {SCHEMA}.{TOB}").fetchone()[0]
    return {"loaded": loaded, "removed": [d.isoformat() for d in plan.removed], "unchanged": len(plan.unchanged), "total_rows": total}


def _schema_md(conn: Any, table: str) -> dg.TableSchema:
    rows = conn.execute(
        "SELECT column_name, data_type, is_nullable FROM information_schema.columns WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
        [SCHEMA, table],
    ).fetchall()
    return dg.TableSchema(
        columns=[dg.TableColumn(name=n, type=t, constraints=dg.TableColumnConstraints(nullable=nullable == "YES")) for n, t, nullable in rows]
    )


def _preview(conn: Any, sql: str) -> str:
    cur = conn.execute(sql)
    cols = [d[0] for d in cur.description]
    rows = cur.fetchall()
    if not rows:
        return "_no rows_"
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join("" if v is None else str(v) for v in r) + " |" for r in rows]
    return "\n".join(lines)


def _metadata(conn: Any, table: str, result: dict[str, Any], preview_sql: str) -> dict[str, Any]:
    return {
        "dagster/row_count": dg.MetadataValue.int(int(result["total_rows"])),
        "dagster/column_schema": _schema_md(conn, table),
        "dagster/table_name": dg.MetadataValue.text(f"{SCHEMA}.{table}"),
        "days_loaded": dg.MetadataValue.json(result["loaded"]),
        "days_removed": dg.MetadataValue.json(result["removed"]),
        "days_unchanged": dg.MetadataValue.int(int(result["unchanged"])),
        "preview": dg.MetadataValue.md(_preview(conn, preview_sql)),
    }


_SILVER = {
    "key_prefix": [SCHEMA],
    "group_name": "silver",
    "kinds": {"duckdb"},
    "owners": ["team:data-platform"],
    "pool": "duckdb",
    "automation_condition": SILVER_AUTOMATION_CONDITION,
}


def key_check(conn: Any, table: str, key: Sequence[str], days: Sequence[str]) -> dg.AssetCheckResult:
    """Blocking: the key is unique and not null on the days this run loaded (cost tracks the load)."""
    cols = ", ".join(key)
    where = "dt IN (SELECT CAST(unnest(?) AS DATE))"
    dupes = conn.execute(
        f"SELECT count(*) FROM (SELECT {cols} FROM {SCHEMA}.{table} WHERE {where} GROUP BY ALL HAVING count(*) > 1)", [list(days)]
    ).fetchone()[0]
    nulls = conn.execute(
        f"SELECT count(*) FROM {SCHEMA}.{table} WHERE {where} AND ({' OR '.join(f'{c} IS NULL' for c in key)})", [list(days)]
    ).fetchone()[0]
    return dg.AssetCheckResult(
        check_name="key_unique_not_null",
        passed=dupes == 0 and nulls == 0,
        metadata={"key": cols, "duplicate_keys": dupes, "null_keys": nulls, "days_checked": len(days)},
    )


def prices_check(conn: Any, table: str, columns: Sequence[str], days: Sequence[str]) -> dg.AssetCheckResult:
    """Blocking: every price column lies in [0, 1] on the days this run loaded (NULL = empty side, allowed)."""
    bad = " OR ".join(f"{c} NOT BETWEEN 0 AND 1" for c in columns)
    count = conn.execute(
        f"SELECT count(*) FROM {SCHEMA}.{table} WHERE dt IN (SELECT CAST(unnest(?) AS DATE)) AND ({bad})", [list(days)]
    ).fetchone()[0]
    return dg.AssetCheckResult(
        check_name="prices_in_unit_interval", passed=count == 0, metadata={"rows_out_of_range": count, "columns": ", ".join(columns)}
    )


def _checks(asset: str) -> list[dg.AssetCheckSpec]:
    key = dg.AssetKey([SCHEMA, asset])
    return [
        dg.AssetCheckSpec("key_unique_not_null", asset=key, blocking=True, description="Key unique and not null on the loaded days."),
        dg.AssetCheckSpec("prices_in_unit_interval", asset=key, blocking=True, description="Prices within [0, 1] on the loaded days."),
    ]


def _writer(duckdb: DuckDBResource, context: dg.AssetExecutionContext):
    return open_writer(duckdb.database, config=dict(duckdb.connection_config or {}), log=context.log.warning)


@dg.asset(
    name=FACT,
    deps=[BRONZE_KEY],
    description="One row per order-book snapshot (deduplicated on snapshot_id) with top of book, sizes at the top, "
    "depth, level counts and exchange lag; loaded incrementally per bronze day (load ledger), each day replaced in one transaction.",
    check_specs=_checks(FACT),
    **_SILVER,
)
def orderbook_snapshot_fact(context: dg.AssetExecutionContext, duckdb: DuckDBResource, lake: LakeResource) -> dg.MaterializeResult:
    with _writer(duckdb, context) as conn:
        result = load_fact(conn, lake.bronze, run_id=context.run_id)
        context.log.info(f"{SCHEMA}.{FACT}: loaded {result['loaded']}, removed {result['removed']}, {result['unchanged']} days unchanged")
        md = _metadata(
            conn, FACT, result,
            f"SELECT received_ts, venue, instrument_key, best_bid, best_ask, mid, spread FROM {SCHEMA}.{FACT} ORDER BY received_ts DESC LIMIT 5",
        )
        days = list(result["loaded"])
        checks = [key_check(conn, FACT, ["snapshot_id"], days), prices_check(conn, FACT, ["best_bid", "best_ask", "mid"], days)]
    return dg.MaterializeResult(metadata=md, check_results=checks)


@dg.asset(
    name=TOB,
    deps=[dg.AssetKey([SCHEMA, FACT])],
    description="Top-of-book time series per instrument: one row per instrument and UTC minute (first/last/min/max mid, "
    "last best bid/ask, mean spread, snapshot count), rebuilt for the days the fact table reloaded.",
    check_specs=_checks(TOB),
    **_SILVER,
)
def orderbook_top_of_book_1m(context: dg.AssetExecutionContext, duckdb: DuckDBResource) -> dg.MaterializeResult:
    with _writer(duckdb, context) as conn:
        result = load_top_of_book(conn, run_id=context.run_id)
        context.log.info(f"{SCHEMA}.{TOB}: loaded {result['loaded']}, removed {result['removed']}, {result['unchanged']} days unchanged")
        md = _metadata(
            conn, TOB, result,
            f"SELECT minute, instrument_key, snapshots, first_mid, last_mid, last_best_bid, last_best_ask FROM {SCHEMA}.{TOB} ORDER BY minute DESC LIMIT 5",
        )
        days = list(result["loaded"])
        checks = [
            key_check(conn, TOB, ["instrument_key", "minute"], days),
            prices_check(conn, TOB, ["first_mid", "last_mid", "last_best_bid", "last_best_ask"], days),
        ]
    return dg.MaterializeResult(metadata=md, check_results=checks)


silver_orderbook_assets = [orderbook_snapshot_fact, orderbook_top_of_book_1m]
