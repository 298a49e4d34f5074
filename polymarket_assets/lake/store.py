"""The lake root (:class:`Lake`: a ``pyarrow.fs`` filesystem + a base path) and paths in it (:class:`LakePath`).

One class for both backends. A local lake is ``pyarrow.fs.LocalFileSystem`` over a directory; an S3 lake is
``pyarrow.fs.S3FileSystem`` over ``bucket/prefix`` (built and checked in ``s3.py``). Where the two differ
(atomic replace, the version token of a file) :class:`Lake` says so in one place:

* **finished files in**: :meth:`Lake.commit_file` — local: fsync + ``os.replace`` onto the target (+ fsync of
  the directory); S3: one upload of the finished local file by pyarrow's C++ ``copy_files`` (a PUT, or a
  multipart upload whose completion is atomic), then a size check. The final key never sees a partial object:
  the upload starts only once the file is complete, and it runs in one C++ call, so a Python exception (a
  Dagster termination) cannot land between its parts (see README "Beyond one machine" for the crash analysis);
* **small files** (:meth:`LakePath.write_bytes`: checkpoints, quarantine, heartbeat): the same, through a
  temporary file;
* **version token** (:meth:`LakePath.version`): the inode locally, the ETag on S3 (one HEAD) — what silver's
  ledger adds to size and mtime to notice a replaced partition.
"""

from __future__ import annotations

import fnmatch
import itertools
import os
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow.fs as pafs

from polymarket_assets import settings
from polymarket_assets.atomic_files import atomic_write_bytes

STAGING = "_staging"
UPLOAD_CHUNK = 8 * 1024 * 1024
_LOCAL_FS = pafs.LocalFileSystem()
_SEQ = itertools.count()
_MAGIC = frozenset("*?[")


class LakeError(RuntimeError):
    """The lake cannot do what was asked (unreachable store, refused credentials, a failed upload). The message
    names the lake, the endpoint and what to do."""


@dataclass(frozen=True)
class LakeStat:
    """What ``LakePath.stat()`` returns on both backends (the fields of ``os.stat_result`` the platform uses)."""

    st_size: int
    st_mtime_ns: int
    st_ino: int = 0

    @property
    def st_mtime(self) -> float:
        return self.st_mtime_ns / 1e9


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _clean_key(key: str) -> str:
    parts = [p for p in str(key).replace("\\", "/").split("/") if p and p != "."]
    if ".." in parts:
        raise ValueError(f"a lake path may not contain '..': {key!r}")
    return "/".join(parts)


class Lake:
    """A lake root. Build with :func:`open_lake`; paths come from :attr:`root` and ``/``."""

    def __init__(self, fs: pafs.FileSystem, base: str, *, uri: str, remote: bool, local_dir: Path, description: str, s3: Any = None):
        self.fs = fs
        self.base = base.rstrip("/") if remote else base
        self.uri = uri.rstrip("/")
        self.remote = remote
        self.local_dir = local_dir
        self.description = description
        self.s3 = s3  # s3.S3Settings for a remote lake (error messages), else None

    def __repr__(self) -> str:
        return f"Lake({self.uri!r})"

    @property
    def root(self) -> LakePath:
        return LakePath(self, "")

    def path(self, *parts: str) -> LakePath:
        return LakePath(self, "/".join(str(p) for p in parts))

    def fs_path(self, key: str) -> str:
        """The path ``key`` has for :attr:`fs` (an absolute path locally, ``bucket/prefix/key`` on S3)."""
        if not key:
            return self.base
        return f"{self.base}/{key}" if self.base else key

    def uri_of(self, key: str) -> str:
        return f"{self.uri}/{key}" if key else self.uri

    def explain(self, exc: BaseException, doing: str) -> str:
        if self.remote:
            from polymarket_assets.lake.s3 import explain

            return explain(exc, self.s3, doing)
        return f"{doing} in the lake {self.uri} failed: {exc}"

    # -- writing ------------------------------------------------------------------------------------
    def staging_dir(self, directory: LakePath) -> Path:
        """A local directory for temporary files bound for ``directory``: beside it for a local lake (same
        filesystem, so the final rename is atomic), under ``<local dir>/_staging/<bucket>/<key>`` for S3 (the
        same directory whichever root the lake was opened at)."""
        if not self.remote:
            return Path(directory.fs_path) / STAGING
        return self.local_dir / STAGING / directory.fs_path

    def temp_file(self, dest: LakePath) -> Path:
        """A fresh temporary local file name for ``dest`` (unique per process and thread)."""
        directory = Path(dest.parent.fs_path) if not self.remote else self.staging_dir(dest.parent)
        directory.mkdir(parents=True, exist_ok=True)
        return directory / f".{dest.name}.{os.getpid()}.{threading.get_ident()}.{next(_SEQ)}.{uuid.uuid4().hex[:8]}.tmp"

    def commit_file(self, tmp: Path, dest: LakePath) -> int:
        """Make the finished local file ``tmp`` the object ``dest`` (see the module docstring); ``tmp`` is gone
        afterwards. Returns its size in bytes."""
        size = tmp.stat().st_size
        if not self.remote:
            with open(tmp, "rb") as fh:
                os.fsync(fh.fileno())
            final = Path(dest.fs_path)
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp, final)
            _fsync_dir(final.parent)
            return size
        try:
            # One C++ call: opens the upload, streams the file, completes it (single PUT below the part size).
            pafs.copy_files(
                str(tmp), dest.fs_path, source_filesystem=_LOCAL_FS, destination_filesystem=self.fs,
                chunk_size=UPLOAD_CHUNK, use_threads=False,
            )
            landed = self.fs.get_file_info(dest.fs_path)
        except OSError as exc:
            raise LakeError(self.explain(exc, f"uploading {dest.uri}")) from exc
        if landed.type != pafs.FileType.File or landed.size != size:
            # Only possible if the local file could not be read to its end: never leave that object visible.
            try:
                self.fs.delete_file(dest.fs_path)
            except OSError:
                pass
            raise LakeError(
                f"uploading {dest.uri} stored {landed.size} bytes instead of {size} (the local file {tmp} could not be read "
                f"to its end); the object was deleted. Re-run."
            )
        tmp.unlink(missing_ok=True)
        return size

    def write_bytes(self, dest: LakePath, data: bytes) -> None:
        if not self.remote:
            atomic_write_bytes(Path(dest.fs_path), data)
            return
        tmp = self.temp_file(dest)
        try:
            with open(tmp, "wb") as fh:
                fh.write(data)
            self.commit_file(tmp, dest)
        finally:
            tmp.unlink(missing_ok=True)


