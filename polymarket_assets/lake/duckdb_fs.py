"""DuckDB over the lake: the S3 lake's own ``pyarrow.fs`` filesystem, registered on a connection through fsspec.

DuckDB reads ``s3://…`` either with its httpfs extension (downloaded from the internet on first use, and
configured separately with ``CREATE SECRET``) or through a Python filesystem registered with
``register_filesystem``. The platform registers the lake's filesystem (``fsspec``'s ``ArrowFSWrapper`` around
the same ``S3FileSystem`` every other read and write uses), so silver reads bronze with exactly the endpoint,
region and credentials of the lake, and needs no extension. A local lake needs nothing (plain paths).
"""

from __future__ import annotations

from typing import Any

from polymarket_assets.lake.store import Lake


def attach(conn: Any, lake: Lake) -> None:
    """Make ``lake``'s files (their ``LakePath.uri``) readable by ``read_parquet`` on ``conn``; idempotent."""
    if not lake.remote:
        return
    from fsspec.implementations.arrow import ArrowFSWrapper

    wrapped = ArrowFSWrapper(lake.fs)
    if wrapped.protocol in set(conn.list_filesystems()):
        conn.unregister_filesystem(wrapped.protocol)  # another lake (or an older connection's) took the name
    conn.register_filesystem(wrapped)
