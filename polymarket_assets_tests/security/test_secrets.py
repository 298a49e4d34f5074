"""No credential (a database URL's password, an AWS key, a token in a URL) reaches a log line, metadata or an
error message: the masking helper, and a real bronze run against base URLs that carry credentials."""

from __future__ import annotations

import datetime as dt
import logging
import socket
from pathlib import Path

import dagster as dg
import pytest

from polymarket_assets import settings
from polymarket_assets.defs.bronze.leaderboard import leaderboard
from polymarket_assets.redact import MASK, RedactingFilter, redact, redact_url
from polymarket_assets.replay.fake_api import FakeApi
from polymarket_assets.resources import LakeResource, PolymarketApiResource, RateLimiterResource

PASSWORD = "Hunter2-s3cr3t-pw"
AWS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        (f"postgresql://dagster:{PASSWORD}@db.internal:5432/dagster", "postgresql://dagster:***@db.internal:5432/dagster"),
        (f"could not connect to redis://:{PASSWORD}@127.0.0.1:6379/0 (refused)", "redis://:***@127.0.0.1:6379/0"),
        (f"GET https://bucket.s3.amazonaws.com/x?X-Amz-Credential={AWS_KEY_ID}%2F2026&X-Amz-Signature=abcdef0123", "X-Amz-Signature=***"),
        (f"https://api.example/x?token={PASSWORD}&page=2", "token=***&page=2"),
        (f"aws_secret_access_key = {AWS_SECRET}", "aws_secret_access_key = ***"),
        (f"key id {AWS_KEY_ID} refused", "AKIA****************"),
    ],
)
def test_redact_masks_credentials_and_keeps_the_rest(text: str, kept: str) -> None:
    masked = redact(text)
    assert PASSWORD not in masked and AWS_SECRET not in masked and AWS_KEY_ID not in masked
    assert kept in masked


def test_redact_masks_every_secret_set_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", AWS_SECRET)
    monkeypatch.setenv("POLYMARKET_RATELIMIT_URL", f"postgresql://rl:{PASSWORD}@db/rl")
    message = f"boto said: signature mismatch for {AWS_SECRET}; psycopg said: password {PASSWORD!r} rejected"
    assert AWS_SECRET not in redact(message) and PASSWORD not in redact(message)
    assert redact("nothing secret here: https://gamma-api.polymarket.com/events") == "nothing secret here: https://gamma-api.polymarket.com/events"


def test_redact_url_and_the_logging_filter() -> None:
    assert redact_url(f"https://user:{PASSWORD}@host:8443/p?q=1") == f"https://user:{MASK}@host:8443/p?q=1"
    assert redact_url("https://0123456789abcdef0123@host/p") == f"https://{MASK}@host/p"
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "connecting to %s", (f"postgresql://u:{PASSWORD}@h/db",), None)
    RedactingFilter().filter(record)
    assert PASSWORD not in record.getMessage() and "postgresql://u:***@h/db" in record.getMessage()


def test_the_code_location_masks_every_log_record_of_a_run(caplog: pytest.LogCaptureFixture) -> None:
    """Loading the code location installs the redacting log record factory: what an asset writes to
    ``context.log`` (the run's event log, what the UI shows) and what a driver logs through Python logging are
    masked before any handler sees them."""
    import polymarket_assets.definitions  # noqa: F401 - loading the code location installs the factory

    @dg.asset
    def talkative(context) -> None:
        context.log.info("limiter store at %s", f"postgresql://rl:{PASSWORD}@127.0.0.1:5432/rl")
        logging.getLogger("urllib3.connectionpool").warning(f"Retrying GET https://u:{PASSWORD}@127.0.0.1/x?token={PASSWORD}")
        try:
            raise ConnectionError(f"could not connect to redis://:{PASSWORD}@127.0.0.1:6379/0")
        except ConnectionError:
            logging.getLogger("polymarket_assets.streaming.writer").exception("order-book writer failed")

    with dg.DagsterInstance.ephemeral() as instance, caplog.at_level(logging.DEBUG):
        result = dg.materialize([talkative], instance=instance)
        event_log = "\n".join(entry.user_message for entry in instance.all_logs(result.run_id))
    assert result.success
    assert "limiter store at postgresql://rl:***@127.0.0.1:5432/rl" in event_log  # the line is there, masked
    assert "Retrying GET https://u:***@127.0.0.1/x?token=***" in caplog.text
    assert "order-book writer failed" in caplog.text and "redis://:***@127.0.0.1:6379/0" in caplog.text  # the traceback, masked
    assert PASSWORD not in event_log + caplog.text


