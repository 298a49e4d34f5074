"""The chaos suite's machinery (``bench/chaos.py`` prints its table; ``test_chaos.py`` runs it small).

kill -9 targets (bronze range backfill, silver load, gold build): a reference run in a child process gives
the uninterrupted result and its duration; every trial starts the same run in a fresh child, SIGKILLs it at
a seeded random moment in ``[0, duration]``, checks what a reader would see right after the kill (no partial
partition: a bronze day is complete or absent; a DuckDB table's day holds all of its rows or none), re-runs
the target to completion, and compares with the reference: identical content, no duplicated row, no staging
file left. Logger targets (``logger_sigkill`` / ``logger_sigterm``): the order-book logger job runs against
the fake venues and is killed at a seeded moment; every snapshot the server answered more than 1 s before
the signal must be on disk, and every file must parse except, after SIGKILL, a torn last line.
"""

from __future__ import annotations

import atexit
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
KILL_TARGETS = ("bronze_backfill", "silver_load", "gold_build")
LOGGER_TARGETS = ("logger_sigkill", "logger_sigterm")
STREAM_TARGETS = ("stream_sigkill", "stream_sigterm")
SIGNAL_TARGETS = LOGGER_TARGETS + STREAM_TARGETS
FAULT_TARGETS = ("fault_mix",)
TARGETS = KILL_TARGETS + SIGNAL_TARGETS + FAULT_TARGETS


@dataclass
class TargetReport:
    target: str
    trials: int = 0
    killed_mid_run: int = 0  # trials whose kill landed before the run finished
    partial_visible: int = 0  # trials where a reader saw a partial partition right after the kill
    rows_lost: int = 0
    rows_duplicated: int = 0
    not_identical: int = 0
    staging_left: int = 0
    rerun_failed: int = 0
    max_loss_seconds: float = 0.0  # logger/stream: age at the signal of the oldest item served but not on disk
    unparseable_files: int = 0
    torn_last_lines: int = 0
    faults: dict[str, int] = field(default_factory=dict)  # fault mix: injected faults by kind
    responses: int = 0
    rows_quarantined: int = 0
    unreconciled: int = 0  # committed partitions whose rows + quarantined rows differ from what the API holds
    days_refused: int = 0  # days a faulted run would not commit, with the reason (quarantine share, attempts)
    raw_as_served: int = 0  # fault mix: rows whose columns are the API's but whose raw_json keeps a drifted answer as served
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.partial_visible or self.rows_lost or self.rows_duplicated or self.not_identical or self.staging_left
                    or self.rerun_failed or self.unparseable_files or self.max_loss_seconds > 1.0 or self.unreconciled
                    or self.problems)  # e.g. a run that failed without saying why in terms of the faults


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}


def _spawn_worker(target: str, root: Path, base_url: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "polymarket_assets_tests.chaos.worker", target, str(root), base_url],
                            cwd=root, env=_env(), stdout=subprocess.PIPE, stderr=(root / "worker.err").open("w"), text=True)


def _wait_ready(proc: subprocess.Popen[str], root: Path) -> None:
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line.startswith("READY"):
        raise RuntimeError(f"the chaos worker did not start: {(root / 'worker.err').read_text()[-3000:]}")


# -- what each kill target sets up, re-runs and compares --------------------------------------------------
@dataclass
class KillTarget:
    name: str
    setup: Callable[[Path], None]
    snapshot: Callable[[Path], dict[str, list[str]]]  # table or day -> sorted rows as JSON
    partial: Callable[[Path, dict[str, list[str]]], list[str]]  # what a reader sees right after the kill
    leftovers: Callable[[Path], list[str]]  # staging / temporary files


def _stable(value: Any) -> Any:
    # DuckDB's parallel aggregates sum doubles in a varying order: the last bits of a DOUBLE differ between two
    # uninterrupted runs (gold.calibration_summary: decomposition_residual 0.0 vs -2.8e-17). Compare to 1e-12.
    return round(value, 12) + 0.0 if isinstance(value, float) else value


def _rows_json(rows: list[Any]) -> list[str]:
    return sorted(json.dumps({k: _stable(v) for k, v in r.items()} if isinstance(r, dict) else r, sort_keys=True, default=str) for r in rows)


