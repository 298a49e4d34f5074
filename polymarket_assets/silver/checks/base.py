"""The vocabulary of the silver checks: a check's result (:class:`Outcome`), what it runs on
(:class:`CheckContext`) and its registration (:class:`CheckDef`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from polymarket_assets.silver.ledger import LoadLedger, Partition
from polymarket_assets.silver.model import SCHEMA, Model

Severity = Literal["ERROR", "WARN"]
Phase = Literal["write", "post", "after"]
SAMPLE = 5


@dataclass
class Outcome:
    passed: bool
    severity: Severity = "ERROR"
    description: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass
class CheckContext:
    conn: Any
    model: Model
    days: list[dt.date] | None = None  # fact days in scope (write phase: the day being replaced); None = whole table
    ledger: LoadLedger | None = None
    partitions: Mapping[str, Mapping[dt.date, Partition]] | None = None  # post phase: the sources as they are now
    files: list[str] | None = None  # write phase of a fact day: the source files being loaded

    @property
    def day(self) -> dt.date | None:
        return self.days[0] if self.days is not None and len(self.days) == 1 else None

    @property
    def where(self) -> str:
        return "dt IN (SELECT UNNEST(?::DATE[]))" if self.days is not None else "true"

    def where_for(self, alias: str) -> str:
        return f"{alias}.{self.where}" if self.days is not None else "true"

    @property
    def params(self) -> list[Any]:
        return [self.days] if self.days is not None else []


@dataclass(frozen=True)
class CheckDef:
    name: str
    description: str
    blocking: bool
    phase: Phase
    fn: Callable[[CheckContext], Outcome]
    additional_deps: tuple[str, ...] = ()  # silver models the check reads


def table_exists(conn: Any, model_name: str) -> bool:
    row = conn.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?", [SCHEMA, model_name]
    ).fetchone()
    return bool(row and row[0])


def scope_md(ctx: CheckContext) -> dict[str, Any]:
    if ctx.days is None:
        return {"scope": "whole table"}
    if not ctx.days:
        return {"scope": "no day loaded by this run"}
    days = sorted(ctx.days)
    return {"scope": f"day {days[0].isoformat()}" if len(days) == 1 else f"{len(days)} days {days[0].isoformat()} .. {days[-1].isoformat()}"}
