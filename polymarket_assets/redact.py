"""Keep secrets out of logs, metadata and error messages.

Two levels:

* Known URLs: every URL the platform names in a message (the limiter's ``POLYMARKET_RATELIMIT_URL``, the Dagster
  Postgres URL of ``polymarket-assets doctor``, an S3 endpoint) goes through :func:`mask_url`; every error text
  from a driver that might echo a connection string goes through :func:`scrub` with that URL's secrets
  (:func:`url_secrets`).
* Any text: :func:`redact` masks, anywhere in a string, the password of a URL's user info
  (``postgresql://user:secret@host/db`` -> ``postgresql://user:***@host/db``), a token-only user info
  (``https://<token>@host``), the values of credential-like query parameters (``password``, ``token``,
  ``secret``, ``api_key``, ``X-Amz-Signature`` / ``X-Amz-Credential`` / ``X-Amz-Security-Token`` ...), AWS access
  key ids (``AKIA...``), ``aws_secret_access_key = ...`` assignments, and every value currently set in a
  credential environment variable (``AWS_SECRET_ACCESS_KEY``, ``AWS_SESSION_TOKEN``, any ``*PASSWORD*``,
  ``*SECRET*``, ``*TOKEN*`` variable, and the password of any ``*_URL`` / ``*_DSN`` variable) wherever it appears
  verbatim. The API clients' errors, the settings' errors, urllib3's retry log and the quarantine's sidecars go
  through it. :func:`install_log_redaction` applies it to every log record the process makes (the code location and
the CLI install it); :class:`RedactingFilter` does the same for one handler.
"""

from __future__ import annotations

import logging
import os
import re
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

MASK = "***"
#: query parameters that carry a secret (libpq ``password=``, tokens of object stores and proxies).
SECRET_PARAMS = frozenset({"password", "pass", "passwd", "secret", "token", "access_token", "sslpassword", "secret_key"})


def mask_url(url: str) -> str:
    """``url`` with its password and any secret query value replaced by ``***`` (user, host, port and path kept).

    ``postgresql://polymarket:s3cret@db:5432/rl`` -> ``postgresql://polymarket:***@db:5432/rl``;
    ``redis://:s3cret@cache:6379/0`` -> ``redis://:***@cache:6379/0``. A text that is not a URL comes back as is.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        if ":" in userinfo:
            user = userinfo.split(":", 1)[0]
            netloc = f"{user}:{MASK}@{host}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(k.lower() in SECRET_PARAMS for k, _ in pairs):
            query = urlencode([(k, MASK if k.lower() in SECRET_PARAMS else v) for k, v in pairs], safe="*")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def url_secrets(url: str) -> list[str]:
    """The secret strings inside ``url`` (password, secret query values), raw and percent-decoded."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return []
    found: list[str] = []
    if parts.password:
        found.append(parts.password)
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if key.lower() in SECRET_PARAMS and value:
            found.append(value)
    return sorted({s for v in found for s in (v, unquote(v)) if s}, key=len, reverse=True)


def scrub(text: str, secrets: list[str] | tuple[str, ...]) -> str:
    """``text`` with every occurrence of each secret replaced by ``***`` (longest first)."""
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


_URL_USERINFO = re.compile(r"(?<![A-Za-z0-9+.\-])(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*://)(?P<user>[^:/@\s'\"]*):(?P<password>[^@/\s'\"]+)@")
_URL_TOKEN_ONLY = re.compile(r"(?<![A-Za-z0-9+.\-])(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*://)(?P<user>[^:/@\s'\"]{16,})@")
# the name starts where a word starts (the lookbehind): without that anchor the lazy prefix is tried from every
# position of a long run of letters, quadratic in it (18 s on a 16,000-character line; a log line can hold one)
_SECRET_PARAM = re.compile(
    r"(?<![A-Za-z0-9_\-])(?P<name>(?:[A-Za-z0-9_\-]*?)(?:password|passwd|pwd|token|secret|api[_-]?key|access[_-]?key|signature|credential|sig))"
    r"(?P<sep>=)(?P<value>[^&\s'\"#]+)",
    re.IGNORECASE,
)
_AWS_KEY_ID = re.compile(r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA)[A-Z0-9]{16}\b")
_AWS_SECRET_ASSIGN = re.compile(r"(?P<name>aws_secret_access_key|aws_session_token|secret_access_key)(?P<sep>\s*[=:]\s*['\"]?)(?P<value>[^\s'\",]+)",
                                re.IGNORECASE)