def _bronze_snapshot(root: Path) -> dict[str, list[str]]:
    from polymarket_assets.bronze.parquet_io import read_partition
    from polymarket_assets_tests.bronze.range_helpers import RANGE, table_content

    out = {}
    for day in RANGE:
        directory = root / "bronze" / "trades" / f"dt={day}"
        # a kill between the partition directory's mkdir and the file's rename leaves it empty: no reader (DuckDB's
        # hive glob, silver's scan) sees a partition there, so neither does this
        if (directory / "part-0.parquet").exists():
            out[str(day)] = _rows_json(table_content(read_partition(root / "bronze", "trades", day)))
    return out


def _bronze_partial(root: Path, reference: dict[str, list[str]]) -> list[str]:
    problems = []
    for directory in sorted((root / "bronze" / "trades").glob("dt=*")):
        names = sorted(p.name for p in directory.iterdir())
        if names not in (["part-0.parquet"], []):
            problems.append(f"{directory.name} holds {names}")
    for day, rows in _bronze_snapshot(root).items():
        if rows != reference.get(day):
            problems.append(f"bronze trades {day}: {len(rows)} rows visible, reference {len(reference.get(day, []))}")
    return problems


def _temporary_files(root: Path) -> list[str]:
    """Every temporary file anywhere under ``root``: bronze staging, an atomic write's ``.<name>.<pid>.<tid>.tmp``
    (checkpoints, state, plots). DuckDB's spill directory (``<db>.tmp``) is a directory, not counted."""
    return sorted(str(p) for p in root.rglob("*.tmp") if p.is_file())


def _bronze_leftovers(root: Path) -> list[str]:
    return _temporary_files(root)


def _duck_snapshot(schema: str) -> Callable[[Path], dict[str, list[str]]]:
    def snapshot(root: Path) -> dict[str, list[str]]:
        import duckdb

        db = root / "polymarket.duckdb"
        if not db.exists():
            return {}
        conn = duckdb.connect(str(db), read_only=True)
        try:
            conn.execute("SET TimeZone = 'UTC'")
            tables = [r[0] for r in conn.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = ? "
                                                  "AND table_type = 'BASE TABLE' ORDER BY 1", [schema]).fetchall()]
            out = {}
            for table in tables:
                cursor = conn.execute(f'SELECT * FROM {schema}."{table}"')
                columns = [d[0] for d in cursor.description]
                out[table] = _rows_json([dict(zip(columns, row, strict=True)) for row in cursor.fetchall()])
            return out
        finally:
            conn.close()

    return snapshot


def _duck_partial(schema: str) -> Callable[[Path, dict[str, list[str]]], list[str]]:
    """Right after the kill: every table's day (or whole table when it has no dt) is all of its reference rows or none."""

    def partial(root: Path, reference: dict[str, list[str]]) -> list[str]:
        try:
            seen = _duck_snapshot(schema)(root)
        except Exception as exc:
            return [f"{root / 'polymarket.duckdb'} cannot be opened after the kill: {exc}"]
        problems = []
        for table, rows in seen.items():
            ref = reference.get(table, [])
            by_day: dict[str, list[str]] = {}
            ref_by_day: dict[str, list[str]] = {}
            for bucket, source in ((by_day, rows), (ref_by_day, ref)):
                for row in source:
                    bucket.setdefault(str(json.loads(row).get("dt")), []).append(row)
            for day, day_rows in by_day.items():
                if sorted(day_rows) != sorted(ref_by_day.get(day, [])):
                    problems.append(f"{schema}.{table} dt={day}: {len(day_rows)} rows visible, reference {len(ref_by_day.get(day, []))}")
        return problems

    return partial


def _duck_leftovers(root: Path) -> list[str]:
    return _temporary_files(root)


_TEMPLATES: dict[str, Path] = {}


def _silver_setup(root: Path) -> None:
    from polymarket_assets_tests.silver.bronze_fixtures import write_lake

    write_lake(root / "lake")


def _gold_setup(root: Path) -> None:
    """The gold fixture lake with silver built (once per process, copied per trial)."""
    if "gold" not in _TEMPLATES:
        from polymarket_assets_tests.gold.gold_fixtures import write_gold_lake
        from polymarket_assets_tests.silver.helpers import build_direct

        template = Path(tempfile.mkdtemp(prefix="chaos-gold-template-"))
        atexit.register(shutil.rmtree, template, True)
        write_gold_lake(template / "lake")
        build_direct(template / "lake", template / "polymarket.duckdb")
        _TEMPLATES["gold"] = template
    template = _TEMPLATES["gold"]
    shutil.copytree(template / "lake", root / "lake")
    shutil.copy(template / "polymarket.duckdb", root / "polymarket.duckdb")


