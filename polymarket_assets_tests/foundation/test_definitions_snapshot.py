"""The definitions graph equals the committed snapshot: a refactor that changes it by accident fails here.

After an intended change (a new asset, check, pool, automation condition...), regenerate the snapshot with
``python -m polymarket_assets_tests.definitions_snapshot --write`` and commit it with the change; the diff
of ``polymarket_assets_tests/snapshots/definitions.json`` is then the reviewable record of what changed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from polymarket_assets_tests.definitions_snapshot import SNAPSHOT

REPO = Path(__file__).resolve().parents[2]


def test_definitions_match_the_snapshot(tmp_path: Path) -> None:
    # A fresh process: the start date of the partitions and every setting come from a clean environment.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("POLYMARKET_", "LIMITLESS_"))}
    env["POLYMARKET_DATA_DIR"] = str(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "polymarket_assets_tests.definitions_snapshot"],
        cwd=REPO, capture_output=True, text=True, timeout=180, env=env,
    )
    assert result.returncode == 0, result.stderr
    current = json.loads(result.stdout)
    expected = json.loads(SNAPSHOT.read_text())
    for section in sorted(set(current) | set(expected)):
        now, then = current.get(section, {}), expected.get(section, {})
        if isinstance(now, dict) and isinstance(then, dict):
            added, removed = sorted(set(now) - set(then)), sorted(set(then) - set(now))
            changed = sorted(k for k in set(now) & set(then) if now[k] != then[k])
            assert not (added or removed or changed), (
                f"definitions snapshot differs in {section}: added {added}, removed {removed}, changed {changed}. "
                f"If intended, run `python -m polymarket_assets_tests.definitions_snapshot --write` and commit it."
            )
        else:
            assert now == then, f"definitions snapshot differs in {section}: {now!r} != {then!r}"
