"""The code location's default executor: Dagster's multiprocess / in-process executors, plus three things.

1. The run worker records its host, boot id and pid on the run (``stuck_runs.record_run_worker``), so a run
   killed by ``kill -9``, the OOM killer or a restart can later be told dead (``stuck_runs.assess``).
2. It heals: when a run starts, and every ``HEAL_INTERVAL_SECONDS`` while its steps wait for a pool slot, it
   marks runs whose processes are gone as failed and frees their slots (``stuck_runs.heal``); a slot it cannot
   judge gets a log line naming the holder and the command to run (``stuck_runs.blocking_hints``). So a
   ``dagster asset materialize`` heals a pool a killed run left behind without the daemon.
3. It does not spin. Dagster 1.13's multiprocess loop never sleeps while every step is blocked on a pool (one
   core at 100% for as long as the wait lasts), and ``InstanceConcurrencyContext.interval_to_next_pending_claim_check``
   returns ``min(0, ...)`` (never a positive wait). Here, when no step runs and every ready step waits for a
   slot, the loop pauses ``BLOCKED_PAUSE_SECONDS`` per turn.

How, without patching Dagster: ``MultiprocessExecutor.execute`` is re-bound (same code object) to a globals
mapping in which ``ActiveExecution`` is ``_PacedActiveExecution``; ``InProcessExecutor``'s iterator likewise
gets ``_PacedConcurrencyContext``. ``polymarket_assets_tests/reliability/test_stuck_runs.py`` pins the parts of
Dagster this relies on, so a Dagster upgrade that moves them fails a test instead of silently spinning again.
"""

from __future__ import annotations

import contextvars
import time
import types
from collections.abc import Callable, Iterator
from typing import Any

import dagster as dg
from dagster._core.definitions.executor_definition import (
    _core_in_process_executor_creation,
    _core_multiprocess_executor_creation,
    _get_default_executor_requirements,
)
from dagster._core.events import DagsterEvent, EngineEventData
from dagster._core.execution.plan.active import ActiveExecution
from dagster._core.execution.plan.instance_concurrency_context import InstanceConcurrencyContext
from dagster._core.executor import in_process as _in_process
from dagster._core.executor import multiprocess as _multiprocess
from dagster._core.executor.base import Executor

from polymarket_assets.reliability import stuck_runs

BLOCKED_PAUSE_SECONDS = 0.25
HEAL_INTERVAL_SECONDS = 5.0
HINT_INTERVAL_SECONDS = 60.0

#: called with the run's concurrency context while its steps wait for a slot (set per run by ``HealingExecutor``)
_ON_BLOCKED: contextvars.ContextVar[Callable[[InstanceConcurrencyContext], None] | None] = contextvars.ContextVar("on_blocked", default=None)


class _PacedActiveExecution(ActiveExecution):
    def get_steps_to_execute(self, limit: int | None = None):
        steps = super().get_steps_to_execute(limit)
        context = self._instance_concurrency_context
        if not steps and not self._in_flight and context is not None and context.has_pending_claims():
            hook = _ON_BLOCKED.get()
            if hook is not None:
                hook(context)
            time.sleep(BLOCKED_PAUSE_SECONDS)
        return steps


class _PacedConcurrencyContext(InstanceConcurrencyContext):
    def interval_to_next_pending_claim_check(self) -> float:
        if not self.has_pending_claims():
            return 0.0
        hook = _ON_BLOCKED.get()
        if hook is not None:
            hook(self)
        waits = [ready_at - time.time() for ready_at in self._pending_timeouts.values()]
        return max(0.0, min([BLOCKED_PAUSE_SECONDS, *waits]))


def _rebind(func: Any, **replacements: Any) -> Any:
    """``func``'s code with some of its module globals replaced (Dagster's module itself is left as it is)."""
    namespace = dict(func.__globals__)
    namespace.update(replacements)
    clone = types.FunctionType(func.__code__, namespace, func.__name__, func.__defaults__, func.__closure__)
    clone.__kwdefaults__ = func.__kwdefaults__
    return clone


_paced_multiprocess_execute = _rebind(_multiprocess.MultiprocessExecutor.execute, ActiveExecution=_PacedActiveExecution)
_paced_inprocess_iterator = _rebind(_in_process.inprocess_execution_iterator, InstanceConcurrencyContext=_PacedConcurrencyContext)
_paced_inprocess_execute = _rebind(_in_process.InProcessExecutor.execute, inprocess_execution_iterator=_paced_inprocess_iterator)


