"""Make a row match a bronze pyarrow schema exactly, or say precisely why it cannot.

Parsers hand over Python values in whatever shape the API used (numbers as strings, floats, ISO text,
Postgres timestamps...). ``coerce_row`` turns each value into the type its column needs:

* ``string`` ← str / int (ids are never routed through float);
* ``decimal128(p, s)`` ← Decimal / str / int / float (float via its shortest ``repr``), quantized to ``s``
  places with ROUND_HALF_EVEN; a value that needs more than ``p`` digits is an error, never a wrap;
* ``timestamp[us, UTC]`` ← aware datetime / ISO-8601 / Postgres ``2026-04-05 19:37:33+00`` / epoch seconds;
* ``bool``, ``int16/32/64`` (range-checked), ``float64``, ``list<…>`` element-wise.

Errors raise ``RowCoercionError`` naming the column and the value; callers quarantine that object.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

import pyarrow as pa

UTC = dt.timezone.utc
_PG_TS = re.compile(r"^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2}(?:\.\d+)?)([+-]\d{2})(?::?(\d{2}))?$")


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
    """Any timestamp shape the APIs send → aware UTC datetime (``None``/``""`` → ``None``)."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime (no time zone)")
        return value.astimezone(UTC)
    if isinstance(value, bool):
        raise ValueError("boolean is not a timestamp")
    if isinstance(value, (int, float)):
        seconds = float(value)
        if seconds > 1e11:  # milliseconds
            seconds /= 1000.0
        return dt.datetime.fromtimestamp(seconds, tz=UTC)
    if isinstance(value, str):
        text = value.strip()
        if re.fullmatch(r"\d{9,13}", text):
            return to_utc_timestamp(int(text))
        match = _PG_TS.match(text)
        if match:  # Postgres text form: "2026-04-05 19:37:33+00"
            date, clock, hours, minutes = match.groups()
            text = f"{date}T{clock}{hours}:{minutes or '00'}"
        if text.endswith("Z"):
            text = text[:-1] + "+00:00"
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            text += "T00:00:00+00:00"
        # Python 3.10 fromisoformat only takes 3 or 6 fractional digits: normalise to 6.
        frac = re.search(r"\.(\d+)", text)
        if frac:
            digits = (frac.group(1) + "000000")[:6]
            text = text[: frac.start(1)] + digits + text[frac.end(1) :]
        parsed = dt.datetime.fromisoformat(text)
        if parsed.tzinfo is None:
            raise ValueError("timestamp text without a time zone")
        return parsed.astimezone(UTC)
    raise ValueError(f"{type(value).__name__} is not a timestamp")


def to_decimal(value: Any, precision: int, scale: int) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError("boolean is not a number")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("not a finite number")
        value = repr(value)
    try:
        number = Decimal(value) if not isinstance(value, Decimal) else value
    except (InvalidOperation, TypeError) as exc:
        raise ValueError("not a decimal number") from exc
    if not number.is_finite():
        raise ValueError("not a finite number")
    quantized = number.quantize(Decimal(1).scaleb(-scale), rounding=ROUND_HALF_EVEN)
    if len(quantized.as_tuple().digits) > precision and quantized != 0:
        raise ValueError(f"needs more than {precision} digits ({precision - scale} before the point)")
    return quantized


_INT_RANGES = {8: (-(2**7), 2**7 - 1), 16: (-(2**15), 2**15 - 1), 32: (-(2**31), 2**31 - 1), 64: (-(2**63), 2**63 - 1)}


def coerce_value(value: Any, typ: pa.DataType) -> Any:
    if value is None:
        return None
    if pa.types.is_string(typ) or pa.types.is_large_string(typ):
        if isinstance(value, bool) or not isinstance(value, (str, int, Decimal)):
            raise ValueError(f"{type(value).__name__} where text was expected")
        return str(value)
    if pa.types.is_decimal(typ):
        return to_decimal(value, typ.precision, typ.scale)
    if pa.types.is_timestamp(typ):
        return to_utc_timestamp(value)
    if pa.types.is_boolean(typ):
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise ValueError(f"{type(value).__name__} where a boolean was expected")
    if pa.types.is_integer(typ):
        if isinstance(value, bool):
            raise ValueError("boolean where an integer was expected")
        if isinstance(value, float):
            if not value.is_integer():
                raise ValueError("fractional number where an integer was expected")
            value = int(value)
        if isinstance(value, str):
            value = int(value.strip())
        if not isinstance(value, int):
            raise ValueError(f"{type(value).__name__} where an integer was expected")
        low, high = _INT_RANGES[typ.bit_width]
        if not low <= value <= high:
            raise ValueError(f"out of range for {typ}")
        return value
    if pa.types.is_floating(typ):
        if isinstance(value, bool):
            raise ValueError("boolean where a number was expected")
        number = float(value)
        if not math.isfinite(number):
            raise ValueError("not a finite number")
        return number
    if pa.types.is_list(typ) or pa.types.is_large_list(typ):
        if not isinstance(value, (list, tuple)):
            raise ValueError(f"{type(value).__name__} where a list was expected")
        return [coerce_value(v, typ.value_type) for v in value]
    raise ValueError(f"no coercion for {typ}")


def coerce_row(row: dict[str, Any], schema: pa.Schema) -> dict[str, Any]:
    """A new dict with exactly the schema's columns, typed; missing columns are ``None``.

    Raises ``RowCoercionError`` for a value of the wrong kind and for a null in a non-nullable column.
    """
    out: dict[str, Any] = {}
    for field in schema:
        value = row.get(field.name)
        try:
            coerced = coerce_value(value, field.type)
        except (ValueError, TypeError, OverflowError, InvalidOperation) as exc:
            raise RowCoercionError(field.name, value, str(exc)) from exc
        if coerced is None and not field.nullable:
            raise RowCoercionError(field.name, value, "required value is missing")
        out[field.name] = coerced
    return out
