"""The wire formats every API family shares, decoded once: numbers, ids, booleans, timestamps, JSON text.

Nothing here performs I/O or imports Dagster. Each function takes one decoded JSON value (as produced by
``json.loads``) and returns a plain Python value, or raises :class:`ParseError` naming the field:

* money, prices and sizes -> :class:`decimal.Decimal`, built from the JSON *text* (quirk 3). JSON numbers
  arrive as ``float`` after ``json.loads``; they are converted through ``repr`` (the shortest text that
  round-trips, i.e. the number as it was written for every value with <= 17 significant digits), never
  through binary float arithmetic;
* identifiers (Gamma ids, condition ids, uint256 token ids) -> ``str`` (quirk 5: token ids exceed 64 bits);
* every timestamp -> timezone-aware UTC :class:`datetime.datetime` (quirk 4), date-only fields -> ``date``;
* "JSON inside a string" lists (quirk 1) -> lists; any object -> compact JSON text for ``raw_json``.

The ``*_field(obj, key)`` helpers read one key of an API object and attach the whole object to the
``ParseError`` so callers can quarantine it. The per-family parsers (``clients/<family>/parsing.py``) are
built on these; so is bronze's row typing (``bronze/coerce.py``). Section numbers (such as §2.4) refer to
``docs/api_reference.md``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

__all__ = [
    "ParseError",
    "compact_json",
    "json_list",
    "to_decimal",
    "to_int",
    "to_bool",
    "to_id_str",
    "text_or_none",
    "text_field",
    "json_or_none",
    "parse_timestamp",
    "parse_date",
    "epoch_seconds",
    "require_mapping",
    "require_keys",
    "ts_field",
    "date_field",
    "decimal_field",
    "int_field",
    "bool_field",
    "id_field",
    "required_id_field",
    "CONDITION_ID_RE",
    "is_condition_id",
]

UTC = timezone.utc


class ParseError(ValueError):
    """An API object does not have the shape its endpoint documents.

    ``obj`` is the offending object (or value) so callers can quarantine it; the message names the field.
    """

    def __init__(self, message: str, obj: Any = None):
        super().__init__(message)
        self.obj = obj


def compact_json(obj: Any) -> str:
    """The object as compact JSON text (no spaces, key order and non-ASCII kept) for ``raw_json`` columns."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def json_list(value: Any, *, field: str = "value") -> list[Any] | None:
    """Decode a Gamma "JSON inside a string" field (quirk 1: ``outcomes``, ``outcomePrices``,
    ``clobTokenIds``, ``umaResolutionStatuses``; §1.3).

    Accepts the string form (``"[\\"Yes\\", \\"No\\"]"``) and, because WS ``new_market`` / Data API v2 send
    the same data as real arrays, a list as-is. ``None`` / ``""`` → ``None``. Anything else → ``ParseError``.
    """
    if value is None or value == "":
        return None
    if isinstance(value, list):
        return value
    if isinstance(value, str):
        try:
            decoded = json.loads(value)
        except json.JSONDecodeError as exc:
            raise ParseError(f"{field} is a string but not JSON ({exc}): {value[:200]!r}", value) from exc
        if decoded is None:
            return None
        if not isinstance(decoded, list):
            raise ParseError(f"{field} holds JSON {type(decoded).__name__}, expected an array: {value[:200]!r}", value)
        return decoded
    raise ParseError(f"{field} must be a JSON array or a string holding one, got {type(value).__name__}: {value!r}", value)


