"""``polymarket-assets doctor``: reach everything this machine's processes will use, and say plainly what is wrong.

Checks, in order (each prints one line, ``ok`` or ``FAIL`` with what to do; the exit status is 1 if any failed):

* **settings** — every ``POLYMARKET_*`` value parses (URLs, budgets JSON, paths);
* **lake** — ``POLYMARKET_DATA_DIR``: a local directory is writable; an S3 lake's endpoint answers, the
  credentials are there and accepted, the bucket exists (it is never created), and a probe object under
  ``_state/doctor/`` can be written, read and deleted;
* **local** — ``POLYMARKET_LOCAL_DIR`` and the DuckDB file's directory are writable local directories;
* **rate limiter** — the ``POLYMARKET_RATELIMIT_URL`` store answers (password masked in every message) and every
  budget's table / key can be created (run it once as a role allowed to CREATE, and the runs' role needs no
  CREATE right afterwards);
* **dagster instance** — ``$DAGSTER_HOME/dagster.yaml``: with Postgres storage, every ``env:`` variable it names
  is set and the database accepts a connection.

Why a command (and not only start-up checks): Dagster builds its instance in its own processes (webserver,
daemon, run workers) before any code of this project runs, and an unreachable Postgres only surfaces there, after
about 10 s of retries, as "too many retries for DB connection" — naming neither the variable nor the address.
This command connects to the same database directly and names both. Run it after changing settings, and as the
init step / health check of a container (``deploy/README.md``). The lake and the limiter also check themselves
at the start of every step that uses them, with the same messages.
"""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from polymarket_assets import settings
from polymarket_assets.redact import mask_url, scrub


@dataclass
class CheckResult:
    name: str
    ok: bool
    detail: str


def check_settings() -> str:
    """Every setting, each on its own: all the malformed ones are reported at once, not only the first."""
    checks: list[Callable[[], object]] = [
        *(lambda s=setting: settings.resolve_base_url(s) for setting in (settings.GAMMA_URL, settings.CLOB_URL, settings.DATA_URL,
                                                                         settings.LIMITLESS_URL)),
        settings.lake_location,
        settings.ratelimit_budgets,
        settings.ratelimit_url,
        settings.bronze_start_date,
    ]
    problems = []
    for check in checks:
        try:
            check()
        except Exception as exc:
            problems.append(str(exc).strip())
    if problems:
        raise ValueError(f"{len(problems)} setting(s) malformed: " + " | ".join(problems))
    return "every POLYMARKET_* setting parses"


def check_lake() -> str:
    from polymarket_assets.lake import open_lake

    lake = open_lake()
    probe = lake.root / "_state" / "doctor" / f"probe-{uuid.uuid4().hex[:12]}.txt"
    payload = f"polymarket-assets doctor {uuid.uuid4().hex}".encode()
    probe.write_bytes(payload)
    try:
        if probe.read_bytes() != payload:
            raise RuntimeError(f"the probe object {probe} read back different bytes")
    finally:
        probe.unlink(missing_ok=True)
    return f"{lake.description}: write, read and delete of a probe object ok"


def check_local() -> str:
    local = settings.local_dir()
    db = settings.duckdb_path()
    for directory in (local, db.parent):
        probe = directory / f".doctor-{uuid.uuid4().hex[:8]}"
        probe.write_bytes(b"ok")
        probe.unlink()
    return f"local directory {local}, DuckDB file {db}: writable"


def check_limiter() -> str:
    from polymarket_assets.resources import RateLimiterResource

    limiter = RateLimiterResource().get_limiter()  # connects (check) or raises naming the setting
    try:
        for name in limiter.budget_names():
            limiter._slot(name)  # creates the budget's table / loads its script: needs the rights the runs need
    finally:
        limiter.close()
    return f"{limiter.describe()}: reachable; the {len(limiter.budget_names())} budgets' state is ready"


