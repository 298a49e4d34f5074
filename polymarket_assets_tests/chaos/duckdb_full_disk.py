"""Child process of ``test_storage.py``'s full-disk silver test, run inside a private mount namespace
(``unshare --mount``) whose ``<dir>`` is a small tmpfs holding the DuckDB file: a real ENOSPC from the kernel,
not an injected one.

    python -m polymarket_assets_tests.chaos.duckdb_full_disk <lake> <dir> <aside-dir> <bigger-size>

1. silver/trade_fact over the first bronze trades day (fits); 2. the later days added back, the load runs out
of space;
3. what the file still holds; 4. the tmpfs remounted larger, the re-run. Prints one JSON object.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from polymarket_assets_tests.silver.helpers import materialize, scalar, step_errors


def main(lake: Path, where: Path, aside: Path, bigger: str) -> dict[str, Any]:
    db = where / "polymarket.duckdb"
    later_days = sorted((lake / "bronze" / "trades").iterdir())[1:]
    aside.mkdir()
    for day in later_days:
        shutil.move(str(day), aside / day.name)
    first = materialize(lake, db, select=["trade_fact"], raise_on_error=False)
    out: dict[str, Any] = {"first_success": first.success, "first_error": step_errors(first)}
    out["rows_after_first"] = scalar(db, "SELECT count(*) FROM silver.trade_fact") if first.success else None
    for day in later_days:
        shutil.move(str(aside / day.name), day)
    full = materialize(lake, db, select=["trade_fact"], raise_on_error=False)
    out.update(full_success=full.success, full_error=step_errors(full), db=str(db))
    out["rows_after_full"] = scalar(db, "SELECT count(*) FROM silver.trade_fact")
    subprocess.run(["mount", "-o", f"remount,size={bigger}", str(where)], check=True)
    rerun = materialize(lake, db, select=["trade_fact"], raise_on_error=False)
    out.update(rerun_success=rerun.success, rerun_error=step_errors(rerun))
    out["rows_after_rerun"] = scalar(db, "SELECT count(*) FROM silver.trade_fact") if rerun.success else None
    return out


if __name__ == "__main__":
    lake, where, aside = (Path(a) for a in sys.argv[1:4])
    print(json.dumps(main(lake, where, aside, sys.argv[4])))