KILL = {
    "bronze_backfill": KillTarget("bronze_backfill", lambda root: None, _bronze_snapshot, _bronze_partial, _bronze_leftovers),
    "silver_load": KillTarget("silver_load", _silver_setup, _duck_snapshot("silver"), _duck_partial("silver"), _duck_leftovers),
    "gold_build": KillTarget("gold_build", _gold_setup, _duck_snapshot("gold"), _duck_partial("gold"), _duck_leftovers),
}


@contextmanager
def _trades_world(latency: float) -> Iterator[str]:
    from polymarket_assets.replay.fake_api import FakeApi
    from polymarket_assets.replay.trades_world import TradesWorld
    from polymarket_assets_tests.bronze.range_helpers import RANGE

    with FakeApi(latency=latency) as api:
        TradesWorld(RANGE).install(api)
        yield api.base_url


def _fresh(prefix: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=f"chaos-{prefix}-"))


def run_kill_target(name: str, trials: int, rng: random.Random, *, latency: float = 0.01, log: Callable[[str], None] = print) -> TargetReport:
    from polymarket_assets_tests.chaos import worker

    target = KILL[name]
    report = TargetReport(name)
    with _trades_world(latency) if name == "bronze_backfill" else _no_world() as base_url:
        ref_root = _fresh(name)
        try:
            target.setup(ref_root)
            proc = _spawn_worker(name, ref_root, base_url)
            _wait_ready(proc, ref_root)
            out, _ = proc.communicate(timeout=600)
            if proc.returncode != 0 or not out.startswith("DONE"):
                raise RuntimeError(f"the reference run of {name} failed: {(ref_root / 'worker.err').read_text()[-3000:]}")
            duration = float(out.split()[1])
            reference = target.snapshot(ref_root)
        finally:
            shutil.rmtree(ref_root, ignore_errors=True)
        # ``trials`` kills that land inside the run: a kill that came after the run had finished tests nothing,
        # so it is checked like the others but another is drawn (at most 3 x trials attempts)
        trial = -1
        while report.killed_mid_run < trials and report.trials < 3 * trials:
            trial += 1
            problems_before = len(report.problems)
            root = _fresh(name)
            try:
                target.setup(root)
                delay = rng.uniform(0.0, duration)
                proc = _spawn_worker(name, root, base_url)
                _wait_ready(proc, root)
                time.sleep(delay)
                proc.send_signal(signal.SIGKILL)
                out, _ = proc.communicate(timeout=60)
                report.trials += 1
                if "DONE" not in out:
                    report.killed_mid_run += 1
                partial = target.partial(root, reference)
                if partial:
                    report.partial_visible += 1
                    report.problems.append(f"trial {trial} (kill at {delay:.2f} s): visible after the kill: {partial[:3]}")
                try:
                    result = worker.TARGETS[name](root, base_url)
                    if not result.success:
                        raise RuntimeError("the re-run failed")
                except Exception as exc:
                    report.rerun_failed += 1
                    report.problems.append(f"trial {trial} (kill at {delay:.2f} s): re-run failed: {exc!r}"[:2000])
                    continue
                after = target.snapshot(root)
                if after != reference:
                    report.not_identical += 1
                    differing = []
                    for key in sorted(set(after) | set(reference)):
                        got, want = after.get(key, []), reference.get(key, [])
                        if got != want:
                            differing.append(f"{key} ({len(got)} rows, reference {len(want)}; e.g. missing "
                                             f"{sorted(set(want) - set(got))[:1]}, extra {sorted(set(got) - set(want))[:1]})")
                        report.rows_lost += len(set(want) - set(got))
                        report.rows_duplicated += max(0, len(got) - len(set(got)) - (len(want) - len(set(want))))
                    report.problems.append(f"trial {trial} (kill at {delay:.2f} s): result differs from the uninterrupted run: {differing}"[:3000])
                left = target.leftovers(root)
                if left:
                    report.staging_left += 1
                    report.problems.append(f"trial {trial}: left behind {left[:3]}")
                new_problems = report.problems[problems_before:]
                log(f"{name} trial {trial}: kill at {delay:.2f} s of {duration:.2f} s -> {'ok' if not new_problems else new_problems}")
            finally:
                shutil.rmtree(root, ignore_errors=True)
    return report


