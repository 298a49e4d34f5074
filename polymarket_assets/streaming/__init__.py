"""Order-book streaming machinery: the long-running REST logger (discovery + polling + writer threads) and what
its runs and its keep-alive sensor need. The Dagster job and sensor are in ``polymarket_assets/defs/streaming/``;
the compaction of what it writes into bronze is ``polymarket_assets/bronze/datasets/orderbook_snapshots.py``;
its silver tables are silver models (``polymarket_assets/silver/orderbook_models.py``).

Layout::

    clock.py        injectable wall + monotonic clock (fake clocks for tests)
    instruments.py  the shared instrument dict and its key ``venue:market_id:instrument_id``
    books.py        raw venue book -> normalized snapshot record (Decimal-exact, best level first)
    venues/         discovery per venue (Polymarket BTC 15-min, Polymarket general, Limitless)
    discovery.py    discovery thread: atomic ``active_instruments.snapshot.json`` + metadata JSONL
    poller.py       hot path: per-venue thread pools, POST /books batches, backoff + cooldown
    writer.py       one thread: queue -> hourly JSONL, flush >= 1/s, fsync on rotation and shutdown
    logger.py       wires the threads, bounded duration, stop event, progress stats
    stats.py        the logger's counters and latency histogram
    logger_run.py   one run of the job: its run config, the logger built from it, its metadata
    sensor.py       how the sensor keeps exactly one logger run alive
"""
