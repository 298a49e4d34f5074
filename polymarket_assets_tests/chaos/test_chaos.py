"""The chaos suite at a small size (``bench/chaos.py`` runs it at 20 trials per target for the README)."""

from __future__ import annotations

import pytest

from polymarket_assets_tests.chaos import harness

TRIALS = 2
LOGGER_TRIALS = 1  # each logger/stream trial waits for its job to start (~5 s): keep the default suite short
SEED = 7


@pytest.mark.chaos
@pytest.mark.slow
@pytest.mark.timeout(600)
def test_kill_9_anywhere_loses_nothing_duplicates_nothing_and_reruns_to_the_same_result() -> None:
    reports = harness.run(harness.KILL_TARGETS, TRIALS, SEED, log=lambda _m: None)
    print(harness.table(reports, SEED))
    for report in reports:
        # every target gets TRIALS kills that land inside the run (a kill after the end is redrawn)
        assert report.killed_mid_run == TRIALS and report.trials >= TRIALS, (report.target, report.trials, report.killed_mid_run)
        assert report.ok, (report.target, report.problems)


@pytest.mark.chaos
@pytest.mark.slow
@pytest.mark.timeout(600)
def test_the_logger_and_the_stream_under_sigkill_and_sigterm_lose_at_most_a_second_and_every_file_parses() -> None:
    reports = harness.run(harness.SIGNAL_TARGETS, LOGGER_TRIALS, SEED, log=lambda _m: None)
    print(harness.table(reports, SEED))
    for report in reports:
        assert report.trials == LOGGER_TRIALS
        assert report.ok and report.max_loss_seconds <= 1.0, (report.target, report.problems, report.max_loss_seconds)
    for sigterm in (r for r in reports if r.target.endswith("_sigterm")):
        assert sigterm.torn_last_lines == 0  # a clean shutdown flushes whole lines


@pytest.mark.chaos
@pytest.mark.slow
@pytest.mark.timeout(600)
def test_a_fault_mix_on_ten_percent_of_responses_lands_or_quarantines_every_row_and_reconciles() -> None:
    (report,) = harness.run(harness.FAULT_TARGETS, 1, SEED, log=lambda _m: None)
    print(harness.table([report], SEED))
    assert report.trials == 1 and sum(report.faults.values()) > 0
    assert report.ok, report.problems
    assert report.unreconciled == 0 and report.rows_lost == 0 and report.not_identical == 0