@contextmanager
def _no_world() -> Iterator[str]:
    yield ""


# -- the order-book logger under SIGKILL / SIGTERM --------------------------------------------------------
def _stream_files(stream: Path) -> list[Path]:
    return sorted(stream.glob("*/orderbooks/date=*/*.jsonl"))


def _compact_twice(root: Path, asset: Any, days: list[str]) -> tuple[bool, dict[str, Any], bool]:
    """What the signalled job's files become: its bronze compaction for each day, run twice. Returns whether both
    runs succeeded, the first run's tables (day -> rows as sorted JSON) and whether the second gave the same."""
    import dagster as dg
    import pyarrow.parquet as pq

    from polymarket_assets.resources import LakeResource

    def tables() -> dict[str, list[str]]:
        out = {}
        for day in days:
            part = root / "bronze" / asset.key.path[-1] / f"dt={day}" / "part-0.parquet"
            out[day] = _rows_json(pq.read_table(part).to_pylist()) if part.exists() else []
        return out

    resources = {"lake": LakeResource(data_dir=str(root))}
    ok = all(dg.materialize([asset], partition_key=day, resources=resources, raise_on_error=False).success for day in days)
    first = tables()
    ok = ok and all(dg.materialize([asset], partition_key=day, resources=resources, raise_on_error=False).success for day in days)
    return ok, first, tables() == first


def _check_compaction(report: TargetReport, trial: int, root: Path, asset: Any, days: list[str], expected_ids: Counter[str] | None,
                      key: Callable[[dict[str, Any]], str]) -> None:
    """After the signal: the files compact into whole bronze partitions (every record parsed from the files, once),
    re-compacting gives the same partitions, and no temporary file is left anywhere."""
    ok, tables, same = _compact_twice(root, asset, days)
    if not ok:
        report.rerun_failed += 1
        report.problems.append(f"trial {trial}: the bronze compaction of the files failed")
        return
    if not same:
        report.not_identical += 1
        report.problems.append(f"trial {trial}: compacting the same files twice gave different partitions")
    rows = [json.loads(r) for day in days for r in tables[day]]
    ids = Counter(key(r) for r in rows)
    report.rows_duplicated += sum(n - 1 for n in ids.values() if n > 1)
    if expected_ids is not None and +ids != +expected_ids:
        report.partial_visible += 1
        report.problems.append(f"trial {trial}: bronze holds {sum(ids.values())} rows, the files {sum(expected_ids.values())} records")
    left = _temporary_files(root)
    if left:
        report.staging_left += 1
        report.problems.append(f"trial {trial}: left behind {left[:3]}")


