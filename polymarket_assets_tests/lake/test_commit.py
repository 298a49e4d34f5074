"""The lake API on both backends, and the commit protocol on S3: a partition is one object written by one
upload of a finished file; a failed or killed writer leaves the previous partition (and nothing else) in the
bucket; a re-run replaces the key; buckets are never created."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from polymarket_assets.bronze.parquet_io import PartitionWriter, partition_file, partition_stats, read_partition, write_partition
from polymarket_assets.bronze.schemas import MARKET_TOKENS
from polymarket_assets.lake import LakePath, as_lake_path, open_lake

REPO = Path(__file__).resolve().parents[2]
DAY = "2026-11-03"
NOW = dt.datetime(2026, 11, 3, 12, tzinfo=dt.timezone.utc)


def rows(n: int, start: int = 0) -> list[dict]:
    return [{"token_id": str(10**76 + start + i), "market_id": str(start + i), "outcome_index": 0, "price": Decimal("0.5"), "fetched_at": NOW}
            for i in range(n)]


def test_lake_paths_work_alike_on_a_local_lake(tmp_path: Path) -> None:
    root = open_lake(str(tmp_path / "lake")).root
    assert root.local == (tmp_path / "lake").resolve() and str(root) == str((tmp_path / "lake").resolve())
    f = root / "a" / "dt=2026-11-01" / "x.json"
    f.write_text('{"k": 1}')
    assert f.read_text() == '{"k": 1}' and f.exists() and f.is_file() and f.parent.is_dir()
    assert (f.name, f.suffix, f.stem, f.with_suffix(".body").name) == ("x.json", ".json", "x", "x.body")
    assert os.fspath(f) == str(tmp_path / "lake" / "a" / "dt=2026-11-01" / "x.json")  # a local lake path is a path
    (root / "a" / "dt=2026-11-02" / "y.json").write_text("{}")
    (root / "b" / "dt=2026-11-01" / "z.json").write_text("{}")
    assert [p.relative_to(root) for p in root.glob("*/dt=2026-11-01/*.json")] == ["a/dt=2026-11-01/x.json", "b/dt=2026-11-01/z.json"]
    assert [p.name for p in (root / "a").iterdir()] == ["dt=2026-11-01", "dt=2026-11-02"]
    assert as_lake_path(tmp_path / "lake" / "a") == root / "a"
    f.unlink()
    assert not f.exists()
    f.unlink(missing_ok=True)
    with pytest.raises(FileNotFoundError):
        f.unlink()


def test_a_partition_on_s3_is_one_object_and_a_rerun_replaces_it(s3_server, s3_bucket: str, s3_lake) -> None:
    bronze = s3_lake.bronze
    first = write_partition(bronze, "market_tokens", DAY, MARKET_TOKENS, rows(7))
    assert str(first.path) == f"s3://{s3_bucket}/lake/bronze/market_tokens/dt={DAY}/part-0.parquet"
    assert s3_server.keys(s3_bucket) == [f"lake/bronze/market_tokens/dt={DAY}/part-0.parquet"]  # no markers, no temp keys
    second = write_partition(bronze, "market_tokens", DAY, MARKET_TOKENS, rows(5, start=100))
    assert s3_server.keys(s3_bucket) == [f"lake/bronze/market_tokens/dt={DAY}/part-0.parquet"]
    table = read_partition(bronze, "market_tokens", DAY)
    assert table.num_rows == 5 and table["market_id"].to_pylist() == [str(100 + i) for i in range(5)]  # replaced, not appended
    assert partition_stats(bronze, "market_tokens", DAY) == (5, second.bytes)
    body = s3_server.client().get_object(Bucket=s3_bucket, Key=f"lake/bronze/market_tokens/dt={DAY}/part-0.parquet")["Body"].read()
    assert len(body) == second.bytes and body[:4] == b"PAR1" and body[-4:] == b"PAR1"  # a whole Parquet file
    # a stray file of another layout goes when the partition is committed again
    (bronze / "market_tokens" / f"dt={DAY}" / "part-1.parquet").write_bytes(body)
    write_partition(bronze, "market_tokens", DAY, MARKET_TOKENS, rows(2))
    objects = [k for k in s3_server.keys(s3_bucket, "lake/bronze/") if not k.endswith("/")]  # pyarrow's delete leaves a "dir/" marker
    assert objects == [f"lake/bronze/market_tokens/dt={DAY}/part-0.parquet"]
    assert read_partition(bronze, "market_tokens", DAY).num_rows == 2


def test_a_writer_that_fails_before_its_commit_uploads_nothing(s3_server, s3_bucket: str, s3_lake, tmp_path: Path) -> None:
    bronze = s3_lake.bronze
    before = write_partition(bronze, "market_tokens", DAY, MARKET_TOKENS, rows(3))
    etag = partition_file(bronze, "market_tokens", DAY).version()
    with pytest.raises(RuntimeError, match="boom"):
        with PartitionWriter(bronze, "market_tokens", DAY, MARKET_TOKENS, row_group_size=100) as writer:
            for i in range(10):
                writer.write_rows(rows(100, start=1000 + 100 * i))
            staged = writer.tmp_path
            assert staged.exists() and (tmp_path / "local") in staged.parents  # rows stream to local disk, not to S3
            raise RuntimeError("boom")
    assert not staged.exists()
    assert s3_server.keys(s3_bucket) == [f"lake/bronze/market_tokens/dt={DAY}/part-0.parquet"]
    assert partition_file(bronze, "market_tokens", DAY).version() == etag
    assert read_partition(bronze, "market_tokens", DAY).num_rows == 3 == partition_stats(bronze, "market_tokens", DAY)[0]
    assert before.rows == 3


@pytest.mark.slow
def test_sigkill_mid_write_leaves_the_bucket_as_it_was(s3_server, s3_bucket: str, s3_lake, tmp_path: Path) -> None:
    """The writer process dies (SIGKILL) while streaming rows: the bucket still holds exactly the previous
    partition; the dead writer's bytes are a local orphan, which the next writer of the asset removes."""
    bronze = s3_lake.bronze
    write_partition(bronze, "market_tokens", DAY, MARKET_TOKENS, rows(3))
    before = s3_server.keys(s3_bucket)
    env = {**os.environ, "PYTHONPATH": str(REPO), "POLYMARKET_LOCAL_DIR": str(tmp_path / "local")}
    proc = subprocess.Popen([sys.executable, "-m", "polymarket_assets_tests.bronze.crash_writer", "writer", str(bronze), DAY],
                            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        written, line = 0, ""
        while written < 5000:
            line = proc.stdout.readline()  # type: ignore[union-attr]
            assert line.startswith("rows"), f"writer failed: {line}{proc.stdout.read() if proc.poll() is not None else ''}"  # type: ignore[union-attr]
            written = int(line.split()[1])
        orphan = Path(line.split()[3])
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    assert s3_server.keys(s3_bucket) == before
    assert read_partition(bronze, "market_tokens", DAY).num_rows == 3
    assert orphan.exists() and (tmp_path / "local" / "_staging") in orphan.parents
    with PartitionWriter(bronze, "market_tokens", "2026-11-04", MARKET_TOKENS) as writer:
        writer.abort()
    assert not orphan.exists()


def test_small_files_are_replaced_whole_and_read_with_one_get(s3_lake) -> None:
    state: LakePath = s3_lake.state
    f = state / "checkpoints" / "x.json"
    f.write_bytes(b'{"v": 1}')
    f.write_bytes(b'{"v": 2, "longer": true}')
    assert f.read_bytes() == b'{"v": 2, "longer": true}'
    st = f.stat()
    assert st.st_size == len(b'{"v": 2, "longer": true}') and st.st_mtime > 0
    assert [p.name for p in state.glob("checkpoints/*.json")] == ["x.json"]
    with pytest.raises(TypeError, match="object storage"):
        os.fspath(f)  # code that is not lake-aware fails loudly on S3 instead of writing to ./s3:
    with f.open_input_file() as fh:
        assert fh.read() == b'{"v": 2, "longer": true}'