class HealingExecutor(Executor):
    """Wraps a Dagster ``MultiprocessExecutor`` or ``InProcessExecutor`` (see the module docstring)."""

    def __init__(self, inner: Executor):
        self._inner = inner

    @property
    def retries(self):
        return self._inner.retries

    @property
    def step_dependency_config(self):
        return self._inner.step_dependency_config

    def execute(self, plan_context, execution_plan) -> Iterator[DagsterEvent]:
        instance = plan_context.instance
        run_id = plan_context.run_id
        stuck_runs.record_run_worker(instance, run_id)
        _log_heal(plan_context, stuck_runs.heal(instance, exclude={run_id}))
        hook = _blocked_hook(plan_context, run_id)
        token = _ON_BLOCKED.set(hook)
        try:
            if isinstance(self._inner, _multiprocess.MultiprocessExecutor):
                yield from _paced_multiprocess_execute(self._inner, plan_context, execution_plan)
            elif isinstance(self._inner, _in_process.InProcessExecutor):
                yield from _paced_inprocess_execute(self._inner, plan_context, execution_plan)
            else:  # pragma: no cover - only the two above are built here
                yield from self._inner.execute(plan_context, execution_plan)
        finally:
            _ON_BLOCKED.reset(token)


def _log_heal(plan_context: Any, report: stuck_runs.HealReport) -> None:
    for line in report.actions:
        _engine_event(plan_context, line)


def _engine_event(plan_context: Any, message: str) -> None:
    DagsterEvent.engine_event(plan_context, message, EngineEventData())  # logged when built


def _blocked_hook(plan_context: Any, run_id: str) -> Callable[[InstanceConcurrencyContext], None]:
    state = {"healed": 0.0, "hinted": 0.0}
    instance = plan_context.instance

    def on_blocked(context: InstanceConcurrencyContext) -> None:
        try:
            _on_blocked(context)
        except Exception as exc:
            _engine_event(plan_context, f"polymarket-assets reliability: could not check the pool's slot holders ({exc!r})")

    def _on_blocked(context: InstanceConcurrencyContext) -> None:
        now = time.monotonic()
        if now - state["healed"] < HEAL_INTERVAL_SECONDS:
            return
        state["healed"] = now
        step_keys = context.pending_claim_steps()
        report = stuck_runs.heal(instance, exclude={run_id})
        _log_heal(plan_context, report)
        if report:
            # slots were freed: claim again now rather than at the end of Dagster's back-off (up to 15 s)
            context._pending_timeouts.clear()
        if report or now - state["hinted"] < HINT_INTERVAL_SECONDS:
            return
        state["hinted"] = now
        pools = [p for p in (_pool_of(plan_context, key) for key in step_keys) if p]
        for hint in stuck_runs.blocking_hints(instance, run_id, pools):
            _engine_event(plan_context, f"Steps {sorted(step_keys)} wait for a slot: {hint}")

    return on_blocked


def _pool_of(plan_context: Any, step_key: str) -> str | None:
    try:
        step = plan_context.execution_plan.get_step_by_key(step_key)
    except Exception:
        return None
    return getattr(step, "pool", None)


def _create(init_context: Any) -> Executor:
    config = init_context.executor_config
    if "multiprocess" in config:
        return HealingExecutor(_core_multiprocess_executor_creation(config["multiprocess"]))
    return HealingExecutor(_core_in_process_executor_creation(config["in_process"]))


def _create_in_process(init_context: Any) -> Executor:
    return HealingExecutor(_core_in_process_executor_creation(init_context.executor_config))


#: the code location's default: Dagster's default executor (``multiprocess``, or ``in_process`` by run config)
healing_executor = dg.ExecutorDefinition(
    name="healing_multi_or_in_process_executor",
    config_schema=dg.multi_or_in_process_executor.config_schema.as_field(),
    requirements=_get_default_executor_requirements,
    executor_creation_fn=_create,
    description="Dagster's multi_or_in_process_executor, recording the run worker's pid, healing runs whose process is gone, not spinning on pools.",
)

#: for jobs that run in one process (the order-book logger)
healing_in_process_executor = dg.ExecutorDefinition(
    name="healing_in_process_executor",
    config_schema=dg.in_process_executor.config_schema.as_field(),
    executor_creation_fn=_create_in_process,
    description="Dagster's in_process executor, recording the run worker's pid and healing runs whose process is gone.",
)