def to_decimal(value: Any, *, field: str = "value") -> Decimal | None:
    """Parse a price/size/amount to ``Decimal`` (quirk 3: numbers arrive as strings *or* numbers).

    * ``None`` / ``""`` → ``None``;
    * ``str`` → ``Decimal(text)`` exactly (``"0.430"`` keeps its trailing zero; 34-digit legacy scalar
      prices keep every digit);
    * ``int`` → exact; ``float`` → via ``repr`` (the JSON text for ≤ 17 significant digits), never via
      binary arithmetic;
    * ``bool``, NaN/Infinity, or non-numeric text → ``ParseError``.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise ParseError(f"{field}: expected a number, got a boolean {value!r}", value)
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        return Decimal(value)
    elif isinstance(value, float):
        result = Decimal(repr(value))
    elif isinstance(value, str):
        text = value.strip()
        if text == "":
            return None
        try:
            result = Decimal(text)
        except InvalidOperation as exc:
            raise ParseError(f"{field}: not a decimal number: {value!r}", value) from exc
    else:
        raise ParseError(f"{field}: expected a number or numeric string, got {type(value).__name__}: {value!r}", value)
    if not result.is_finite():
        raise ParseError(f"{field}: not a finite number: {value!r}", value)
    return result


def to_int(value: Any, *, field: str = "value") -> int | None:
    """Integer from an int, an integral float, or integer text (``"170"``, v2 resolutions ``log_index``)."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ParseError(f"{field}: expected an integer, got a boolean {value!r}", value)
    if isinstance(value, int):
        return value
    number = to_decimal(value, field=field)
    assert number is not None
    if number != number.to_integral_value():
        raise ParseError(f"{field}: expected an integer, got {value!r}", value)
    return int(number)


def to_bool(value: Any, *, field: str = "value") -> bool | None:
    """Boolean from JSON ``true``/``false`` (or the text forms ``"true"``/``"false"``); ``None`` stays ``None``."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    raise ParseError(f"{field}: expected a boolean, got {value!r}", value)


def to_id_str(value: Any, *, field: str = "id") -> str | None:
    """An identifier as text (quirk 5: Gamma ids are numeric strings, token ids are uint256 decimals that
    must never pass through float). Ints are exact in Python and are accepted; floats are refused because
    they may already have lost digits. ``None`` / ``""`` → ``None``."""
    if value is None or value == "":
        return None
    if isinstance(value, bool) or isinstance(value, float):
        raise ParseError(f"{field}: identifiers must be strings or integers, got {type(value).__name__} {value!r}", value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return value.strip()
    raise ParseError(f"{field}: expected an identifier string, got {type(value).__name__}: {value!r}", value)


#: A CTF condition id: ``0x`` + 64 hex characters (Gamma ``conditionId``, Data API ``conditionId``/``market``).
CONDITION_ID_RE = re.compile(r"^0x[0-9a-fA-F]{64}$")


def is_condition_id(value: str | None) -> bool:
    """Whether ``value`` is a condition id (legacy AMM markets have none; Gamma ids and token ids are not)."""
    return bool(value and CONDITION_ID_RE.match(value))


def text_or_none(value: Any, *, field: str = "value") -> str | None:
    """Free text: ``""`` → ``None`` (several APIs use the empty string for "absent"). Anything but a string
    is refused rather than turned into one: a number where the endpoint documents text is schema drift
    (``side: 3``, ``title: 82``), and storing ``"3"`` would land a row that is not what the venue holds; the
    ``ParseError`` quarantines the row with this reason instead."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ParseError(f"{field}: expected text, got {type(value).__name__} {value!r}", value)
    return value if value != "" else None


_NUMERIC_RE = re.compile(r"^[+-]?\d+(\.\d+)?$")
_DATE_ONLY_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_ISO_RE = re.compile(
    r"^(?P<y>\d{4})-(?P<mo>\d{2})-(?P<d>\d{2})"
    r"[Tt ](?P<h>\d{2}):(?P<mi>\d{2})(?::(?P<s>\d{2})(?:[.,](?P<frac>\d+))?)?"
    r"\s*(?P<tz>[Zz]|[+-]\d{2}(?::?\d{2})?)?$"
)
_HUMAN_DATE_RE = re.compile(r"^(?P<mon>[A-Za-z]{3,9})\.?\s+(?P<d>\d{1,2}),?\s+(?P<y>\d{4})$")
_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}

# Magnitude thresholds for bare epoch numbers. 1e11 s is the year 5138 while 1e11 ms is 1973, so any
# value at or above 1e11 is treated as milliseconds; likewise 1e14 → microseconds, 1e17 → nanoseconds.
_MS_THRESHOLD = 10**11
_US_THRESHOLD = 10**14
_NS_THRESHOLD = 10**17
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _from_epoch(number: Decimal, original: Any) -> datetime:
    magnitude = abs(number)
    if magnitude >= _NS_THRESHOLD:
        micros = number / 1000
    elif magnitude >= _US_THRESHOLD:
        micros = number
    elif magnitude >= _MS_THRESHOLD:
        micros = number * 1000
    else:
        micros = number * 1_000_000
    try:
        return _EPOCH + timedelta(microseconds=int(micros.to_integral_value()))
    except OverflowError as exc:
        raise ValueError(f"timestamp out of range: {original!r}") from exc


