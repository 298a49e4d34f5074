"""The sensor keeps exactly one run alive, with a fresh run_key for every launch."""

import json
import os
import tempfile
import time
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.remote_origin import InProcessCodeLocationOrigin, RemoteRepositoryOrigin
from dagster._core.storage.dagster_run import DagsterRun
from dagster._core.types.loadable_target_origin import LoadableTargetOrigin
from dagster._core.utils import make_new_run_id

from polymarket_assets.defs.streaming.orderbook_logger_sensor import orderbook_logger_sensor
from polymarket_assets.resources import LakeResource
from polymarket_assets.streaming.logger_run import JOB_NAME
from polymarket_assets.streaming.sensor import ALIVE

S = dg.DagsterRunStatus
STATE_ROOT = Path(tempfile.mkdtemp(prefix="sensor-lake-"))


def tick(instance, cursor, lake=None):
    lake = lake or LakeResource(data_dir=str(STATE_ROOT))
    return orderbook_logger_sensor(dg.build_sensor_context(instance=instance, cursor=cursor, resources={"lake": lake}))


def add_run(instance, status, tags=None, job_name=JOB_NAME):
    """Put a run of the job with ``status`` into the instance (as the daemon/run launcher would have)."""
    origin = RemoteRepositoryOrigin(
        InProcessCodeLocationOrigin(LoadableTargetOrigin(module_name="polymarket_assets.definitions")), "__repository__"
    ).get_job_origin(job_name)
    run = DagsterRun(job_name=job_name, run_id=make_new_run_id(), status=status, tags=tags or {}, remote_job_origin=origin)
    return instance.add_run(run)


def launch(instance, result, status=S.STARTED):
    request = result.run_requests[0]
    return add_run(instance, status, {**request.tags, "dagster/run_key": request.run_key})


def set_status(instance, run, status):
    instance.delete_run(run.run_id)
    return instance.add_run(run.with_status(status))


@pytest.fixture(scope="module")
def _instance():
    with dg.instance_for_test() as inst:
        yield inst


@pytest.fixture
def instance(_instance):
    _instance.wipe()
    return _instance


def test_launches_when_no_run_then_never_a_second(instance):
    first = tick(instance, None)
    assert isinstance(first, dg.SensorResult) and len(first.run_requests) == 1
    request = first.run_requests[0]
    assert request.run_key == "orderbook-logger-1" and first.cursor == "1"
    assert request.tags["dagster/max_runtime"] == str(60 * 60 + 600)  # run monitoring bound
    run = launch(instance, first, S.QUEUED)
    for status in (S.QUEUED, S.NOT_STARTED, S.STARTING, S.STARTED, S.CANCELING):
        run = set_status(instance, run, status)
        skipped = tick(instance, first.cursor)
        assert isinstance(skipped, dg.SkipReason) and status.value in skipped.skip_message


@pytest.mark.parametrize("final", [S.FAILURE, S.CANCELED, S.SUCCESS])
def test_fresh_run_with_new_key_after_the_previous_one_ended(instance, final):
    first = tick(instance, None)
    run = launch(instance, first)
    set_status(instance, run, final)
    second = tick(instance, first.cursor)
    assert isinstance(second, dg.SensorResult)
    assert second.run_requests[0].run_key == "orderbook-logger-2" != first.run_requests[0].run_key
    assert second.run_requests[0].tags["orderbook_logger/previous_status"] == final.value
    assert second.cursor == "2"


def test_run_key_never_reused_even_if_the_cursor_is_lost(instance):
    """The pitfall: a reused run_key is skipped by the daemon for ever. Keys come from max(cursor, past keys) + 1."""
    keys = set()
    cursor = None
    for _ in range(3):
        result = tick(instance, cursor)
        key = result.run_requests[0].run_key
        assert key not in keys
        keys.add(key)
        run = launch(instance, result)
        set_status(instance, run, S.FAILURE)
        cursor = result.cursor
    reset = tick(instance, None)  # sensor cursor reset in the UI
    assert reset.run_requests[0].run_key == "orderbook-logger-4" and reset.run_requests[0].run_key not in keys
    stale = tick(instance, "1")  # an old cursor
    assert stale.run_requests[0].run_key == "orderbook-logger-4"


def test_manual_run_of_the_job_also_counts_as_alive(instance):
    add_run(instance, S.STARTED)  # launched from the UI, no run_key
    assert isinstance(tick(instance, None), dg.SkipReason)
    instance.wipe()
    add_run(instance, S.STARTED, job_name="some_other_job")  # other jobs do not matter
    assert isinstance(tick(instance, None), dg.SensorResult)


