"""The bronze engine's own rules, with a scripted dataset (no API): what counts toward the quarantine threshold,
when days commit, what a resumed range skips, and that a failed commit stops the dataset's fetch at once."""

# No `from __future__ import annotations`: Dagster reads the probe asset's config/resource annotations.

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg
import pyarrow as pa
import pytest

from polymarket_assets.bronze.config import BronzeRunConfig
from polymarket_assets.bronze.engine import Complete, NotWritten, Rows, RunContext, Table, run_dataset
from polymarket_assets.bronze.engine.checkpoint import checkpoint_path
from polymarket_assets.bronze.engine.days import DayBook
from polymarket_assets.bronze.engine.quarantine import quarantined_files
from polymarket_assets.bronze.parquet_io import partition_exists, read_partition
from polymarket_assets.bronze.partitions import DAILY_PARTITIONS
from polymarket_assets.resources import LakeResource

UTC = dt.timezone.utc
SCHEMA = pa.schema([pa.field("k", pa.string(), nullable=False), pa.field("ts", pa.timestamp("us", tz="UTC"), nullable=False)])
DAYS = [dt.date(2026, 11, 1) + dt.timedelta(days=i) for i in range(4)]


def row(day: dt.date, k: str) -> dict[str, Any]:
    return {"k": k, "ts": dt.datetime(day.year, day.month, day.day, 12, tzinfo=UTC)}


class Scripted:
    """A dataset whose batches and items are given up front; ``events`` records what the engine asked."""

    asset = "engine_probe"
    schema = SCHEMA
    writer_options: dict[str, int] = {}
    copied_to_partitions = ("range",)

    def __init__(self, script: dict[dt.date, list[Any]], batch_days: int = 2, fail_on: dt.date | None = None):
        self.script = script
        self.batch_days = batch_days
        self.fail_on = fail_on
        self.events: list[str] = []

    def prepare(self, run: RunContext) -> None:
        self.events.append(f"prepare {','.join(d.isoformat() for d in run.pending)}")

    def batches(self, pending: list[dt.date]) -> list[list[dt.date]]:
        return [pending[i : i + self.batch_days] for i in range(0, len(pending), self.batch_days)]

    def fetch(self, batch: list[dt.date], run: RunContext) -> Iterator[Any]:
        self.events.append(f"fetch {batch[0]}")
        try:
            for day in batch:
                if day == self.fail_on:
                    raise RuntimeError(f"source broke on {day}")
                for item in self.script.get(day, []):
                    if callable(item):
                        item(run, day)
                    else:
                        yield item
            yield Complete(batch, what="probe rows", resume={"after": batch[-1].isoformat()})
            self.events.append(f"after {batch[0]}")
        except GeneratorExit:
            self.events.append(f"closed {batch[0]}")
            raise

    def metadata(self, run: RunContext) -> dict[str, Any]:
        return {"probe": dg.MetadataValue.int(len(self.events))}

    def written_status(self, day: dt.date, run_id: str) -> str:
        return f"written by run {run_id} (probe)"


def materialize(tmp_path: Path, dataset: Scripted, *, first: dt.date = DAYS[0], last: dt.date = DAYS[-1], **config: Any) -> dg.ExecuteInProcessResult:
    @dg.asset(name=dataset.asset, partitions_def=DAILY_PARTITIONS, backfill_policy=dg.BackfillPolicy.single_run())
    def probe(context: dg.AssetExecutionContext, config: BronzeRunConfig, lake: LakeResource) -> dg.MaterializeResult:
        return run_dataset(context, dataset, lake=lake, config=config)

    return dg.materialize(
        [probe],
        resources={"lake": LakeResource(data_dir=str(tmp_path))},
        run_config={"ops": {dataset.asset: {"config": config}}},
        tags={"dagster/asset_partition_range_start": first.isoformat(), "dagster/asset_partition_range_end": last.isoformat()},
        raise_on_error=False,
    )