_SECRET_ENV = re.compile(r"(PASSWORD|PASSWD|SECRET|TOKEN|CREDENTIAL|PRIVATE_KEY|API_KEY|ACCESS_KEY)", re.IGNORECASE)
_URL_ENV = re.compile(r"(_URL|_DSN|_URI)$", re.IGNORECASE)


def _env_secrets() -> list[str]:
    """Secret values set in the environment now (longest first, so a value containing another is masked whole)."""
    found: set[str] = set()
    for name, value in os.environ.items():
        if not value or len(value) < 4:
            continue
        if _SECRET_ENV.search(name):
            found.add(value)
        elif _URL_ENV.search(name):
            match = _URL_USERINFO.search(value)
            if match and len(match.group("password")) >= 4:
                found.add(match.group("password"))
    return sorted(found, key=len, reverse=True)


def redact(text: object) -> str:
    """``text`` as a string with every credential it holds masked (see the module docstring)."""
    out = str(text)
    for secret in _env_secrets():
        out = out.replace(secret, MASK)
    if "://" in out:
        out = _URL_USERINFO.sub(lambda m: f"{m.group('scheme')}{m.group('user')}:{MASK}@", out)
        out = _URL_TOKEN_ONLY.sub(lambda m: f"{m.group('scheme')}{MASK}@", out)
    if "=" in out:
        out = _SECRET_PARAM.sub(lambda m: f"{m.group('name')}{m.group('sep')}{MASK}", out)
    out = _AWS_SECRET_ASSIGN.sub(lambda m: f"{m.group('name')}{m.group('sep')}{MASK}", out)
    out = _AWS_KEY_ID.sub(lambda m: m.group(0)[:4] + "*" * 16, out)
    return out


def redact_url(url: str) -> str:
    """:func:`mask_url`, plus a token-only user info and everything :func:`redact` masks."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return redact(url)
    if "@" in parts.netloc and ":" not in parts.netloc.rsplit("@", 1)[0]:
        url = urlunsplit((parts.scheme, f"{MASK}@{parts.netloc.rsplit('@', 1)[1]}", parts.path, parts.query, parts.fragment))
    return redact(mask_url(url))


def _redact_record(record: logging.LogRecord) -> None:
    try:
        message = record.getMessage()
    except Exception:  # a malformed %-format: logging reports it when the record is emitted
        message = None
    if message is not None:
        masked = redact(message)
        if masked != message:
            record.msg, record.args = masked, None
    if record.exc_info and not record.exc_text:
        # a traceback (log.exception) holds the exception's text: format it once here, masked; handlers use
        # exc_text as it is when it is set
        record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
    elif record.exc_text:
        record.exc_text = redact(record.exc_text)


class RedactingFilter(logging.Filter):
    """Masks credentials in every record passing through (message and arguments are merged first)."""

    def filter(self, record: logging.LogRecord) -> bool:
        _redact_record(record)
        return True


def install_log_redaction() -> None:
    """Mask credentials in every log record this process makes, at the moment it is made.

    A filter on a handler sees only what reaches that handler, and Dagster builds its own handlers per run
    (``context.log``, the managed Python loggers, the event log, the compute-log capture). A log record
    factory is the one point every record passes, whichever logger made it: ``context.log`` (a
    ``logging.Logger``), this package's loggers, and a driver's (urllib3, botocore, psycopg, redis). The code
    location (``definitions.py``) and the ``polymarket-assets`` CLI install it; installing twice is a no-op.
    """
    current = logging.getLogRecordFactory()
    if getattr(current, "_polymarket_redacting", False):
        return

    def factory(*args: object, **kwargs: object) -> logging.LogRecord:
        record = current(*args, **kwargs)
        _redact_record(record)
        return record

    factory._polymarket_redacting = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)
