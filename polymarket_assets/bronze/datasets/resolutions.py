"""``bronze/resolutions``: every market that closed on a UTC day, with its Gamma resolution fields and its Data
API v2 ``/v2/resolutions`` record (api_reference §7.2).

Rows of partition ``dt=D``: one row per market whose Gamma ``closedTime`` falls on D (UTC), found by the
bounded lookup of ``engine/closed_markets.py`` (one ``/markets/keyset`` walk per run range; what it misses is
listed there and counted in the metadata). Each row holds the Gamma fields (``closed``, ``closed_time``,
``uma_resolution_status(es)``, ``outcome_prices``, ``outcomes``, ``clob_token_ids``, …) and the raw market
object (``raw_json``), plus the condition's ``/v2/resolutions`` record (``resolution_status``,
``was_disputed``, ``resolution_price`` as sent, transaction hash, log index, last update) and every record
the API returned for it (``resolution_raw_json``), requested ≤ 20 conditions per call. A condition the API
does not know is written with ``resolution_found`` false: the market is *pending*, not an error. Markets
without a condition id (legacy AMM) have no v2 record and no silver key: skipped and counted.

Bad input: unreadable market objects and resolution records are quarantined (they count toward
``max_quarantine_share``); an undecodable v2 body is quarantined and re-sent (``GuardedEndpoint``); a v2 body
of the wrong shape is quarantined and the request retried (``MAX_REQUEST_RETRIES``), then its markets count
as lost; a record for a condition that was not asked for is quarantined.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import dagster as dg

from polymarket_assets.bronze.coerce import RowCoercionError, coerce_row
from polymarket_assets.bronze.engine.active_markets import DiscoverySink
from polymarket_assets.bronze.engine.closed_markets import ClosedLookup, ClosedMarket, closed_markets_in
from polymarket_assets.bronze.engine.dataset import Complete, Item, Rows
from polymarket_assets.bronze.engine.metadata import range_label
from polymarket_assets.bronze.partitions import utc_now
from polymarket_assets.bronze.rows import resolution_row
from polymarket_assets.bronze.schemas import RESOLUTIONS
from polymarket_assets.clients.data_api import DataApiClient, ResolutionV2, parse_resolution_v2
from polymarket_assets.clients.data_api.client import MAX_CONDITIONS_PER_REQUEST
from polymarket_assets.clients.errors import MalformedResponseError
from polymarket_assets.clients.wire import ParseError, is_condition_id

if TYPE_CHECKING:
    from polymarket_assets.bronze.engine.run import RunContext

ASSET = "resolutions"
SOURCE = "gamma:/markets/keyset + data:/v2/resolutions"
MAX_REQUEST_RETRIES = 2


class ResolutionsDataset:
    """``bronze/resolutions`` for the engine: the lookup once in ``prepare``, then one batch per pending day."""

    asset = ASSET
    schema = RESOLUTIONS
    writer_options: dict[str, int] = {}
    copied_to_partitions: tuple[str, ...] = ("range", "lookup")

    def __init__(self, *, lookback_days: int):
        self.lookback_days = lookback_days
        self.lookup: ClosedLookup | None = None
        self.discovered_bodies = 0
        self.requests = 0
        self.request_retries = 0
        self.lost_markets = 0
        self.without_condition_id = 0
        self.found = 0
        self.missing = 0
        self.unrequested_records = 0

    def prepare(self, run: RunContext) -> None:
        sink = DiscoverySink(run, run.pending[0])
        try:
            self.lookup = closed_markets_in(
                run.clients(on_bad_body=sink).gamma, run.pending, lookback_days=self.lookback_days,
                limit=run.config.limit, on_reject=sink,
            )
        except MalformedResponseError as exc:
            if not getattr(exc, "already_quarantined", False):
                sink(exc.body, exc.reason, exc.url)
            raise dg.Failure(description=(
                f"resolutions {run.pending[0]}..{run.pending[-1]}: the closed-market lookup got an unusable Gamma page "
                f"({exc.reason}); body quarantined under {run.lake.quarantine / ASSET}; nothing written. Re-run later."
            )) from exc
        finally:
            self.discovered_bodies = sink.count
        run.log.info(f"resolutions: {self.lookup.count()} market(s) closed in {run.pending[0]}..{run.pending[-1]} "
                     f"({self.lookup.found} closed markets in the lookup window)")

    def batches(self, pending: list[dt.date]) -> list[list[dt.date]]:
        return [[day] for day in pending]  # the lookup is done; a day commits once its records are in

    def fetch(self, batch: list[dt.date], run: RunContext) -> Iterator[Item]:
        assert self.lookup is not None
        day = batch[0]
        book = run.book

        def bad_body(body: bytes, reason: str, url: str) -> None:
            book.quarantine(day, body, reason, url, {"level": "response", "refetched": True})

        data = run.clients(on_bad_body=bad_body).data
        markets: list[ClosedMarket] = []
        for closed in self.lookup.by_day.get(day, []):
            condition = closed.market["condition_id"]
            if not is_condition_id(condition):
                self.without_condition_id += 1
                continue
            markets.append(closed)
        rows: list[dict[str, Any]] = []
        for i in range(0, len(markets), MAX_CONDITIONS_PER_REQUEST):
            chunk = markets[i : i + MAX_CONDITIONS_PER_REQUEST]
            got = self._resolutions(data, [m.market["condition_id"] or "" for m in chunk], day, run)
            if got is None:
                self.lost_markets += len(chunk)
                book.lose(day, len(chunk))
                continue
            records, url, fetched_at = got
            for closed in chunk:
                condition = closed.market["condition_id"] or ""
                mine = records.get(condition, [])
                if mine:
                    self.found += 1
                else:
                    self.missing += 1
                row = resolution_row(closed.market, mine, fetched_at=closed.fetched_at, resolution_fetched_at=fetched_at,
                                     resolution_url=url)
                try:
                    rows.append(coerce_row(row, RESOLUTIONS))
                except (RowCoercionError, ValueError) as exc:
                    book.reject(day, closed.market["raw_json"], f"{type(exc).__name__}: {exc}", url, {"level": "market"})
        yield Rows(day, rows)
        yield Complete([day], what="closed markets")

    def _resolutions(
        self, data: DataApiClient, conditions: list[str], day: dt.date, run: RunContext
    ) -> tuple[dict[str, list[ResolutionV2]], str | None, dt.datetime] | None:
        """The records of ``conditions`` (one request of ≤ 20), by condition id; None when the body stayed unusable."""
        wanted = set(conditions)
        retries = 0
        while True:
            records: dict[str, list[ResolutionV2]] = {}
            url: str | None = None
            try:
                for page in data.iter_resolution_pages(conditions):
                    self.requests += 1
                    url = page.url
                    for obj in page.items:
                        try:
                            record = parse_resolution_v2(obj)
                        except (ParseError, ValueError) as exc:
                            run.book.reject(day, obj, f"unreadable /v2/resolutions record: {exc}", page.url, {"level": "record"})
                            continue
                        if record["condition_id"] not in wanted:
                            self.unrequested_records += 1
                            run.book.reject(day, obj, "a /v2/resolutions record for a condition that was not requested",
                                            page.url, {"level": "record"})
                            continue
                        records.setdefault(record["condition_id"], []).append(record)
                return records, url, utc_now()
            except MalformedResponseError as exc:
                if not getattr(exc, "already_quarantined", False):
                    run.book.quarantine(day, exc.body, exc.reason, exc.url, {"level": "response", "conditions": len(conditions)})
                if retries >= MAX_REQUEST_RETRIES:
                    run.log.warning(f"resolutions {day}: /v2/resolutions stayed unusable for {len(conditions)} market(s) ({exc.reason})")
                    return None
                retries += 1
                self.request_retries += 1

    def metadata(self, run: RunContext) -> dict[str, Any]:
        lookup = self.lookup
        assert lookup is not None
        query = ", ".join(f"{k}={str(v).lower() if isinstance(v, bool) else v}" for k, v in lookup.query.items())
        return {
            "lookup": dg.MetadataValue.text(f"GET /markets/keyset?{query}, routed by closedTime (lookback {lookup.lookback_days} days)"),
            "lookback_days": dg.MetadataValue.int(lookup.lookback_days),
            "closed_markets_in_lookup": dg.MetadataValue.int(lookup.found),
            "closed_in_run_days": dg.MetadataValue.int(lookup.count()),
            "closed_on_other_days": dg.MetadataValue.int(lookup.closed_on_other_days),
            "closed_without_closed_time": dg.MetadataValue.int(lookup.closed_without_closed_time),
            "not_closed_skipped": dg.MetadataValue.int(lookup.not_closed_skipped),
            "max_days_closed_after_end": dg.MetadataValue.float(float(lookup.max_days_closed_after_end or 0.0)),
            "closed_near_lookback_edge": dg.MetadataValue.int(lookup.closed_near_lookback_edge),
            "markets_without_condition_id": dg.MetadataValue.int(self.without_condition_id),
            "resolution_requests": dg.MetadataValue.int(self.requests),
            "resolution_request_retries": dg.MetadataValue.int(self.request_retries),
            "resolutions_found": dg.MetadataValue.int(self.found),
            "resolutions_missing_pending": dg.MetadataValue.int(self.missing),
            "markets_lost_unusable_response": dg.MetadataValue.int(self.lost_markets),
            "records_not_requested": dg.MetadataValue.int(self.unrequested_records),
            "quarantined_discovery_bodies": dg.MetadataValue.int(self.discovered_bodies),
            "range": dg.MetadataValue.text(range_label(run.days)),
            "source": dg.MetadataValue.text(SOURCE),
            "limited": dg.MetadataValue.bool(lookup.limited),
        }

    def written_status(self, day: dt.date, run_id: str) -> str:
        return f"written by run {run_id}"
