"""Every setting the platform reads from the environment, with its default.

Resolution order for each value: explicit resource/run config > environment variable > default.
The README's settings table is generated from ``SETTINGS`` (see ``polymarket_assets_tests/test_settings.py``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse


class SettingError(ValueError):
    """A setting has a value the platform cannot use. The message names the setting and says what to do;
    a credential in the value (a URL's password, a key) is masked."""

    def __init__(self, message: str):
        from polymarket_assets.redact import redact

        super().__init__(redact(message))


@dataclass(frozen=True)
class Setting:
    env: str
    default: str
    description: str


GAMMA_URL = Setting("POLYMARKET_GAMMA_URL", "https://gamma-api.polymarket.com", "Gamma API base URL (events, markets, tags).")
CLOB_URL = Setting("POLYMARKET_CLOB_URL", "https://clob.polymarket.com", "CLOB REST base URL (books, prices history, CLOB markets).")
DATA_URL = Setting("POLYMARKET_DATA_URL", "https://data-api.polymarket.com", "Data API base URL (v2 trades, leaderboard, prices history).")
LIMITLESS_URL = Setting("LIMITLESS_API_URL", "https://api.limitless.exchange", "Limitless Exchange REST base URL.")
DATA_DIR = Setting("POLYMARKET_DATA_DIR", "./data", "Root of bronze Parquet, stream JSONL, state and the DuckDB file.")
DUCKDB_PATH = Setting("POLYMARKET_DUCKDB_PATH", "<data dir>/polymarket.duckdb", "DuckDB file holding the silver tables.")
RATELIMIT_DB = Setting(
    "POLYMARKET_RATELIMIT_DB",
    "<data dir>/_state/ratelimit.sqlite",
    "SQLite file shared by every process that calls an API (the cross-process rate limiter).",
)
USER_AGENT = Setting(
    "POLYMARKET_USER_AGENT",
    "polymarket-assets/0.1 (+https://github.com/polymarket-assets/polymarket-assets)",
    "User-Agent sent on every request (Cloudflare answers default Python agents with 403).",
)

BRONZE_START_DATE = Setting(
    "POLYMARKET_BRONZE_START_DATE", "2025-01-01", "First day (UTC, YYYY-MM-DD) of the bronze daily partitions."
)

SETTINGS: tuple[Setting, ...] = (
    GAMMA_URL,
    CLOB_URL,
    DATA_URL,
    LIMITLESS_URL,
    DATA_DIR,
    DUCKDB_PATH,
    RATELIMIT_DB,
    USER_AGENT,
    BRONZE_START_DATE,
)


def _env(setting: Setting) -> str | None:
    value = os.environ.get(setting.env)
    return value.strip() if value and value.strip() else None


def resolve_base_url(setting: Setting, override: str | None = None, *, source: str | None = None) -> str:
    """Return a validated base URL (no trailing slash) for an API family.

    ``source`` names where an ``override`` came from (e.g. "resource config polymarket_api.gamma_url").
    """
    value = (override or _env(setting) or setting.default).strip()
    if override:
        origin = source or "resource config"
    else:
        origin = f"environment variable {setting.env}" if _env(setting) else "default"
    parsed = urlparse(value)
    problem = None
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        problem = "it must be an http(s) URL with a host"
    elif any(ch.isspace() for ch in value):
        problem = "it contains white space"
    else:
        try:
            parsed.port  # noqa: B018 - raises ValueError for a port out of range or not a number
        except ValueError as exc:
            problem = f"its port is invalid ({exc})"
    if problem:
        raise SettingError(
            f"{setting.env} must be an http(s) base URL such as {setting.default!r}; got {value!r} from the {origin}: "
            f"{problem}. Fix the {origin} and retry."
        )
    return value.rstrip("/")


def data_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """The data root. Created on first use; an unusable path fails with a message naming the setting."""
    value = Path(override if override else (_env(DATA_DIR) or DATA_DIR.default)).expanduser()
    try:
        value.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SettingError(
            f"{DATA_DIR.env} points at {str(value)!r}, which cannot be created ({exc}). "
            f"Set {DATA_DIR.env} to a writable directory."
        ) from exc
    if not value.is_dir():
        raise SettingError(f"{DATA_DIR.env} points at {str(value)!r}, which is not a directory.")
    return value.resolve()


def _ensure_parent(path: Path, setting: Setting) -> Path:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SettingError(
            f"{setting.env} points at {str(path)!r}, whose directory cannot be created ({exc}). "
            f"Set {setting.env} to a file in a writable directory."
        ) from exc
    return path


def duckdb_path(override: str | os.PathLike[str] | None = None, *, create: bool = True) -> Path:
    """The silver DuckDB file. ``create=False`` only computes it (loading the code location creates nothing)."""
    raw = override or _env(DUCKDB_PATH)
    if raw:
        path = Path(raw).expanduser().resolve()
        return _ensure_parent(path, DUCKDB_PATH) if create else path
    if not create:
        return (Path(_env(DATA_DIR) or DATA_DIR.default).expanduser() / "polymarket.duckdb").resolve()
    return data_dir() / "polymarket.duckdb"


def state_dir(root: Path | None = None) -> Path:
    path = (root or data_dir()) / "_state"
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SettingError(f"The state directory {str(path)!r} cannot be created ({exc}); check {DATA_DIR.env}.") from exc
    return path


def ratelimit_db_path(override: str | os.PathLike[str] | None = None) -> Path:
    raw = override or _env(RATELIMIT_DB)
    if raw:
        return _ensure_parent(Path(raw).expanduser().resolve(), RATELIMIT_DB)
    return state_dir() / "ratelimit.sqlite"


def user_agent(override: str | None = None) -> str:
    return override or _env(USER_AGENT) or USER_AGENT.default
