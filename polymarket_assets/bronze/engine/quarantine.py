"""Keep every response or object bronze could not use, with the reason, instead of dropping it.

Layout: ``<quarantine_root>/<asset>/dt=YYYY-MM-DD/<stamp>-<pid>-<n>.body`` holds the raw bytes exactly as
received and ``….json`` beside it says why (``reason``, ``url``, ``asset``, ``day``, ``quarantined_at``,
``bytes``, ``sha256`` and any ``context``). The root is in the lake (``LakeResource.quarantine``: local or S3);
each file is replaced atomically (``LakePath.write_bytes``), so a crash never leaves a half sidecar. Files
accumulate across runs (they are evidence); nothing deletes them.

``check_threshold`` turns "too much went to quarantine" into a ``dg.Failure`` (the run fails, the partition
is not committed); below the threshold the run succeeds and the count is in the metadata.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
import os
from typing import Any

import dagster as dg

from polymarket_assets.bronze.partitions import to_day
from polymarket_assets.lake import LakePath, as_lake_path
from polymarket_assets.paths import component
from polymarket_assets.redact import redact

_SEQ = itertools.count()


class Quarantine:
    def __init__(self, quarantine_root: LakePath | str | os.PathLike[str], asset: str, day: dt.date | str):
        self.root = as_lake_path(quarantine_root)
        self.asset = asset
        self.day = to_day(day)
        self.directory = self.root / component(asset, "asset") / f"dt={self.day.isoformat()}"
        self.count = 0
        self.bytes = 0
        self.reasons: dict[str, int] = {}
        self.paths: list[LakePath] = []

    def add(self, body: bytes | str, reason: str, url: str | None, context: dict[str, Any] | None = None) -> LakePath:
        """Store one rejected body and its reason. Returns the path of the body file."""
        raw = body.encode("utf-8") if isinstance(body, str) else bytes(body)
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
        body_path.write_bytes(raw)
        (self.directory / f"{stem}.json").write_bytes(json.dumps(sidecar, indent=2, default=str).encode())
        self.count += 1
        self.bytes += len(raw)
        key = reason.split(":", 1)[0][:80]
        self.reasons[key] = self.reasons.get(key, 0) + 1
        self.paths.append(body_path)
        return body_path


def quarantined_files(quarantine_root: LakePath | str | os.PathLike[str], asset: str, day: dt.date | str) -> list[LakePath]:
    """The body files quarantined for one asset and day (oldest first)."""
    directory = as_lake_path(quarantine_root) / component(asset, "asset") / f"dt={to_day(day).isoformat()}"
    return sorted(p for p in directory.iterdir() if p.suffix == ".body")


def check_threshold(quarantined: int, total: int, max_share: float, *, what: str = "objects", where: str = "data/bronze/_quarantine/") -> None:
    """Fail when ``quarantined / total`` exceeds ``max_share`` (``total`` counts good + quarantined)."""
    if quarantined <= 0:
        return
    share = quarantined / total if total > 0 else 1.0
    if share > max_share:
        raise dg.Failure(
            description=(
                f"{quarantined} of {total} {what} ({share:.1%}) went to quarantine, above the allowed "
                f"{max_share:.1%} (run config max_quarantine_share). Nothing was committed for the affected "
                f"partitions. Inspect the bodies under {where}, then re-run (raise "
                f"max_quarantine_share only if the rejects are understood)."
            ),
            metadata={"quarantined": quarantined, "total": total, "share": round(share, 4), "max_share": max_share},
        )