def test_a_setting_error_never_echoes_the_password() -> None:
    with pytest.raises(settings.SettingError) as info:
        settings.resolve_base_url(settings.DATA_URL, f"ftp://user:{PASSWORD}@127.0.0.1/")
    assert PASSWORD not in str(info.value) and "POLYMARKET_DATA_URL" in str(info.value)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _texts(result: dg.ExecuteInProcessResult) -> str:
    parts = []
    for event in result.all_events:
        parts.append(repr(event))
        parts.append(event.message or "")
    return "\n".join(parts)


@pytest.mark.parametrize("reachable", [False, True])
def test_a_bronze_run_against_base_urls_with_credentials_leaks_none(tmp_path: Path, caplog: pytest.LogCaptureFixture, reachable: bool) -> None:
    """Unreachable: the run fails with the URL in the error; reachable but answering HTML: the body is
    quarantined with its URL. Neither the events, the metadata, the logs nor the quarantine hold the password."""
    with FakeApi() as api:
        if reachable:
            api.route("GET", "/v2/leaderboard", lambda request: (200, {"Content-Type": "text/html"}, b"<html>maintenance</html>"))
        port = api.port if reachable else _closed_port()
        base = f"http://leader:{PASSWORD}@127.0.0.1:{port}"
        limiter = RateLimiterResource(db_path=str(tmp_path / "rl.sqlite"))
        resources = {
            "rate_limiter": limiter,
            "polymarket_api": PolymarketApiResource(rate_limiter=limiter, gamma_url=base, clob_url=base, data_url=base, max_retries=1,
                                                    backoff_factor=0.01, read_timeout=2.0),
            "lake": LakeResource(data_dir=str(tmp_path / "data")),
        }
        with caplog.at_level(logging.DEBUG):
            result = dg.materialize([leaderboard], resources=resources, partition_key=dt.datetime.now(dt.timezone.utc).date().isoformat(), raise_on_error=False)
    everything = _texts(result) + caplog.text
    everything += "".join(p.read_text(errors="replace") for p in (tmp_path / "data").rglob("*") if p.is_file() and p.suffix in {".json", ".body", ".jsonl"})
    assert "127.0.0.1" in everything  # the URL is there, to say what failed ...
    assert PASSWORD not in everything  # ... but never its password


def test_aws_keys_of_an_s3_lake_never_appear_in_doctor_output_or_errors(s3_env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                        caplog: pytest.LogCaptureFixture) -> None:
    """The lake on the local S3 server with a bucket that does not exist and a Postgres limiter URL with a
    password: ``polymarket-assets doctor`` and the lake's own error name what is wrong, never a key."""
    import io

    from polymarket_assets import doctor
    from polymarket_assets.resources import LakeResource

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", AWS_KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", AWS_SECRET)
    monkeypatch.setenv("POLYMARKET_DATA_DIR", "s3://no-such-bucket-for-this-test/lake")
    monkeypatch.setenv("POLYMARKET_LOCAL_DIR", str(tmp_path / "local"))
    monkeypatch.setenv("POLYMARKET_RATELIMIT_URL", f"postgresql://rl:{PASSWORD}@127.0.0.1:{_closed_port()}/rl")
    out = io.StringIO()
    with caplog.at_level(logging.DEBUG):
        code = doctor.main(skip=["dagster instance"], out=out)
        try:
            LakeResource().root  # noqa: B018 - opening the lake raises the error under test
        except Exception as exc:
            error = repr(exc) + str(exc)
        else:
            error = ""
    text = out.getvalue() + error + caplog.text
    assert code != 0 and "no-such-bucket-for-this-test" in text  # the failure is named ...
    for secret in (AWS_SECRET, AWS_KEY_ID, PASSWORD):
        assert secret not in text  # ... without a credential


def test_masking_a_long_line_stays_linear() -> None:
    """Masking runs on every log record: a line holding a 10,000-character slug (the issue's hostile input) must
    not take seconds (an unanchored pattern took 18 s on 16,000 characters)."""
    import time

    line = "slug " + "a" * 16_000 + f"=x and https://u:{PASSWORD}@127.0.0.1/x?" + "b" * 16_000
    started = time.perf_counter()
    masked = redact(line)
    assert time.perf_counter() - started < 0.5
    assert PASSWORD not in masked and "https://u:***@127.0.0.1/x?" in masked