def test_alive_statuses_cover_every_non_terminal_status():
    assert set(ALIVE) == set(S) - {S.SUCCESS, S.FAILURE, S.CANCELED}


def test_code_location_wires_job_sensor_and_compaction():
    from polymarket_assets_tests.support.code_location import code_location

    defs = code_location()
    sensor = defs.resolve_sensor_def("orderbook_logger_sensor")
    assert sensor.job_name == JOB_NAME
    assert sensor.default_status == dg.DefaultSensorStatus.STOPPED and sensor.minimum_interval_seconds == 30
    assert defs.resolve_job_def(JOB_NAME).executor_def.name == "healing_in_process_executor"
    assert defs.resolve_schedule_def("orderbook_compaction_schedule").job_name == "orderbook_compaction_job"
    compaction = defs.resolve_job_def("orderbook_compaction_job")
    assert {k.to_user_string() for k in compaction.asset_layer.selected_asset_keys} == {"bronze/orderbook_snapshots", "bronze/orderbook_ws_events"}


def test_compaction_schedule_targets_yesterday():
    import datetime as dt

    from polymarket_assets.defs.bronze.schedules import orderbook_compaction_schedule

    ctx = dg.build_schedule_context(scheduled_execution_time=dt.datetime(2026, 1, 2, 0, 20, tzinfo=dt.timezone.utc))
    request = orderbook_compaction_schedule(ctx)
    assert request.partition_key == "2026-01-01" and request.run_key == "orderbook-compaction-2026-01-01"


def test_dead_worker_without_heartbeat_is_terminated_then_replaced(instance, tmp_path):
    """A STARTED run whose worker died (stale heartbeat) is sent to CANCELING; once finished, a fresh run follows."""
    lake = LakeResource(data_dir=str(tmp_path))
    first = tick(instance, None, lake)
    run = launch(instance, first)
    stats = lake.state / "orderbook_logger.stats.json"
    stats.write_text(json.dumps({"run_tag": run.run_id.split("-")[0]}))
    assert "is STARTED" in tick(instance, first.cursor, lake).skip_message  # fresh heartbeat: alive
    old = time.time() - 600
    os.utime(stats, (old, old))
    stale = tick(instance, first.cursor, lake)
    assert isinstance(stale, dg.SkipReason) and "no heartbeat" in stale.skip_message
    assert instance.get_run_by_id(run.run_id).status == S.CANCELING  # never two: still alive until finished
    assert isinstance(tick(instance, first.cursor, lake), dg.SkipReason)
    set_status(instance, instance.get_run_by_id(run.run_id), S.CANCELED)  # run monitoring's cancel timeout
    fresh = tick(instance, first.cursor, lake)
    assert fresh.run_requests[0].run_key == "orderbook-logger-2"


def test_a_run_still_in_its_first_discovery_pass_is_alive_and_a_dead_one_is_not(instance, tmp_path):
    """C: the logger writes its heartbeat as soon as it starts and then periodically, even while a venue's
    first discovery pass hangs, so the sensor never terminates a live run; once the heartbeat stops, the
    stale rule (300 s in production, 1 s here) still terminates it."""
    import threading

    from dagster._core.events import DagsterEvent, DagsterEventType

    from polymarket_assets.streaming.logger import STATS_NAME
    from polymarket_assets.streaming.sensor import next_launch
    from polymarket_assets_tests.streaming.test_threads import HangingDiscoverer, StubFetcher, make_logger

    state = tmp_path / "state"
    state.mkdir()
    (state / STATS_NAME).write_text(json.dumps({"run_tag": "deadbeef", "final": True}))  # the previous run's
    run = add_run(instance, S.STARTED, {"dagster/run_key": "orderbook-logger-7"})
    instance.report_dagster_event(DagsterEvent(event_type_value=DagsterEventType.RUN_START.value, job_name=JOB_NAME), run_id=run.run_id)
    hanging = HangingDiscoverer("hang", seconds=30.0)
    logger = make_logger(tmp_path, [hanging], [StubFetcher("limitless", batch_size=1)],
                         run_tag=run.run_id.split("-")[0], heartbeat_interval_seconds=0.2)
    threading.Thread(target=logger.start, daemon=True).start()
    try:
        deadline = time.monotonic() + 2.5
        while time.monotonic() < deadline:
            result = next_launch(instance, "7", state_dir=state, stale_after_seconds=1.0)
            assert isinstance(result, dg.SkipReason) and "no heartbeat" not in result.skip_message, result.skip_message
            assert instance.get_run_by_id(run.run_id).status == S.STARTED
            time.sleep(0.2)
        assert hanging.calls == 1 and not logger.discovery.first_pass_done.is_set()  # still in its first pass
    finally:
        hanging.release.set()
        logger.stop()
    time.sleep(1.5)  # the worker is gone: no heartbeat any more
    result = next_launch(instance, "7", state_dir=state, stale_after_seconds=1.0)
    assert isinstance(result, dg.SkipReason) and "no heartbeat" in result.skip_message
    assert instance.get_run_by_id(run.run_id).status == S.CANCELING


