"""Keep secrets out of logs, metadata and error messages: mask the password of a URL, scrub known secrets.

Every URL the platform names in a message (the limiter's ``POLYMARKET_RATELIMIT_URL``, the Dagster Postgres
URL of ``polymarket-assets doctor``) goes through :func:`mask_url`; every error text from a driver that might
echo a connection string goes through :func:`scrub` with that URL's secrets.
"""

from __future__ import annotations

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
