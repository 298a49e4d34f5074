"""WebSocket order-book capture (issue 9): Dagster-free machinery.

Layout::

    records.py            the raw-log record (every input of the book machines) and its JSONL line
    rawlog.py             the writer thread (hourly zstd JSONL, flush < 1 s, fsync on rotation/stop) and reader
    book.py               one order book (Decimal levels, incremental best bid/ask)
    gaps.py               gap events (start, detected, end, reason)
    polymarket_books.py   Polymarket state machine: book + price_change deltas, best bid/ask checks, staleness
    limitless_books.py    Limitless state machine: full books, reconnect staleness, resolutions
    replay.py             raw log -> the same machines (rebuilt books equal the live ones)
    selection.py          which assets to follow now (discovery instruments, BTC windows, all_active)
    config.py             options, ws:// URL settings, the unreachable-URL error
    polymarket_conn.py    one market-channel connection (websockets): reconnect, PING, watchdog, resync
    polymarket_stream.py  shards + subscriptions + machine + raw log for Polymarket
    limitless_stream.py   python-socketio client on /markets for Limitless
    metrics.py            messages/s, changes/s, reconnects, resyncs, gaps, writer lag
    run.py                one bounded run of both venues (signals, gap files, final metrics)
"""
