"""Make a row match a bronze pyarrow schema exactly, or say precisely why it cannot.

Values are read with the clients' wire parsers (:mod:`polymarket_assets.clients.wire`: decimals from their
text, integers, booleans, every timestamp format): there is no second parser here. What this module adds is
what the *schema* decides:

* ``string`` ← str / int / Decimal (ids are never routed through float);
* ``decimal128(p, s)`` quantized to ``s`` places with ROUND_HALF_EVEN; a value that needs more than ``p``
  digits is an error, never a wrap;
* ``timestamp[us, UTC]``: any timestamp the wire parser reads, except a value without a time zone (a naive
  ``datetime`` or ISO text without offset is a bug upstream, not UTC);
* ``bool``, ``int8/16/32/64`` (range-checked), ``float64``, ``list<…>`` element-wise.

Errors raise ``RowCoercionError`` naming the column and the value; callers quarantine that object. A
schema's converters are built once (``coerce_row`` runs for every bronze row).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

import pyarrow as pa

from polymarket_assets.clients import wire

UTC = dt.timezone.utc

Converter = Callable[[Any], Any]


class RowCoercionError(ValueError):
    def __init__(self, column: str, value: Any, problem: str):
        shown = repr(value)
        if len(shown) > 120:
            shown = shown[:117] + "..."
        super().__init__(f"column {column!r}: {problem} (value {shown})")
        self.column = column
        self.value = value
        self.problem = problem


def to_utc_timestamp(value: Any) -> dt.datetime | None:
    """A timestamp for a ``timestamp[us, UTC]`` column (``None``/``""`` → ``None``); no time zone → error."""
    if isinstance(value, dt.datetime) and value.tzinfo is UTC:
        return value
    return wire.parse_timestamp(value, assume_utc=False)


def to_decimal(value: Any, precision: int, scale: int) -> Decimal | None:
    """A number for a ``decimal128(precision, scale)`` column: read by ``wire.to_decimal``, quantized."""
    return _decimal(precision, scale)(value)


@lru_cache(maxsize=None)
def _decimal(precision: int, scale: int) -> Converter:
    step = Decimal(1).scaleb(-scale)
    limit = Decimal(10) ** (precision - scale)  # |value| >= limit needs more than `precision` digits

    def convert(value: Any) -> Decimal | None:
        number = wire.to_decimal(value)
        if number is None:
            return None
        quantized = number.quantize(step, rounding=ROUND_HALF_EVEN)
        if abs(quantized) >= limit:
            raise ValueError(f"needs more than {precision} digits ({precision - scale} before the point)")
        return quantized

    return convert


_INT_RANGES = {8: (-(2**7), 2**7 - 1), 16: (-(2**15), 2**15 - 1), 32: (-(2**31), 2**31 - 1), 64: (-(2**63), 2**63 - 1)}


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        raise ValueError(f"{type(value).__name__} where text was expected")
    return str(value)


def _boolean(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    try:
        return wire.to_bool(value)
    except wire.ParseError as exc:
        raise ValueError(f"{type(value).__name__} where a boolean was expected") from exc


def _integer(bits: int) -> Converter:
    low, high = _INT_RANGES[bits]

    def convert(value: Any) -> int | None:
        number = value if type(value) is int else wire.to_int(value)
        if number is not None and not low <= number <= high:
            raise ValueError(f"out of range for int{bits}")
        return number

    return convert


def _floating(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError("boolean where a number was expected")
    number = float(value) if isinstance(value, (int, float, Decimal)) else float(wire.to_decimal(value))  # type: ignore[arg-type]
    if not math.isfinite(number):
        raise ValueError("not a finite number")
    return number


def _converter(typ: pa.DataType) -> Converter:
    if pa.types.is_string(typ) or pa.types.is_large_string(typ):
        return _text
    if pa.types.is_decimal(typ):
        return _decimal(typ.precision, typ.scale)
    if pa.types.is_timestamp(typ):
        return to_utc_timestamp
    if pa.types.is_boolean(typ):
        return _boolean
    if pa.types.is_integer(typ):
        return _integer(typ.bit_width)
    if pa.types.is_floating(typ):
        return _floating
    if pa.types.is_list(typ) or pa.types.is_large_list(typ):
        element = _converter(typ.value_type)

        def convert_list(value: Any) -> list[Any]:
            if not isinstance(value, (list, tuple)):
                raise ValueError(f"{type(value).__name__} where a list was expected")
            return [None if v is None else element(v) for v in value]

        return convert_list
    raise ValueError(f"no coercion for {typ}")


def coerce_value(value: Any, typ: pa.DataType) -> Any:
    """One value typed for a column of type ``typ`` (``None`` stays ``None``)."""
    return None if value is None else _converter(typ)(value)


@lru_cache(maxsize=None)
def _columns(schema: pa.Schema) -> tuple[tuple[str, Converter, bool, type | None], ...]:
    """Per column: name, converter, nullable, and the Python type that is already right as it is (``str``
    for text, an aware UTC ``datetime`` is checked by its converter's own fast path)."""
    return tuple(
        (field.name, _converter(field.type), field.nullable, str if _converter(field.type) is _text else None)
        for field in schema
    )


def coerce_row(row: dict[str, Any], schema: pa.Schema) -> dict[str, Any]:
    """A new dict with exactly the schema's columns, typed; missing columns are ``None``.

    Raises ``RowCoercionError`` for a value of the wrong kind and for a null in a non-nullable column.
    """
    out: dict[str, Any] = {}
    for name, convert, nullable, ready in _columns(schema):
        value = row.get(name)
        if value is None:
            if not nullable:
                raise RowCoercionError(name, value, "required value is missing")
            out[name] = None
            continue
        if type(value) is ready:
            out[name] = value
            continue
        try:
            coerced = convert(value)
        except (ValueError, TypeError, OverflowError, InvalidOperation) as exc:
            raise RowCoercionError(name, value, str(exc)) from exc
        if coerced is None and not nullable:
            raise RowCoercionError(name, value, "required value is missing")
        out[name] = coerced
    return out
