"""One bounded run of the WebSocket capture: both venues, their raw logs, gap files and metrics.

:func:`run_streams` (asyncio) / :func:`run_streams_blocking` (a thread or the main thread; SIGTERM and
SIGINT stop it cleanly when it runs in the main thread) start a raw-log writer per venue, the streams, and a
metrics task that logs the rates every ``metrics_interval`` s and appends closed gap events to
``<data dir>/stream/<venue>_ws/gaps/date=YYYY-MM-DD/gaps-<session>.jsonl``. The run ends when ``stop`` is
set, after ``max_seconds``, or when a venue cannot be reached at all (then it raises, after flushing what it
has). On the way out the connections are closed (``close`` records), the writers drain, end their zstd frames
and fsync, gaps still open are written with ``end_ns: null``, and the final metrics are returned (the Dagster
job attaches them as output metadata). ``on_heartbeat(report)`` is called at the start and every
``heartbeat_interval`` s with every venue's metrics (the job writes its heartbeat file from it).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from polymarket_assets.paths import component
from polymarket_assets.streaming.ws.config import LimitlessWsOptions, PolymarketWsOptions
from polymarket_assets.streaming.ws.gaps import Gap
from polymarket_assets.streaming.ws.limitless_stream import LimitlessStream
from polymarket_assets.streaming.ws.metrics import log_line
from polymarket_assets.streaming.ws.polymarket_stream import PolymarketStream
from polymarket_assets.streaming.ws.rawlog import RawLogWriter
from polymarket_assets.streaming.ws.selection import Target

log = logging.getLogger(__name__)


@dataclass
class StreamRunConfig:
    data_dir: Path
    polymarket: PolymarketWsOptions | None = None
    limitless: LimitlessWsOptions | None = None
    max_seconds: float | None = None
    metrics_interval: float = 30.0  # a metrics line per venue in the log
    heartbeat_interval: float = 10.0  # on_heartbeat(report) (the Dagster job's heartbeat file and run tags)
    flush_interval: float = 0.25
    zstd_level: int = 3
    session: str | None = None
    log: Any = None  # a logging.Logger-like object (the Dagster job passes context.log); default: this module's
    shipper: Any = None  # a lake.shipping.StreamShipper when the lake is on S3: ships each closed file (None: local lake)
    ship_timeout_seconds: float = 60.0  # longest wait at the end for the last files to upload


def progress_report(session: str, streams: dict[str, Any], started: float, *, final: bool = False) -> dict[str, Any]:
    """What a heartbeat says: per venue the metrics snapshot (rates over the whole run)."""
    return {
        "session": session,
        "at": datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "elapsed_seconds": round(time.monotonic() - started, 3),
        "final": final,
        "venues": {venue: s.metrics.snapshot(reset_rates=False) for venue, s in streams.items()},
    }


def new_session() -> str:
    return f"{datetime.now(timezone.utc):%Y%m%dT%H%M%S}-{os.getpid()}"


def gaps_path(data_dir: Path, venue: str, gap: Gap, session: str) -> Path:
    day = datetime.fromtimestamp(gap.start_ns / 1e9, tz=timezone.utc).strftime("%Y-%m-%d")
    return Path(data_dir) / "stream" / f"{component(venue, 'venue')}_ws" / "gaps" / f"date={day}" / f"gaps-{component(session, 'session')}.jsonl"


def write_gaps(data_dir: Path, venue: str, gaps: Iterable[Gap], session: str, *, still_open: bool = False) -> int:
    n = 0
    for gap in gaps:
        path = gaps_path(data_dir, venue, gap, session)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps({**gap.as_dict(), "open": still_open}, separators=(",", ":")) + "\n")
        n += 1
    return n


async def run_streams(
    config: StreamRunConfig,
    *,
    polymarket_discover: Callable[[float], Iterable[dict[str, Any]]] | None = None,
    polymarket_targets: Iterable[Target] = (),
    limitless_discover: Callable[[float], Iterable[dict[str, Any]]] | None = None,
    limitless_targets: Iterable[Target] = (),
    rest_books: Callable[[Sequence[str]], list[dict[str, Any]]] | None = None,
    stop: asyncio.Event | None = None,
    on_started: Callable[[dict[str, Any]], None] | None = None,
    on_heartbeat: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    session = config.session or new_session()
    out = config.log or log
    stop = stop or asyncio.Event()
    streams: dict[str, Any] = {}
    writers: dict[str, RawLogWriter] = {}
    shipper = config.shipper
    ship = shipper.ship if shipper is not None else None
    if shipper is not None:
        shipper.start()
        shipper.request_sync()  # files an earlier run closed (or was killed before shipping)
    if config.polymarket is not None:
        writers["polymarket"] = RawLogWriter(config.data_dir, "polymarket", session=session, flush_interval=config.flush_interval, level=config.zstd_level,
                                             on_closed=ship)
        streams["polymarket"] = PolymarketStream(
            config.polymarket, writer=writers["polymarket"], discover=polymarket_discover, targets=polymarket_targets,
            rest_books=rest_books, session_tag=f"{session}/",
        )
    if config.limitless is not None:
        writers["limitless"] = RawLogWriter(config.data_dir, "limitless", session=session, flush_interval=config.flush_interval, level=config.zstd_level,
                                            on_closed=ship)
        streams["limitless"] = LimitlessStream(
            config.limitless, writer=writers["limitless"], discover=limitless_discover, targets=limitless_targets, session_tag=f"{session}/",
        )
    for writer in writers.values():
        writer.start()
    if on_started is not None:
        on_started(streams)
    started = time.monotonic()
    tasks = {venue: asyncio.create_task(s.run(stop), name=f"stream-{venue}") for venue, s in streams.items()}
    gaps_written = {venue: 0 for venue in streams}

    def flush_gaps() -> None:
        for venue, s in streams.items():
            gaps_written[venue] += write_gaps(config.data_dir, venue, s.machine.take_closed_gaps(), session)

    def heartbeat() -> None:
        if on_heartbeat is not None:
            try:
                on_heartbeat(progress_report(session, streams, started))
            except Exception as exc:
                out.warning(f"orderbook stream heartbeat failed: {exc}")

    async def metrics_loop() -> None:
        last_metrics = time.monotonic()
        while True:
            await asyncio.sleep(min(config.heartbeat_interval, config.metrics_interval))
            for s in streams.values():
                if s.writer.error is not None:
                    raise s.writer.error
            if time.monotonic() - last_metrics >= config.metrics_interval - 1e-3:
                last_metrics = time.monotonic()
                for s in streams.values():
                    out.info(f"orderbook stream {log_line(s.metrics.snapshot())}")
                flush_gaps()
            heartbeat()

    heartbeat()  # the first one, before any connection is tried
    metrics_task = asyncio.create_task(metrics_loop(), name="stream-metrics")
    stop_task = asyncio.create_task(stop.wait())
    waiters = [*tasks.values(), metrics_task, stop_task]
    failure: BaseException | None = None
    stop_reason = "stopped"
    try:
        deadline = None if config.max_seconds is None else time.monotonic() + config.max_seconds
        pending = set(waiters)
        venue_of = {task: venue for venue, task in tasks.items()}
        while True:
            timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
            done, pending = await asyncio.wait(pending, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
            if not done:
                stop_reason = "max_seconds" if failure is None else "failed"
                break
            ended = False
            for task in done:
                error = None if task is stop_task or task.cancelled() else task.exception()
                if task in venue_of and error is not None and any(t in pending for t in venue_of):
                    # One venue failed for good (e.g. never reachable): the others keep capturing; the run
                    # still fails at its end, naming it, so the sensor's next run retries it.
                    failure = failure or error
                    stop_reason = "failed"
                    out.error(f"orderbook stream: {venue_of[task]} stopped: {error} -- the other venue(s) keep capturing "
                              "until the run ends; then the run fails with this error")
                    continue
                if error is not None:
                    failure, stop_reason = failure or error, "failed"
                ended = True
            if ended:
                break
    except asyncio.CancelledError:
        stop_reason = "cancelled"
        raise
    finally:
        stopping_at = time.monotonic()
        stop.set()
        metrics_task.cancel()
        stop_task.cancel()
        results = await asyncio.gather(*tasks.values(), return_exceptions=True)
        for result in results:
            if failure is None and isinstance(result, BaseException) and not isinstance(result, asyncio.CancelledError):
                failure, stop_reason = result, "failed"
        summary: dict[str, Any] = {"session": session, "stop_reason": stop_reason, "seconds": round(time.monotonic() - started, 3), "venues": {}}
        for venue, s in streams.items():
            try:
                writers[venue].close()
            except BaseException as exc:
                failure = failure or exc
            flush_gaps()
            open_gaps = s.machine.open_gaps()
            write_gaps(config.data_dir, venue, open_gaps, session, still_open=True)
            snap = s.metrics.snapshot(reset_rates=False)
            snap["gaps_written"] = gaps_written[venue]
            snap["gaps_open_at_end"] = len(open_gaps)
            snap["raw_files"] = list(writers[venue].stats.files)
            snap["checkpoints_written"] = s.journal.checkpoints
            summary["venues"][venue] = snap
            out.info(f"orderbook stream {venue} finished: {log_line(snap)}")
        if shipper is not None:
            shipper.request_sync()  # the gap files (appended all run long) and anything not shipped yet
            shipper.close(config.ship_timeout_seconds)
            summary["shipping"] = shipper.summary()
        summary["shutdown_seconds"] = round(time.monotonic() - stopping_at, 3)
    if failure is not None:
        try:
            failure.run_summary = summary  # type: ignore[attr-defined]  # what was captured before it failed
        except AttributeError:
            pass
        raise failure
    return summary


def run_streams_blocking(config: StreamRunConfig, *, stop_event: threading.Event | None = None, **kwargs: Any) -> dict[str, Any]:
    """Run :func:`run_streams` in a fresh event loop. ``stop_event`` (set from any thread) stops it; in the
    main thread SIGTERM and SIGINT do too."""

    async def main() -> dict[str, Any]:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        installed: list[signal.Signals] = []
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGTERM, signal.SIGINT):
                try:
                    loop.add_signal_handler(sig, stop.set)
                    installed.append(sig)
                except (NotImplementedError, RuntimeError):  # pragma: no cover - non-Unix
                    pass
        watcher = None
        if stop_event is not None:
            async def watch() -> None:
                while not stop_event.is_set():
                    await asyncio.sleep(0.1)
                stop.set()
            watcher = asyncio.create_task(watch())
        try:
            return await run_streams(config, stop=stop, **kwargs)
        finally:
            if watcher is not None:
                watcher.cancel()
            for sig in installed:
                loop.remove_signal_handler(sig)

    return asyncio.run(main())
