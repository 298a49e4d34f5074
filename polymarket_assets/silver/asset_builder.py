"""How a model becomes a Dagster asset: one unpartitioned asset per model, a thin wrapper around ``load_model``.

The same builder makes the silver and the gold assets. Every asset: key ``<layer>/<model>``, group
``<layer>``, kind ``duckdb``, pool ``duckdb`` (one writer at a time), deps = its bronze parents or the tables
it is computed from (lineage in the UI; column lineage and schema as metadata), its asset checks
(``checks/``) evaluated in the same step on the same connection (checks against *other* tables are separate
check steps, ordered after those tables), and the automation condition (``automation.py``). A model with
``plots`` gets them drawn after each load by the ``render_plots`` hook its defs module passes (gold: PNGs
under ``<data dir>/gold/plots/``, shown in the UI as markdown metadata).
"""

# No `from __future__ import annotations`: Dagster reads the config/resource annotations at decoration time.

from collections.abc import Callable, Collection
from typing import Any, Optional

import dagster as dg
from dagster_duckdb import DuckDBResource
from pydantic import Field

from polymarket_assets.resources import LakeResource
from polymarket_assets.silver.automation import (
    CROSS_TABLE_CHECK_AUTOMATION_CONDITION,
    GOLD_AUTOMATION_CONDITION,
    SILVER_AUTOMATION_CONDITION,
    SILVER_PREFIX,
)
from polymarket_assets.silver.checks import CheckContext, CheckDef, Outcome, checks_for
from polymarket_assets.silver.duck import (
    DEFAULT_LOCK_TIMEOUT_S,
    DuckDBLockedError,
    open_writer,
)
from polymarket_assets.silver.ledger import LoadLedger
from polymarket_assets.silver.load import LoadResult, SourceMissingError, load_model, table_exists
from polymarket_assets.silver.model import Model

GROUP = "silver"
OWNERS = ["team:data-platform"]
POOL = "duckdb"
LOCK_RETRIES = 3
LOCK_RETRY_WAIT_S = 30.0

_KIND_TEXT = {
    "fact": "Fact: each bronze day partition dt is replaced as a whole, in one transaction, when its files change.",
    "dim": "Dimension: latest state per natural key (SCD type 1) with first_seen_at/last_seen_at, merged from new or changed bronze days.",
    "bridge": "Bridge: an event's links are replaced when a newer snapshot of the event arrives.",
}

#: ``render_plots(conn, model, result, config, lake) -> metadata``: draw a model's plots after its load.
RenderPlots = Callable[[Any, Model, LoadResult, Any, LakeResource], dict[str, Any]]


class SilverLoadConfig(dg.Config):
    full_refresh: bool = Field(
        default=False, description="Drop the table and its ledger rows, then reload every bronze day."
    )
    lock_timeout_seconds: float = Field(
        default=DEFAULT_LOCK_TIMEOUT_S,
        description="How long to wait while another process (a DuckDB shell, a notebook) holds the DuckDB file.",
    )
    lock_retries: int = Field(
        default=LOCK_RETRIES,
        description="If it is still held after that, retry the step this many times before failing the run.",
    )
    lock_retry_wait_seconds: float = Field(default=LOCK_RETRY_WAIT_S, description="Pause between those retries.")


class GoldLoadConfig(SilverLoadConfig):
    """``SilverLoadConfig`` plus what the gold plots show."""

    plot_market: Optional[str] = Field(
        default=None,
        description="Price-path plot (gold/token_ohlcv): the market to draw, by slug or condition id; default: the "
        "market with the most trades.",
    )
    plot_top_markets: int = Field(default=8, ge=1, le=30, description="Daily-volume plot: how many top markets to draw.")


def asset_key(name: str, layer: str = SILVER_PREFIX) -> dg.AssetKey:
    return dg.AssetKey([layer, name])


def model_key(model: Model) -> dg.AssetKey:
    return dg.AssetKey([model.layer, model.name])


def source_key(model: Model, source: str) -> dg.AssetKey:
    """The asset a model reads: ``bronze/<dataset>``, or ``<layer>/<table>`` for a model computed from tables."""
    return dg.AssetKey([model.source_layer, source])


