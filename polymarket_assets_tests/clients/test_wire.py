"""clients/wire.py: the field helpers every family parser uses, and the strict timestamp mode bronze types with."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from polymarket_assets.clients import wire

UTC = timezone.utc


def test_field_helpers_attach_the_whole_object_to_the_error():
    obj = {"id": "12", "volume": "a lot", "closedTime": "yesterday", "active": "maybe", "n": 1.5}
    for read in (
        lambda: wire.decimal_field(obj, "volume"),
        lambda: wire.ts_field(obj, "closedTime"),
        lambda: wire.bool_field(obj, "active"),
        lambda: wire.int_field(obj, "n"),
        lambda: wire.required_id_field(obj, "missing"),
    ):
        with pytest.raises(wire.ParseError) as info:
            read()
        assert info.value.obj is obj  # the caller quarantines the object, not the value
    assert str(pytest.raises(wire.ParseError, wire.ts_field, obj, "closedTime").value).startswith("closedTime:")
    assert wire.required_id_field(obj, "id") == "12" and wire.id_field({"id": 12}, "id") == "12"
    with pytest.raises(wire.ParseError, match="identifiers"):
        wire.id_field({"id": 1e20}, "id")  # a float may already have lost digits


def test_text_json_and_epoch_helpers():
    assert wire.text_or_none("") is None and wire.text_or_none("7") == "7" and wire.text_or_none(None) is None
    assert wire.json_or_none(None) is None and wire.json_or_none({"a": [1, "é"]}) == '{"a":[1,"é"]}'
    assert wire.epoch_seconds(1788887014) == 1788887014
    assert wire.epoch_seconds(datetime(2026, 9, 8, 17, 3, 34)) == 1788887014  # naive = UTC for a request parameter
    assert wire.epoch_seconds(date(1970, 1, 2)) == 86400
    with pytest.raises(ValueError):
        wire.epoch_seconds(True)
    with pytest.raises(wire.ParseError):
        wire.require_mapping(["not", "an", "object"], "Gamma market")


def test_text_fields_refuse_a_number_instead_of_turning_it_into_text():
    """Schema drift where a text field arrives as a number (the chaos fault mix's ``retyped``): the row must be
    quarantined, not landed with ``side = "3"``."""
    obj = {"side": 3, "title": 82.5, "flag": True, "name": "Ann"}
    for key in ("side", "title", "flag"):
        with pytest.raises(wire.ParseError, match=rf"^{key}: expected text") as info:
            wire.text_field(obj, key)
        assert info.value.obj is obj
    assert wire.text_field(obj, "name") == "Ann" and wire.text_field(obj, "missing") is None
    assert wire.text_field({"slug": ""}, "slug") is None


def test_strict_timestamps_refuse_values_without_a_time_zone():
    assert wire.parse_timestamp("2026-11-03T12:00:00") == datetime(2026, 11, 3, 12, tzinfo=UTC)  # API text: UTC
    assert wire.parse_timestamp(datetime(2026, 11, 3, 12)) == datetime(2026, 11, 3, 12, tzinfo=UTC)
    with pytest.raises(ValueError, match="without a time zone"):
        wire.parse_timestamp("2026-11-03T12:00:00", assume_utc=False)
    with pytest.raises(ValueError, match="naive datetime"):
        wire.parse_timestamp(datetime(2026, 11, 3, 12), assume_utc=False)
    paris = timezone(timedelta(hours=1))
    assert wire.parse_timestamp("2026-11-03T13:00:00+01:00", assume_utc=False) == datetime(2026, 11, 3, 12, tzinfo=UTC)
    assert wire.parse_timestamp(datetime(2026, 11, 3, 13, tzinfo=paris), assume_utc=False) == datetime(2026, 11, 3, 12, tzinfo=UTC)
    # epochs, date-only text and the Postgres form carry their own zone (UTC by definition / '+00')
    assert wire.parse_timestamp("1728799418260", assume_utc=False) == datetime(2024, 10, 13, 6, 3, 38, 260000, tzinfo=UTC)
    assert wire.parse_timestamp("2025-12-31", assume_utc=False) == datetime(2025, 12, 31, tzinfo=UTC)
    assert wire.parse_timestamp("2026-04-05 19:37:33+00", assume_utc=False) == datetime(2026, 4, 5, 19, 37, 33, tzinfo=UTC)


def test_decimals_come_from_the_text():
    assert wire.to_decimal("0.430") == Decimal("0.430") and str(wire.to_decimal(0.1)) == "0.1"
    assert wire.to_decimal(" ") is None and wire.to_decimal(None) is None
    for bad in ("NaN", "inf", True, [1]):
        with pytest.raises(wire.ParseError):
            wire.to_decimal(bad)
