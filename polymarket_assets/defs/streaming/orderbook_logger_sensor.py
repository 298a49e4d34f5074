"""``orderbook_logger_sensor``: keeps exactly one ``orderbook_logger_job`` run alive (STOPPED by default; how:
``polymarket_assets/streaming/sensor.py``)."""

import dagster as dg

from polymarket_assets.resources import LakeResource
from polymarket_assets.streaming.sensor import LOGGER, describe, keep_alive_tick


@dg.sensor(
    name="orderbook_logger_sensor",
    job_name=LOGGER.job_name,
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.STOPPED,
    description=describe(LOGGER),
)
def orderbook_logger_sensor(context: dg.SensorEvaluationContext, lake: LakeResource):
    return keep_alive_tick(context, LOGGER, lake)
