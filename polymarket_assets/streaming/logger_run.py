"""What one run of ``orderbook_logger_job`` needs: its run config, the logger built from it, its metadata.

The op (``polymarket_assets/defs/streaming/orderbook_logger.py``) asks ``polymarket_api.clients(...)`` for
hot-path clients for the book requests (short timeouts, **no transport retries** — the poller's per-instrument
backoff and per-venue cooldown replace them — but the same shared rate limiter, counters and User-Agent as
every other API call); discovery (the slow path) uses the resource's regular clients, with transport retries,
each source in its own thread — its first pass too: polling starts at once and never waits for a slow or
failing venue's discovery. :func:`build_logger` builds the venue discoverers and book fetchers; the op runs
:class:`~polymarket_assets.streaming.logger.OrderbookLogger` for ``duration_minutes`` (counted from the start of
the run; the logger's heartbeat file is written at once and every 10 s).

Termination (the UI's *Terminate*, or SIGTERM to the run worker) arrives in the op as
``DagsterExecutionInterruptedError``; the op sets the stop event, joins the threads (the writer drains,
flushes, fsyncs and closes every file), logs the final figures and re-raises, all within a few seconds.
"""


import logging
from typing import Any, Callable, Optional

import dagster as dg
from pydantic import Field

from polymarket_assets.resources import PolymarketApiResource
from polymarket_assets.streaming.clock import SYSTEM_CLOCK, Clock
from polymarket_assets.streaming.instruments import VENUE_LIMITLESS, VENUE_POLYMARKET
from polymarket_assets.streaming.logger import LoggerSettings, OrderbookLogger
from polymarket_assets.streaming.poller import LimitlessBookFetcher, PollerConfig, PolymarketBookFetcher
from polymarket_assets.streaming.sensor import LOGGER, MAX_RUNTIME_TAG, max_runtime_seconds  # noqa: F401 - re-exported for the job
from polymarket_assets.streaming.venues.limitless import LimitlessDiscovery
from polymarket_assets.streaming.venues.polymarket_btc15m import PolymarketBtc15mDiscovery
from polymarket_assets.streaming.venues.polymarket_general import PolymarketGeneralDiscovery

SOURCES = ("polymarket_btc15m", "polymarket_general", "limitless")
JOB_NAME = LOGGER.job_name
DEFAULT_DURATION_MINUTES = LOGGER.default_duration_minutes

#: Tests replace this to run the job on a fake clock (e.g. seconds before a 15-minute boundary).
CLOCK_FACTORY: Callable[[], Clock] = lambda: SYSTEM_CLOCK  # noqa: E731


class OrderbookLoggerConfig(dg.Config):
    """Run config of ``orderbook_logger_job`` (op ``orderbook_logger``)."""

    duration_minutes: float = Field(default=DEFAULT_DURATION_MINUTES, description="How long the run polls before it ends successfully (the sensor then starts the next one).")
    cadence_seconds: float = Field(default=1.0, description="Poll every active instrument once per this many seconds.")
    sources: list[str] = Field(default=list(SOURCES), description=f"Discoveries to run: any of {list(SOURCES)}.")
    # Polymarket BTC 15-minute up/down
    btc15m_lead_seconds: float = Field(default=60.0, description="Discover the next 15-minute window this long before the boundary.")
    btc15m_discovery_interval_seconds: float = Field(default=10.0, description="BTC 15-minute discovery cadence.")
    # Polymarket general
    polymarket_slugs: list[str] = Field(default=[], description="Market (or event) slugs to poll, two instruments per market.")
    polymarket_tag: Optional[str] = Field(default=None, description="Gamma tag id (numeric) or tag slug whose active markets are polled.")
    polymarket_top_n: int = Field(default=20, description="Also poll the top N active markets by 24 h volume (0 = off).")
    polymarket_max_markets: int = Field(default=250, description="Cap on general markets (2 instruments each).")
    general_discovery_interval_seconds: float = Field(default=300.0, description="Polymarket general discovery cadence.")
    # Limitless
    limitless_underlyings: list[str] = Field(default=["BTC", "ETH"], description="Underlyings whose active CLOB markets are polled ([] = all).")
    limitless_max_markets: int = Field(
        default=8,
        description="Cap on Limitless markets (one request each per tick: keep markets/cadence under the 'limitless' rate budget, 100 per 10 s by default).",
    )
    limitless_discovery_interval_seconds: float = Field(default=60.0, description="Limitless discovery cadence.")
    # hot path
    books_batch_size: int = Field(default=100, description="Tokens per POST /books request (Polymarket).")
    polymarket_workers: int = Field(default=4, description="Threads polling Polymarket.")
    limitless_workers: int = Field(default=8, description="Threads polling Limitless.")
    request_timeout_seconds: float = Field(default=5.0, description="Read timeout of one book request.")
    use_rate_limiter: bool = Field(default=True, description="Take a permit from the shared rate limiter for every request.")
    backoff_base_seconds: float = Field(default=1.0, description="Per-instrument backoff after the first failure (doubles per failure).")
    backoff_max_seconds: float = Field(default=60.0, description="Longest per-instrument backoff.")
    cooldown_after_failures: int = Field(default=5, description="Consecutive failed requests that put a venue on cooldown.")
    cooldown_base_seconds: float = Field(default=10.0, description="First venue cooldown (doubles per cooldown in a row).")
    cooldown_max_seconds: float = Field(default=300.0, description="Longest venue cooldown.")
    # writer / reporting
    flush_interval_seconds: float = Field(default=1.0, description="The writer flushes at least this often.")
    progress_interval_seconds: float = Field(default=30.0, description="Progress log line (rates per venue, errors, backoffs) every this many seconds.")
    shutdown_grace_seconds: float = Field(default=2.0, description="On stop, in-flight requests get this long to land.")