def load_text(model: Model) -> str:
    if model.python is not None:
        return (f"Fact with a Python transform ({model.python.__module__}): each bronze day dt is recomputed by it and "
                "replaced as a whole, in one transaction, when its files change.")
    if model.kind == "table":
        names = ", ".join(f"{model.source_layer}.{s}" for s in model.sources)
        optional = "".join(f" (and {model.source_layer}.{s} where it exists)" for s, _ in model.optional_sources)
        return (f"Table computed from {names}{optional}: rebuilt in one transaction when one of them (re)loaded or "
                f"removed a day since the last build; unchanged otherwise.")
    if model.source_layer != "bronze":
        source = f"{model.source_layer}.{model.sources[0]}"
        return (f"Fact computed from {source}: each day dt is recomputed from that table's rows of the day, in one "
                f"transaction, when {source} (re)loads the day.")
    return _KIND_TEXT[model.kind]


def column_schema(model: Model) -> dg.TableSchema:
    return dg.TableSchema(columns=[dg.TableColumn(c.name, c.type, description=c.description) for c in model.columns])


def column_lineage(model: Model) -> dg.TableColumnLineage:
    deps: dict[str, list[dg.TableColumnDep]] = {}
    for c in model.columns:
        refs = []
        for ref in c.lineage:
            dataset, column = ref.split(".", 1)
            refs.append(dg.TableColumnDep(asset_key=source_key(model, dataset), column_name=column))
        if refs:
            deps[c.name] = refs
    return dg.TableColumnLineage(deps_by_column=deps)


def _definition_metadata(model: Model) -> dict[str, Any]:
    return {
        "dagster/table_name": model.table,
        "dagster/column_schema": column_schema(model),
        "dagster/column_lineage": column_lineage(model),
        "grain": model.grain,
        "natural_key": ", ".join(model.key),
        "load": load_text(model),
    }


def _days_text(days: list) -> str:
    if not days:
        return "none"
    days = sorted(days)
    return days[0].isoformat() if len(days) == 1 else f"{days[0].isoformat()} .. {days[-1].isoformat()} ({len(days)} days)"


def materialization_metadata(model: Model, result: LoadResult) -> dict[str, Any]:
    md: dict[str, Any] = {
        "dagster/row_count": dg.MetadataValue.int(result.table_rows),
        "dagster/column_lineage": column_lineage(model),
        "days_loaded": len(result.days_loaded),
        "days_loaded_range": _days_text(result.days_loaded),
        "days_unchanged": result.days_unchanged,
        "days_removed": len(result.days_removed),
        "days_failed_checks": len(result.days_failed),
        "days_changed_while_loading": len(result.days_changed_while_loading),
        "rows_inserted": result.rows_inserted,
        "rows_deleted": result.rows_deleted,
        "source_rows_read": result.source_rows,
        "rebuilt": result.rebuilt,
        "model_version": result.model_version,
        "load_seconds": round(result.seconds, 3),
    }
    if model.kind == "fact":
        md["rows_dropped_documented"] = result.rows_dropped
    if result.days_failed:
        md["days_failed_range"] = _days_text(result.days_failed)
    md.update(result.notes)
    return md


def _check_result(model: Model, name: str, result: LoadResult) -> dg.AssetCheckResult:
    return _result(model, name, result.checks[name])


def _result(model: Model, name: str, outcome: Outcome) -> dg.AssetCheckResult:
    md = {k: v for k, v in outcome.metadata.items() if isinstance(v, (int, float, str, bool))}
    md["summary"] = outcome.description
    return dg.AssetCheckResult(
        asset_key=model_key(model),
        check_name=name,
        passed=bool(outcome.passed),
        severity=dg.AssetCheckSeverity.ERROR if outcome.severity == "ERROR" else dg.AssetCheckSeverity.WARN,
        description=outcome.description,
        metadata=md,
    )


def _retry_or_raise(context: Any, exc: DuckDBLockedError, retries: int, wait: float = LOCK_RETRY_WAIT_S) -> None:
    """A reader holding the file is transient: retry the step (same run) before failing it."""
    if retries > 0:
        context.log.warning(f"{exc}\nRetrying in {wait:.0f} s (up to {retries} retries).")
        raise dg.RetryRequested(max_retries=retries, seconds_to_wait=wait) from exc
    raise exc


def build_silver_asset(model: Model) -> dg.AssetsDefinition:
    """A silver model's asset (see :func:`build_model_asset`)."""
    return build_model_asset(model)


