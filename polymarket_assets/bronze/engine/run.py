"""The one run loop of every day-partitioned bronze dataset: ``run_dataset(context, dataset, ...)``.

One Dagster run covers one day or a range of days (``BackfillPolicy.single_run``). The loop:

1. opens the range's checkpoint (``checkpoint.py``): days an earlier failed attempt of the same range
   committed are kept when their partition is still on disk, unless run config ``fresh: true``;
2. asks the dataset to ``prepare`` (once) and to cut the pending days into ``batches``, and hands every item
   its ``fetch`` yields to the :class:`~polymarket_assets.bronze.engine.days.DayBook` (write, quarantine
   threshold, atomic commit, checkpoint mark);
3. on any error discards the uncommitted days, marks the checkpoint ``failed`` and fails the run with a
   message naming the days already committed and how a re-run resumes (:func:`resume_hint_on_failure`);
4. removes the checkpoint when the range is done and returns the run's metadata (``metadata.run_metadata``:
   shared figures + the dataset's own keys; each partition of a range also gets its own figures).

API clients come from ``PolymarketApiResource.clients(...)`` through :meth:`RunContext.clients`, with the
run config's ``timeout`` and the dataset's quarantine hook for undecodable bodies.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import dagster as dg

from polymarket_assets.bronze.config import BronzeRunConfig
from polymarket_assets.bronze.engine.checkpoint import RangeCheckpoint
from polymarket_assets.bronze.engine.dataset import Dataset
from polymarket_assets.bronze.engine.days import DayBook
from polymarket_assets.bronze.engine.metadata import run_metadata
from polymarket_assets.bronze.parquet_io import partition_exists
from polymarket_assets.bronze.partitions import partition_days
from polymarket_assets.clients.api_clients import ApiClients
from polymarket_assets.clients.guarded_endpoint import BadBodyHook


class RunContext:
    """What a dataset's ``prepare`` and ``fetch`` get: the run's days and config, its ``book`` of pending days,
    the checkpoint opened for the range, and the API clients (``clients(on_bad_body=...)``)."""

    def __init__(
        self,
        context: dg.AssetExecutionContext,
        *,
        config: BronzeRunConfig,
        lake: Any,
        days: list[dt.date],
        pending: list[dt.date],
        checkpoint: RangeCheckpoint,
        book: DayBook,
        api: Any | None,
    ):
        self.context = context
        self.log = context.log
        self.run_id = context.run_id
        self.config = config
        self.lake = lake
        self.days = days
        self.pending = pending
        self.checkpoint = checkpoint
        self.book = book
        self.api = api

    def clients(self, on_bad_body: BadBodyHook | None = None) -> ApiClients:
        """The API clients of this run: the resource's, with the run config ``timeout``; with ``on_bad_body``
        every 2xx body that is not JSON is handed to it and the request re-sent."""
        if self.api is None:
            raise RuntimeError("this dataset makes no API request: run_dataset() was given no polymarket_api")
        return self.api.clients(timeout=self.config.timeout, on_bad_body=on_bad_body)


def run_dataset(
    context: dg.AssetExecutionContext, dataset: Dataset, *, lake: Any, config: BronzeRunConfig, api: Any | None = None
) -> dg.MaterializeResult:
    """Fetch, write and commit the days of this run for ``dataset`` (see the module docstring)."""
    days = partition_days(context)
    asset = dataset.asset
    checkpoint = RangeCheckpoint.open(
        lake.state, asset, days, context.run_id, fresh=config.fresh, exists=lambda d: partition_exists(lake.bronze, asset, d)
    )
    pending = [d for d in days if d not in checkpoint.resumed_days]
    if checkpoint.resumed:
        context.log.info(
            f"{asset} {days[0]}..{days[-1]}: resuming; {len(checkpoint.resumed)} day(s) kept from an earlier attempt, "
            f"{len(pending)} to fetch"
        )
    stats = api.stats if api is not None else None
    before = stats.snapshot() if stats is not None else {}
    started = time.monotonic()
    book = DayBook(
        lake.bronze,
        lake.quarantine,
        asset=asset,
        schema=dataset.schema,
        pending=pending,
        writer_options=dataset.writer_options,
        max_quarantine_share=config.max_quarantine_share,
        on_commit=lambda day, written, resume: checkpoint.mark_done(
            day, written.rows, written.bytes, context.run_id, top={"resume": resume} if resume is not None else None
        ),
        log=context.log,
    )
    run = RunContext(context, config=config, lake=lake, days=days, pending=pending, checkpoint=checkpoint, book=book, api=api)
    with resume_hint_on_failure(asset, days, checkpoint):
        try:
            if pending:
                dataset.prepare(run)
                for batch in dataset.batches(pending):
                    items = dataset.fetch(batch, run)
                    try:
                        for item in items:
                            book.handle(item)
                    finally:
                        close = getattr(items, "close", None)
                        if close is not None:
                            close()  # a failed commit stops the fetch now (its worker threads too), not at GC
        except BaseException:
            book.abort()
            raise
    checkpoint.clear()  # the range is done: a later run of it refreshes every day
    book.report.elapsed_seconds = time.monotonic() - started
    return run_metadata(
        context,
        schema=dataset.schema,
        days=days,
        report=book.report,
        kept=checkpoint.resumed,
        stats_delta=stats.since(before) if stats is not None else {},
        extra=dataset.metadata(run),
        copied_to_partitions=dataset.copied_to_partitions,
        written_status=lambda day: dataset.written_status(day, context.run_id),
    )


@contextmanager
def resume_hint_on_failure(asset: str, days: Sequence[dt.date], checkpoint: RangeCheckpoint) -> Iterator[None]:
    """Around the fetching part of a run: on any error the checkpoint is marked ``failed`` (kept for the next
    attempt) and the error re-raised as a ``dg.Failure`` naming the days already committed and how a re-run
    resumes (a ``dg.Failure`` keeps its own description below that, and its metadata). What is not an
    ``Exception`` (``KeyboardInterrupt``, ...) is re-raised unchanged once the checkpoint is marked."""
    try:
        yield
    except BaseException as exc:
        checkpoint.fail(f"{type(exc).__name__}: {exc}")
        done = sorted(checkpoint.done_days)
        remaining = [d for d in days if d not in checkpoint.done_days]
        message = (
            f"{asset} {days[0]}..{days[-1]} failed: {type(exc).__name__}: {str(exc)[:800]}\n"
            f"Committed and checkpointed: {', '.join(map(str, done)) or 'none'}. Re-running the same range resumes "
            f"with the {len(remaining)} remaining day(s) ({checkpoint.path}); run config fresh: true refetches all."
        )
        if isinstance(exc, dg.Failure):
            raise dg.Failure(description=message + f"\n{exc.description}", metadata=exc.metadata) from exc
        if isinstance(exc, Exception):
            raise dg.Failure(description=message) from exc
        raise
