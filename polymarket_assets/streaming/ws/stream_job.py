"""What one run of ``orderbook_stream_job`` needs: its run config, the discovery that feeds the streams, the run
in a thread with a clean stop, its heartbeat, and its metadata. (The op: ``polymarket_assets/defs/streaming/
orderbook_stream.py``; the capture itself: :func:`~polymarket_assets.streaming.ws.run.run_streams`.)

* **What is followed.** Polymarket: the BTC 15-minute pair (the next window's tokens are subscribed
  ``btc15m_lead_seconds`` before the boundary, the expired ones unsubscribed ``grace_seconds`` after it), the
  general selection the REST logger supports (slugs, tag, top N), ``polymarket_all_active`` (every active market
  from Gamma, plus ``new_market`` / ``market_resolved`` live), and ``polymarket_token_ids`` given outright.
  Limitless: every active CLOB market of ``limitless_underlyings`` ([] = all), plus ``limitless_market_slugs``.
  Discovery uses the REST discoverers of the logger (``streaming/venues/``) through the resource's clients (the
  shared rate limiter), each re-run on its own cadence, in a thread; a failing one keeps its previous set.
* **The run** is bounded (``duration_minutes``) and runs the asyncio capture in its own thread; the op thread
  waits. A UI *Terminate* or a SIGTERM to the run worker arrives in the op thread as
  ``DagsterExecutionInterruptedError``: the op sets the stop event, the capture closes every connection,
  drains the raw-log writers, ends their zstd frames and fsyncs, writes the open gaps, and the op re-raises —
  within a few seconds (``shutdown_grace_seconds`` at most before it gives up waiting).
* **Heartbeat**: ``state/orderbook_stream.stats.json`` (with the run tag) at the start and every
  ``heartbeat_interval_seconds``, and live run tags (``orderbook_stream/progress``); the keep-alive sensor
  (``streaming/sensor.py``) terminates a run whose heartbeat stopped.
* **Unreachable URL**: after ``connect_attempts`` attempts with backoff the run fails, naming the setting, the
  URL and where it came from.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any, Optional

import dagster as dg
from pydantic import Field

from polymarket_assets.lake import as_lake_path
from polymarket_assets.streaming.sensor import STREAM
from polymarket_assets.streaming.venues.limitless import LimitlessDiscovery
from polymarket_assets.streaming.venues.polymarket_btc15m import PolymarketBtc15mDiscovery
from polymarket_assets.streaming.venues.polymarket_general import PolymarketGeneralDiscovery
from polymarket_assets.streaming.ws.config import LimitlessWsOptions, PolymarketWsOptions, StreamUnreachable
from polymarket_assets.streaming.ws.run import StreamRunConfig, run_streams_blocking
from polymarket_assets.streaming.ws.selection import Target

SOURCES = ("polymarket_btc15m", "polymarket_general", "polymarket_all_active", "limitless")
JOB_NAME = STREAM.job_name
OP_NAME = STREAM.op_name
DEFAULT_DURATION_MINUTES = STREAM.default_duration_minutes


class OrderbookStreamConfig(dg.Config):
    """Run config of ``orderbook_stream_job`` (op ``orderbook_stream``)."""

    duration_minutes: float = Field(default=DEFAULT_DURATION_MINUTES, description="How long the run captures before it ends successfully (the sensor then starts the next one).")
    sources: list[str] = Field(default=["polymarket_btc15m", "polymarket_general", "limitless"], description=f"Discoveries to run: any of {list(SOURCES)}.")
    # Polymarket
    polymarket_token_ids: list[str] = Field(default=[], description="Token ids to follow outright (no discovery needed).")
    polymarket_slugs: list[str] = Field(default=[], description="Market (or event) slugs to follow (polymarket_general).")
    polymarket_tag: Optional[str] = Field(default=None, description="Gamma tag id or slug whose active markets are followed (polymarket_general).")
    polymarket_top_n: int = Field(default=20, description="Also follow the top N active markets by 24 h volume (polymarket_general; 0 = off).")
    polymarket_max_markets: int = Field(default=2500, description="Cap on general markets (polymarket_general); polymarket_all_active has none.")
    btc15m_lead_seconds: float = Field(default=120.0, description="Subscribe the next 15-minute window this long before its boundary.")
    grace_seconds: float = Field(default=60.0, description="Keep an expired window (or market) subscribed this long after it ends.")
    general_discovery_interval_seconds: float = Field(default=300.0, description="Polymarket general / all-active discovery cadence.")
    max_assets_per_connection: int = Field(default=200, description="Assets per market-channel connection (the venue sends no snapshots past 500).")
    open_interval_seconds: float = Field(default=0.5, description="At least this long between two connection attempts (many at once draw 429s).")
    ping_interval_seconds: float = Field(default=10.0, description="Text PING cadence (the venue's heartbeat).")
    silence_timeout_seconds: float = Field(default=30.0, description="A connection without data for this long is stale and reopened (PONG does not count).")
    resync_via: str = Field(default="resubscribe", description="How stale books are refreshed: 'resubscribe' (unsubscribe + subscribe) or 'rest' (POST /books through the shared limiter).")
    resync_min_interval_seconds: float = Field(default=5.0, description="An asset is resynced at most once per this many seconds (later requests wait).")
    # Limitless
    limitless_underlyings: list[str] = Field(default=["BTC", "ETH"], description="Underlyings whose active CLOB markets are followed ([] = all).")
    limitless_market_slugs: list[str] = Field(default=[], description="Limitless market slugs to follow outright.")
    limitless_discovery_interval_seconds: float = Field(default=60.0, description="Limitless discovery cadence.")
    # connections, writer, reporting
    connect_attempts: int = Field(default=6, description="A venue that never connected after this many attempts (with backoff) fails the run.")
    backoff_initial_seconds: float = Field(default=0.5, description="First reconnect delay (doubles, with jitter).")
    backoff_max_seconds: float = Field(default=30.0, description="Longest reconnect delay.")
    flush_interval_seconds: float = Field(default=0.25, description="The raw-log writer flushes at least this often (at most 1 s).")
    zstd_level: int = Field(default=3, description="zstd level of the raw log.")
    metrics_interval_seconds: float = Field(default=30.0, description="A metrics line per venue in the run log every this many seconds.")
    heartbeat_interval_seconds: float = Field(default=10.0, description="Heartbeat file and progress run tags every this many seconds.")
    shutdown_grace_seconds: float = Field(default=10.0, description="On stop, how long to wait for the capture to flush and close.")


class DiscoveryFeed:
    """``discover(now)`` for a stream: every discoverer re-run when its own interval has passed; a failing one
    keeps its last instruments (logged)."""

    def __init__(self, discoverers: list[Any], log: Any):
        self.discoverers = discoverers
        self.log = log
        self._last: dict[str, tuple[float, list[dict[str, Any]]]] = {}

    def __call__(self, now: float) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for d in self.discoverers:
            at, instruments = self._last.get(d.source, (None, []))
            if at is None or now - at >= d.interval_seconds:
                try:
                    result = d.discover(now)
                    instruments = result.instruments
                    self._last[d.source] = (now, instruments)
                    for warning in result.warnings:
                        self.log.warning(f"{d.source} discovery: {warning}")
                except Exception as exc:
                    self.log.warning(f"{d.source} discovery failed (keeping its previous {len(instruments)} instruments): {exc}")
            out.extend(instruments)
        return out


def _check_sources(cfg: OrderbookStreamConfig) -> None:
    unknown = sorted(set(cfg.sources) - set(SOURCES))
    if unknown:
        raise dg.Failure(f"orderbook_stream: unknown sources {unknown}; choose from {list(SOURCES)} (run config 'sources').")
    if cfg.resync_via not in ("resubscribe", "rest"):
        raise dg.Failure(f"orderbook_stream: resync_via must be 'resubscribe' or 'rest', got {cfg.resync_via!r} (run config 'resync_via').")
    problems = [
        f"{name} must be {rule}, got {value!r}"
        for name, value, ok, rule in (
            ("max_assets_per_connection", cfg.max_assets_per_connection, 1 <= cfg.max_assets_per_connection <= 500,
             "1..500 (past 500 the venue sends no initial snapshots)"),
            ("duration_minutes", cfg.duration_minutes, cfg.duration_minutes > 0, "> 0"),
            ("connect_attempts", cfg.connect_attempts, cfg.connect_attempts >= 1, ">= 1"),
            ("flush_interval_seconds", cfg.flush_interval_seconds, 0 < cfg.flush_interval_seconds <= 1, "in (0, 1] (the raw log is flushed at least once a second)"),
            ("zstd_level", cfg.zstd_level, 1 <= cfg.zstd_level <= 22, "1..22"),
            *((name, getattr(cfg, name), getattr(cfg, name) > 0, "> 0") for name in (
                "ping_interval_seconds", "silence_timeout_seconds", "heartbeat_interval_seconds", "metrics_interval_seconds",
                "backoff_initial_seconds", "backoff_max_seconds", "general_discovery_interval_seconds",
                "limitless_discovery_interval_seconds", "shutdown_grace_seconds")),
            *((name, getattr(cfg, name), getattr(cfg, name) >= 0, ">= 0") for name in (
                "open_interval_seconds", "btc15m_lead_seconds", "grace_seconds", "resync_min_interval_seconds", "polymarket_top_n")),
        )
        if not ok
    ]
    if problems:
        raise dg.Failure("orderbook_stream: bad run config (ops.orderbook_stream.config): " + "; ".join(problems) + ".")


def build_run(cfg: OrderbookStreamConfig, *, api: Any, data_dir: Any, log: Any, shipper: Any = None) -> dict[str, Any]:
    """The keyword arguments of :func:`run_streams_blocking` for this run config (``api``: PolymarketApiResource;
    ``data_dir``: this machine's directory for the live raw log, ``LakeResource.local_root``; ``shipper``: the
    lake's stream shipper when the lake is on S3, ``LakeResource.shipper(log)``)."""
    _check_sources(cfg)
    discovery = api.clients()  # the slow path: transport retries, the shared rate limiter
    polymarket: list[Any] = []
    if "polymarket_btc15m" in cfg.sources:
        polymarket.append(PolymarketBtc15mDiscovery(discovery.gamma, lead_seconds=min(cfg.btc15m_lead_seconds, 899.0), interval_seconds=10.0))
    if "polymarket_general" in cfg.sources and (cfg.polymarket_slugs or cfg.polymarket_tag or cfg.polymarket_top_n):
        polymarket.append(PolymarketGeneralDiscovery(discovery.gamma, slugs=cfg.polymarket_slugs, tag=cfg.polymarket_tag, top_n=cfg.polymarket_top_n,
                                                     interval_seconds=cfg.general_discovery_interval_seconds, max_markets=cfg.polymarket_max_markets))
    all_active = "polymarket_all_active" in cfg.sources
    if all_active:
        polymarket.append(PolymarketGeneralDiscovery(discovery.gamma, all_active=True, interval_seconds=cfg.general_discovery_interval_seconds,
                                                     max_markets=None, source="polymarket_all_active"))
    limitless: list[Any] = []
    if "limitless" in cfg.sources:
        limitless.append(LimitlessDiscovery(discovery.limitless, underlyings=cfg.limitless_underlyings,
                                            interval_seconds=cfg.limitless_discovery_interval_seconds, max_markets=1_000_000))
    common: dict[str, Any] = {"backoff_initial": cfg.backoff_initial_seconds, "backoff_max": cfg.backoff_max_seconds, "connect_attempts": cfg.connect_attempts,
              "lead_seconds": cfg.btc15m_lead_seconds, "grace_seconds": cfg.grace_seconds}
    want_polymarket = bool(polymarket or cfg.polymarket_token_ids)
    want_limitless = bool(limitless or cfg.limitless_market_slugs)
    if not (want_polymarket or want_limitless):
        raise dg.Failure("orderbook_stream: nothing to follow: enable a source (run config 'sources') or list polymarket_token_ids / "
                         "limitless_market_slugs.")
    pm_opts = lm_opts = None
    if want_polymarket:
        url, origin = api.ws_url("polymarket")
        pm_opts = PolymarketWsOptions(url=url, url_origin=origin, max_assets_per_connection=cfg.max_assets_per_connection,
                                      ping_interval=cfg.ping_interval_seconds, silence_timeout=cfg.silence_timeout_seconds,
                                      open_interval=cfg.open_interval_seconds, resync_via=cfg.resync_via,
                                      resync_min_interval=cfg.resync_min_interval_seconds, all_active=all_active,
                                      discovery_interval=2.0, **common)
    if want_limitless:
        url, origin = api.ws_url("limitless")
        lm_opts = LimitlessWsOptions(url=url, url_origin=origin, discovery_interval=min(cfg.limitless_discovery_interval_seconds, 10.0), **common)
    hot = api.clients(timeout=5.0, retries=1)  # REST resync: the shared limiter, short timeouts
    run_config = StreamRunConfig(data_dir, polymarket=pm_opts, limitless=lm_opts, max_seconds=cfg.duration_minutes * 60.0,
                                 metrics_interval=cfg.metrics_interval_seconds, heartbeat_interval=cfg.heartbeat_interval_seconds,
                                 flush_interval=cfg.flush_interval_seconds, zstd_level=cfg.zstd_level, log=log, shipper=shipper)
    return {
        "config": run_config,
        "polymarket_discover": DiscoveryFeed(polymarket, log) if polymarket else None,
        "polymarket_targets": [Target(t, None, "config") for t in cfg.polymarket_token_ids],
        "limitless_discover": DiscoveryFeed(limitless, log) if limitless else None,
        "limitless_targets": [Target(s, s, "config") for s in cfg.limitless_market_slugs],
        "rest_books": (lambda assets: hot.clob.books(list(assets))) if cfg.resync_via == "rest" else None,
    }


def heartbeat_writer(state_dir: Any, run_tag: str, on_progress: Callable[[dict[str, Any]], None] | None = None) -> Callable[[dict[str, Any]], None]:
    """``on_heartbeat`` for the capture: the heartbeat file the keep-alive sensor reads (in the lake's state
    directory, ``LakeResource.state``: local or S3, one atomic write), then ``on_progress``."""
    path = as_lake_path(state_dir) / STREAM.heartbeat_file

    def beat(report: dict[str, Any]) -> None:
        path.write_bytes(json.dumps({"run_tag": run_tag, **report}, default=str).encode("utf-8"))
        if on_progress is not None:
            on_progress(report)

    return beat


def final_report(summary: dict[str, Any]) -> dict[str, Any]:
    """The last heartbeat: the run's final summary."""
    from datetime import datetime, timezone

    return {**summary, "final": True, "at": datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")}


class Interrupted(Exception):
    """The run was stopped from outside; ``summary`` is what the capture had when it stopped."""

    def __init__(self, summary: dict[str, Any] | None, original: BaseException):
        super().__init__(str(original))
        self.summary = summary
        self.original = original


def run_in_thread(kwargs: dict[str, Any], *, on_heartbeat: Callable[[dict[str, Any]], None], grace_seconds: float, log: Any) -> dict[str, Any]:
    """Run the capture in its own thread and wait in this one; an interrupt here (Dagster's terminate / SIGTERM)
    stops it cleanly, then re-raises (as :class:`Interrupted`, carrying the final summary)."""
    stop = threading.Event()
    done = threading.Event()
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["summary"] = run_streams_blocking(stop_event=stop, on_heartbeat=on_heartbeat, **kwargs)
        except BaseException as exc:
            box["error"] = exc
        finally:
            done.set()

    thread = threading.Thread(target=target, name="orderbook-stream", daemon=True)
    thread.start()
    try:
        # wait on an Event, not Thread.join: an interrupt raised inside join() can leave the Thread marked
        # stopped while it still runs (CPython's bpo-45274 handling), and then nothing would wait for the flush
        while not done.wait(0.2):
            pass
    except BaseException as interrupt:  # DagsterExecutionInterruptedError, KeyboardInterrupt, SystemExit
        asked = time.monotonic()
        stop.set()
        finished = done.wait(grace_seconds)
        took = time.monotonic() - asked
        if not finished:
            log.error(f"orderbook_stream: the capture did not stop within {grace_seconds:.0f} s; giving up waiting")
        else:
            log.warning(f"orderbook_stream interrupted: stopped and flushed in {took:.2f} s")
        raise Interrupted(box.get("summary"), interrupt) from interrupt
    if "error" in box:
        error = box["error"]
        if isinstance(error, StreamUnreachable):
            raise dg.Failure(description=str(error), metadata={"summary": dg.MetadataValue.json(getattr(error, "run_summary", {}))}) from error
        raise error
    return box["summary"]


# -- reporting ---------------------------------------------------------------------------------------------

def progress_text(report: dict[str, Any]) -> str:
    """``polymarket 412.0 msg/s 950.1 chg/s, 3 reconnects, 0 gaps open; limitless 8.0 msg/s``"""
    parts = []
    for venue, s in sorted((report.get("venues") or {}).items()):
        parts.append(f"{venue} {s.get('messages_per_s_run')} msg/s {s.get('changes_per_s_run')} chg/s, {s.get('reconnects')} reconnects, "
                     f"{s.get('resyncs')} resyncs, {s.get('gaps_opened', 0) - s.get('gaps_closed', 0)} gaps open, writer lag "
                     f"{s.get('writer_lag_seconds')} s")
    return "; ".join(parts) or "starting"


def run_day(summary: dict[str, Any]) -> str:
    """The UTC day (a bronze partition key) the run started: its session id starts with ``YYYYMMDDTHHMMSS``."""
    import datetime as dt

    session = str(summary.get("session") or "")
    try:
        return dt.datetime.strptime(session[:15], "%Y%m%dT%H%M%S").date().isoformat()
    except ValueError:
        return dt.datetime.now(dt.timezone.utc).date().isoformat()


def run_metadata(summary: dict[str, Any]) -> dict[str, Any]:
    md: dict[str, Any] = {
        "session": summary.get("session"),
        "stop_reason": summary.get("stop_reason"),
        "seconds": dg.FloatMetadataValue(float(summary.get("seconds") or 0.0)),
        "shutdown_seconds": dg.FloatMetadataValue(float(summary.get("shutdown_seconds") or 0.0)),
    }
    for venue, s in (summary.get("venues") or {}).items():
        for key in ("messages", "level_changes", "reconnects", "connect_failures", "resyncs", "resync_assets", "gaps_opened", "gaps_closed",
                    "gaps_open_at_end", "malformed_frames", "unknown_events", "crossed_tops", "writer_records", "writer_lag_warnings",
                    "writer_bytes_written", "checkpoints_written"):
            md[f"{venue}_{key}"] = dg.IntMetadataValue(int(s.get(key) or 0))
        for key in ("messages_per_s_run", "changes_per_s_run", "writer_max_lag_seconds"):
            md[f"{venue}_{key}"] = dg.FloatMetadataValue(float(s.get(key) or 0.0))
        for key in ("writer_latency_p50_ms", "writer_latency_p99_ms"):
            if s.get(key) is not None:
                md[f"{venue}_{key}"] = dg.FloatMetadataValue(float(s[key]))
    md["summary"] = dg.JsonMetadataValue(summary)
    return md
