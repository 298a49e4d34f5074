"""Subprocess for the memory test: stream N trade-shaped rows through PartitionWriter, print peak RSS."""

from __future__ import annotations

import datetime as dt
import json
import resource
import sys
from decimal import Decimal
from pathlib import Path

from polymarket_assets.bronze.parquet_io import PartitionWriter
from polymarket_assets.bronze.schemas import TRADES

REAL_TRADE = json.loads((Path(__file__).resolve().parent.parent / "fixtures" / "real" / "data_api" / "v2_trades_data_array.json").read_text())[0]


def main(root: str, n: int, batch: int = 5000) -> None:
    start = dt.datetime(2026, 11, 3, tzinfo=dt.timezone.utc)
    raw = json.dumps(REAL_TRADE, separators=(",", ":"))
    with PartitionWriter(root, "trades", "2026-11-03", TRADES) as writer:
        for base in range(0, n, batch):
            rows = []
            for i in range(base, min(n, base + batch)):
                rows.append({
                    "trade_key": f"{i:064x}", "transaction_hash": f"0x{i:064x}", "condition_id": "0x" + "c" * 64,
                    "token_id": str(10**76 + i % 5000), "proxy_wallet": f"0x{i % 100000:040x}", "side": "BUY" if i % 2 else "SELL",
                    "price": Decimal(i % 999 + 1) / 1000, "size": Decimal(i % 100000) / 100, "usdc_size": (Decimal(i % 5000) / 7).quantize(Decimal("0.000001")),
                    "ts": start + dt.timedelta(milliseconds=43 * i), "outcome": "Yes", "outcome_index": 0,
                    "market_slug": "will-stephen-a-smith-win-the-2028-democratic-presidential-nomination-914",
                    "event_slug": "democratic-presidential-nominee-2028", "title": "Will Stephen A. Smith win the 2028 Democratic presidential nomination?",
                    "trader_name": f"trader{i % 100000}", "trader_pseudonym": "Anonymous-Pseudonym", "raw_json": raw, "fetched_at": start,
                })
            writer.write_rows(rows)
        written = writer.commit()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"rows": written.rows, "bytes": written.bytes, "peak_rss_mb": round(peak_mb, 1)}))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