def per_partition(result: dg.ExecuteInProcessResult) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for event in result.all_events:
        if event.event_type_value == "ASSET_MATERIALIZATION":
            m = event.event_specific_data.materialization
            out[m.partition] = {k: v.value for k, v in m.metadata.items()}
    return out


def test_every_completed_day_is_committed_even_without_rows(tmp_path: Path) -> None:
    table = pa.table({"k": ["t1", "t2"], "ts": [dt.datetime(2026, 11, 3, 1, tzinfo=UTC)] * 2}, schema=SCHEMA)
    dataset = Scripted({DAYS[0]: [Rows(DAYS[0], [row(DAYS[0], "a"), row(DAYS[0], "b")])], DAYS[2]: [Table(DAYS[2], table)]})
    result = materialize(tmp_path, dataset)
    assert result.success
    bronze = tmp_path / "bronze"
    assert [read_partition(bronze, "engine_probe", d).num_rows for d in DAYS] == [2, 0, 2, 0]  # zero-row days exist too
    md = per_partition(result)
    assert md["2026-11-01"]["partition_status"].startswith("written by run") and md["2026-11-01"]["partition_status"].endswith("(probe)")
    assert md["2026-11-03"]["dagster/row_count"] == 2 and "t1" in md["2026-11-03"]["preview"]
    assert dataset.events == ["prepare 2026-11-01,2026-11-02,2026-11-03,2026-11-04", "fetch 2026-11-01", "after 2026-11-01", "fetch 2026-11-03", "after 2026-11-03"]
    assert not checkpoint_path(tmp_path / "_state", "engine_probe", DAYS[0], DAYS[-1]).exists()  # done: removed


def test_rejects_count_toward_the_threshold_of_the_completed_days_but_page_bodies_do_not(tmp_path: Path) -> None:
    def reject(run: RunContext, day: dt.date) -> None:
        run.book.reject(day, {"bad": day.isoformat()}, "unreadable", "http://127.0.0.1/x", {"level": "object"})

    def page(run: RunContext, day: dt.date) -> None:
        run.book.quarantine(day, b"<html>", "HTML page", "http://127.0.0.1/p", {"level": "page"})

    good = [Rows(DAYS[0], [row(DAYS[0], str(i)) for i in range(3)])]
    # batch 1: 3 good + 1 rejected = 25 % (passes 0.3); 10 bad pages do not count
    ok = Scripted({DAYS[0]: [*good, reject, *[page] * 10]}, batch_days=4)
    result = materialize(tmp_path, ok, max_quarantine_share=0.3)
    assert result.success
    assert len(quarantined_files(tmp_path / "bronze" / "_quarantine", "engine_probe", DAYS[0])) == 11
    # the same with 2 rejects = 40 %: nothing of the batch is committed, the message names the unit
    bad = Scripted({DAYS[0]: [*good, reject, reject], DAYS[1]: [Rows(DAYS[1], [row(DAYS[1], "x")])]}, batch_days=4)
    failed = materialize(tmp_path / "second", bad, max_quarantine_share=0.3)
    assert not failed.success
    message = failed.get_step_failure_events()[0].step_failure_data.error.message
    assert "2 of 6 probe rows" in message and "Committed and checkpointed: none" in message
    assert not any(partition_exists(tmp_path / "second" / "bronze", "engine_probe", d) for d in DAYS)
    # a lost unit (a page given up) counts like a rejected one, without a body
    lost = Scripted({DAYS[0]: [*good, lambda run, day: run.book.lose(day, 5)]}, batch_days=4)
    assert not materialize(tmp_path / "third", lost, max_quarantine_share=0.3).success


def test_units_let_a_dataset_count_objects_instead_of_rows(tmp_path: Path) -> None:
    book = DayBook(
        tmp_path, tmp_path / "q", asset="engine_probe", schema=SCHEMA, pending=DAYS[:1], writer_options={},
        max_quarantine_share=0.4, on_commit=lambda *a: None,
    )
    book.handle(Rows(DAYS[0], [row(DAYS[0], str(i)) for i in range(10)], units=1))  # one object, ten rows
    book.reject(DAYS[0], {"o": 1}, "bad", None)
    with pytest.raises(dg.Failure, match="1 of 2 objects"):
        book.handle(Complete([DAYS[0]], what="objects"))
    book.abort()
    assert not partition_exists(tmp_path, "engine_probe", DAYS[0])


