"""What a silver model is: one declaration per table (grain, natural key, columns with their lineage).

The transformation of each model is one readable SELECT in ``sql/<name>.sql``; a :class:`Model` holds what
the loaders, the checks and the Dagster metadata need to know about it:

* ``kind`` — ``fact``: rows belong to one bronze day ``dt`` and a load *replaces* that day's rows;
  ``dim``: one row per natural key holding the latest state, *merged* (SCD type 1 + first/last seen);
  ``bridge``: event↔category links, replaced per event when a newer snapshot of the event arrives.
* ``key`` — the natural key, enforced by the loaders (deduplication) and by blocking checks.
* ``columns`` — DDL type, description, bronze lineage (``dataset.column``) and, for dims, how
  a newer or an older state merges into the stored row (``merge``: latest | latest_non_null | min | max | key).

The declarations themselves, and the registry ``MODELS``, are in ``models.py``.

A model's version is a hash of its DDL, its SQL and ``LOADER_VERSION``; a table built by another version
is rebuilt from every bronze day on its next materialization (no mixing of old and new logic).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from importlib import resources
from typing import Literal

SCHEMA = "silver"
LOADER_VERSION = "1"

Kind = Literal["fact", "dim", "bridge"]
Merge = Literal["key", "latest", "latest_non_null", "min", "max"]

TS = "TIMESTAMPTZ"
PRICE = "DECIMAL(12, 6)"
AMOUNT = "DECIMAL(38, 6)"


@dataclass(frozen=True)
class Col:
    name: str
    type: str
    description: str
    lineage: tuple[str, ...] = ()  # "dataset.column" of bronze columns it is computed from
    merge: Merge = "latest"
    order: tuple[str, ...] | None = None  # dims: columns that say which state is newer (default: model.order_by)


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

    @property
    def sql(self) -> str:
        return read_sql(self.name)

    def ddl(self) -> str:
        cols = ",\n    ".join(f"{c.name} {c.type}" for c in self.columns)
        return f"CREATE TABLE IF NOT EXISTS {self.table} (\n    {cols}\n)"

    @property
    def version(self) -> str:
        digest = hashlib.sha256()
        for part in (LOADER_VERSION, self.ddl(), self.sql, *(read_sql(x) for x in self.extra_sql), repr(self.key), repr(self.order_by)):
            digest.update(part.encode())
            digest.update(b"\0")
        digest.update(repr([(c.name, c.merge, c.order) for c in self.columns]).encode())
        return digest.hexdigest()[:16]


def read_sql(name: str) -> str:
    return resources.files("polymarket_assets.silver").joinpath("sql", f"{name}.sql").read_text(encoding="utf-8")
