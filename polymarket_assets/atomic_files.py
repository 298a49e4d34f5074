"""Crash-safe small-file writes: a reader sees the old file or the new one, never a torn one.

Used by the lake for local writes (`LakePath.write_bytes`: range checkpoints, quarantined bodies, the logger's
heartbeat) and for the active-instruments snapshot. (Bronze Parquet partitions have their own staged writer in ``bronze/parquet_io.py``.)
"""

from __future__ import annotations

import glob
import json
import os
import re
import threading
import time
from pathlib import Path
from typing import Any

from polymarket_assets.reliability.processes import hostname, pid_exists, pid_namespace
from polymarket_assets.storage_errors import disk_full, is_disk_full, is_unwritable, unwritable

#: a temporary file this old is stale whoever wrote it (a write takes milliseconds)
STALE_AFTER_SECONDS = 600.0


def _writer_token() -> str:
    """Who writes: the host and the pid namespace, so a pid is only ever judged where it means something (a
    local lake on a shared disk, containers sharing a directory)."""
    host = re.sub(r"[^A-Za-z0-9-]", "-", hostname())[:40] or "host"
    return f"{host}-{pid_namespace() or '0'}"


def _remove_stale_temporaries(path: Path) -> None:
    """The temporary files of ``path`` left by a writer that was killed (kill -9) between write and rename: one
    of this host and pid namespace whose pid is gone, or any older than ``STALE_AFTER_SECONDS``."""
    now, me = time.time(), _writer_token()
    for stale in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):
        parts = stale.name[len(path.name) + 2 : -len(".tmp")].split(".")
        if len(parts) != 3 or not parts[1].isdigit():
            continue
        token, pid = parts[0], int(parts[1])
        try:
            age = now - stale.stat().st_mtime
        except FileNotFoundError:
            continue
        if age > STALE_AFTER_SECONDS or (token == me and pid != os.getpid() and not pid_exists(pid)):
            stale.unlink(missing_ok=True)


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
    tmp = path.with_name(f".{path.name}.{_writer_token()}.{os.getpid()}.{threading.get_ident()}.tmp")
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
