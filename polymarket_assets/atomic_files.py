"""Crash-safe small-file writes: a reader sees the old file or the new one, never a torn one.

Used by the lake for local writes (`LakePath.write_bytes`: range checkpoints, quarantined bodies, the logger's
heartbeat) and for the active-instruments snapshot. (Bronze Parquet partitions have their own staged writer in ``bronze/parquet_io.py``.)
"""

from __future__ import annotations

import glob
import json
import os
import threading
from pathlib import Path
from typing import Any

from polymarket_assets.storage_errors import disk_full, is_disk_full, is_unwritable, unwritable


def _remove_stale_temporaries(path: Path) -> None:
    """The temporary files of ``path`` left by a writer that was killed (kill -9) between write and rename:
    their process is gone. A live writer's file (same name, live pid) is left alone."""
    for stale in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):
        pid = stale.name[len(path.name) + 2 :].split(".", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and not _pid_alive(int(pid)):
            stale.unlink(missing_ok=True)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path`` (unique per process and thread), fsync it, rename it
    over ``path``, then fsync the directory so the rename itself survives a power loss. A temporary file a
    killed writer left beside ``path`` is removed first."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        if is_unwritable(exc):
            raise unwritable(path.parent, exc) from exc
        raise
    _remove_stale_temporaries(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)  # never leave the temporary file behind (a full disk would keep it full)
        if is_disk_full(exc):
            raise disk_full(path, path.name, exc) from exc
        if is_unwritable(exc):
            raise unwritable(path, exc) from exc
        raise
    try:
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError:  # some filesystems do not allow fsync on a directory
        pass


def atomic_write_json(path: Path, value: Any, **dumps_kwargs: Any) -> None:
    """``atomic_write_bytes`` of ``json.dumps(value, **dumps_kwargs)`` (UTF-8)."""
    atomic_write_bytes(path, json.dumps(value, **dumps_kwargs).encode("utf-8"))
