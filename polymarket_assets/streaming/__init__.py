"""Order-book streaming: the long-running logger job (discovery + polling + writer threads), its sensor,
and the bronze asset that compacts what it writes (its silver tables are silver models: ``silver/``).

Layout::

    clock.py        injectable wall + monotonic clock (fake clocks for tests)
    instruments.py  the shared instrument dict and its key ``venue:market_id:instrument_id``
    books.py        raw venue book -> normalized snapshot record (Decimal-exact, best level first)
    venues/         discovery per venue (Polymarket BTC 15-min, Polymarket general, Limitless)
    discovery.py    discovery thread: atomic ``active_instruments.snapshot.json`` + metadata JSONL
    poller.py       hot path: per-venue thread pools, POST /books batches, backoff + cooldown
    writer.py       one thread: queue -> hourly JSONL, flush >= 1/s, fsync on rotation and shutdown
    logger.py       wires the threads, bounded duration, stop event, progress stats
    job.py          ``orderbook_logger_job``
    sensor.py       keeps exactly one logger run alive
    assets.py       ``bronze/orderbook_snapshots`` (JSONL -> Parquet, daily partitions)
"""