def test_a_failed_range_resumes_with_the_days_not_committed(tmp_path: Path) -> None:
    broken = Scripted({d: [Rows(d, [row(d, "r")])] for d in DAYS}, fail_on=DAYS[2])
    failed = materialize(tmp_path, broken)
    assert not failed.success
    message = failed.get_step_failure_events()[0].step_failure_data.error.message
    assert "source broke on 2026-11-03" in message and "Committed and checkpointed: 2026-11-01, 2026-11-02" in message
    assert "resumes with the 2 remaining day(s)" in message
    stored = json.loads(checkpoint_path(tmp_path / "_state", "engine_probe", DAYS[0], DAYS[-1]).read_text())
    assert stored["status"] == "failed" and sorted(stored["days"]) == ["2026-11-01", "2026-11-02"]
    assert stored["resume"] == {"after": "2026-11-02"}  # Complete.resume is saved with the commit
    assert not partition_exists(tmp_path / "bronze", "engine_probe", DAYS[2])  # the broken batch left nothing

    again = Scripted({d: [Rows(d, [row(d, "r2")])] for d in DAYS})
    resumed = materialize(tmp_path, again)
    assert resumed.success
    assert again.events[0] == "prepare 2026-11-03,2026-11-04"  # the committed days are not fetched again
    assert read_partition(tmp_path / "bronze", "engine_probe", DAYS[0]).column("k").to_pylist() == ["r"]
    md = per_partition(resumed)
    assert md["2026-11-01"]["partition_status"].startswith("kept: committed by run") and md["2026-11-01"]["dagster/row_count"] == 1
    assert md["2026-11-01"]["partition_bytes"] > 0 and md["2026-11-01"]["bytes_written"] == 0
    run_md = md["2026-11-04"]  # the run's keys, under each partition's own figures
    assert run_md["partitions_kept_from_checkpoint"] == 2 and run_md["partitions_written"] == 2
    assert "| 2026-11-01 | | | kept" in run_md["rows_by_day"] and "| 2026-11-04 | 1 |" in run_md["rows_by_day"]
    fresh = Scripted({d: [Rows(d, [row(d, "r3")])] for d in DAYS})
    assert materialize(tmp_path, fresh, fresh=True).success and fresh.events[0].startswith("prepare 2026-11-01")


def test_a_failed_commit_closes_the_fetch_at_once(tmp_path: Path) -> None:
    def reject(run: RunContext, day: dt.date) -> None:
        run.book.reject(day, {"bad": 1}, "unreadable", None)

    dataset = Scripted({DAYS[0]: [reject]}, batch_days=2)
    result = materialize(tmp_path, dataset, max_quarantine_share=0.0)
    assert not result.success
    assert dataset.events == ["prepare 2026-11-01,2026-11-02,2026-11-03,2026-11-04", "fetch 2026-11-01", "closed 2026-11-01"]


def test_days_a_dataset_leaves_alone_are_reported_with_its_status(tmp_path: Path) -> None:
    class Limited(Scripted):
        def fetch(self, batch: list[dt.date], run: RunContext) -> Iterator[Any]:
            if batch[0] >= DAYS[2]:
                yield NotWritten(batch, "not written: run config limit reached")
                return
            yield from super().fetch(batch, run)

    result = materialize(tmp_path, Limited({}))
    assert result.success
    md = per_partition(result)
    assert md["2026-11-03"]["partition_status"] == "not written: run config limit reached" and md["2026-11-03"]["dagster/row_count"] == 0
    assert not partition_exists(tmp_path / "bronze", "engine_probe", DAYS[2]) and partition_exists(tmp_path / "bronze", "engine_probe", DAYS[1])
