"""Order-book streaming machinery: the long-running REST logger (discovery + polling + writer threads), the
WebSocket capture (``ws/``, its own layout there), and what their runs and keep-alive sensors need. The Dagster job and sensor are in ``polymarket_assets/defs/streaming/``;
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
    sensor.py       how a keep-alive sensor keeps exactly one run alive (the logger's and the stream's)
    ws/             the WebSocket capture (market channel + Limitless Socket.IO), its raw log and book machines
"""
