"""Ship a logger's closed local files into the lake (``stream/…``), from a thread of their own.

A logger always writes its live files on this machine's disk (append, flush, fsync: what a crash-safe log
needs, and what object storage cannot do). When the lake is on S3, each file is uploaded when the logger closes
it (hourly rotation, a late line that reopened an older hour, shutdown): ``ship(path)`` queues it and the
shipper thread uploads it whole, as one object replacing any earlier copy (one PUT or one completed multipart
upload: atomic; a re-upload of a grown file simply replaces it). The local copy is kept (delete shipped files
whenever you like: ``sync()`` only ever uploads, it never deletes).

Crash safety: an upload interrupted by a crash leaves the previous copy (or none) in the lake, never a part.
Files closed but not shipped when the process ended (killed, or ``close`` timed out) are found by
:meth:`StreamShipper.sync` — the next logger run calls it at start — which ships every local file whose lake
copy is missing or has another size.

For a local lake the live directory *is* the lake's ``stream/`` directory and there is nothing to ship
(:func:`shipper_for` returns ``None``).

Usage (issue 9's WebSocket writer uses it the same way)::

    shipper = lake.shipper(log)                # LakeResource: None for a local lake
    if shipper: shipper.start(); shipper.request_sync()  # catch up with files an earlier run left behind
    ... the writer closes a file -> if shipper: shipper.ship(path)
    if shipper: shipper.request_sync(); shipper.close(timeout=30)   # ship the rest, then stop
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from pathlib import Path
from typing import Any

import pyarrow.fs as pafs

from polymarket_assets.lake.store import Lake, LakeError, LakePath

_STOP = object()
_SYNC = object()


class StreamShipper(threading.Thread):
    """Uploads closed files under ``local_root`` to the same relative key under ``lake_root``."""

    def __init__(self, local_root: Path, lake_root: LakePath, *, suffixes: tuple[str, ...] = (".jsonl", ".jsonl.zst"),
                 log: logging.Logger | Any = None, retries: int = 3):
        super().__init__(name="stream-shipper", daemon=True)
        self.local_root = Path(local_root)
        self.lake_root = lake_root
        self.suffixes = suffixes
        self.log = log or logging.getLogger(__name__)
        self.retries = retries
        self._queue: queue.Queue[Any] = queue.Queue()
        self.shipped: list[str] = []
        self.failed: dict[str, str] = {}
        self.bytes = 0
        self._lock = threading.Lock()

    def summary(self) -> dict[str, Any]:
        with self._lock:
            return {"files_shipped": len(self.shipped), "bytes_shipped": self.bytes, "ship_failures": len(self.failed),
                    "files_not_shipped": self._queue.qsize()}

    def target(self, path: Path) -> LakePath:
        return self.lake_root / Path(path).resolve().relative_to(self.local_root.resolve()).as_posix()

    def ship(self, path: Path) -> None:
        """Queue one closed file for upload (returns at once)."""
        self._queue.put(Path(path))

    def pending(self) -> int:
        return self._queue.qsize()

    def unshipped(self) -> list[Path]:
        """Local files whose lake copy is missing or has another size (one listing of the lake's stream/)."""
        if not self.local_root.is_dir():
            return []
        remote = {p.relative_to(self.lake_root): info.size for p, info in self.lake_root.walk_files()}
        out = []
        for path in sorted(self.local_root.rglob("*")):
            if not path.is_file() or not path.name.endswith(self.suffixes) or path.name.startswith("."):
                continue
            if remote.get(path.relative_to(self.local_root).as_posix()) != path.stat().st_size:
                out.append(path)
        return out

    def sync(self) -> int:
        """Queue every file :meth:`unshipped` finds; returns how many."""
        found = self.unshipped()
        for path in found:
            self.ship(path)
        if found:
            self.log.info(f"stream shipper: {len(found)} local file(s) under {self.local_root} not (fully) in {self.lake_root} yet: queued")
        return len(found)

    def request_sync(self) -> None:
        """Ask the thread to ship whatever :meth:`unshipped` finds, in order with the files queued so far (the
        listing happens in the shipper's thread, not the caller's)."""
        self._queue.put(_SYNC)

    def close(self, timeout: float = 30.0) -> bool:
        """Ship everything queued, then stop. False if ``timeout`` passed first (the rest waits for the next
        run's ``sync``)."""
        self._queue.put(_STOP)
        self.join(timeout)
        if self.is_alive():
            self.log.warning(
                f"stream shipper: {self._queue.qsize()} file(s) still queued after {timeout:.0f} s; they stay on local disk "
                f"under {self.local_root} and the next run ships them"
            )
            return False
        return True

    def run(self) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            if item is _SYNC:
                try:
                    for path in self.unshipped():
                        self._upload(path)
                except Exception as exc:  # noqa: BLE001 - a failed catch-up is retried by the next run
                    self.log.error(f"stream shipper: catching up with {self.local_root} failed: {exc}")
                continue
            self._upload(item)

    def _upload(self, path: Path) -> None:
        dest = self.target(path)
        for attempt in range(1, self.retries + 1):
            try:
                size = path.stat().st_size
                pafs.copy_files(str(path), dest.fs_path, source_filesystem=pafs.LocalFileSystem(),
                                destination_filesystem=dest.lake.fs, chunk_size=8 * 1024 * 1024, use_threads=False)
                landed = dest.info()
                if landed.size != path.stat().st_size:  # it grew while uploading (a late line): send it again
                    self.ship(path)
                with self._lock:
                    self.shipped.append(dest.uri)
                    self.bytes += size
                    self.failed.pop(str(path), None)
                return
            except FileNotFoundError:
                return  # deleted locally meanwhile: nothing to ship
            except (OSError, LakeError) as exc:
                message = dest.lake.explain(exc, f"shipping {path} to {dest.uri}") if isinstance(exc, OSError) else str(exc)
                if attempt == self.retries:
                    with self._lock:
                        self.failed[str(path)] = message
                    self.log.error(f"stream shipper: {message}; the file stays on local disk and the next run ships it")
                    return
                time.sleep(min(2.0 ** attempt, 10.0))


def shipper_for(lake: Lake, *, local_root: Path, lake_root: LakePath, log: Any = None) -> StreamShipper | None:
    """A shipper when the live files and the lake are different places (an S3 lake), else ``None``."""
    if not lake.remote:
        return None
    return StreamShipper(local_root, lake_root, log=log)