def build_logger(
    cfg: OrderbookLoggerConfig,
    *,
    gamma: Any,
    clob: Any,
    limitless: Any,
    stream_dir: Any,
    clob_books: Any = None,
    limitless_books: Any = None,
    state_dir: Any,
    heartbeat_dir: Any = None,
    shipper: Any = None,
    clock: Clock = SYSTEM_CLOCK,
    log: logging.Logger | None = None,
    run_tag: str | None = None,
    on_progress: Callable[[dict[str, Any]], None] | None = None,
    on_first_discovery: Callable[[OrderbookLogger], None] | None = None,
) -> OrderbookLogger:
    unknown = sorted(set(cfg.sources) - set(SOURCES))
    if unknown:
        raise dg.Failure(f"orderbook_logger: unknown sources {unknown}; choose from {list(SOURCES)} (run config 'sources').")
    discoverers: list[Any] = []
    if "polymarket_btc15m" in cfg.sources:
        discoverers.append(
            PolymarketBtc15mDiscovery(gamma, lead_seconds=cfg.btc15m_lead_seconds, interval_seconds=cfg.btc15m_discovery_interval_seconds)
        )
    if "polymarket_general" in cfg.sources and (cfg.polymarket_slugs or cfg.polymarket_tag or cfg.polymarket_top_n):
        discoverers.append(
            PolymarketGeneralDiscovery(
                gamma,
                slugs=cfg.polymarket_slugs,
                tag=cfg.polymarket_tag,
                top_n=cfg.polymarket_top_n,
                interval_seconds=cfg.general_discovery_interval_seconds,
                max_markets=cfg.polymarket_max_markets,
            )
        )
    if "limitless" in cfg.sources:
        discoverers.append(
            LimitlessDiscovery(
                limitless,
                underlyings=cfg.limitless_underlyings,
                interval_seconds=cfg.limitless_discovery_interval_seconds,
                max_markets=cfg.limitless_max_markets,
            )
        )
    fetchers: dict[str, Any] = {}
    if any(d.venue == VENUE_POLYMARKET for d in discoverers):
        fetchers[VENUE_POLYMARKET] = PolymarketBookFetcher(clob_books or clob, batch_size=cfg.books_batch_size)
    if any(d.venue == VENUE_LIMITLESS for d in discoverers):
        fetchers[VENUE_LIMITLESS] = LimitlessBookFetcher(limitless_books or limitless)
    poller = PollerConfig(
        cadence_seconds=cfg.cadence_seconds,
        backoff_base_seconds=cfg.backoff_base_seconds,
        backoff_max_seconds=cfg.backoff_max_seconds,
        cooldown_after_failures=cfg.cooldown_after_failures,
        cooldown_base_seconds=cfg.cooldown_base_seconds,
        cooldown_max_seconds=cfg.cooldown_max_seconds,
        workers={VENUE_POLYMARKET: cfg.polymarket_workers, VENUE_LIMITLESS: cfg.limitless_workers},
        shutdown_grace_seconds=cfg.shutdown_grace_seconds,
    )
    return OrderbookLogger(
        LoggerSettings(
            stream_dir=stream_dir,
            state_dir=state_dir,
            heartbeat_dir=heartbeat_dir,
            shipper=shipper,
            poller=poller,
            flush_interval_seconds=cfg.flush_interval_seconds,
            progress_interval_seconds=cfg.progress_interval_seconds,
            run_tag=run_tag,
        ),
        discoverers=discoverers,
        fetchers=fetchers,
        clock=clock,
        log=log,
        on_progress=on_progress,
        on_first_discovery=on_first_discovery,
    )


