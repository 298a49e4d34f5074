"""What a warehouse model is: one declaration per DuckDB table (grain, natural key, columns with their lineage).

The framework serves two layers, each a DuckDB schema of its own: ``layer="silver"`` (the default; models in
``silver/models.py`` + ``silver/orderbook_models.py``, SQL in ``silver/sql/``) and ``layer="gold"`` (models in
``gold/models.py``, SQL in ``gold/sql/``). The transformation of each model is one readable SELECT in
``<layer>/sql/<name>.sql``; a :class:`Model` holds what the loaders, the checks and the Dagster metadata
need to know about it:

* ``kind`` — ``fact``: rows belong to one day ``dt`` and a load *replaces* that day's rows;
  ``dim``: one row per natural key holding the latest state, *merged* (SCD type 1 + first/last seen);
  ``bridge``: event↔category links, replaced per event when a newer snapshot of the event arrives;
  ``table``: derived from whole tables of the layer below (no day grain to follow), *rebuilt* in one
  transaction when any of its sources (re)loaded a day, and left alone otherwise.
* ``sources`` — the datasets it reads: bronze datasets (``source_layer="bronze"``, the default), or tables
  of a layer (``source_layer="silver"`` / ``"gold"``): a fact computed from a fact reloads a day when the
  source table reloaded it (view ``<source_layer>_<source>`` = that table's rows of the day); a ``table``
  model reads whole tables (views ``<source_layer>_<source>`` over the whole table). ``optional_sources``
  may not exist yet (another feature builds them): the view is then an empty relation of the declared columns.
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
from typing import TYPE_CHECKING, Any, Literal, Union

import pyarrow as pa

if TYPE_CHECKING:
    from polymarket_assets.silver.checks.base import CheckDef

SCHEMA = "silver"  # the default layer (and DuckDB schema) of a model
LOADER_VERSION = "1"

Kind = Literal["fact", "dim", "bridge", "table"]
Merge = Literal["key", "latest", "latest_non_null", "min", "max"]
Layer = Literal["bronze", "silver", "gold"]
TableLayer = Literal["silver", "gold"]

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
    source_layer: Layer = "bronze"  # "silver"/"gold": computed from tables of that layer (a fact: day by day)
    count_column: str | None = None  # facts that aggregate: the column counting the source rows a row stands for
    nullable_prices: bool = False  # facts: a NULL price is allowed (an empty book side) instead of failing
    key_check_name: str | None = None  # name of the key check, if not the default (see checks.checks_for)
    layer: TableLayer = "silver"  # the DuckDB schema the table lives in (and where its SQL file is)
    count_filter: str | None = None  # with count_column: which rows count (e.g. one bucket of several)
    optional_sources: tuple[tuple[str, tuple[Col, ...]], ...] = ()  # table models: sources that may not exist yet
    source_sums: tuple[tuple[str, str], ...] = ()  # facts from a fact: (column, source expression) sums that must match per day
    plots: tuple[str, ...] = ()  # names of the plots drawn after each load (gold/plots.py)
    stats_sql: str | None = None  # a <layer>/sql file returning one row of counts for the run metadata
    extra_checks: tuple[CheckDef, ...] = ()  # checks of this model beyond the generic ones (checks.checks_for)
    python: PythonTransform | None = None  # facts: a Python per-day transform instead of sql/<name>.sql
    python_modules: tuple[str, ...] = ()  # modules whose source the transform runs (part of the version)

    def __post_init__(self) -> None:
        if self.source_layer != "bronze" and self.kind not in ("fact", "table"):
            raise ValueError(f"{self.name}: a model computed from {self.source_layer} tables must be a fact or a table")
        if self.source_layer != "bronze" and self.kind == "fact" and len(self.sources) != 1:
            raise ValueError(f"{self.name}: a fact computed from another table must have exactly one source table")
        if self.kind == "table" and self.source_layer == "bronze":
            raise ValueError(f"{self.name}: a table model is computed from silver or gold tables, not from bronze files")
        if self.source_sums and (self.kind != "fact" or self.source_layer == "bronze"):
            raise ValueError(f"{self.name}: source_sums apply to a fact computed from another fact")
        if self.python is not None and (self.kind != "fact" or self.source_layer != "bronze" or len(self.sources) != 1):
            raise ValueError(f"{self.name}: a Python transform is for a fact over one bronze dataset")

    @property
    def table(self) -> str:
        return f"{self.layer}.{self.name}"

    @property
    def all_sources(self) -> tuple[str, ...]:
        """Every source the loader plans from: ``sources``, then the optional ones."""
        return (*self.sources, *(s for s, _ in self.optional_sources))

    def optional_columns(self, source: str) -> tuple[Col, ...] | None:
        """The declared columns of an optional source (its view when the table does not exist yet), else None."""
        return dict(self.optional_sources).get(source)

    @property
    def counted_sql(self) -> str:
        """SQL aggregate of the source rows a fact's rows account for: ``count(*)``, or the sum of its count column
        (aggregates; over the rows of ``count_filter`` when several rows count the same source rows)."""
        if self.count_column is None:
            return "count(*)"
        where = f" FILTER (WHERE {self.count_filter})" if self.count_filter else ""
        return f"coalesce(sum({self.count_column}){where}, 0)"

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Col:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    def source_view(self, source: str) -> str:
        """The temp view the model's SQL reads ``source`` from: the rows of the day(s) being loaded (a table
        model: the whole source table)."""
        return f"{self.source_layer}_{source}"

    @property
    def sql(self) -> str:
        return read_sql(self.name, self.layer)

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
        extra = (read_sql(x, self.layer) for x in (*self.extra_sql, *((self.stats_sql,) if self.stats_sql else ())))
        for part in (LOADER_VERSION, self.ddl(), self.logic, *extra, repr(self.key), repr(self.order_by)):
            digest.update(part.encode())
            digest.update(b"\0")
        digest.update(repr([(c.name, c.merge, c.order) for c in self.columns]).encode())
        if self.source_layer != "bronze" or self.count_column:  # only then, so bronze models keep their versions
            digest.update(f"\0{self.source_layer}\0{self.count_column}".encode())
        if self.layer != "silver" or self.kind == "table" or self.count_filter or self.all_sources != self.sources or self.source_sums:
            digest.update(repr((self.layer, self.kind, self.count_filter, self.all_sources, self.source_sums)).encode())
        return digest.hexdigest()[:16]


def read_sql(name: str, layer: TableLayer = "silver") -> str:
    """The text of ``<layer>/sql/<name>.sql`` (package data)."""
    return resources.files(f"polymarket_assets.{layer}").joinpath("sql").joinpath(f"{name}.sql").read_text(encoding="utf-8")
