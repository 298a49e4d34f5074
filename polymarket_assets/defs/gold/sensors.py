"""``gold_automation_sensor`` (RUNNING by default): evaluates the gold assets' automation condition, the same
one silver uses, so gold refreshes after the silver tables it reads. Why and how:
``polymarket_assets/silver/automation.py``."""

import dagster as dg

from polymarket_assets.silver.automation import GOLD_PREFIX

gold_automation_sensor = dg.AutomationConditionSensorDefinition(
    "gold_automation_sensor",
    target=dg.AssetSelection.groups(GOLD_PREFIX),
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=30,
    description="Evaluates the gold automation condition: refresh gold after the silver tables it reads update.",
)
