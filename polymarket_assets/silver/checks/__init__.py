"""Silver asset checks: plain functions over a DuckDB connection, registered per model.

Two phases:

* ``write`` checks run *inside* the load transaction, on what the load just wrote (a fact: the day being
  replaced; a dimension: the whole merged table). A blocking check that fails with ERROR rolls that
  transaction back (write-audit-publish): silver keeps its last good state for that day/table, the ledger
  is not advanced (the next run retries), the check is reported failed and the step fails, so nothing
  downstream runs on bad data.
* ``post`` checks run after the commits, on the whole table: ``reconciles_with_bronze`` (facts) and
  ``fresh`` (all).
* ``after`` checks compare a table with *other* silver tables (trades → markets/tokens, tokens → markets). They
  are separate check steps with ``additional_deps`` on those tables, so in a run that loads both they run
  after both, and they re-run when a table they read updates. They cover the fact days of the latest load
  (the ledger's ``run_id``: this run's days, else the previous load's days re-checked against the current
  dimensions), or the whole table for a dimension. Being after the commit, a blocking failure cannot roll
  back: it fails the run and blocks downstream assets.

Blocking (``blocking=True``, failure severity ERROR) where downstream data would be wrong: null or duplicate
keys (joins fan out or drop rows), prices outside [0, 1], outcome/token counts that disagree (outcome
labels attach to the wrong token), a trade whose token belongs to another market, a day whose row count
does not reconcile with bronze. Not blocking (WARN): orphans (a trade whose market/token is not loaded
*yet*: the row is kept and counted, it becomes joinable when the market lands) and freshness (stale is
not wrong).
"""

from __future__ import annotations

import functools

from polymarket_assets.silver.checks.base import CheckContext, CheckDef, Outcome, Phase, Severity
from polymarket_assets.silver.checks.orderbook import bronze_day_reconciles, crossed_only_as_sent, gaps_well_formed
from polymarket_assets.silver.checks.references import (
    outcomes_match_clob_token_ids,
    outcomes_match_tokens,
    references_known_token,
    references_known_token_and_market,
)
from polymarket_assets.silver.checks.resolutions import winners_match_status
from polymarket_assets.silver.checks.sources import fresh, matches_source_totals, reconciles_with_bronze, source_label
from polymarket_assets.silver.checks.table import key_unique_not_null, prices_in_unit_interval
from polymarket_assets.silver.model import Model
from polymarket_assets.silver.models import MODELS

__all__ = ["CHECKS", "CheckContext", "CheckDef", "Outcome", "Phase", "Severity", "checks_for"]


def _key_check(model: Model) -> CheckDef:
    name = f"{model.key[0]}_unique_not_null" if len(model.key) == 1 else "key_unique_not_null"
    name = model.key_check_name or name
    return CheckDef(name, f"Natural key ({', '.join(model.key)}) is unique and never NULL.", True, "write", key_unique_not_null)


def _price_check(model: Model) -> CheckDef:
    cols = [*model.price_columns, *model.price_list_columns]
    name = "price_in_unit_interval" if cols == ["price"] else "prices_in_unit_interval"
    return CheckDef(name, f"{', '.join(cols)} within [0, 1].", True, "write", prices_in_unit_interval)


def _fresh(model: Model) -> CheckDef:
    if model.source_layer == "bronze":
        text = "The newest bronze day is loaded (with its current files)."
    else:
        text = f"The newest day of {source_label(model, model.sources[0])} is loaded (as that table holds it now)."
    return CheckDef("fresh", text + " WARN only.", False, "post", fresh)


def _reconcile(model: Model) -> CheckDef:
    if model.source_layer == "bronze":
        text = "Each day's row count equals its bronze partition's rows minus the documented drops."
    else:
        counted = f"sum of {model.count_column}" if model.count_column else "row count"
        source = source_label(model, model.sources[0])
        text = (f"Each day's {counted} equals the rows {source} held for that day minus the documented drops "
                f"(and {source}'s own reconciles_with_bronze ties those to bronze).")
    return CheckDef("reconciles_with_bronze", text, True, "post", reconciles_with_bronze)


@functools.cache
def checks_for(model: Model) -> list[CheckDef]:
    """Every check of ``model`` (silver or gold), in the order they run."""
    defs: list[CheckDef] = [_key_check(model)]
    if model.price_columns or model.price_list_columns:
        defs.append(_price_check(model))
    if model.name == "market_dim":
        defs.append(CheckDef("outcomes_match_clob_token_ids", "Each market lists one CLOB token id per outcome.", True, "write", outcomes_match_clob_token_ids))
    if model.name == "market_token_dim":
        defs.append(CheckDef("outcomes_match_tokens", "Each market's token count equals its number of outcomes; indexes are 0..n-1.",
                             True, "after", outcomes_match_tokens, ("market_dim",)))
    if model.name == "trade_fact":
        defs.append(CheckDef("references_known_token_and_market",
                             "Trades reference a loaded market and token (orphans WARN; a token of another market ERROR).",
                             True, "after", references_known_token_and_market, ("market_dim", "market_token_dim")))
    if model.name == "price_history_fact":
        defs.append(CheckDef("references_known_token", "Points reference a loaded token (orphans WARN; contradicting market ERROR).",
                             True, "after", references_known_token, ("market_token_dim",)))
    if model.name == "market_resolution_dim":
        defs.append(CheckDef("winners_match_status",
                             "A resolved market has exactly one winning outcome (payout 1, the others 0) whose token is its "
                             "token at that index; a void, disputed or pending market has none.",
                             True, "write", winners_match_status))
    if model.source_sums:
        sums = ", ".join(f"{col} = sum({expr})" for col, expr in model.source_sums)
        defs.append(CheckDef("matches_source_totals",
                             f"Each day's totals equal the source table's for the same day: {model.count_column or 'rows'} = "
                             f"rows of {model.source_layer}.{model.sources[0]}, {sums}.", True, "write", matches_source_totals))
    if model.name == "orderbook_bbo":
        defs.append(CheckDef("crossed_only_as_sent", "A crossed top appears only where the venue sent it so (counted); an "
                             "unconfirmed crossed top means a wrong book.", True, "write", crossed_only_as_sent))
    if model.name == "orderbook_gaps":
        defs.append(CheckDef("gaps_well_formed", "Known reason; start <= detected <= end; end NULL exactly when open at day end.",
                             True, "write", gaps_well_formed))
    if model.python is not None and model.sources == ("orderbook_ws_events",):
        defs.append(CheckDef("bronze_day_reconciles", "The replayed bronze day reconciles with its raw log: lines = records + bad "
                             "lines, records = with rows + without (PONG, open, …), rows per event type as counted.",
                             True, "write", bronze_day_reconciles))
    defs.extend(model.extra_checks)
    if model.kind == "fact":
        defs.append(_reconcile(model))
    defs.append(_fresh(model))
    return defs


CHECKS: dict[str, list[CheckDef]] = {name: checks_for(model) for name, model in MODELS.items()}
