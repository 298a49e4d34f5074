"""Child process of the SIGKILL test: appends real frames to a raw log as fast as it can and prints, after
each drain the writer finished, how many records are already in the file. The parent kills it with SIGKILL."""

from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path

from polymarket_assets.streaming.ws import records as R
from polymarket_assets.streaming.ws.rawlog import RawLogWriter

REAL = Path(__file__).resolve().parents[1] / "fixtures" / "real" / "clob_ws"


def main(data_dir: str) -> None:
    frames = [json.dumps(f) for f in json.loads((REAL / "market_channel_book_then_price_change_burst_2026.json").read_text())[1:]]
    writer = RawLogWriter(Path(data_dir), "polymarket", session="killed", flush_interval=0.05).start()

    def report() -> None:
        while True:
            print(writer.stats.records, flush=True)
            time.sleep(0.02)

    threading.Thread(target=report, daemon=True).start()
    i = 0
    while True:
        writer.write(R.Record(time.time_ns(), "polymarket", "killed/p000.1", R.RECV, frames[i % len(frames)]))
        i += 1
        if i % 200 == 0:
            time.sleep(0.001)


if __name__ == "__main__":
    main(sys.argv[1])
