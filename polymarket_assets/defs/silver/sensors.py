"""The sensors that refresh silver: ``silver_automation_sensor`` (RUNNING by default: evaluates the silver
automation condition) and ``silver_bronze_files_sensor`` (STOPPED by default: for bronze written outside
Dagster). Why and how: ``polymarket_assets/silver/automation.py``."""

import hashlib
import json

import dagster as dg

from polymarket_assets.resources import LakeResource
from polymarket_assets.silver.automation import EMPTY, SILVER_KEYS, SILVER_PREFIX, bronze_state
from polymarket_assets.silver.models import MODELS

# One sensor for the whole silver group.
silver_automation_sensor = dg.AutomationConditionSensorDefinition(
    "silver_automation_sensor",
    target=dg.AssetSelection.groups(SILVER_PREFIX),
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=30,
    description="Evaluates the silver automation condition: refresh silver after a bronze partition lands.",
)


@dg.sensor(
    name="silver_bronze_files_sensor",
    asset_selection=dg.AssetSelection.assets(*SILVER_KEYS),
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.STOPPED,
    description="For bronze written outside Dagster: refresh the silver tables whose bronze files changed on disk.",
)
def silver_bronze_files_sensor(context: dg.SensorEvaluationContext, lake: LakeResource):
    state = bronze_state(lake)
    previous = json.loads(context.cursor) if context.cursor else {}
    changed = sorted(s for s, digest in state.items() if previous.get(s, EMPTY) != digest)
    context.update_cursor(json.dumps(state))
    if not changed:
        return dg.SkipReason("bronze unchanged on disk")
    # a table computed from another silver table follows that table (its automation condition), not the files
    targets = [dg.AssetKey([SILVER_PREFIX, m.name]) for m in MODELS.values()
               if m.source_layer == "bronze" and set(m.sources) & set(changed)]
    run_key = hashlib.sha256(json.dumps(state, sort_keys=True).encode()).hexdigest()[:16]
    return dg.RunRequest(run_key=run_key, asset_selection=targets, tags={"silver/trigger": "bronze files: " + ",".join(changed)})