def run_logger_target(name: str, trials: int, rng: random.Random, *, log: Callable[[str], None] = print) -> TargetReport:
    from polymarket_assets.defs.bronze.orderbook_snapshots import orderbook_snapshots
    from polymarket_assets_tests.streaming.fake_venues import FakeVenueServer, ServerState, limitless_market

    report = TargetReport(name)
    sig = signal.SIGKILL if name == "logger_sigkill" else signal.SIGTERM
    for trial in range(trials):
        root = _fresh(name)
        state = ServerState(general_markets=3)
        state.limitless_markets = [limitless_market(i) for i in range(3)]
        server = FakeVenueServer(state=state).start()
        try:
            proc = subprocess.Popen([sys.executable, "-m", "polymarket_assets_tests.streaming.run_logger_job", server.url, str(root), "10"],
                                    cwd=REPO, env=_env(), stdout=subprocess.PIPE, stderr=(root / "worker.err").open("w"), text=True)
            stats_file = root / "_state" / "orderbook_logger.stats.json"
            deadline = time.monotonic() + 120
            while not stats_file.exists():
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the logger did not start: {(root / 'worker.err').read_text()[-3000:]}")
                time.sleep(0.05)
            time.sleep(rng.uniform(1.0, 4.0))
            signalled = time.time()
            proc.send_signal(sig)
            proc.communicate(timeout=60)
            report.trials += 1
            records: list[dict[str, Any]] = []
            for path in _stream_files(root / "stream"):
                lines = path.read_bytes().split(b"\n")
                for i, line in enumerate(lines):
                    if not line.strip():
                        continue
                    try:
                        records.append(json.loads(line))
                    except ValueError:
                        if i == len(lines) - 1 and sig == signal.SIGKILL:
                            report.torn_last_lines += 1
                        else:
                            report.unparseable_files += 1
                            report.problems.append(f"trial {trial}: {path.name} line {i + 1} does not parse")
                            break
            served_before = sorted(t for t in state.served_at if t < signalled)
            on_disk = len(records)
            # the writer keeps fetch order: what is missing is the newest served; its oldest item's age is the loss
            loss = signalled - served_before[on_disk] if on_disk < len(served_before) else 0.0
            missing = sum(1 for t in served_before[on_disk:] if t < signalled - 1.0)
            report.rows_lost += missing
            report.max_loss_seconds = max(report.max_loss_seconds, loss)
            seqs = sorted(r["seq"] for r in records)
            if len(seqs) != len(set(seqs)):
                report.rows_duplicated += len(seqs) - len(set(seqs))
            days = sorted({p.parent.name.removeprefix("date=") for p in _stream_files(root / "stream")})
            _check_compaction(report, trial, root, orderbook_snapshots, days, Counter(str(r["snapshot_id"]) for r in records),
                              lambda r: str(r["snapshot_id"]))
            log(f"{name} trial {trial}: {len(records)} snapshots on disk, {len(served_before)} served before the signal, "
                f"oldest missing one {loss:.2f} s old, {missing} older than 1 s missing; compacted to bronze twice")
        finally:
            server.stop()
            shutil.rmtree(root, ignore_errors=True)
    return report


def run_stream_target(name: str, trials: int, rng: random.Random, *, log: Callable[[str], None] = print) -> TargetReport:
    from polymarket_assets.defs.bronze.orderbook_ws_events import orderbook_ws_events
    from polymarket_assets.streaming.ws import records as R
    from polymarket_assets.streaming.ws.rawlog import ReadStats, iter_records, raw_files
    from polymarket_assets_tests.streaming.test_stream_job import stream_config
    from polymarket_assets_tests.support.ws_venues import WsVenues

    report = TargetReport(name)
    sig = signal.SIGKILL if name == "stream_sigkill" else signal.SIGTERM
    for trial in range(trials):
        root = _fresh(name)
        try:
            with WsVenues() as venues:
                assert venues.polymarket is not None
                venues.polymarket.record_sent = True
                args = [sys.executable, "-m", "polymarket_assets_tests.streaming.run_stream_job", venues.polymarket_url, venues.limitless_url,
                        str(root), json.dumps(stream_config(venues, 120))]
                proc = subprocess.Popen(args, cwd=REPO, env=_env(), stdout=subprocess.PIPE, stderr=(root / "worker.err").open("w"), text=True)
                beat = root / "_state" / "orderbook_stream.stats.json"
                deadline = time.monotonic() + 120
                while not (beat.exists() and json.loads(beat.read_text() or "{}").get("venues", {}).get("polymarket", {}).get("level_changes")):
                    if proc.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(f"the stream job did not start: {(root / 'worker.err').read_text()[-3000:]}")
                    time.sleep(0.05)
                time.sleep(rng.uniform(0.5, 3.0))
                signalled = time.time()
                proc.send_signal(sig)
                proc.communicate(timeout=60)
                sent = [(t, text) for t, _conn, text in venues.polymarket.sent if t < signalled]
            report.trials += 1
            stats = ReadStats()
            records = list(iter_records(raw_files(root, "polymarket"), stats))
            report.torn_last_lines += stats.torn_tails
            if stats.bad_lines:
                report.unparseable_files += 1
                report.problems.append(f"trial {trial}: {stats.bad_lines} raw-log line(s) do not parse")
            on_disk = Counter(r.data for r in records if r.kind == R.RECV)
            missing_at = []
            for t, text in sorted(sent):
                if on_disk[text] > 0:
                    on_disk[text] -= 1
                else:
                    missing_at.append(t)
            loss = signalled - min(missing_at) if missing_at else 0.0
            report.max_loss_seconds = max(report.max_loss_seconds, loss)
            report.rows_lost += sum(1 for t in missing_at if t < signalled - 1.0)
            days = sorted({p.parent.name.removeprefix("date=") for v in ("polymarket", "limitless") for p in raw_files(root, v)})
            _check_compaction(report, trial, root, orderbook_ws_events, days, None,
                              lambda r: f"{r['venue']}|{r['connection_id']}|{r['seq']}|{r['idx']}|{r['event_idx']}")
            log(f"{name} trial {trial}: {len(sent)} frames sent before the signal, {len(missing_at)} not on disk, "
                f"the oldest of them {loss:.2f} s old; torn tails {stats.torn_tails}")
        finally:
            shutil.rmtree(root, ignore_errors=True)
    return report


