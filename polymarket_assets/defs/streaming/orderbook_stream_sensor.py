"""``orderbook_stream_sensor``: keeps exactly one ``orderbook_stream_job`` run alive (STOPPED by default; how:
``polymarket_assets/streaming/sensor.py``)."""

import dagster as dg

from polymarket_assets.resources import LakeResource
from polymarket_assets.streaming.sensor import STREAM, describe, keep_alive_tick


@dg.sensor(
    name="orderbook_stream_sensor",
    job_name=STREAM.job_name,
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.STOPPED,
    description=describe(STREAM),
)
def orderbook_stream_sensor(context: dg.SensorEvaluationContext, lake: LakeResource):
    return keep_alive_tick(context, STREAM, lake)
