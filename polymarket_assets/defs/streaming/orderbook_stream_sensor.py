"""``orderbook_stream_sensor``: keeps exactly one ``orderbook_stream_job`` run alive (STOPPED by default; how:
``polymarket_assets/streaming/sensor.py``)."""

from polymarket_assets.streaming.sensor import STREAM, make_keep_alive_sensor

orderbook_stream_sensor = make_keep_alive_sensor(STREAM, "orderbook_stream_sensor")
