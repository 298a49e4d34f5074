"""Pure parsing of Polymarket / Limitless API objects: every wire quirk of api_reference §6 in one place.

Nothing here performs I/O or imports Dagster. Each function takes one decoded JSON value (``dict`` /
``list`` / scalar, as produced by ``json.loads``) and returns plain Python values:

* money, prices and sizes → :class:`decimal.Decimal`, built from the JSON *text* (quirk 3). JSON numbers
  arrive as ``float`` after ``json.loads``; they are converted through ``repr`` (the shortest text that
  round-trips, i.e. the number as it was written for every value with ≤ 17 significant digits), never
  through binary float arithmetic;
* identifiers (Gamma ids, condition ids, uint256 token ids) → ``str`` (quirk 5: token ids exceed 64 bits);
* every timestamp → timezone-aware UTC :class:`datetime.datetime` (quirk 4), date-only fields → ``date``;
* the flatteners (``parse_*``) also keep the original object as compact JSON text under ``raw_json`` so
  fields we do not model are never lost.

Section numbers (§) refer to ``docs/api_reference.md``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any, TypedDict

__all__ = [
    "ParseError",
    "NormalizedBook",
    "BookLevel",
    "compact_json",
    "json_list",
    "to_decimal",
    "to_int",
    "to_bool",
    "to_id_str",
    "parse_timestamp",
    "parse_date",
    "epoch_seconds",
    "normalize_book",
    "market_resolution",
    "uma_statuses",
    "parse_gamma_market",
    "gamma_market_tokens",
    "parse_gamma_event",
    "parse_gamma_tag",
    "parse_clob_market",
    "clob_market_tokens",
    "parse_trade_v2",
    "parse_leaderboard_row_v2",
    "parse_price_point_v2",
    "parse_clob_price_point",
    "parse_clob_book",
    "parse_limitless_book",
    "parse_limitless_market",
    "DATA_V2_OUTCOME_INDEX_UNKNOWN",
    "LIMITLESS_SIZE_DECIMALS",
]

UTC = timezone.utc

#: Data API v2 sentinel: ``outcome_index: 999`` = "the outcome could not be labeled" (§3.2, quirk 9).
DATA_V2_OUTCOME_INDEX_UNKNOWN = 999

#: Limitless order-book sizes (and ``minSize``, ``volume``) are raw USDC-style 6-decimal integers (§5.3).
LIMITLESS_SIZE_DECIMALS = 6


class ParseError(ValueError):
    """An API object does not have the shape its endpoint documents.

    ``obj`` is the offending object (or value) so callers can quarantine it; the message names the field.
    """

    def __init__(self, message: str, obj: Any = None):
        super().__init__(message)
        self.obj = obj


# ---------------------------------------------------------------------------------------------------
# Scalars
# ---------------------------------------------------------------------------------------------------


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


def _str_or_none(value: Any) -> str | None:
    """Free text: ``""`` → ``None`` (several APIs use the empty string for "absent")."""
    if value is None:
        return None
    text = value if isinstance(value, str) else str(value)
    return text if text != "" else None


# ---------------------------------------------------------------------------------------------------
# Timestamps (quirk 4, §0.3)
# ---------------------------------------------------------------------------------------------------

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


def parse_timestamp(value: Any) -> datetime | None:
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

    ``None`` / ``""`` → ``None``. Anything else raises ``ValueError`` quoting the value.
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
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


def _ts(obj: Mapping[str, Any], key: str) -> datetime | None:
    """Timestamp field with the offending object attached on failure."""
    try:
        return parse_timestamp(obj.get(key))
    except ValueError as exc:
        raise ParseError(f"{key}: {exc}", obj) from exc


def _date(obj: Mapping[str, Any], key: str) -> date | None:
    try:
        return parse_date(obj.get(key))
    except ValueError as exc:
        raise ParseError(f"{key}: {exc}", obj) from exc


def _dec(obj: Mapping[str, Any], key: str) -> Decimal | None:
    try:
        return to_decimal(obj.get(key), field=key)
    except ParseError as exc:
        raise ParseError(str(exc), obj) from exc


def _int(obj: Mapping[str, Any], key: str) -> int | None:
    try:
        return to_int(obj.get(key), field=key)
    except ParseError as exc:
        raise ParseError(str(exc), obj) from exc


def _bool(obj: Mapping[str, Any], key: str) -> bool | None:
    try:
        return to_bool(obj.get(key), field=key)
    except ParseError as exc:
        raise ParseError(str(exc), obj) from exc


def _id(obj: Mapping[str, Any], key: str, *, required: bool = False) -> str | None:
    try:
        value = to_id_str(obj.get(key), field=key)
    except ParseError as exc:
        raise ParseError(str(exc), obj) from exc
    if required and value is None:
        raise ParseError(f"required identifier {key!r} is missing", obj)
    return value


def _require_mapping(obj: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(obj, Mapping):
        raise ParseError(f"{what}: expected a JSON object, got {type(obj).__name__}", obj)
    return obj


def _json_or_none(value: Any) -> str | None:
    return compact_json(value) if value is not None else None


# ---------------------------------------------------------------------------------------------------
# Order books (quirk 2)
# ---------------------------------------------------------------------------------------------------

BookLevel = tuple[Decimal, Decimal]


class NormalizedBook(TypedDict):
    """Both sides best-first plus the derived top of book (``None`` where a side is empty)."""

    bids: list[BookLevel]
    asks: list[BookLevel]
    best_bid: Decimal | None
    best_ask: Decimal | None
    mid: Decimal | None
    spread: Decimal | None


def _level(raw: Any, size_divisor: Decimal | None) -> BookLevel:
    if isinstance(raw, Mapping):
        price, size = raw.get("price"), raw.get("size")
    elif isinstance(raw, (list, tuple)) and len(raw) >= 2:
        price, size = raw[0], raw[1]
    else:
        raise ParseError(f"book level must be {{price, size}} or [price, size], got {raw!r}", raw)
    price_d = to_decimal(price, field="price")
    size_d = to_decimal(size, field="size")
    if price_d is None or size_d is None:
        raise ParseError(f"book level without price or size: {raw!r}", raw)
    if size_divisor is not None:
        size_d = size_d / size_divisor
    return price_d, size_d


def normalize_book(
    bids: Iterable[Any] | None,
    asks: Iterable[Any] | None,
    *,
    size_decimals: int | None = None,
) -> NormalizedBook:
    """Sort both sides best first and derive best bid/ask, mid and spread (quirk 2, §2.1, §5.3).

    Polymarket sends ``bids`` ascending and ``asks`` descending (best price LAST); Limitless sends them the
    other way (best FIRST). Neither order is trusted: bids are sorted by price descending, asks ascending.
    Levels may be ``{"price", "size"}`` objects (string or number values) or ``[price, size]`` pairs.
    Levels with size 0 are dropped (``"0"`` means "no liquidity at this price", WS quirk 10).
    ``size_decimals`` rescales raw integer sizes (Limitless: 6) to shares exactly.

    ``mid = (best_bid + best_ask) / 2`` and ``spread = best_ask - best_bid``; both ``None`` when either
    side is empty. A crossed book yields a negative spread rather than an error (it is what the venue sent).
    """
    divisor = Decimal(10) ** size_decimals if size_decimals else None
    bid_levels = [lvl for lvl in (_level(raw, divisor) for raw in (bids or [])) if lvl[1] != 0]
    ask_levels = [lvl for lvl in (_level(raw, divisor) for raw in (asks or [])) if lvl[1] != 0]
    bid_levels.sort(key=lambda lvl: lvl[0], reverse=True)
    ask_levels.sort(key=lambda lvl: lvl[0])
    best_bid = bid_levels[0][0] if bid_levels else None
    best_ask = ask_levels[0][0] if ask_levels else None
    if best_bid is not None and best_ask is not None:
        mid: Decimal | None = (best_bid + best_ask) / 2
        spread: Decimal | None = best_ask - best_bid
    else:
        mid = spread = None
    return NormalizedBook(bids=bid_levels, asks=ask_levels, best_bid=best_bid, best_ask=best_ask, mid=mid, spread=spread)


def parse_clob_book(obj: Any) -> dict[str, Any]:
    """CLOB ``GET /book`` / ``POST /books`` element / WS ``book`` event → normalized snapshot (§2.1, §4).

    Quirks handled: prices/sizes are strings (→ Decimal), ``timestamp`` is milliseconds as a string and is
    the time of the last book change, not of the response (quirk 8), best levels are LAST (quirk 2), 2024
    bodies lack ``tick_size`` / ``min_order_size`` / ``neg_risk`` / ``last_trade_price`` (→ ``None``).
    """
    book = _require_mapping(obj, "CLOB book")
    if not isinstance(book.get("bids", []), list) or not isinstance(book.get("asks", []), list):
        raise ParseError("CLOB book: bids/asks must be arrays", obj)
    try:
        levels = normalize_book(book.get("bids"), book.get("asks"))
    except ParseError as exc:
        raise ParseError(f"CLOB book: {exc}", obj) from exc
    condition_id = _id(book, "market")
    return {
        "venue": "polymarket",
        "market_id": condition_id,
        "condition_id": condition_id,
        "asset_id": _id(book, "asset_id", required=True),
        "exchange_ts": _ts(book, "timestamp"),
        **levels,
        "tick_size": _dec(book, "tick_size"),
        "min_order_size": _dec(book, "min_order_size"),
        "last_trade_price": _dec(book, "last_trade_price"),
        "neg_risk": _bool(book, "neg_risk"),
        "hash": _str_or_none(book.get("hash")),
        "version": None,
        "raw_json": compact_json(obj),
    }


def parse_limitless_book(obj: Any, slug: str, *, size_decimals: int = LIMITLESS_SIZE_DECIMALS) -> dict[str, Any]:
    """Limitless ``GET /markets/{slug}/orderbook`` body, or a WS ``orderbookUpdate`` payload
    (``{marketSlug, orderbook, version, timestamp}``) → normalized snapshot (§5.3, §5.4).

    Quirks handled: best levels come FIRST (opposite of Polymarket; sorted anyway), prices are JSON
    numbers, **sizes are raw 6-decimal integers** and are divided by ``10**size_decimals`` so they are in
    shares like Polymarket's (the raw body stays in ``raw_json``); ``minSize`` likewise. The REST body has no
    timestamp (``exchange_ts`` is ``None``); the WS payload has an ISO ``timestamp`` and a venue-global
    ``version``. The book is for the YES token (``tokenId``). There is no tick size in the body.
    """
    outer = _require_mapping(obj, "Limitless order book")
    book = outer.get("orderbook", outer)
    book = _require_mapping(book, "Limitless order book")
    if not isinstance(book.get("bids", []), list) or not isinstance(book.get("asks", []), list):
        raise ParseError("Limitless order book: bids/asks must be arrays", obj)
    try:
        levels = normalize_book(book.get("bids"), book.get("asks"), size_decimals=size_decimals)
    except ParseError as exc:
        raise ParseError(f"Limitless order book: {exc}", obj) from exc
    min_size = _dec(book, "minSize")
    return {
        "venue": "limitless",
        "market_id": outer.get("marketSlug") or slug,
        "condition_id": _id(book, "conditionId"),
        "asset_id": _id(book, "tokenId"),
        "exchange_ts": _ts(outer, "timestamp"),
        **levels,
        "tick_size": None,
        "min_order_size": min_size / (Decimal(10) ** size_decimals) if min_size is not None else None,
        "last_trade_price": _dec(book, "lastTradePrice"),
        "neg_risk": None,
        "hash": None,
        "version": _int(outer, "version"),
        "venue_mid": _dec(book, "midpoint"),
        "adjusted_mid": _dec(book, "adjustedMidpoint"),
        "max_spread": _dec(book, "maxSpread"),
        "raw_json": compact_json(obj),
    }


# ---------------------------------------------------------------------------------------------------
# Resolution (quirk 9)
# ---------------------------------------------------------------------------------------------------


def uma_statuses(market: Mapping[str, Any]) -> list[str]:
    """All UMA statuses a Gamma market reports: the JSON-in-string history ``umaResolutionStatuses``
    (e.g. ``["proposed"]``) followed by the plain current ``umaResolutionStatus`` (``"resolved"``) that
    newer markets add (§1.3). Lower-cased; empty when neither is present."""
    history = json_list(market.get("umaResolutionStatuses"), field="umaResolutionStatuses") or []
    statuses = [str(s).lower() for s in history if s]
    current = market.get("umaResolutionStatus")
    if isinstance(current, str) and current:
        statuses.append(current.lower())
    return statuses


def market_resolution(gamma_market: Any) -> int | None:
    """Index of the winning outcome of a Gamma market, or ``None`` when it is not (verifiably) resolved.

    Never trusts one flag alone (quirk 9, §1.3): all three must hold

    1. ``closed`` is true;
    2. a UMA status says ``"resolved"`` (``umaResolutionStatus`` or the ``umaResolutionStatuses`` list);
    3. ``outcomePrices`` are all exactly 0 or 1 with exactly one 1.

    So the legacy void ``["0", "0"]`` (id 12) → ``None``; legacy 34-digit scalar prices (id 43) → ``None``;
    ``closed:true`` with prices ``["1","0"]`` but no UMA "resolved" status (``market_closed_binary_
    accepting_true.json``) → ``None`` (not confirmed). Pre-UMA legacy markets therefore never resolve here;
    use CLOB ``tokens[].winner`` for those.
    """
    market = _require_mapping(gamma_market, "Gamma market")
    if market.get("closed") is not True:
        return None
    if "resolved" not in uma_statuses(market):
        return None
    raw_prices = json_list(market.get("outcomePrices"), field="outcomePrices")
    if not raw_prices:
        return None
    try:
        prices = [to_decimal(p, field="outcomePrices") for p in raw_prices]
    except ParseError as exc:
        raise ParseError(str(exc), gamma_market) from exc
    if any(p is None or p not in (Decimal(0), Decimal(1)) for p in prices):
        return None
    winners = [i for i, p in enumerate(prices) if p == 1]
    return winners[0] if len(winners) == 1 else None


# ---------------------------------------------------------------------------------------------------
# Gamma (§1)
# ---------------------------------------------------------------------------------------------------


def _gamma_lists(market: Mapping[str, Any]) -> tuple[list[str], list[Decimal | None] | None, list[str]]:
    try:
        outcomes = [str(o) for o in (json_list(market.get("outcomes"), field="outcomes") or [])]
        raw_prices = json_list(market.get("outcomePrices"), field="outcomePrices")
        prices = [to_decimal(p, field="outcomePrices") for p in raw_prices] if raw_prices is not None else None
        token_ids = [
            t for t in (to_id_str(t, field="clobTokenIds") for t in (json_list(market.get("clobTokenIds"), field="clobTokenIds") or []))
            if t is not None
        ]
    except ParseError as exc:
        raise ParseError(f"Gamma market {market.get('id')!r}: {exc}", market) from exc
    return outcomes, prices, token_ids


def parse_gamma_market(obj: Any) -> dict[str, Any]:
    """Flatten a Gamma market object (``/markets…``, or an element of an event's ``markets[]``; §1.3).

    Quirks handled: JSON-in-string arrays (quirk 1) → real lists; ``volume``/``liquidity`` numeric strings and
    ``volumeNum``/``bestBid``… numbers → Decimal (quirk 3); ISO timestamps with variable fractions, Postgres
    text ``closedTime``/``gameStartTime`` and date-only ``*Iso`` fields (quirk 4); resolution from several
    flags (quirk 9). Absent fields → ``None``. ``raw_json`` keeps everything else.
    """
    market = _require_mapping(obj, "Gamma market")
    outcomes, prices, token_ids = _gamma_lists(market)
    events = market.get("events") if isinstance(market.get("events"), list) else []
    fee_schedule = market.get("feeSchedule")
    return {
        "market_id": _id(market, "id", required=True),
        "condition_id": _id(market, "conditionId"),
        "question_id": _id(market, "questionID"),
        "slug": _str_or_none(market.get("slug")),
        "question": _str_or_none(market.get("question")),
        "description": _str_or_none(market.get("description")),
        "resolution_source": _str_or_none(market.get("resolutionSource")),
        "outcomes": outcomes,
        "outcome_prices": prices,
        "clob_token_ids": token_ids,
        "active": _bool(market, "active"),
        "closed": _bool(market, "closed"),
        "archived": _bool(market, "archived"),
        "accepting_orders": _bool(market, "acceptingOrders"),
        "enable_order_book": _bool(market, "enableOrderBook"),
        "restricted": _bool(market, "restricted"),
        "neg_risk": _bool(market, "negRisk"),
        "neg_risk_market_id": _id(market, "negRiskMarketID"),
        "volume": _dec(market, "volume"),
        "volume_num": _dec(market, "volumeNum"),
        "volume_24hr": _dec(market, "volume24hr"),
        "volume_clob": _dec(market, "volumeClob"),
        "liquidity": _dec(market, "liquidity"),
        "liquidity_num": _dec(market, "liquidityNum"),
        "best_bid": _dec(market, "bestBid"),
        "best_ask": _dec(market, "bestAsk"),
        "last_trade_price": _dec(market, "lastTradePrice"),
        "spread": _dec(market, "spread"),
        "order_price_min_tick_size": _dec(market, "orderPriceMinTickSize"),
        "order_min_size": _dec(market, "orderMinSize"),
        "fee_type": _str_or_none(market.get("feeType")),
        "fees_enabled": _bool(market, "feesEnabled"),
        "fee_schedule_json": _json_or_none(fee_schedule),
        "start_date": _ts(market, "startDate"),
        "end_date": _ts(market, "endDate"),
        "event_start_time": _ts(market, "eventStartTime"),
        "game_start_time": _ts(market, "gameStartTime"),
        "closed_time": _ts(market, "closedTime"),
        "uma_end_date": _ts(market, "umaEndDate"),
        "accepting_orders_timestamp": _ts(market, "acceptingOrdersTimestamp"),
        "created_at": _ts(market, "createdAt"),
        "updated_at": _ts(market, "updatedAt"),
        "start_date_iso": _date(market, "startDateIso"),
        "end_date_iso": _date(market, "endDateIso"),
        "uma_resolution_status": _str_or_none(market.get("umaResolutionStatus")),
        "uma_resolution_statuses": [str(s) for s in (json_list(market.get("umaResolutionStatuses"), field="umaResolutionStatuses") or [])],
        "resolved_outcome_index": market_resolution(market),
        "event_ids": [eid for eid in (to_id_str(e.get("id"), field="events[].id") for e in events if isinstance(e, Mapping)) if eid],
        "raw_json": compact_json(obj),
    }


def gamma_market_tokens(obj: Any) -> list[dict[str, Any]]:
    """One row per outcome token of a Gamma market (quirks 1, 5, 9; §1.3).

    ``outcomes[i]`` ↔ ``clobTokenIds[i]`` ↔ ``outcomePrices[i]``. ``winner`` is ``True``/``False`` only when
    :func:`market_resolution` can decide, else ``None``. Markets without CLOB token ids (very old AMM markets)
    yield ``[]``. Mismatched array lengths are a ``ParseError``.
    """
    market = _require_mapping(obj, "Gamma market")
    outcomes, prices, token_ids = _gamma_lists(market)
    if not token_ids:
        return []
    if outcomes and len(outcomes) != len(token_ids):
        raise ParseError(
            f"Gamma market {market.get('id')!r}: {len(outcomes)} outcomes but {len(token_ids)} clobTokenIds", obj
        )
    winner_index = market_resolution(market)
    rows = []
    for index, token_id in enumerate(token_ids):
        rows.append(
            {
                "token_id": token_id,
                "condition_id": _id(market, "conditionId"),
                "market_id": _id(market, "id"),
                "outcome": outcomes[index] if index < len(outcomes) else None,
                "outcome_index": index,
                "price": prices[index] if prices is not None and index < len(prices) else None,
                "winner": (index == winner_index) if winner_index is not None else None,
            }
        )
    return rows


def parse_gamma_event(obj: Any) -> dict[str, Any]:
    """Flatten a Gamma event (``/events``, ``/events/keyset``, ``/events/slug/{slug}``; §1.1, §1.2).

    Embedded ``markets[]``, ``tags[]`` and ``series[]`` are reduced to id/slug lists (parse the markets with
    :func:`parse_gamma_market`); the whole event, markets included, stays in ``raw_json``. Event
    ``volume``/``liquidity`` are JSON numbers here (strings on markets) — both go through Decimal.
    """
    event = _require_mapping(obj, "Gamma event")

    def _objects(key: str) -> list[Mapping[str, Any]]:
        value = event.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise ParseError(f"Gamma event {event.get('id')!r}: {key} must be an array", obj)
        return [item for item in value if isinstance(item, Mapping)]

    tags, markets, series = _objects("tags"), _objects("markets"), _objects("series")
    return {
        "event_id": _id(event, "id", required=True),
        "slug": _str_or_none(event.get("slug")),
        "ticker": _str_or_none(event.get("ticker")),
        "title": _str_or_none(event.get("title")),
        "description": _str_or_none(event.get("description")),
        "resolution_source": _str_or_none(event.get("resolutionSource")),
        "active": _bool(event, "active"),
        "closed": _bool(event, "closed"),
        "archived": _bool(event, "archived"),
        "restricted": _bool(event, "restricted"),
        "featured": _bool(event, "featured"),
        "neg_risk": _bool(event, "negRisk"),
        "neg_risk_market_id": _id(event, "negRiskMarketID"),
        "enable_order_book": _bool(event, "enableOrderBook"),
        "volume": _dec(event, "volume"),
        "volume_24hr": _dec(event, "volume24hr"),
        "liquidity": _dec(event, "liquidity"),
        "open_interest": _dec(event, "openInterest"),
        "comment_count": _int(event, "commentCount"),
        "start_date": _ts(event, "startDate"),
        "end_date": _ts(event, "endDate"),
        "start_time": _ts(event, "startTime"),
        "creation_date": _ts(event, "creationDate"),
        "closed_time": _ts(event, "closedTime"),
        "created_at": _ts(event, "createdAt"),
        "updated_at": _ts(event, "updatedAt"),
        "tag_ids": [t for t in (to_id_str(tag.get("id"), field="tags[].id") for tag in tags) if t],
        "tag_slugs": [str(tag["slug"]) for tag in tags if tag.get("slug")],
        "market_ids": [m for m in (to_id_str(mk.get("id"), field="markets[].id") for mk in markets) if m],
        "series_ids": [s for s in (to_id_str(se.get("id"), field="series[].id") for se in series) if s],
        "series_slugs": [str(se["slug"]) for se in series if se.get("slug")],
        "raw_json": compact_json(obj),
    }


def parse_gamma_tag(obj: Any) -> dict[str, Any]:
    """Flatten a Gamma tag (``/tags``, or an element of an event's ``tags[]``; §1.4). ``publishedAt`` uses
    the Postgres text form (``"2024-03-07 20:44:01.258+00"``)."""
    tag = _require_mapping(obj, "Gamma tag")
    return {
        "tag_id": _id(tag, "id", required=True),
        "label": _str_or_none(tag.get("label")),
        "slug": _str_or_none(tag.get("slug")),
        "force_show": _bool(tag, "forceShow"),
        "force_hide": _bool(tag, "forceHide"),
        "is_carousel": _bool(tag, "isCarousel"),
        "requires_translation": _bool(tag, "requiresTranslation"),
        "published_at": _ts(tag, "publishedAt"),
        "created_at": _ts(tag, "createdAt"),
        "updated_at": _ts(tag, "updatedAt"),
        "raw_json": compact_json(obj),
    }


# ---------------------------------------------------------------------------------------------------
# CLOB markets (§2.5)
# ---------------------------------------------------------------------------------------------------


def parse_clob_market(obj: Any) -> dict[str, Any]:
    """Flatten a CLOB market (``GET /markets`` page element or ``/markets/{condition_id}``; §2.5).

    snake_case fields; tick/min size are JSON numbers (→ Decimal); ``neg_risk_market_id`` /
    ``neg_risk_request_id`` / ``fpmm`` use ``""`` for "none" (→ ``None``); ``accepting_order_timestamp`` is
    often ``null``; ``tags`` is an array of strings. Tokens: :func:`clob_market_tokens`.
    """
    market = _require_mapping(obj, "CLOB market")
    tokens = market.get("tokens") or []
    if not isinstance(tokens, list):
        raise ParseError("CLOB market: tokens must be an array", obj)
    tags = market.get("tags") or []
    return {
        "condition_id": _id(market, "condition_id", required=True),
        "question_id": _id(market, "question_id"),
        "question": _str_or_none(market.get("question")),
        "description": _str_or_none(market.get("description")),
        "market_slug": _str_or_none(market.get("market_slug")),
        "active": _bool(market, "active"),
        "closed": _bool(market, "closed"),
        "archived": _bool(market, "archived"),
        "accepting_orders": _bool(market, "accepting_orders"),
        "enable_order_book": _bool(market, "enable_order_book"),
        "neg_risk": _bool(market, "neg_risk"),
        "neg_risk_market_id": _id(market, "neg_risk_market_id"),
        "neg_risk_request_id": _id(market, "neg_risk_request_id"),
        "fpmm": _id(market, "fpmm"),
        "minimum_order_size": _dec(market, "minimum_order_size"),
        "minimum_tick_size": _dec(market, "minimum_tick_size"),
        "maker_base_fee": _dec(market, "maker_base_fee"),
        "taker_base_fee": _dec(market, "taker_base_fee"),
        "seconds_delay": _int(market, "seconds_delay"),
        "is_50_50_outcome": _bool(market, "is_50_50_outcome"),
        "end_date_iso": _ts(market, "end_date_iso"),
        "game_start_time": _ts(market, "game_start_time"),
        "accepting_order_timestamp": _ts(market, "accepting_order_timestamp"),
        "tags": [str(t) for t in tags] if isinstance(tags, list) else [],
        "token_ids": [t for t in (to_id_str(tok.get("token_id"), field="tokens[].token_id") for tok in tokens if isinstance(tok, Mapping)) if t],
        "raw_json": compact_json(obj),
    }


def clob_market_tokens(obj: Any) -> list[dict[str, Any]]:
    """One row per ``tokens[]`` element of a CLOB market: token_id (str), outcome, index, price (number
    0/1 or float → Decimal), winner (bool as sent; the CLOB's own resolution flag, §2.5)."""
    market = _require_mapping(obj, "CLOB market")
    condition_id = _id(market, "condition_id")
    rows = []
    for index, token in enumerate(market.get("tokens") or []):
        token = _require_mapping(token, "CLOB market token")
        rows.append(
            {
                "token_id": _id(token, "token_id", required=True),
                "condition_id": condition_id,
                "outcome": _str_or_none(token.get("outcome")),
                "outcome_index": index,
                "price": _dec(token, "price"),
                "winner": _bool(token, "winner"),
            }
        )
    return rows


# ---------------------------------------------------------------------------------------------------
# Data API v2 (§3.2)
# ---------------------------------------------------------------------------------------------------


def parse_trade_v2(obj: Any) -> dict[str, Any]:
    """Flatten a Data API **v2** ``/v2/trades`` row (snake_case; §3.2).

    Sentinels (quirk 9): ``outcome_index: 999`` ("outcome could not be labeled") → ``None`` and
    ``event_slug: ""`` → ``None``; the raw values stay in ``raw_json``. ``size`` is in shares, ``price`` in
    USDC per share; ``timestamp`` is int seconds. ``token_id`` stays a string.
    """
    trade = _require_mapping(obj, "v2 trade")
    outcome_index = _int(trade, "outcome_index")
    if outcome_index == DATA_V2_OUTCOME_INDEX_UNKNOWN:
        outcome_index = None
    return {
        "transaction_hash": _str_or_none(trade.get("transaction_hash")),
        "proxy_wallet": _str_or_none(trade.get("proxy_wallet")),
        "side": _str_or_none(trade.get("side")),
        "token_id": _id(trade, "token_id", required=True),
        "condition_id": _id(trade, "condition_id"),
        "size": _dec(trade, "size"),
        "price": _dec(trade, "price"),
        "timestamp": _ts(trade, "timestamp"),
        "title": _str_or_none(trade.get("title")),
        "slug": _str_or_none(trade.get("slug")),
        "event_slug": _str_or_none(trade.get("event_slug")),
        "outcome": _str_or_none(trade.get("outcome")),
        "outcome_index": outcome_index,
        "name": _str_or_none(trade.get("name")),
        "pseudonym": _str_or_none(trade.get("pseudonym")),
        "raw_json": compact_json(obj),
    }


def parse_leaderboard_row_v2(obj: Any) -> dict[str, Any]:
    """Flatten a ``/v2/leaderboard`` row (§3.2). ``volume`` is in **shares**, not USDC; ``rank`` 0 means
    unranked; ties share a rank."""
    row = _require_mapping(obj, "v2 leaderboard row")
    return {
        "rank": _int(row, "rank"),
        "user_id": _id(row, "user_id", required=True),
        "user_name": _str_or_none(row.get("user_name")),
        "pnl": _dec(row, "pnl"),
        "volume": _dec(row, "volume"),
        "profile_image": _str_or_none(row.get("profile_image")),
        "x_username": _str_or_none(row.get("x_username")),
        "verified": _bool(row, "verified"),
        "raw_json": compact_json(obj),
    }


def parse_price_point_v2(obj: Any, token_id: str | None = None) -> dict[str, Any]:
    """A ``/v2/prices-history`` point ``{timestamp (s), price, resolution_seconds}`` (§3.2)."""
    point = _require_mapping(obj, "v2 price point")
    if point.get("timestamp") is None or point.get("price") is None:
        raise ParseError("v2 price point needs timestamp and price", obj)
    return {
        "token_id": token_id,
        "ts": _ts(point, "timestamp"),
        "price": _dec(point, "price"),
        "resolution_seconds": _int(point, "resolution_seconds"),
        "source": "data_v2",
    }


def parse_clob_price_point(obj: Any, token_id: str | None = None) -> dict[str, Any]:
    """A CLOB ``/prices-history`` point ``{"t": <int seconds>, "p": <float>}`` (§2.4), same keys as
    :func:`parse_price_point_v2` (``resolution_seconds`` is unknown → ``None``)."""
    point = _require_mapping(obj, "CLOB price point")
    if point.get("t") is None or point.get("p") is None:
        raise ParseError("CLOB price point needs t and p", obj)
    return {
        "token_id": token_id,
        "ts": _ts(point, "t"),
        "price": _dec(point, "p"),
        "resolution_seconds": None,
        "source": "clob",
    }


# ---------------------------------------------------------------------------------------------------
# Limitless markets (§5.1)
# ---------------------------------------------------------------------------------------------------


def parse_limitless_market(obj: Any) -> dict[str, Any]:
    """Flatten a Limitless market (``/markets/active`` element or ``/markets/{slug}``; §5.1).

    Quirks: ``expirationDate`` is human text (``"Jan 1, 2027"``) while ``expirationTimestamp`` is ms — the
    latter wins for ``expiration``; ``volume`` is raw 6-decimal units (→ divided to USDC), numeric fields may
    be strings or numbers; ``tokens`` is ``{"yes": id, "no": id}``. No real REST body was available when this
    was written (§5.1 field list comes from a quoted capture), so every field is optional except ``slug``.
    """
    market = _require_mapping(obj, "Limitless market")
    tokens = market.get("tokens") if isinstance(market.get("tokens"), Mapping) else {}
    volume_raw = _dec(market, "volume")
    expiration = _ts(market, "expirationTimestamp") or _ts(market, "expirationDate")
    slug = _str_or_none(market.get("slug"))
    if slug is None:
        raise ParseError("Limitless market without slug", obj)
    return {
        "market_id": _id(market, "id"),
        "slug": slug,
        "title": _str_or_none(market.get("title")),
        "condition_id": _id(market, "conditionId"),
        "trade_type": _str_or_none(market.get("tradeType")),
        "market_type": _str_or_none(market.get("marketType")),
        "status": _str_or_none(market.get("status")),
        "expired": _bool(market, "expired"),
        "expiration": expiration,
        "yes_token_id": to_id_str(tokens.get("yes"), field="tokens.yes"),
        "no_token_id": to_id_str(tokens.get("no"), field="tokens.no"),
        "volume": volume_raw / (Decimal(10) ** LIMITLESS_SIZE_DECIMALS) if volume_raw is not None else None,
        "winning_outcome_index": _int(market, "winningOutcomeIndex"),
        "created_at": _ts(market, "createdAt"),
        "updated_at": _ts(market, "updatedAt"),
        "raw_json": compact_json(obj),
    }

