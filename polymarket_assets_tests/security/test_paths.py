"""Hostile names never escape the data root: ``../``, ``/``, NUL, 10,000 characters, unicode, option-like."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from polymarket_assets import paths
from polymarket_assets.bronze.engine.checkpoint import checkpoint_path
from polymarket_assets.bronze.engine.quarantine import Quarantine, quarantined_files
from polymarket_assets.bronze.parquet_io import clean_orphans, partition_dir
from polymarket_assets.gold import plots
from polymarket_assets.streaming.writer import hour_path

HOSTILE = [
    "../../etc/passwd",
    "..",
    ".",
    "/etc/passwd",
    "a/b",
    "a\\b",
    "nul\x00byte",
    "x" * 10_000,
    "ünïcødé-市場",
    "\u202egnp.exe",  # right-to-left override
    "-rf",
    ".hidden",
    "",
    "line\nbreak",
    "~root",
]


def _inside(root: Path, path: Path) -> bool:
    return os.path.commonpath([os.path.realpath(root), os.path.realpath(path)]) == os.path.realpath(root)


@pytest.mark.parametrize("name", HOSTILE, ids=range(len(HOSTILE)))
def test_component_refuses_every_hostile_name_with_a_message_naming_it(name: str) -> None:
    with pytest.raises(paths.UnsafePathError) as info:
        paths.component(name, "market slug")
    assert "market slug" in str(info.value) and "cannot be part of a file path" in str(info.value)
    assert len(str(info.value)) < 500  # a 10,000-character name is cut in the message


@pytest.mark.parametrize("name", HOSTILE, ids=range(len(HOSTILE)))
def test_encoded_names_are_one_safe_component_inside_the_root(tmp_path: Path, name: str) -> None:
    encoded = paths.encode_component(name)
    assert paths.is_safe_component(encoded) and len(encoded) <= paths.MAX_COMPONENT
    target = paths.child(tmp_path, encoded, "file.jsonl")
    assert target.parent.parent == tmp_path and _inside(tmp_path, target)
    target.parent.mkdir()
    target.write_text("{}\n")  # the file system accepts it (no NUL, no over-long name)
    assert [p.name for p in tmp_path.iterdir()] == [encoded]


def test_encoding_is_deterministic_and_one_to_one() -> None:
    values = [*HOSTILE, "a b", "a~20b", "a%20b", "_", "_.", "_~2E", "x" * 10_001, "market-slug-2026", "Market.Slug_1",
              "é", "_é", "~41", "_~41", "A", "_~", "", ".", "~"]  # pairs a prefix-less encoding would merge
    values = list(dict.fromkeys(values))
    encoded = [paths.encode_component(v) for v in values]
    assert encoded == [paths.encode_component(v) for v in values]
    assert len(set(encoded)) == len(values)
    # safe names are kept as they are (paths of existing data do not move)
    assert paths.encode_component("market-slug-2026") == "market-slug-2026"
    assert paths.encode_component("Market.Slug_1") == "Market.Slug_1"


@pytest.mark.parametrize("name", HOSTILE, ids=range(len(HOSTILE)))
def test_every_lake_path_builder_refuses_a_hostile_name(tmp_path: Path, name: str) -> None:
    day = dt.date(2026, 11, 1)
    builders = [
        lambda: partition_dir(tmp_path, name, day),
        lambda: clean_orphans(tmp_path, name),
        lambda: checkpoint_path(tmp_path, name, day, day),
        lambda: Quarantine(tmp_path, name, day),
        lambda: quarantined_files(tmp_path, name, day),
        lambda: hour_path(tmp_path, name, 490_000, "abcd1234"),
        lambda: hour_path(tmp_path, "polymarket", 490_000, name),
        lambda: plots.draw(None, name, plots.PlotOptions(market=None, top_markets=1), tmp_path),
    ]
    for build in builders:
        with pytest.raises(paths.UnsafePathError):
            build()
    assert list(tmp_path.iterdir()) == []  # nothing was created anywhere


def test_safe_names_still_build_the_documented_layout(tmp_path: Path) -> None:
    assert partition_dir(tmp_path, "trades", "2026-11-01") == tmp_path / "trades" / "dt=2026-11-01"
    assert hour_path(tmp_path, "polymarket", 0, "abcd1234") == tmp_path / "polymarket" / "orderbooks" / "date=1970-01-01" / "hour=00.abcd1234.jsonl"
    assert checkpoint_path(tmp_path, "trades", "2026-11-01", "2026-11-07").name == "2026-11-01..2026-11-07.json"


def test_a_partition_key_that_is_not_a_date_never_becomes_a_path(tmp_path: Path) -> None:
    for key in ["../../x", "2026-11-01/../../x", "2026-11-01\x00", "x" * 10_000]:
        with pytest.raises(ValueError):
            partition_dir(tmp_path, "trades", key)
