"""The lake: every file the platform keeps, on a local disk or in S3-compatible object storage, through ONE
filesystem abstraction (``pyarrow.fs``). No Dagster in here.

Where things are (``POLYMARKET_DATA_DIR`` = the lake root, a directory or ``s3://bucket/prefix``)::

    <lake>/bronze/<asset>/dt=YYYY-MM-DD/part-0.parquet   bronze partitions (one object each)
    <lake>/bronze/_quarantine/<asset>/dt=…/<stamp>.body  rejected bodies (+ .json: why)
    <lake>/stream/<venue>/…                              the loggers' raw files (shipped there when closed)
    <lake>/_state/checkpoints/<asset>/<first>..<last>.json   range checkpoints
    <lake>/_state/orderbook_logger.stats.json            the order-book logger's heartbeat (read by its sensor)
    <lake>/_state/orderbook_stream.stats.json            the WebSocket stream's heartbeat (read by its sensor)

and on this machine (``POLYMARKET_LOCAL_DIR``; for a local lake the lake root itself)::

    <local>/stream/…              the loggers' live files (for a local lake: the lake's stream/ itself)
    <local>/_staging/…            finished files on their way to S3 (a local lake stages beside the target)
    <local>/_state/ratelimit.sqlite, active_instruments.snapshot.json
    <local>/polymarket.duckdb     silver and gold
    <local>/gold/plots/*.png      the gold plots

The API, for new code (bronze datasets, compactions, gold):

* :func:`open_lake` (``location``) -> :class:`Lake`; ``LakeResource.root`` / ``.bronze`` / ``.stream_lake`` /
  ``.state`` give :class:`LakePath` objects directly.
* :class:`LakePath` is a small ``pathlib``-like path that works on both backends: ``/``, ``name``, ``parent``,
  ``with_suffix``, ``exists``, ``iterdir``, ``glob`` (``*`` per segment), ``stat``, ``read_bytes`` (one GET:
  a consistent snapshot), ``open_input_stream`` / ``open_input_file`` (pyarrow files), ``write_bytes``
  (atomic), ``unlink``, ``uri``. ``os.fspath()`` works for a local lake only and raises a clear error for S3.
* Writing a bronze partition: ``bronze.parquet_io.PartitionWriter(lake.bronze, asset, day, schema)`` (stream
  rows in, ``commit()``) — the only way partitions are written.
* A finished local file into the lake: :meth:`Lake.commit_file`; a live file of a logger:
  :class:`~polymarket_assets.lake.shipping.StreamShipper` (``ship(path)`` when the file is closed).
* DuckDB over the lake: :func:`~polymarket_assets.lake.duckdb_fs.attach` (registers the S3 filesystem on a
  connection; ``LakePath.uri`` is then readable by ``read_parquet``).

The commit protocol (README "Beyond one machine"): a partition is ONE object written by ONE upload of a
finished local file — a single PUT or one CompleteMultipartUpload, each atomic in S3 — so a reader sees the
previous partition or the new one, never a part; a re-run replaces the same key (never duplicates). Nothing
partial is ever written to the final key: the file is finished (Parquet footer, fsync) on local disk first.
"""

from polymarket_assets.lake.store import Lake, LakeError, LakePath, LakeStat, as_lake_path, open_lake

__all__ = ["Lake", "LakeError", "LakePath", "LakeStat", "as_lake_path", "open_lake"]