def run_fault_mix(trials: int, rng: random.Random, *, rate: float = 0.10, log: Callable[[str], None] = print) -> TargetReport:
    """A bronze trades range with ``rate`` of every response faulty (``replay/fault_mix.py``). Every committed
    partition must reconcile (rows + rows quarantined with a reason = the day's trades), hold only true rows, and
    a day that could not be committed must say why; a re-run without faults must give the uninterrupted result."""
    import dagster as dg

    from polymarket_assets.defs.bronze.trades import trades
    from polymarket_assets.replay.fake_api import FakeApi
    from polymarket_assets.replay.fault_mix import FaultMix
    from polymarket_assets.replay.trades_world import TradesWorld
    from polymarket_assets_tests.bronze.conftest import make_resources
    from polymarket_assets_tests.bronze.range_helpers import RANGE, asset_config, range_tags

    def materialize(root: Path, url: str) -> Any:
        return dg.materialize([trades], resources=make_resources(root, url, max_retries=4, read_timeout=1.0, backoff_factor=0.01),
                              run_config=asset_config("bronze__trades", page_size=40), tags=range_tags(RANGE[0], RANGE[-1]),
                              raise_on_error=False)

    def without_raw(rows: list[str]) -> list[str]:
        out = []
        for row in rows:
            value = json.loads(row)
            value.pop("raw_json", None)  # a drifted answer is kept as received there (a new field included)
            out.append(json.dumps(value, sort_keys=True))
        return sorted(out)

    report = TargetReport("fault_mix")
    with FakeApi() as api:
        TradesWorld(RANGE).install(api)
        ref_root = _fresh("fault-ref")
        try:
            assert materialize(ref_root, api.base_url).success
            reference = _bronze_snapshot(ref_root)
        finally:
            shutil.rmtree(ref_root, ignore_errors=True)
        reference_plain = {day: without_raw(rows) for day, rows in reference.items()}
        for trial in range(trials):
            root = _fresh("fault")
            try:
                mix = FaultMix(rate, rng.randrange(2**31), timeout_seconds=1.5)
                api.fault_mix(mix)
                result = materialize(root, api.base_url)
                api.clear_faults()
                report.trials += 1
                report.responses += mix.responses
                for kind, n in mix.counts.items():
                    report.faults[kind] = report.faults.get(kind, 0) + n
                landed = _bronze_snapshot(root)
                committed = {e.materialization.partition: {k: v.value for k, v in e.materialization.metadata.items()}
                             for e in result.get_asset_materialization_events()}
                for day, meta in committed.items():
                    rows, quarantined = int(meta.get("dagster/row_count", -1)), int(meta.get("rejected_rows", 0))
                    report.rows_quarantined += quarantined
                    if rows + quarantined != len(reference[day]) or not set(without_raw(landed.get(day, []))) <= set(reference_plain[day]):
                        report.unreconciled += 1
                        report.problems.append(f"trial {trial}: {day}: {rows} rows + {quarantined} quarantined, the API holds {len(reference[day])}")
                for day, rows in landed.items():
                    # a failed range run reports no materialization, yet the days it committed are on disk
                    # (and in its checkpoint): they must hold only true rows too
                    if day not in committed and not set(without_raw(rows)) <= set(reference_plain[day]):
                        report.unreconciled += 1
                        report.problems.append(f"trial {trial}: {day} (committed by the failed run) holds rows the API does not")
                if not result.success:
                    report.days_refused += len(RANGE) - len(landed)
                    failure = "\n".join(str(e.step_failure_data.error.message) for e in result.all_events if e.is_step_failure)
                    if "quarantine" not in failure and "attempts" not in failure:
                        report.problems.append(f"trial {trial}: the run failed without saying why in terms of the faults: {failure[:500]}")
                        report.unreconciled += 1
                rerun = materialize(root, api.base_url)
                if not rerun.success:
                    report.rerun_failed += 1
                final = _bronze_snapshot(root)
                final_plain = {day: without_raw(rows) for day, rows in final.items()}
                raw_differs = sum(len(set(rows) - set(final.get(day, []))) for day, rows in reference.items())
                for day, rows in reference_plain.items():
                    report.rows_lost += len(set(rows) - set(final_plain.get(day, [])))
                if final_plain != reference_plain:
                    report.not_identical += 1
                # A day committed under a drift fault whose drift the parser accepts (a number sent as text, a new
                # field) holds the API's values and, in raw_json, the answer as it was served: that is bronze's
                # contract. Any other raw_json difference is a problem.
                report.raw_as_served += raw_differs
                if raw_differs and not set(mix.counts) & {"retyped", "renamed", "new_field"}:
                    report.problems.append(f"trial {trial}: {raw_differs} row(s) differ in raw_json without a drift fault")
                    report.not_identical += 1
                report.staging_left += 1 if _bronze_leftovers(root) else 0
                log(f"fault_mix trial {trial}: {sum(mix.counts.values())} faults in {mix.responses} responses {dict(mix.counts)}; "
                    f"run {'succeeded' if result.success else 'failed'}; {len(committed)} day(s) committed under faults; re-run "
                    f"{'identical' if final_plain == reference_plain else 'DIFFERENT'}; {raw_differs} row(s) keep a drifted raw_json")
            finally:
                api.clear_faults()
                shutil.rmtree(root, ignore_errors=True)
    return report


