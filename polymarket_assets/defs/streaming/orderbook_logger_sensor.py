"""``orderbook_logger_sensor``: keeps exactly one ``orderbook_logger_job`` run alive (STOPPED by default; how:
``polymarket_assets/streaming/sensor.py``)."""

from polymarket_assets.streaming.sensor import make_orderbook_logger_sensor

orderbook_logger_sensor = make_orderbook_logger_sensor()
