"""What a silver model is: one declaration per table (grain, natural key, columns with their lineage).

The transformation of each model is one readable SELECT in ``sql/<name>.sql``; a :class:`Model` holds what
the loaders, the checks and the Dagster metadata need to know about it:

* ``kind`` — ``fact``: rows belong to one day ``dt`` and a load *replaces* that day's rows;
  ``dim``: one row per natural key holding the latest state, *merged* (SCD type 1 + first/last seen);
  ``bridge``: event↔category links, replaced per event when a newer snapshot of the event arrives.
* ``sources`` — the datasets it reads: bronze datasets (``source_layer="bronze"``, the default), or, for a
  fact computed from another silver fact, that silver table (``source_layer="silver"``): the loader then
  reloads a day when the source table reloaded it, and the SQL reads the view ``silver_<source>``.
* ``key`` — the natural key, enforced by the loaders (deduplication) and by blocking checks.
* ``columns`` — DDL type, description, lineage (``dataset.column`` of the source layer) and, for dims, how
  a newer or an older state merges into the stored row (``merge``: latest | latest_non_null | min | max | key).

* ``python`` — a fact whose per-day transform is Python instead of a SELECT (``orderbook_bbo`` and
  ``orderbook_gaps``: a replay of the bronze book events through the live book machines, which SQL cannot
  express). The function gets a :class:`DayInput` (the day's source files) and yields Arrow tables or
  batches with the model's columns; the loader inserts them in the day's transaction, with the same ledger,
  checks and versioning as a SQL model (``silver/transforms/<name>.py``, one per model, like ``sql/``).

The declarations themselves are in ``models.py`` (the registry ``MODELS``) and ``orderbook_models.py``.

A model's version is a hash of its DDL, its logic (the SQL; for a Python model the source of its transform
module and of ``python_modules``, the code it runs) and ``LOADER_VERSION``; a table built by another
version is rebuilt from every source day on its next materialization (no mixing of old and new logic).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib
import inspect
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, Literal, Union

import pyarrow as pa

SCHEMA = "silver"
LOADER_VERSION = "1"

Kind = Literal["fact", "dim", "bridge"]
Merge = Literal["key", "latest", "latest_non_null", "min", "max"]
Layer = Literal["bronze", "silver"]

TS = "TIMESTAMPTZ"
PRICE = "DECIMAL(12, 6)"
AMOUNT = "DECIMAL(38, 6)"


@dataclass(frozen=True)
class Col:
    name: str
    type: str
    description: str
    lineage: tuple[str, ...] = ()  # "dataset.column" of the source-layer columns it is computed from
    merge: Merge = "latest"
    order: tuple[str, ...] | None = None  # dims: columns that say which state is newer (default: model.order_by)


@dataclass
class DayInput:
    """What a Python transform gets for one source day; it sets ``rows_read`` (source rows it consumed, for
    the reconciliation) and may add figures to ``notes`` (summed into the materialization metadata)."""

    day: dt.date
    source: str
    files: list[str]
    rows_read: int = 0
    notes: dict[str, Any] = field(default_factory=dict)


PythonTransform = Callable[[DayInput], Iterator[Union[pa.Table, pa.RecordBatch]]]


@dataclass(frozen=True)
class Model:
    name: str
    kind: Kind
    description: str
    grain: str
    key: tuple[str, ...]
    sources: tuple[str, ...]
    columns: tuple[Col, ...]
    order_by: tuple[str, ...] = ()  # dims: newest state = greatest (order_by...) lexicographically
    price_columns: tuple[str, ...] = ()  # DECIMAL columns that must lie in [0, 1]
    price_list_columns: tuple[str, ...] = ()  # DECIMAL[] columns whose elements must lie in [0, 1]
    key_time_column: str | None = None  # facts: a key column-set determines this instant (cross-day probe)
    extra_sql: tuple[str, ...] = field(default_factory=tuple)  # more sql/*.sql files this model runs
    source_layer: Layer = "bronze"  # "silver": a fact computed day by day from the silver fact in `sources`
    count_column: str | None = None  # facts that aggregate: the column counting the source rows a row stands for
    nullable_prices: bool = False  # facts: a NULL price is allowed (an empty book side) instead of failing
    key_check_name: str | None = None  # name of the key check, if not the default (see checks.checks_for)
    python: PythonTransform | None = None  # facts: a Python per-day transform instead of sql/<name>.sql
    python_modules: tuple[str, ...] = ()  # modules whose source the transform runs (part of the version)

    def __post_init__(self) -> None:
        if self.source_layer == "silver" and (self.kind != "fact" or len(self.sources) != 1):
            raise ValueError(f"{self.name}: a model computed from silver must be a fact with one source table")
        if self.python is not None and (self.kind != "fact" or self.source_layer != "bronze" or len(self.sources) != 1):
            raise ValueError(f"{self.name}: a Python transform is for a fact over one bronze dataset")

    @property
    def table(self) -> str:
        return f"{SCHEMA}.{self.name}"

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Col:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    def source_view(self, source: str) -> str:
        """The temp view the model's SQL reads ``source`` from: the rows of the day(s) being loaded."""
        return f"{self.source_layer}_{source}"

    @property
    def sql(self) -> str:
        return read_sql(self.name)

    @property
    def logic(self) -> str:
        """What the version hashes: the SQL, or the Python source of the transform and the code it runs."""
        if self.python is None:
            return self.sql
        modules = [self.python.__module__, *self.python_modules]
        return "\0".join(f"{name}\n{inspect.getsource(importlib.import_module(name))}" for name in modules)

    def ddl(self) -> str:
        cols = ",\n    ".join(f"{c.name} {c.type}" for c in self.columns)
        return f"CREATE TABLE IF NOT EXISTS {self.table} (\n    {cols}\n)"

    @property
    def version(self) -> str:
        digest = hashlib.sha256()
        for part in (LOADER_VERSION, self.ddl(), self.logic, *(read_sql(x) for x in self.extra_sql), repr(self.key), repr(self.order_by)):
            digest.update(part.encode())
            digest.update(b"\0")
        digest.update(repr([(c.name, c.merge, c.order) for c in self.columns]).encode())
        if self.source_layer != "bronze" or self.count_column:  # only then, so bronze models keep their versions
            digest.update(f"\0{self.source_layer}\0{self.count_column}".encode())
        return digest.hexdigest()[:16]


def read_sql(name: str) -> str:
    return resources.files("polymarket_assets.silver").joinpath("sql").joinpath(f"{name}.sql").read_text(encoding="utf-8")
