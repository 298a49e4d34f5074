"""WebSocket order-book capture (issue 9): Dagster-free machinery (the job and sensor are in
``polymarket_assets/defs/streaming/``; the compaction in ``polymarket_assets/bronze/datasets/orderbook_ws_events.py``;
the silver replay in ``polymarket_assets/silver/transforms/``).

Layout::

    records.py            the raw-log record (every input of the book machines) and its JSONL line
    rawlog.py             the writer thread (hourly zstd JSONL, flush < 1 s, fsync on rotation/stop) and reader
    journal.py            the one entry of every live record: raw log, then machine; the day checkpoint first
    checkpoint.py         a machine's state as JSON (so each UTC day of the log replays on its own)
    book.py               one order book (Decimal levels, incremental best bid/ask)
    gaps.py               gap events (start, detected, end, reason)
    polymarket_steps.py   the per-asset steps of the Polymarket machine (book, change + best bid/ask check, stale, ...)
    polymarket_books.py   Polymarket records -> steps (frames, subscriptions, lost connections, watchdog verdicts)
    limitless_books.py    Limitless machine: full books, reconnect staleness, resolutions (records and steps)
    replay.py             raw log -> the same machines (rebuilt books equal the live ones)
    bronze_rows.py        the machines writing every step as a bronze ``orderbook_ws_events`` row
    bronze_replay.py      bronze rows -> the same steps, asset by asset (silver's BBO and gaps)
    selection.py          which assets to follow now (discovery instruments, BTC windows, all_active)
    config.py             options, ws:// URL settings, the unreachable-URL error
    polymarket_conn.py    one market-channel connection (websockets): reconnect, PING, watchdog, resync
    polymarket_stream.py  shards + subscriptions + journal for Polymarket
    limitless_stream.py   python-socketio client on /markets for Limitless
    metrics.py            messages/s, changes/s, reconnects, resyncs, gaps, writer lag
    run.py                one bounded run of both venues (signals, gap files, heartbeat, final metrics)
    stream_job.py         what one run of orderbook_stream_job needs (run config, discovery, thread, metadata)
"""