class LakePath:
    """A file or directory in a :class:`Lake`, with the ``pathlib`` subset the platform needs (module docstring
    of :mod:`polymarket_assets.lake`). ``str()`` is its URI (an absolute path locally, ``s3://…`` on S3)."""

    __slots__ = ("lake", "key")

    def __init__(self, lake: Lake, key: str = ""):
        self.lake = lake
        self.key = _clean_key(key)

    # -- naming ---------------------------------------------------------------------------------------
    def __truediv__(self, other: str | os.PathLike[str]) -> LakePath:
        if isinstance(other, LakePath):
            raise TypeError("cannot join two lake paths")
        child = _clean_key(os.fspath(other))
        return LakePath(self.lake, f"{self.key}/{child}" if self.key else child)

    @property
    def name(self) -> str:
        if not self.key:  # the lake's root: the last segment of its location
            return self.lake.uri.rstrip("/").rsplit("/", 1)[-1]
        return self.key.rsplit("/", 1)[-1]

    @property
    def suffix(self) -> str:
        name = self.name
        i = name.rfind(".")
        return name[i:] if 0 < i < len(name) - 1 else ""

    @property
    def stem(self) -> str:
        suffix = self.suffix
        return self.name[: -len(suffix)] if suffix else self.name

    @property
    def parent(self) -> LakePath:
        return LakePath(self.lake, self.key.rsplit("/", 1)[0] if "/" in self.key else "")

    def with_name(self, name: str) -> LakePath:
        return self.parent / name

    def with_suffix(self, suffix: str) -> LakePath:
        return self.parent / (self.stem + suffix)

    def relative_to(self, other: LakePath) -> str:
        """This path's key below ``other`` (``a/b/c``), as a string."""
        mine, theirs = self.uri, other.uri
        if mine == theirs:
            return ""
        if not mine.startswith(theirs.rstrip("/") + "/"):
            raise ValueError(f"{self} is not in {other}")
        return mine[len(theirs.rstrip("/")) + 1 :]

    @property
    def fs_path(self) -> str:
        return self.lake.fs_path(self.key)

    @property
    def uri(self) -> str:
        return self.lake.uri_of(self.key)

    def as_uri(self) -> str:
        return Path(self.fs_path).as_uri() if not self.lake.remote else self.uri

    @property
    def local(self) -> Path | None:
        """The local path, or ``None`` on object storage."""
        return None if self.lake.remote else Path(self.fs_path)

    def __fspath__(self) -> str:
        if self.lake.remote:
            raise TypeError(
                f"{self.uri} is in object storage, not a local file: read and write it through the lake API "
                f"(LakePath.read_bytes / open_input_file / write_bytes, PartitionWriter); os.fspath() works for a local lake only."
            )
        return self.fs_path

    def __str__(self) -> str:
        return self.uri

    def __repr__(self) -> str:
        return f"LakePath({self.uri!r})"

    def __eq__(self, other: object) -> bool:
        """Equal to a lake path with the same URI; a local one also to the ``pathlib`` path of the same file."""
        if isinstance(other, LakePath):
            return other.uri == self.uri
        if isinstance(other, os.PathLike) and not self.lake.remote:
            return Path(self.fs_path) == Path(os.path.abspath(os.fspath(other)))
        return NotImplemented

    def __hash__(self) -> int:
        return hash(Path(self.fs_path)) if not self.lake.remote else hash(self.uri)

    def __lt__(self, other: LakePath) -> bool:
        return self.uri < other.uri

    # -- reading metadata --------------------------------------------------------------------------------
    def info(self) -> pafs.FileInfo:
        try:
            return self.lake.fs.get_file_info(self.fs_path)
        except OSError as exc:
            raise LakeError(self.lake.explain(exc, f"looking up {self.uri}")) from exc

    def exists(self) -> bool:
        return self.info().type != pafs.FileType.NotFound

    def is_dir(self) -> bool:
        return self.info().type == pafs.FileType.Directory

    def is_file(self) -> bool:
        return self.info().type == pafs.FileType.File

    def stat(self) -> LakeStat:
        if not self.lake.remote:
            st = os.stat(self.fs_path)
            return LakeStat(st.st_size, st.st_mtime_ns, st.st_ino)
        info = self.info()
        if info.type == pafs.FileType.NotFound:
            raise FileNotFoundError(f"no such object in the lake: {self.uri}")
        return LakeStat(int(info.size or 0), int(info.mtime_ns or 0))

    def version(self) -> str:
        """What changes whenever the file is replaced: the inode locally, the ETag on S3 (one HEAD request)."""
        if not self.lake.remote:
            return str(os.stat(self.fs_path).st_ino)
        try:
            with self.lake.fs.open_input_stream(self.fs_path, compression=None) as fh:
                meta = fh.metadata() or {}
        except FileNotFoundError:
            raise
        except OSError as exc:
            raise LakeError(self.lake.explain(exc, f"reading the ETag of {self.uri}")) from exc
        for key in (b"ETag", "ETag", b"etag", "etag"):
            if key in meta:
                value = meta[key]
                return (value.decode() if isinstance(value, bytes) else str(value)).strip('"')
        return ""

    def children(self) -> list[tuple[LakePath, pafs.FileInfo]]:
        """Direct children with their file infos, sorted by name; ``[]`` when this directory does not exist."""
        try:
            infos = self.lake.fs.get_file_info(pafs.FileSelector(self.fs_path, allow_not_found=True, recursive=False))
        except NotADirectoryError:
            return []
        except OSError as exc:
            raise LakeError(self.lake.explain(exc, f"listing {self.uri}")) from exc
        prefix = self.fs_path.rstrip("/") + "/"
        out = []
        for info in infos:
            name = info.path[len(prefix):] if info.path.startswith(prefix) else info.path.rsplit("/", 1)[-1]
            if name:
                out.append((self / name, info))
        return sorted(out, key=lambda pair: pair[0].key)

    def walk_files(self) -> list[tuple[LakePath, pafs.FileInfo]]:
        """Every file below this directory (recursive; one paginated listing on S3), sorted by key."""
        try:
            infos = self.lake.fs.get_file_info(pafs.FileSelector(self.fs_path, allow_not_found=True, recursive=True))
        except NotADirectoryError:
            return []
        except OSError as exc:
            raise LakeError(self.lake.explain(exc, f"listing {self.uri}")) from exc
        prefix = self.fs_path.rstrip("/") + "/"
        out = [(self / info.path[len(prefix):], info) for info in infos if info.type == pafs.FileType.File and info.path.startswith(prefix)]
        return sorted(out, key=lambda pair: pair[0].key)

    def iterdir(self) -> Iterator[LakePath]:
        return iter([p for p, _ in self.children()])

    def glob(self, pattern: str) -> list[LakePath]:
        """Paths below this one matching ``pattern``: ``/``-separated segments, each literal or with ``*``,
        ``?``, ``[…]`` (``**`` is not supported). Lists only the directories a wildcard segment needs."""
        segments = [s for s in pattern.split("/") if s]
        if any("**" in s for s in segments):
            raise ValueError(f"'**' is not supported in lake globs: {pattern!r}")
        current: list[tuple[LakePath, pafs.FileType | None]] = [(self, pafs.FileType.Directory)]
        for i, segment in enumerate(segments):
            last = i == len(segments) - 1
            found: list[tuple[LakePath, pafs.FileType | None]] = []
            for base, _ in current:
                if _MAGIC.isdisjoint(segment):
                    found.append((base / segment, None))
                    continue
                for child, info in base.children():
                    if fnmatch.fnmatchcase(child.name, segment) and (last or info.type == pafs.FileType.Directory):
                        found.append((child, info.type))
            current = found
        return sorted(p for p, kind in current if kind is not None or p.exists())

    # -- reading content ---------------------------------------------------------------------------------
    def open_input_stream(self) -> Any:
        """A sequential pyarrow input stream (``.read(n)``, ``.readall()``); no decompression."""
        try:
            return self.lake.fs.open_input_stream(self.fs_path, compression=None)
        except FileNotFoundError:
            raise
        except OSError as exc:
            raise LakeError(self.lake.explain(exc, f"opening {self.uri}")) from exc

    def open_input_file(self) -> Any:
        """A random-access pyarrow file (what ``pyarrow.parquet.ParquetFile`` takes)."""
        try:
            return self.lake.fs.open_input_file(self.fs_path)
        except FileNotFoundError:
            raise
        except OSError as exc:
            raise LakeError(self.lake.explain(exc, f"opening {self.uri}")) from exc

    def open(self, mode: str = "rb") -> Any:
        if mode not in ("rb", "r"):
            raise ValueError(f"lake files open for reading only ('rb'); write with write_bytes or PartitionWriter, not {mode!r}")
        return self.open_input_file()

    def read_bytes(self) -> bytes:
        """The whole file, in one sequential read (on S3 one GET: a consistent copy even while it is replaced)."""
        if not self.lake.remote:
            return Path(self.fs_path).read_bytes()
        with self.open_input_stream() as fh:
            return fh.readall()

    def read_text(self, encoding: str = "utf-8") -> str:
        return self.read_bytes().decode(encoding)

    # -- writing -----------------------------------------------------------------------------------------
    def write_bytes(self, data: bytes) -> None:
        """Replace the file atomically: a reader sees the old content or ``data``, never a mix."""
        self.lake.write_bytes(self, bytes(data))

    def write_text(self, text: str, encoding: str = "utf-8") -> None:
        self.write_bytes(text.encode(encoding))

    def unlink(self, missing_ok: bool = False) -> None:
        try:
            self.lake.fs.delete_file(self.fs_path)
        except FileNotFoundError:
            if not missing_ok:
                raise
        except OSError as exc:
            raise LakeError(self.lake.explain(exc, f"deleting {self.uri}")) from exc

    def mkdir(self, parents: bool = True, exist_ok: bool = True) -> None:
        """A directory on a local lake; nothing on S3 (prefixes need no creating)."""
        if not self.lake.remote:
            Path(self.fs_path).mkdir(parents=parents, exist_ok=exist_ok)


