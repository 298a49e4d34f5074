"""Keep credentials out of logs, metadata and error messages.

``redact(text)`` masks, anywhere in a string:

* the password of a URL's user info (``postgresql://user:secret@host/db`` -> ``postgresql://user:***@host/db``;
  ``redis://:secret@host`` likewise) and the user info of a URL without a password but with a token
  (``https://token@host``);
* the values of credential-like query parameters (``password``, ``token``, ``secret``, ``key``, ``signature``,
  ``X-Amz-Credential`` / ``X-Amz-Signature`` / ``X-Amz-Security-Token`` ...);
* AWS access key ids (``AKIA...`` / ``ASIA...``) and ``aws_secret_access_key = ...`` style assignments;
* every value currently set in a credential environment variable (``AWS_SECRET_ACCESS_KEY``,
  ``AWS_SESSION_TOKEN``, any ``*PASSWORD*``, ``*SECRET*``, ``*TOKEN*`` variable, and the password part of a
  ``POLYMARKET_*_URL`` / ``*_DATABASE_URL``), wherever it appears verbatim.

``redact_url(url)`` is the URL-only form. ``RedactingFilter`` is a ``logging.Filter`` that applies ``redact``
to a record's message (install it on a handler or logger that may see URLs). Apply ``redact`` where a value
from the environment or configuration can reach a message: the clients' errors and the settings' errors do.
"""

from __future__ import annotations

import logging
import os
import re
from urllib.parse import urlsplit, urlunsplit

MASK = "***"

_URL_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*://)(?P<user>[^:/@\s'\"]*):(?P<password>[^@/\s'\"]+)@")
_URL_TOKEN_ONLY = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*://)(?P<user>[^:/@\s'\"]{16,})@")
_SECRET_PARAM = re.compile(
    r"(?P<name>(?:[A-Za-z0-9_\-]*?)(?:password|passwd|pwd|token|secret|api[_-]?key|access[_-]?key|signature|credential|sig))"
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
    out = _URL_USERINFO.sub(lambda m: f"{m.group('scheme')}{m.group('user')}:{MASK}@", out)
    out = _URL_TOKEN_ONLY.sub(lambda m: f"{m.group('scheme')}{MASK}@", out)
    out = _SECRET_PARAM.sub(lambda m: f"{m.group('name')}{m.group('sep')}{MASK}", out)
    out = _AWS_SECRET_ASSIGN.sub(lambda m: f"{m.group('name')}{m.group('sep')}{MASK}", out)
    out = _AWS_KEY_ID.sub(lambda m: m.group(0)[:4] + "*" * 16, out)
    return out


def redact_url(url: str) -> str:
    """The URL with its password (or token-only user info) and credential query values masked."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return redact(url)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        user = userinfo.split(":", 1)[0] if ":" in userinfo else ""
        netloc = f"{user}:{MASK}@{host}" if ":" in userinfo else f"{MASK}@{host}"
    return redact(urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment)))


class RedactingFilter(logging.Filter):
    """Masks credentials in every record passing through (message and arguments are merged first)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = redact(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True