def warn_if_over_budget(api: PolymarketApiResource, cfg: OrderbookLoggerConfig, logger: OrderbookLogger, log: Any) -> None:
    """One request per Limitless market per tick must fit the shared 'limitless' budget, or polls are lost."""
    try:
        budget = api.rate_limiter.get_limiter().budgets.get("limitless")
    except Exception:  # noqa: BLE001 - informational only
        return
    n = sum(1 for i in logger.discovery.instruments() if i["venue"] == VENUE_LIMITLESS)
    if budget is not None and n and n / cfg.cadence_seconds > 0.9 * budget.per_second:
        log.warning(
            f"{n} Limitless markets at one request per {cfg.cadence_seconds}s need {n / cfg.cadence_seconds:.1f} req/s, "
            f"but the 'limitless' budget allows {budget.per_second:.1f} req/s ({budget.describe()}): polls will back off. "
            f"Lower limitless_max_markets, raise cadence_seconds, or raise rate_limiter.budgets.limitless."
        )


def progress_text(report: dict[str, Any]) -> str:
    """``polymarket 202.0/s, limitless 8.0/s; errors 0, backoffs 0, cooldowns 0; p99 162 ms``"""
    venues = report.get("venues") or {}
    rates = ", ".join(f"{v} {c['snapshots_per_second']}/s" for v, c in sorted(venues.items())) or "no snapshots yet"
    errors = sum(c["request_errors"] + c["book_errors"] for c in venues.values())
    backoffs = sum(c["backoffs"] for c in venues.values())
    cooldowns = sum(c["cooldowns"] for c in venues.values())
    p99 = (report.get("fetch_to_disk_ms") or {}).get("p99")
    return f"{rates}; errors {errors}, backoffs {backoffs}, cooldowns {cooldowns}; p99 {p99} ms"


def run_metadata(summary: dict[str, Any]) -> dict[str, Any]:
    md: dict[str, Any] = {
        "run_tag": summary.get("run_tag"),
        "elapsed_seconds": dg.FloatMetadataValue(float(summary.get("elapsed_seconds") or 0.0)),
        "active_instruments": dg.IntMetadataValue(int(summary.get("active_instruments") or 0)),
        "missed_ticks": dg.IntMetadataValue(int(summary.get("totals", {}).get("missed_ticks", 0))),
        "snapshot_reload_errors": dg.IntMetadataValue(int(summary.get("totals", {}).get("snapshot_reload_errors", 0))),
        "discovery_errors": dg.IntMetadataValue(int(summary.get("totals", {}).get("discovery_errors", 0))),
        "shutdown_seconds": dg.FloatMetadataValue(float(summary.get("shutdown_seconds") or 0.0)),
        "clean_shutdown": dg.BoolMetadataValue(bool(summary.get("clean_shutdown"))),
    }
    latency = summary.get("fetch_to_disk_ms") or {}
    if latency.get("p99") is not None:
        md["fetch_to_disk_p99_ms"] = dg.FloatMetadataValue(float(latency["p99"]))
    for venue, c in (summary.get("venues") or {}).items():
        md[f"{venue}_snapshots"] = dg.IntMetadataValue(int(c["snapshots"]))
        md[f"{venue}_snapshots_per_second"] = dg.FloatMetadataValue(float(c["snapshots_per_second_run"]))
        md[f"{venue}_request_errors"] = dg.IntMetadataValue(int(c["request_errors"]))
        md[f"{venue}_book_errors"] = dg.IntMetadataValue(int(c["book_errors"]))
        md[f"{venue}_backoffs"] = dg.IntMetadataValue(int(c["backoffs"]))
        md[f"{venue}_cooldowns"] = dg.IntMetadataValue(int(c["cooldowns"]))
    md["summary"] = dg.JsonMetadataValue(summary)
    return md