def _tz_from_text(text: str | None) -> timezone:
    if text is None or text in ("Z", "z"):
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours = int(digits[:2])
    minutes = int(digits[2:4]) if len(digits) >= 4 else 0
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def parse_timestamp(value: Any, *, assume_utc: bool = True) -> datetime | None:
    """Any timestamp the APIs send → timezone-aware UTC ``datetime`` (quirk 4, §0.3).

    Handles:

    * epoch numbers as ``int``/``float`` or digit strings: CLOB book/WS ``timestamp`` (ms *string*),
      prices-history ``t`` / Data API ``timestamp`` (int seconds), v2 resolutions (seconds *string*),
      Limitless ``expirationTimestamp`` (ms). The unit is decided by magnitude: < 1e11 seconds,
      < 1e14 milliseconds, < 1e17 microseconds, else nanoseconds;
    * ISO-8601 with 0/3/6 (or any number of) fractional digits, ``Z`` or ``±HH[:MM]`` offsets (Gamma
      ``createdAt``/``startDate``…, Limitless WS ``timestamp``). Fractions beyond 6 digits are truncated;
      a missing offset is read as UTC;
    * the Postgres text form ``"2026-04-05 19:37:33+00"`` (Gamma ``closedTime``, ``gameStartTime``);
    * date only ``"2025-12-31"`` (Gamma ``endDateIso``) → midnight UTC;
    * Limitless human text ``"Jan 1, 2027"`` (``expirationDate``) → midnight UTC (use
      ``expirationTimestamp`` for the exact instant);
    * an existing ``datetime`` (naive = UTC) or ``date``.

    ``assume_utc=False`` refuses what carries no time zone (a naive ``datetime``, ISO text without an
    offset) instead of reading it as UTC; bronze's row typing uses it, where a naive value is a bug.
    ``None`` / ``""`` → ``None``. Anything else raises ``ValueError`` quoting the value.
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            if not assume_utc:
                raise ValueError(f"naive datetime (no time zone): {value!r}")
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if isinstance(value, bool):
        raise ValueError(f"not a timestamp: {value!r}")
    if isinstance(value, (int, float, Decimal)):
        try:
            number = to_decimal(value)
        except ParseError as exc:
            raise ValueError(f"not a timestamp: {value!r}") from exc
        assert number is not None
        return _from_epoch(number, value)
    if not isinstance(value, str):
        raise ValueError(f"not a timestamp ({type(value).__name__}): {value!r}")
    text = value.strip()
    if text == "":
        return None
    try:
        if _NUMERIC_RE.match(text):
            return _from_epoch(Decimal(text), value)
        match = _DATE_ONLY_RE.match(text)
        if match:
            return datetime(int(match[1]), int(match[2]), int(match[3]), tzinfo=UTC)
        match = _ISO_RE.match(text)
        if match:
            if match["tz"] is None and not assume_utc:
                raise ValueError(f"timestamp text without a time zone: {value!r}")
            frac = (match["frac"] or "")[:6].ljust(6, "0")
            local = datetime(
                int(match["y"]),
                int(match["mo"]),
                int(match["d"]),
                int(match["h"]),
                int(match["mi"]),
                int(match["s"] or 0),
                int(frac),
                tzinfo=_tz_from_text(match["tz"]),
            )
            return local.astimezone(UTC)
        match = _HUMAN_DATE_RE.match(text)
        if match and match["mon"].lower() in _MONTHS:
            return datetime(int(match["y"]), _MONTHS[match["mon"].lower()], int(match["d"]), tzinfo=UTC)
    except ValueError as exc:  # e.g. month 13, hour 25
        raise ValueError(f"invalid timestamp {value!r}: {exc}") from exc
    raise ValueError(f"unrecognised timestamp format: {value!r}")


def parse_date(value: Any) -> date | None:
    """A date-only field (Gamma ``endDateIso`` / ``startDateIso``, §0.3) → ``date``; full timestamps are
    reduced to their UTC date. ``None`` / ``""`` → ``None``."""
    moment = parse_timestamp(value)
    return moment.date() if moment is not None else None


def epoch_seconds(value: int | float | datetime | date) -> int:
    """Unix seconds for a request parameter (``startTs``, ``start``…): ints pass through, datetimes are
    converted (naive = UTC)."""
    if isinstance(value, bool):
        raise ValueError(f"not a time: {value!r}")
    if isinstance(value, (int, float)):
        return int(value)
    moment = parse_timestamp(value)
    assert moment is not None
    return int(moment.timestamp())


def ts_field(obj: Mapping[str, Any], key: str) -> datetime | None:
    """Timestamp field with the offending object attached on failure."""
    try:
        return parse_timestamp(obj.get(key))
    except ValueError as exc:
        raise ParseError(f"{key}: {exc}", obj) from exc


def date_field(obj: Mapping[str, Any], key: str) -> date | None:
    try:
        return parse_date(obj.get(key))
    except ValueError as exc:
        raise ParseError(f"{key}: {exc}", obj) from exc


def decimal_field(obj: Mapping[str, Any], key: str) -> Decimal | None:
    try:
        return to_decimal(obj.get(key), field=key)
    except ParseError as exc:
        raise ParseError(str(exc), obj) from exc


def int_field(obj: Mapping[str, Any], key: str) -> int | None:
    try:
        return to_int(obj.get(key), field=key)
    except ParseError as exc:
        raise ParseError(str(exc), obj) from exc


def bool_field(obj: Mapping[str, Any], key: str) -> bool | None:
    try:
        return to_bool(obj.get(key), field=key)
    except ParseError as exc:
        raise ParseError(str(exc), obj) from exc


def text_field(obj: Mapping[str, Any], key: str) -> str | None:
    """Free text field (``text_or_none``) with the offending object attached on failure."""
    try:
        return text_or_none(obj.get(key), field=key)
    except ParseError as exc:
        raise ParseError(str(exc), obj) from exc


def id_field(obj: Mapping[str, Any], key: str, *, text_only: bool = False) -> str | None:
    """An identifier (``to_id_str``). ``text_only``: for an endpoint that always sends its ids as strings (the
    Data API v2), a number is drift and refused (a token id ``77`` is no token id)."""
    value = obj.get(key)
    if text_only and value is not None and not isinstance(value, str):
        raise ParseError(f"{key}: expected an identifier string, got {type(value).__name__} {value!r}", obj)
    try:
        return to_id_str(value, field=key)
    except ParseError as exc:
        raise ParseError(str(exc), obj) from exc


def required_id_field(obj: Mapping[str, Any], key: str, *, text_only: bool = False) -> str:
    """An identifier the object cannot be used without (its key): missing → ``ParseError``."""
    value = id_field(obj, key, text_only=text_only)
    if value is None:
        raise ParseError(f"required identifier {key!r} is missing", obj)
    return value


def require_mapping(obj: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(obj, Mapping):
        raise ParseError(f"{what}: expected a JSON object, got {type(obj).__name__}", obj)
    return obj


def require_keys(obj: Mapping[str, Any], keys: tuple[str, ...], what: str) -> None:
    """Every one of ``keys`` is present (its value may be null). For an endpoint whose every object carries its
    full key set (the Data API v2 rows: api_reference §3.2, the real bodies), a missing key is schema drift, a
    field renamed or dropped; reading it as null would land a row that is not what the venue holds, so the
    object is refused (and quarantined with this reason) instead."""
    missing = [k for k in keys if k not in obj]
    if missing:
        unknown = sorted(set(obj) - set(keys))
        hint = f"; keys it has that this parser does not read: {', '.join(unknown[:8])}" if unknown else ""
        raise ParseError(f"{what}: field(s) {', '.join(missing)} missing (renamed or dropped by the API?){hint}", obj)


def json_or_none(value: Any) -> str | None:
    return compact_json(value) if value is not None else None