def test_job_itself_bounds_runs_launched_by_hand():
    """E: a run launched from the UI (no sensor tags) still carries dagster/max_runtime."""
    from polymarket_assets.defs.streaming.orderbook_logger import orderbook_logger_job
    from polymarket_assets.streaming.logger_run import OrderbookLoggerConfig

    expected = str(int(OrderbookLoggerConfig().duration_minutes * 60 + 600))
    assert orderbook_logger_job.tags["dagster/max_runtime"] == expected == "4200"
    # the tags every run of the job gets (the UI/GraphQL launch path and execute_in_process merge them in)
    assert orderbook_logger_job.run_tags["dagster/max_runtime"] == expected
    assert f"dagster/max_runtime: {expected} s" in orderbook_logger_job.description  # documented where the UI shows it
    # the sensor's per-run value (from the run's own duration) still wins
    first = tick(dg.DagsterInstance.ephemeral(), None)
    assert first.run_requests[0].tags["dagster/max_runtime"] == expected


# -- the same machinery keeps orderbook_stream_job alive ---------------------------------------------------

def stream_tick(instance, cursor, lake):
    from polymarket_assets.defs.streaming.orderbook_stream_sensor import orderbook_stream_sensor

    return orderbook_stream_sensor(dg.build_sensor_context(instance=instance, cursor=cursor, resources={"lake": lake}))


def test_stream_sensor_fresh_keys_skip_while_alive_and_stale_heartbeat(instance, tmp_path):
    from polymarket_assets.streaming.sensor import STREAM

    lake = LakeResource(data_dir=str(tmp_path))
    first = stream_tick(instance, None, lake)
    request = first.run_requests[0]
    assert request.run_key == "orderbook-stream-1" and request.tags["dagster/max_runtime"] == "4200"
    assert request.tags["orderbook_stream/reason"] == "no run yet"
    run = add_run(instance, S.STARTED, {**request.tags, "dagster/run_key": request.run_key}, job_name=STREAM.job_name)
    assert isinstance(tick(instance, None, lake), dg.SensorResult)  # the logger's sensor does not see the stream's run
    (lake.state / STREAM.heartbeat_file).write_text(json.dumps({"run_tag": run.run_id.split("-")[0]}))
    alive = stream_tick(instance, first.cursor, lake)
    assert isinstance(alive, dg.SkipReason) and "is STARTED" in alive.skip_message
    old = time.time() - 600
    os.utime(lake.state / STREAM.heartbeat_file, (old, old))
    stale = stream_tick(instance, first.cursor, lake)
    assert "no heartbeat" in stale.skip_message and instance.get_run_by_id(run.run_id).status == S.CANCELING
    set_status(instance, instance.get_run_by_id(run.run_id), S.CANCELED)
    fresh = stream_tick(instance, None, lake)  # cursor lost: the key still never repeats
    assert fresh.run_requests[0].run_key == "orderbook-stream-2"
    assert fresh.run_requests[0].tags["orderbook_stream/previous_status"] == "CANCELED"


def test_code_location_wires_the_stream_job_sensor_and_compaction():
    from polymarket_assets_tests.support.code_location import code_location

    defs = code_location()
    sensor = defs.resolve_sensor_def("orderbook_stream_sensor")
    assert sensor.job_name == "orderbook_stream_job" and sensor.default_status == dg.DefaultSensorStatus.STOPPED
    job = defs.resolve_job_def("orderbook_stream_job")
    assert job.executor_def.name == "healing_in_process_executor" and job.tags["dagster/max_runtime"] == "4200"
    compaction = defs.resolve_job_def("orderbook_compaction_job")
    assert {k.to_user_string() for k in compaction.asset_layer.selected_asset_keys} == {"bronze/orderbook_snapshots", "bronze/orderbook_ws_events"}
    daily = defs.resolve_job_def("bronze_daily_job")
    assert not {"bronze/orderbook_ws_events", "bronze/orderbook_snapshots"} & {k.to_user_string() for k in daily.asset_layer.selected_asset_keys}