def run(targets: tuple[str, ...] | list[str], trials: int, seed: int, *, log: Callable[[str], None] = print) -> list[TargetReport]:
    rng = random.Random(seed)
    reports = []
    for name in targets:
        if name in KILL:
            reports.append(run_kill_target(name, trials, rng, log=log))
        elif name in STREAM_TARGETS:
            reports.append(run_stream_target(name, trials, rng, log=log))
        elif name in FAULT_TARGETS:
            reports.append(run_fault_mix(trials, rng, log=log))
        else:
            reports.append(run_logger_target(name, trials, rng, log=log))
    return reports


def table(reports: list[TargetReport], seed: int) -> str:
    lines = [] if all(r.target in FAULT_TARGETS for r in reports) else [
        f"| target (seed {seed}) | trials | killed mid-run | partial visible | rows lost | duplicates | differs from uninterrupted | staging left | worst loss | torn last lines | unparseable |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in (r for r in reports if r.target not in FAULT_TARGETS):
        loss = f"{r.max_loss_seconds:.2f} s" if r.target in SIGNAL_TARGETS else "-"
        # logger / stream: "partial" = bronze does not hold every record the files hold, once (the stream's raw
        # frames become many rows each: not measured, "-"); "differs" = compacting the same files twice differs
        signalled = r.target not in KILL_TARGETS
        partial = "-" if r.target in STREAM_TARGETS else r.partial_visible
        lines.append(f"| {r.target} | {r.trials} | {r.trials if signalled else r.killed_mid_run} | {partial} | "
                     f"{r.rows_lost} | {r.rows_duplicated} | {r.not_identical} | {r.staging_left} | {loss} | "
                     f"{r.torn_last_lines} | {r.unparseable_files} |")
    faults = [r for r in reports if r.target in FAULT_TARGETS]
    for r in faults:
        lines += ["" if lines else "", f"| fault mix (10% of responses, seed {seed}) | trials | responses | faults injected | "
                      "rows quarantined with a reason (committed days) | days not committed, with the reason | unreconciled partitions | "
                      "rows lost after the re-run | re-run identical (columns) | rows whose raw_json keeps the drifted answer |",
                  "|---|---|---|---|---|---|---|---|---|---|",
                  f"| bronze/trades 7-day range | {r.trials} | {r.responses} | {sum(r.faults.values())} "
                  f"({', '.join(f'{k} {v}' for k, v in sorted(r.faults.items()))}) | {r.rows_quarantined} | {r.days_refused} | {r.unreconciled} | "
                  f"{r.rows_lost} | {r.trials - r.not_identical}/{r.trials} | {r.raw_as_served} |"]
    return "\n".join(lines)
