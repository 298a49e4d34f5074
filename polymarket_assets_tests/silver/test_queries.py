"""The queries the README shows users, run against the fixture silver build (so the README cannot rot)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from polymarket_assets_tests.silver.helpers import query

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_queries() -> list[str]:
    """The statements of the README's "Queries users run next" SQL block, in order."""
    text = README.read_text()
    section = text[text.index("### Queries users run next"):]
    block = section[section.index("```sql") + len("```sql"):]
    block = block[: block.index("```")]
    lines = [line.split("--", 1)[0] for line in block.splitlines()]
    return [stmt.strip() for stmt in "\n".join(lines).split(";") if stmt.strip()]


QUERIES = readme_queries()


def test_readme_shows_the_four_queries():
    assert len(QUERIES) == 4


DAILY_VOLUME_PER_MARKET, PRICE_PATH_OF_ONE_MARKET, TOP_TRADERS_BY_VOLUME, TOP_TRADERS_LATEST_LEADERBOARD = QUERIES


def test_daily_volume_per_market(built):
    _, db = built
    rows = query(db, DAILY_VOLUME_PER_MARKET)
    assert len(rows) == 5  # day 1: 2 orphan markets + Smith + Whitmer; day 2: Whitmer
    smith = next(r for r in rows if r[2] and "Stephen A. Smith" in r[2])
    assert smith[0] == dt.date(2026, 9, 8) and smith[3] == 2
    assert smith[5] == Decimal("1.100000") + Decimal("49.944500")
    orphan = next(r for r in rows if r[2] is None and r[5] == Decimal("48.701000"))
    assert orphan[3] == 1


def test_price_path_of_one_market(built):
    _, db = built
    assert query(db, PRICE_PATH_OF_ONE_MARKET) == [
        (dt.datetime(2026, 9, 7, 17, 4, tzinfo=dt.timezone.utc), "Yes", Decimal("0.955000")),
        (dt.datetime(2026, 9, 7, 17, 5, tzinfo=dt.timezone.utc), "Yes", Decimal("0.955000")),
    ]


def test_top_traders(built):
    _, db = built
    top = query(db, TOP_TRADERS_BY_VOLUME)
    assert top[0][:3] == ("0xf0318c32136c2db7fec88b84869aee6a1106c80c", "BreakTheBank", 2)
    assert top[0][3] == Decimal("49.944500") + Decimal("0.140000")
    board = query(db, TOP_TRADERS_LATEST_LEADERBOARD)
    assert [(r[0], r[2]) for r in board] == [(1, "Noprajsk"), (2, "BreakTheBank")]