def _instance_postgres_config(home: Path) -> tuple[dict[str, Any] | None, str]:
    import yaml

    path = home / "dagster.yaml"
    if not path.is_file():
        return None, f"{path} does not exist: Dagster uses its defaults (SQLite storage in DAGSTER_HOME, one machine)"
    config = yaml.safe_load(path.read_text()) or {}
    storage = config.get("storage") or {}
    postgres = storage.get("postgres") if isinstance(storage, dict) else None
    if not postgres:
        legacy = config.get("run_storage", {}) or {}
        if "postgres" in str(legacy.get("module", "")):
            postgres = legacy.get("config")
    if not postgres:
        return None, f"{path}: SQLite storage (one machine)"
    return postgres, str(path)


def _resolve(value: Any, field: str, missing: list[str]) -> Any:
    if isinstance(value, dict) and "env" in value:
        name = value["env"]
        got = os.environ.get(name)
        if got is None:
            missing.append(f"{name} (postgres_db.{field})")
        return got
    return value


def check_dagster_instance() -> str:
    home_text = os.environ.get("DAGSTER_HOME")
    if not home_text:
        return "DAGSTER_HOME is not set: `dagster dev` uses a temporary instance (nothing to check)"
    postgres, where = _instance_postgres_config(Path(home_text).expanduser())
    if postgres is None:
        return where
    missing: list[str] = []
    if "postgres_url" in postgres:
        url = str(_resolve(postgres["postgres_url"], "postgres_url", missing) or "")
        names = "postgres_url"
    else:
        db = postgres.get("postgres_db") or {}
        values = {field: _resolve(db.get(field), field, missing) for field in ("hostname", "port", "username", "password", "db_name")}
        names = ", ".join(f"{f}={v['env']}" for f, v in db.items() if isinstance(v, dict) and "env" in v) or "literal values"
        url = (f"postgresql://{values['username']}:{values['password']}@{values['hostname']}:{values['port'] or 5432}/"
               f"{values['db_name']}")
    if missing:
        raise RuntimeError(
            f"Dagster's instance storage ({where}, storage.postgres) reads environment variables that are not set: "
            f"{', '.join(missing)}. Set them in every process that opens the instance (deploy/README.md)."
        )
    import psycopg

    secrets = [str(postgres.get("postgres_db", {}).get("password", ""))] if "postgres_db" in postgres else []
    secrets += [s for s in (os.environ.get("DAGSTER_PG_PASSWORD"),) if s]
    try:
        with psycopg.connect(url.replace("postgresql+psycopg2://", "postgresql://"), connect_timeout=5) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        detail = scrub(str(exc).strip(), [s for s in secrets if s] + _url_password(url))
        raise RuntimeError(
            f"Dagster's instance storage ({where}, storage.postgres from {names}) cannot use {mask_url(url)}: {detail}. "
            f"Dagster itself would only say 'too many retries for DB connection' after ~10 s; fix the server or "
            f"those variables."
        ) from exc
    return f"Postgres storage at {mask_url(url)} ({where}, from {names}): connection ok"


def _url_password(url: str) -> list[str]:
    from polymarket_assets.redact import url_secrets

    return url_secrets(url)


CHECKS: dict[str, Callable[[], str]] = {
    "settings": check_settings,
    "lake": check_lake,
    "local": check_local,
    "rate limiter": check_limiter,
    "dagster instance": check_dagster_instance,
}


def run_checks(skip: list[str] | None = None) -> list[CheckResult]:
    out = []
    for name, fn in CHECKS.items():
        if skip and name in skip:
            continue
        try:
            out.append(CheckResult(name, True, " ".join(fn().split())))
        except Exception as exc:
            out.append(CheckResult(name, False, " ".join(f"{type(exc).__name__}: {exc}".split())))  # one line per check
    return out


def main(skip: list[str] | None = None, out: Any = None) -> int:
    out = out or sys.stdout
    results = run_checks(skip)
    width = max(len(r.name) for r in results) if results else 0
    for r in results:
        print(f"{'ok  ' if r.ok else 'FAIL'}  {r.name:<{width}}  {r.detail}", file=out)
    failed = [r.name for r in results if not r.ok]
    print(f"\n{len(results) - len(failed)} of {len(results)} checks passed" + (f"; failed: {', '.join(failed)}" if failed else ""), file=out)
    return 1 if failed else 0
