"""Every setting the platform reads from the environment, with its default.

Resolution order for each value: explicit resource/run config > environment variable > default.
The README's settings table is generated from ``SETTINGS`` (see ``polymarket_assets_tests/foundation/test_settings.py``).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse, urlsplit


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
POLYMARKET_WS_URL = Setting(
    "POLYMARKET_WS_URL", "wss://ws-subscriptions-clob.polymarket.com/ws/market", "CLOB market-channel WebSocket URL (order-book deltas)."
)
LIMITLESS_WS_URL = Setting(
    "LIMITLESS_WS_URL", "wss://ws.limitless.exchange", "Limitless Socket.IO URL (namespace /markets: full order books)."
)
DATA_DIR = Setting(
    "POLYMARKET_DATA_DIR",
    "./data",
    "Root of the lake (bronze Parquet, shipped stream files, range checkpoints, quarantine, the logger's heartbeat): "
    "a local directory or s3://bucket/prefix (README \"Beyond one machine\").",
)
LOCAL_DIR = Setting(
    "POLYMARKET_LOCAL_DIR",
    "<data dir> if local, else ./data",
    "This machine's own files: the order-book logger's live stream files, upload staging, the active-instruments "
    "snapshot, and the default places of the DuckDB file and the SQLite limiter.",
)
DUCKDB_PATH = Setting(
    "POLYMARKET_DUCKDB_PATH", "<local dir>/polymarket.duckdb", "DuckDB file holding the silver tables (a file on a local disk)."
)
RATELIMIT_URL = Setting(
    "POLYMARKET_RATELIMIT_URL",
    "sqlite:///<local dir>/_state/ratelimit.sqlite",
    "State of the shared rate limiter: sqlite:///<file> (every process on one machine), postgresql://… or redis://… "
    "(every process on every machine).",
)
RATELIMIT_DB = Setting(
    "POLYMARKET_RATELIMIT_DB",
    "unset",
    "Deprecated: a SQLite file for the limiter, the same as POLYMARKET_RATELIMIT_URL=sqlite:///<file>.",
)
RATELIMIT_BUDGETS = Setting(
    "POLYMARKET_RATELIMIT_BUDGETS",
    "the published budgets",
    'Budget overrides for every process, as JSON: {"data:/trades": 100} or {"limitless": {"limit": 50, '
    '"window_seconds": 10}}; the rate_limiter resource config wins over it.',
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
    POLYMARKET_WS_URL,
    LIMITLESS_WS_URL,
    DATA_DIR,
    LOCAL_DIR,
    DUCKDB_PATH,
    RATELIMIT_URL,
    RATELIMIT_DB,
    RATELIMIT_BUDGETS,
    USER_AGENT,
    BRONZE_START_DATE,
)


def _env(setting: Setting) -> str | None:
    value = os.environ.get(setting.env)
    return value.strip() if value and value.strip() else None


def resolve_base_url(
    setting: Setting, override: str | None = None, *, source: str | None = None, schemes: tuple[str, ...] = ("http", "https")
) -> str:
    """Return a validated base URL (no trailing slash) for an API family.

    ``source`` names where an ``override`` came from (e.g. "resource config polymarket_api.gamma_url");
    ``schemes`` are the accepted URL schemes (``("ws", "wss")`` for the WebSocket URLs).
    """
    value = (override or _env(setting) or setting.default).strip()
    if override:
        origin = source or "resource config"
    else:
        origin = f"environment variable {setting.env}" if _env(setting) else "default"
    parsed = urlparse(value)
    problem = None
    kind = "http(s)" if schemes == ("http", "https") else "/".join(schemes)
    if parsed.scheme not in schemes or not parsed.hostname:
        problem = f"it must be an {kind} URL with a host"
    elif any(ch.isspace() for ch in value):
        problem = "it contains white space"
    else:
        try:
            parsed.port  # noqa: B018 - raises ValueError for a port out of range or not a number
        except ValueError as exc:
            problem = f"its port is invalid ({exc})"
    if problem:
        raise SettingError(
            f"{setting.env} must be an {kind} base URL such as {setting.default!r}; got {value!r} from the {origin}: "
            f"{problem}. Fix the {origin} and retry."
        )
    return value.rstrip("/")


REMOTE_SCHEMES = ("s3",)
RATELIMIT_SCHEMES = ("sqlite", "postgresql", "postgres", "redis", "rediss")
_warned: set[str] = set()
log = logging.getLogger(__name__)


def _origin(setting: Setting, override: object, source: str | None) -> str:
    if override:
        return source or "resource config"
    return f"environment variable {setting.env}" if _env(setting) else "default"


def _scheme(value: str) -> str:
    return urlsplit(value).scheme.lower() if "://" in value else ""


def is_remote(location: str) -> bool:
    """True for a lake on object storage (``s3://…``)."""
    return _scheme(location) in REMOTE_SCHEMES


def lake_location(override: str | os.PathLike[str] | None = None, *, source: str | None = None) -> str:
    """The lake root: ``s3://bucket[/prefix]`` as given (validated), or an absolute local path. Creates nothing.

    ``source`` names where an ``override`` came from (e.g. "resource config lake.data_dir")."""
    raw = str(override if override else (_env(DATA_DIR) or DATA_DIR.default)).strip()
    origin = _origin(DATA_DIR, override, source)
    scheme = _scheme(raw)
    if scheme in REMOTE_SCHEMES:
        parts = urlsplit(raw)
        bucket, prefix = parts.netloc, parts.path.strip("/")
        problem = None
        if not re.fullmatch(r"[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]", bucket or ""):
            problem = f"{bucket!r} is not a valid bucket name (3-63 characters: lower-case letters, digits, '.', '-')"
        elif parts.query or parts.fragment or "//" in parts.path:
            problem = "it may hold only a bucket and a key prefix (no '?', '#' or empty path segments)"
        if problem:
            raise SettingError(
                f"{DATA_DIR.env} is {raw!r} from the {origin}: {problem}. Use s3://<bucket>/<prefix>, e.g. s3://my-lake/polymarket."
            )
        return f"{scheme}://{bucket}/{prefix}".rstrip("/")
    if scheme == "file":
        raw = urlsplit(raw).path
    elif scheme:
        raise SettingError(
            f"{DATA_DIR.env} is {raw!r} from the {origin}: the lake is a local directory or s3://<bucket>/<prefix> "
            f"(any S3-compatible store, through AWS_ENDPOINT_URL); {scheme}:// is not supported."
        )
    return str(Path(raw).expanduser().resolve())


def value_origin(setting: Setting, override: str | None = None, *, source: str | None = None) -> str:
    """Where a setting's value comes from, as error messages name it."""
    if override:
        return source or "resource config"
    if _env(setting):
        return f"environment variable {setting.env}"
    return f"the default (set {setting.env} to change it)"


def resolve_ws_url(setting: Setting, override: str | None = None, *, source: str | None = None) -> tuple[str, str]:
    """A validated ``ws``/``wss`` URL for a WebSocket setting and where it came from (see :func:`value_origin`)."""
    return resolve_base_url(setting, override, source=source, schemes=("ws", "wss")), value_origin(setting, override, source=source)


def bronze_start_date() -> str:
    """The configured first bronze partition (``POLYMARKET_BRONZE_START_DATE``), validated (a bad value fails with
    the setting's name)."""
    raw = (os.environ.get(BRONZE_START_DATE.env) or "").strip() or BRONZE_START_DATE.default
    try:
        dt.date.fromisoformat(raw)
    except ValueError as exc:
        raise SettingError(
            f"{BRONZE_START_DATE.env} must be a date like 2025-01-01; got {raw!r}. Fix the environment variable."
        ) from exc
    if len(raw) != 10:
        raise SettingError(f"{BRONZE_START_DATE.env} must be written YYYY-MM-DD; got {raw!r}.")
    today = dt.datetime.now(dt.timezone.utc).date()
    if dt.date.fromisoformat(raw) > today:
        raise SettingError(
            f"{BRONZE_START_DATE.env} is {raw}, after today ({today.isoformat()}, UTC): no day would be a bronze partition, "
            "and every materialization would be refused. Set it to the first day you want, in the past."
        )
    return raw


def data_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """The local lake root, created on first use; an unusable path fails with a message naming the setting.

    A lake on object storage has no local root: use :mod:`polymarket_assets.lake` (``LakeResource.root``)."""
    location = lake_location(override)
    if is_remote(location):
        raise SettingError(
            f"{DATA_DIR.env} points at {location}, which is object storage, not a local directory: open it with "
            f"polymarket_assets.lake.open_lake() (LakeResource.root) instead."
        )
    value = Path(location)
    if value.exists() and not value.is_dir():
        raise SettingError(f"{DATA_DIR.env} points at {str(value)!r}, which is a file, not a directory. "
                           f"Set {DATA_DIR.env} to a directory (it is created if missing).")
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


def _ensure_dir(path: Path, what: str) -> Path:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SettingError(f"{what} {str(path)!r} cannot be created ({exc}). Point it at a writable directory.") from exc
    if not path.is_dir():
        raise SettingError(f"{what} {str(path)!r} is not a directory.")
    return path


def local_dir(
    override: str | os.PathLike[str] | None = None, *, lake_override: str | os.PathLike[str] | None = None, create: bool = True
) -> Path:
    """This machine's own directory (``POLYMARKET_LOCAL_DIR``): the lake root itself when the lake is local,
    else ``./data``. ``create=False`` only computes it."""
    raw = str(override or _env(LOCAL_DIR) or "").strip()
    if raw:
        if _scheme(raw):
            raise SettingError(
                f"{LOCAL_DIR.env} is {raw!r}: it must be a directory on this machine's disk (it holds the live stream "
                f"files, upload staging and local state), not a URL."
            )
        path = Path(raw).expanduser().resolve()
        what = f"{LOCAL_DIR.env} points at"
    else:
        location = lake_location(lake_override)
        if is_remote(location):
            path, what = Path("./data").resolve(), f"The local directory (default of {LOCAL_DIR.env} for a lake on {location})"
        else:
            path, what = Path(location), f"{DATA_DIR.env} points at"
    return _ensure_dir(path, what) if create else path


def local_state_dir(local: Path | None = None) -> Path:
    """``<local dir>/_state``: the SQLite limiter (default) and the logger's active-instruments snapshot."""
    return _ensure_dir((local or local_dir()) / "_state", "The local state directory")


def duckdb_path(override: str | os.PathLike[str] | None = None, *, create: bool = True, local_override: str | None = None) -> Path:
    """The silver DuckDB file. ``create=False`` only computes it (loading the code location creates nothing)."""
    raw = override or _env(DUCKDB_PATH)
    if raw:
        if _scheme(str(raw)):
            raise SettingError(
                f"{DUCKDB_PATH.env} is {str(raw)!r}: the DuckDB file must be on a local disk (DuckDB writes it in "
                f"place and locks it); keep it on the machine that runs silver, e.g. {DUCKDB_PATH.default}."
            )
        path = Path(raw).expanduser().resolve()
        return _ensure_parent(path, DUCKDB_PATH) if create else path
    return local_dir(local_override, create=create) / "polymarket.duckdb"


def sqlite_url(path: str | os.PathLike[str]) -> str:
    return "sqlite:///" + str(Path(path).expanduser().resolve()).lstrip("/")


def sqlite_path_of(url: str) -> Path:
    """The file of a ``sqlite:`` URL: ``sqlite:///abs/path`` (or ``sqlite:////abs/path``); ``sqlite:rel/path``
    is relative to the working directory."""
    rest = url.split(":", 1)[1]
    if rest.startswith("//"):
        rest = rest[2:]
        if not rest.startswith("/"):
            raise SettingError(f"{RATELIMIT_URL.env}: {url!r} names a host; a SQLite URL is sqlite:///<absolute path>.")
        rest = "/" + rest.lstrip("/")
    if not rest:
        raise SettingError(f"{RATELIMIT_URL.env}: {url!r} names no file; use sqlite:///<absolute path>.")
    return Path(rest).expanduser().resolve()


def _check_ratelimit_url(url: str, origin: str) -> str:
    from polymarket_assets.redact import mask_url

    scheme = _scheme(url).split("+", 1)[0] if "://" in url else url.split(":", 1)[0].lower()
    if scheme not in RATELIMIT_SCHEMES:
        raise SettingError(
            f"{RATELIMIT_URL.env} is {mask_url(url)!r} from the {origin}: use sqlite:///<file>, "
            f"postgresql://<user>:<password>@<host>:<port>/<database> or redis://[:<password>@]<host>:<port>/<db>."
        )
    if scheme == "sqlite":
        path = sqlite_path_of(url)
        _ensure_parent(path, RATELIMIT_URL)
        return sqlite_url(path)
    if not urlsplit(url).hostname and "host=" not in url:
        raise SettingError(f"{RATELIMIT_URL.env} is {mask_url(url)!r} from the {origin}: it names no host.")
    return url


def ratelimit_url(override: str | None = None, *, db_override: str | os.PathLike[str] | None = None) -> tuple[str, str]:
    """``(URL, where it came from)`` of the limiter's state. Order: resource ``url``, resource ``db_path``,
    ``POLYMARKET_RATELIMIT_URL``, the deprecated ``POLYMARKET_RATELIMIT_DB``, the default SQLite file."""
    if override:
        origin = "resource config rate_limiter.url"
        return _check_ratelimit_url(override.strip(), origin), origin
    if db_override:
        return sqlite_url(_ensure_parent(Path(db_override).expanduser().resolve(), RATELIMIT_DB)), "resource config rate_limiter.db_path"
    env_url, env_db = _env(RATELIMIT_URL), _env(RATELIMIT_DB)
    if env_url:
        origin = f"environment variable {RATELIMIT_URL.env}"
        url = _check_ratelimit_url(env_url, origin)
        if env_db and url != sqlite_url(env_db):
            raise SettingError(
                f"{RATELIMIT_URL.env} and the deprecated {RATELIMIT_DB.env} are both set and name different limiter "
                f"stores; unset {RATELIMIT_DB.env}."
            )
        return url, origin
    if env_db:
        if RATELIMIT_DB.env not in _warned:
            _warned.add(RATELIMIT_DB.env)
            log.warning(f"{RATELIMIT_DB.env} is deprecated; set {RATELIMIT_URL.env}=sqlite:///<file> instead (same behaviour).")
        path = _ensure_parent(Path(env_db).expanduser().resolve(), RATELIMIT_DB)
        return sqlite_url(path), f"environment variable {RATELIMIT_DB.env} (deprecated)"
    return sqlite_url(local_state_dir() / "ratelimit.sqlite"), f"the default (set {RATELIMIT_URL.env} to change it)"


def ratelimit_db_path(override: str | os.PathLike[str] | None = None) -> Path:
    """The SQLite file of a SQLite limiter (``override``, else the configured one); SettingError otherwise."""
    if override:
        return _ensure_parent(Path(override).expanduser().resolve(), RATELIMIT_DB)
    url, origin = ratelimit_url()
    if not url.startswith("sqlite:"):
        raise SettingError(f"The rate limiter is not a SQLite file here: {origin} names a {url.split(':', 1)[0]} store.")
    return sqlite_path_of(url)


def ratelimit_budgets() -> dict[str, Any]:
    """``POLYMARKET_RATELIMIT_BUDGETS`` parsed: budget name -> limit, or -> {"limit", "window_seconds"}."""
    raw = _env(RATELIMIT_BUDGETS)
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except ValueError as exc:
        raise SettingError(f"{RATELIMIT_BUDGETS.env} is not valid JSON ({exc}); e.g. {{\"data:/trades\": 100}}.") from exc
    ok = isinstance(value, dict) and all(
        isinstance(k, str) and (
            (isinstance(v, int) and not isinstance(v, bool))
            or (isinstance(v, dict) and set(v) <= {"limit", "window_seconds"} and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in v.values()))
        )
        for k, v in value.items()
    )
    if not ok:
        raise SettingError(
            f"{RATELIMIT_BUDGETS.env} must map budget names to a limit or to {{\"limit\": n, \"window_seconds\": s}}, "
            f"e.g. {{\"data:/trades\": 100, \"limitless\": {{\"limit\": 50, \"window_seconds\": 10}}}}; got {raw!r}."
        )
    return value


def user_agent(override: str | None = None) -> str:
    return override or _env(USER_AGENT) or USER_AGENT.default
