"""Clear errors for storage failures: a full disk, a corrupt bronze Parquet file, a corrupt DuckDB file.

Each names the file and says what to do; each is raised where the failure happens, after the half-written
file is removed, so nothing committed before is lost and nothing partial is visible.
"""

from __future__ import annotations

import errno
import os
import re
import shlex
from pathlib import Path

DATA_DIR_ENV = "POLYMARKET_DATA_DIR"
DUCKDB_PATH_ENV = "POLYMARKET_DUCKDB_PATH"
LOCAL_DIR_ENV = "POLYMARKET_LOCAL_DIR"


class StorageError(OSError):
    """A storage failure with a message that names the file and what to do."""

    def __str__(self) -> str:
        return str(self.strerror or super().__str__())


class DiskFullError(StorageError):
    pass


class CorruptFileError(StorageError):
    pass


def is_disk_full(exc: BaseException) -> bool:
    """ENOSPC / EDQUOT from the OS, from pyarrow (its OSError often has no errno) or from SQLite."""
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    text = str(exc).lower()
    return "no space left on device" in text or "disk quota exceeded" in text or "database or disk is full" in text


class UnwritableError(StorageError):
    pass


def is_unwritable(exc: BaseException) -> bool:
    """A read-only file system, or a directory this user may not write."""
    return isinstance(exc, OSError) and exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM)


def unwritable(path: str | os.PathLike[str], exc: BaseException) -> UnwritableError:
    return UnwritableError(
        errno.EROFS if getattr(exc, "errno", None) == errno.EROFS else errno.EACCES,
        f"Cannot write {path} ({exc}): its file system is read-only or the directory is not writable by this user. "
        f"Point {DATA_DIR_ENV} (the lake) and {LOCAL_DIR_ENV} (this machine's files) at a writable directory, or "
        "fix the directory's permissions or mount, and re-run: nothing committed before was touched.",
    )


def disk_full(path: str | os.PathLike[str], what: str, exc: BaseException) -> DiskFullError:
    return DiskFullError(
        errno.ENOSPC,
        f"No space left on the device holding {path} while writing {what} ({exc}). Free space there, or point "
        f"{DATA_DIR_ENV} (with an S3 lake: {LOCAL_DIR_ENV}, where files are staged) at a larger disk, and re-run: everything committed before is kept (a range re-run resumes "
        "from it), and the half-written file was removed.",
    )


def stream_disk_full(directory: str | os.PathLike[str], what: str, exc: BaseException) -> DiskFullError:
    """A streaming writer (the REST logger's files, the WebSocket raw log) ran out of space."""
    return DiskFullError(
        errno.ENOSPC,
        f"No space left on the device holding {directory} while the {what} wrote ({exc}). Every line written "
        f"before is kept (a torn last line is skipped when the files become bronze); what was still queued is "
        f"lost. Free space there, or point {LOCAL_DIR_ENV} (where the streams write) at a larger disk; the "
        "keeper sensor starts the job again.",
    )


def duckdb_disk_full(database: str | os.PathLike[str], exc: BaseException) -> DiskFullError:
    """A silver or gold write ran out of space on the disk holding the DuckDB file (or its spill directory)."""
    return DiskFullError(
        errno.ENOSPC,
        f"No space left on the device holding the DuckDB file {database} (or its spill directory "
        f"{database}.tmp) ({exc}). The failed load was rolled back and every day committed before is kept. Free "
        f"space there, or move the file to a larger local disk and set {DUCKDB_PATH_ENV} to its new path, then "
        "re-run: the load resumes from the days already committed.",
    )


_PARQUET_PATH = re.compile(r"['\"]?(/[^'\"\n]*?\.parquet)['\"]?")


def corrupt_bronze_file(exc: BaseException, bronze_root: str | os.PathLike[str], table: str) -> CorruptFileError | None:
    """If ``exc`` (from DuckDB) names an unreadable Parquet file under ``bronze_root``: the error to raise."""
    root = os.path.realpath(bronze_root)
    for match in _PARQUET_PATH.finditer(str(exc)):
        path = Path(match.group(1))
        if not os.path.realpath(path).startswith(root + os.sep):
            continue
        rel = path.relative_to(Path(bronze_root)) if path.is_relative_to(Path(bronze_root)) else path
        asset = rel.parts[0] if len(rel.parts) > 2 else "<asset>"
        day = rel.parts[1].removeprefix("dt=") if len(rel.parts) > 2 else "<day>"
        return CorruptFileError(
            errno.EIO,
            f"The bronze file {path} cannot be read as Parquet ({exc}). It is bronze/{asset} partition {day}: move it "
            f"aside (mv {shlex.quote(str(path))} {shlex.quote(str(path) + '.corrupt')}), re-materialize that partition (dagster asset materialize -m "
            f"polymarket_assets --select key:bronze/{asset} --partition {day}) and re-run silver. {table} keeps what "
            "it held before this load; nothing of the failed day was written.",
        )
    return None


def corrupt_duckdb(database: str | os.PathLike[str], exc: BaseException) -> CorruptFileError:
    return CorruptFileError(
        errno.EIO,
        f"The silver DuckDB file {database} is damaged or not a DuckDB database ({exc}). Silver and gold are built "
        f"from bronze, which is untouched: move the file aside (mv {shlex.quote(str(database))} {shlex.quote(str(database) + '.corrupt')}) and "
        "re-materialize silver and gold (dagster asset materialize -m polymarket_assets --select 'group:silver or "
        "group:gold'), or restore the file from a backup.",
    )
