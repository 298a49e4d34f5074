"""How silver refreshes on its own after bronze lands.

**Mechanism: an automation condition** on every silver asset, evaluated by ``silver_automation_sensor`` (an
``AutomationConditionSensorDefinition``, RUNNING by default; the Dagster daemon must run, as it does under
``dagster dev``)::

    any_deps_updated().since_last_handled() & ~any_deps_in_progress() & ~in_progress()

i.e. "a bronze parent got a new materialization (any partition, including every day of a range backfill)
since silver last ran or was requested, no bronze parent is being written right now, and this silver asset
is not already running". The run it starts loads every new or changed day at once (the ledger decides).
A table computed from another silver table (``orderbook_top_of_book_1m``) has that table as its parent, so
it refreshes after each materialization of it. **Gold** uses the same condition (its parents are the silver
and gold tables it reads), evaluated by ``gold_automation_sensor`` over the ``gold`` group (RUNNING by default):
a silver refresh is followed by the gold tables that read it, and ``~any_deps_in_progress()`` keeps gold from
starting while silver is still writing.

Why not ``AutomationCondition.eager()``: silver is unpartitioned and its parents are daily-partitioned, so
a silver asset depends on *every* bronze day since the partitions' start; eager's ``~any_deps_missing()``
is then true only when no day of that range is missing, which a partial backfill never achieves: eager
would never fire. (``polymarket_assets_tests/silver/test_automation.py`` shows both.)

**Bronze written outside Dagster** (files copied in, a script) emits no materialization, so the condition
cannot see it. ``silver_bronze_files_sensor`` (STOPPED by default) covers that case: every minute it
fingerprints the bronze day partitions on disk (file stats only) and requests the silver assets whose
sources changed. Turn it on only if you write bronze outside Dagster; with both on, a Dagster-written
partition may trigger two runs, the second of which finds nothing to do.
"""

import hashlib

import dagster as dg

from polymarket_assets.resources import LakeResource
from polymarket_assets.silver.ledger import scan_partitions
from polymarket_assets.silver.models import MODELS

SILVER_PREFIX = "silver"
GOLD_PREFIX = "gold"

SILVER_AUTOMATION_CONDITION = (
    dg.AutomationCondition.any_deps_updated().since_last_handled()
    & ~dg.AutomationCondition.any_deps_in_progress()
    & ~dg.AutomationCondition.in_progress()
).with_label("bronze landed since last silver run")

# The same condition for gold, whose parents are the silver (and gold) tables it reads.
GOLD_AUTOMATION_CONDITION = (
    dg.AutomationCondition.any_deps_updated().since_last_handled()
    & ~dg.AutomationCondition.any_deps_in_progress()
    & ~dg.AutomationCondition.in_progress()
).with_label("silver updated since last gold run")

# Checks of a silver table against other silver tables (separate steps): run with the table, and again
# when a table they read updates (so a trade's orphan status is re-evaluated once its market lands).
# since_last_handled: the run that refreshes a table also runs its check (after it), so the table's
# materialization must not request the check a second time on the next tick.
CROSS_TABLE_CHECK_AUTOMATION_CONDITION = (
    dg.AutomationCondition.any_deps_updated().since_last_handled()
    & ~dg.AutomationCondition.any_deps_in_progress()
    & ~dg.AutomationCondition.in_progress()
).with_label("checked or referenced silver table updated")

SILVER_KEYS = [dg.AssetKey([SILVER_PREFIX, name]) for name in MODELS]

EMPTY = hashlib.sha256().hexdigest()[:16]


def bronze_state(lake: LakeResource) -> dict[str, str]:
    """One digest per bronze dataset silver reads, over every day partition's fingerprint (EMPTY: no days)."""
    out = {}
    for source in sorted({s for m in MODELS.values() if m.source_layer == "bronze" for s in m.sources}):
        digest = hashlib.sha256()
        for day, part in scan_partitions(lake.bronze / source, source=source).items():
            digest.update(f"{day}:{part.fingerprint}\n".encode())
        out[source] = digest.hexdigest()[:16]
    return out