def build_model_asset(
    model: Model, *, known_sources: Optional[Collection[dg.AssetKey]] = None, render_plots: Optional[RenderPlots] = None
) -> dg.AssetsDefinition:
    """The asset of any model (silver or gold). ``known_sources``: the asset keys that exist, so an optional
    source becomes a dependency only once something defines it; ``render_plots`` draws the model's plots
    after each load (its metadata joins the materialization's)."""
    key = model_key(model)
    check_specs = [
        dg.AssetCheckSpec(c.name, asset=key, description=c.description + (" Blocking." if c.blocking else ""), blocking=c.blocking)
        for c in checks_for(model)
        if c.phase != "after"
    ]
    deps = [source_key(model, source) for source in model.sources]
    deps += [source_key(model, s) for s, _ in model.optional_sources if known_sources is not None and source_key(model, s) in known_sources]
    decorator = dg.asset(
        key=key,
        group_name=model.layer,
        kinds={"duckdb"},
        owners=OWNERS,
        pool=POOL,
        deps=deps,
        description=f"{model.description}\n\nGrain: {model.grain}. Natural key: {', '.join(model.key)}. {load_text(model)}",
        metadata=_definition_metadata(model),
        check_specs=check_specs,
        automation_condition=GOLD_AUTOMATION_CONDITION if model.layer == "gold" else SILVER_AUTOMATION_CONDITION,
    )

    def run(context: dg.AssetExecutionContext, config: SilverLoadConfig, duckdb: DuckDBResource, lake: LakeResource):
        plot_md: dict[str, Any] = {}
        try:
            with open_writer(
                duckdb.database,
                config=dict(duckdb.connection_config),
                lock_timeout_seconds=config.lock_timeout_seconds,
                log=context.log.warning,
            ) as conn:
                result = load_model(conn, model, lake.bronze, full_refresh=config.full_refresh, run_id=context.run_id, log=context.log.info)
                if render_plots is not None and model.plots and not result.blocking_failures:
                    plot_md = render_plots(conn, model, result, config, lake)
        except DuckDBLockedError as exc:
            _retry_or_raise(context, exc, config.lock_retries, config.lock_retry_wait_seconds)
        except SourceMissingError as exc:
            raise dg.Failure(description=str(exc)) from exc
        failures = result.blocking_failures
        if result.committed or not failures:
            yield dg.MaterializeResult(asset_key=key, metadata={**materialization_metadata(model, result), **plot_md})
        for name in result.checks:
            yield _check_result(model, name, result)
        if failures and not result.committed:
            if result.days_failed:
                why = (f"the load was rolled back and {model.table} keeps its previous state "
                       f"({_days_text(result.days_failed)} stay pending)")
            else:
                why = "nothing new was loaded; the table as it stands fails them"
            raise dg.Failure(
                description=f"{model.table}: blocking check(s) {', '.join(failures)} failed; {why}.",
                metadata={"days_failed": _days_text(result.days_failed)},
            )

    if model.layer == "gold":
        def _gold_asset(context: dg.AssetExecutionContext, config: GoldLoadConfig, duckdb: DuckDBResource, lake: LakeResource):
            yield from run(context, config, duckdb, lake)

        return decorator(_gold_asset)

    def _silver_asset(context: dg.AssetExecutionContext, config: SilverLoadConfig, duckdb: DuckDBResource, lake: LakeResource):
        yield from run(context, config, duckdb, lake)

    return decorator(_silver_asset)


def build_cross_table_check(model: Model, check: CheckDef) -> dg.AssetChecksDefinition:
    """A check of ``model`` against other silver tables, as its own step after theirs (``additional_deps``).

    Scope: for a fact, the days of its latest load (this run's, when this run loaded days; otherwise the
    previous load's, re-checked against the dimensions as they are now); for a dimension, the whole table.
    """

    @dg.asset_check(
        asset=model_key(model),
        name=check.name,
        description=check.description + (" Blocking." if check.blocking else ""),
        blocking=check.blocking,
        additional_deps=[asset_key(d, model.layer) for d in check.additional_deps],
        pool=POOL,
        automation_condition=CROSS_TABLE_CHECK_AUTOMATION_CONDITION,
    )
    def _cross_table_check(context: dg.AssetCheckExecutionContext, duckdb: DuckDBResource) -> dg.AssetCheckResult:
        try:
            with open_writer(duckdb.database, config=dict(duckdb.connection_config), log=context.log.warning) as conn:
                ledger = LoadLedger(conn)
                if not table_exists(conn, model):
                    outcome = Outcome(True, "ERROR", f"{model.table} is not built yet: nothing to check", {"scope": "no table"})
                else:
                    days = ledger.days_of_latest_load(model.name, context.run.run_id) if model.kind == "fact" else None
                    outcome = check.fn(CheckContext(conn, model, days))
        except DuckDBLockedError as exc:
            _retry_or_raise(context, exc, LOCK_RETRIES)
        return _result(model, check.name, outcome)

    return _cross_table_check
