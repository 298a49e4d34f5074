"""Bad lake settings fail at start with a message that names the setting, the URL and what to do; a missing
bucket is an error and is never created."""

from __future__ import annotations

import time
import uuid

import dagster as dg
import pytest

from polymarket_assets.defs.bronze.orderbook_snapshots import orderbook_snapshots
from polymarket_assets.lake import LakeError, open_lake
from polymarket_assets.resources import LakeResource
from polymarket_assets.settings import SettingError
from polymarket_assets_tests.support.services import free_port


def test_an_unreachable_endpoint_fails_at_once_naming_it(s3_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    port = free_port()
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{port}")
    started = time.monotonic()
    with pytest.raises(LakeError) as info:
        open_lake(f"s3://nowhere-{uuid.uuid4().hex[:8]}/lake")
    message = str(info.value)
    assert time.monotonic() - started < 15
    assert f"http://127.0.0.1:{port} (AWS_ENDPOINT_URL)" in message and "cannot be reached" in message
    assert "POLYMARKET_DATA_DIR=s3://nowhere-" in message


def test_a_missing_bucket_is_an_error_and_is_never_created(s3_env: dict[str, str], s3_server, tmp_path) -> None:
    bucket = f"missing-{uuid.uuid4().hex[:10]}"
    lake = LakeResource(data_dir=f"s3://{bucket}/lake", local_dir=str(tmp_path))
    with pytest.raises(LakeError, match=rf"bucket '{bucket}'.*does not exist.*never creates buckets") as info:
        lake.bronze  # noqa: B018 - opening the lake is the check
    assert f"aws s3 mb s3://{bucket} --endpoint-url {s3_env['AWS_ENDPOINT_URL']}" in str(info.value)
    # an asset run fails the same way at its start, and still creates no bucket
    result = dg.materialize([orderbook_snapshots], partition_key="2026-11-01", resources={"lake": lake}, raise_on_error=False)
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert "does not exist" in str(failure.event_specific_data.error)
    assert bucket not in s3_server.bucket_names()


@pytest.mark.parametrize("missing, present", [("AWS_SECRET_ACCESS_KEY", "AWS_ACCESS_KEY_ID"), ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")])
def test_half_a_key_pair_names_the_missing_variable(s3_env, s3_bucket, monkeypatch: pytest.MonkeyPatch, missing: str, present: str) -> None:
    monkeypatch.delenv(missing)
    with pytest.raises(SettingError, match=f"{present} is set but {missing} is missing"):
        open_lake(f"s3://{s3_bucket}/lake")


def test_no_credentials_for_a_compatible_store_names_both_variables(s3_env, s3_bucket, monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.aws/credentials either
    with pytest.raises(SettingError, match="has no credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are missing"):
        open_lake(f"s3://{s3_bucket}/lake")


def test_a_bad_endpoint_url_names_its_variable(s3_env, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "ftp://127.0.0.1:21")
    with pytest.raises(SettingError, match="AWS_ENDPOINT_URL is 'ftp://127.0.0.1:21'"):
        open_lake("s3://some-bucket/lake")