# -- opening -------------------------------------------------------------------------------------------------

_CACHE: dict[tuple[Any, ...], Lake] = {}
_CACHE_LOCK = threading.Lock()


def _env_signature() -> tuple[str, ...]:
    return tuple(f"{k}={v}" for k, v in sorted(os.environ.items()) if k.startswith("AWS_"))


def open_lake(location: str | os.PathLike[str] | None = None, *, local_dir: str | os.PathLike[str] | None = None,
              source: str | None = None) -> Lake:
    """The lake at ``location`` (default ``POLYMARKET_DATA_DIR``). A local lake's directory is created; an S3
    lake is checked at once (endpoint reachable, credentials present, bucket exists — never created), so a bad
    setting fails here, naming the setting. Cached per process."""
    where = settings.lake_location(location, source=source)
    local = settings.local_dir(local_dir, lake_override=location, create=False)
    key = (os.getpid(), where, str(local), _env_signature() if settings.is_remote(where) else ())
    with _CACHE_LOCK:
        cached = _CACHE.get(key)
    if cached is not None:
        return cached
    if settings.is_remote(where):
        from polymarket_assets.lake.s3 import open_s3

        lake = open_s3(where, local_dir=local)
    else:
        root = settings.data_dir(where)
        lake = Lake(_LOCAL_FS, str(root), uri=str(root), remote=False, local_dir=local, description=str(root))
    with _CACHE_LOCK:
        _CACHE[key] = lake
    return lake


def as_lake_path(value: LakePath | str | os.PathLike[str]) -> LakePath:
    """A :class:`LakePath` for ``value``: itself, an ``s3://…`` URI, or a local directory (its lake's root)."""
    if isinstance(value, LakePath):
        return value
    text = os.fspath(value)
    if settings.is_remote(text):
        from urllib.parse import urlsplit

        parts = urlsplit(text)
        for lake in list(_CACHE.values()):
            if lake.remote and (text == lake.uri or text.startswith(lake.uri + "/")):
                return LakePath(lake, text[len(lake.uri):])
        return open_lake(f"s3://{parts.netloc}").root / parts.path.strip("/")
    path = Path(text).expanduser().resolve()
    lake = Lake(_LOCAL_FS, str(path), uri=str(path), remote=False, local_dir=path, description=str(path))
    return lake.root
