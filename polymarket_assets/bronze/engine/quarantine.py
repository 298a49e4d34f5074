"""Keep every response or object bronze could not use, with the reason, instead of dropping it.

Layout: ``<quarantine_root>/<asset>/dt=YYYY-MM-DD/<stamp>-<pid>-<n>.body`` holds the raw bytes exactly as
received and ``….json`` beside it says why (``reason``, ``url``, ``asset``, ``day``, ``quarantined_at``,
``bytes``, ``sha256`` and any ``context``). Both are written to a temporary name and renamed, so a crash
never leaves a half sidecar. Files accumulate across runs (they are evidence); nothing deletes them.

``check_threshold`` turns "too much went to quarantine" into a ``dg.Failure`` (the run fails, the partition
is not committed); below the threshold the run succeeds and the count is in the metadata.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
import os
from pathlib import Path
from typing import Any

import dagster as dg

from polymarket_assets.atomic_files import atomic_write_bytes
from polymarket_assets.bronze.partitions import to_day
from polymarket_assets.paths import child
from polymarket_assets.redact import redact

_SEQ = itertools.count()


class Quarantine:
    def __init__(self, quarantine_root: str | os.PathLike[str], asset: str, day: dt.date | str):
        self.root = Path(quarantine_root)
        self.asset = asset
        self.day = to_day(day)
        self.directory = child(self.root, asset, f"dt={self.day.isoformat()}", what="asset")
        self.count = 0
        self.bytes = 0
        self.reasons: dict[str, int] = {}
        self.paths: list[Path] = []

    def add(self, body: bytes | str, reason: str, url: str | None, context: dict[str, Any] | None = None) -> Path:
        """Store one rejected body and its reason. Returns the path of the body file."""
        raw = body.encode("utf-8") if isinstance(body, str) else bytes(body)
        self.directory.mkdir(parents=True, exist_ok=True)
        now = dt.datetime.now(dt.timezone.utc)
        stem = f"{now.strftime('%Y%m%dT%H%M%S%fZ')}-{os.getpid()}-{next(_SEQ):06d}"
        body_path = self.directory / f"{stem}.body"
        sidecar = {
            "asset": self.asset,
            "day": self.day.isoformat(),
            "reason": reason,
            "url": redact(url) if url else url,
            "quarantined_at": now.isoformat(),
            "bytes": len(raw),
            "sha256": hashlib.sha256(raw).hexdigest(),
            "body_file": body_path.name,
            "context": context or {},
        }
        atomic_write_bytes(body_path, raw)
        atomic_write_bytes(self.directory / f"{stem}.json", json.dumps(sidecar, indent=2, default=str).encode())
        self.count += 1
        self.bytes += len(raw)
        key = reason.split(":", 1)[0][:80]
        self.reasons[key] = self.reasons.get(key, 0) + 1
        self.paths.append(body_path)
        return body_path


def quarantined_files(quarantine_root: str | os.PathLike[str], asset: str, day: dt.date | str) -> list[Path]:
    """The body files quarantined for one asset and day (oldest first)."""
    directory = child(quarantine_root, asset, f"dt={to_day(day).isoformat()}", what="asset")
    return sorted(directory.glob("*.body")) if directory.is_dir() else []


def check_threshold(quarantined: int, total: int, max_share: float, *, what: str = "objects") -> None:
    """Fail when ``quarantined / total`` exceeds ``max_share`` (``total`` counts good + quarantined)."""
    if quarantined <= 0:
        return
    share = quarantined / total if total > 0 else 1.0
    if share > max_share:
        raise dg.Failure(
            description=(
                f"{quarantined} of {total} {what} ({share:.1%}) went to quarantine, above the allowed "
                f"{max_share:.1%} (run config max_quarantine_share). Nothing was committed for the affected "
                f"partitions. Inspect the bodies under data/bronze/_quarantine/, then re-run (raise "
                f"max_quarantine_share only if the rejects are understood)."
            ),
            metadata={"quarantined": quarantined, "total": total, "share": round(share, 4), "max_share": max_share},
        )
