"""The S3 lake: a ``pyarrow.fs.S3FileSystem`` built from the standard AWS environment, checked at start.

Settings (the AWS SDK's own names, so every tool reads them the same way):

* endpoint: ``AWS_ENDPOINT_URL_S3``, else ``AWS_ENDPOINT_URL`` (an S3-compatible store: MinIO, R2, Ceph, a local
  moto server); unset = AWS itself. (pyarrow honours ``AWS_ENDPOINT_URL`` only in ``FileSystem.from_uri``, so the
  value is read here and passed as ``endpoint_override``.)
* region: ``AWS_REGION``, else ``AWS_DEFAULT_REGION``; else ``us-east-1`` with an endpoint, or the bucket's
  region asked from AWS.
* credentials: ``AWS_ACCESS_KEY_ID`` + ``AWS_SECRET_ACCESS_KEY`` (+ ``AWS_SESSION_TOKEN``). One without the other
  is an error naming the missing one. Neither: the AWS default chain (``AWS_PROFILE`` / shared credentials file,
  web identity, container or instance role); with an endpoint and none of those configured, an error naming
  the two variables (an S3-compatible store has no instance role).

:func:`open_s3` then asks for the bucket (one HEAD): an unreachable endpoint, refused credentials or a missing
bucket fail there, naming the setting and what to do. Buckets are never created (``allow_bucket_creation`` is
off and nothing here asks for it): the bucket is the operator's, with its own lifecycle and access rules.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pyarrow.fs as pafs

from polymarket_assets import settings
from polymarket_assets.lake.store import Lake, LakeError
from polymarket_assets.redact import mask_url
from polymarket_assets.settings import SettingError

ENDPOINT_VARS = ("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL")
REGION_VARS = ("AWS_REGION", "AWS_DEFAULT_REGION")
#: what lets the AWS default chain find credentials without the two key variables
CHAIN_VARS = (
    "AWS_PROFILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
)
CONNECT_TIMEOUT_S = 5.0
REQUEST_TIMEOUT_S = 120.0
MAX_ATTEMPTS = 3

_UNREACHABLE = ("NETWORK_CONNECTION", "curlCode", "Couldn't connect", "Could not resolve", "Connection refused",
                "Timeout was reached", "Failed to connect", "connection timed out")
_REFUSED = ("ACCESS_DENIED", "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "INVALID_ACCESS_KEY_ID",
            "SIGNATURE_DOES_NOT_MATCH", "HTTP response code: 403", "ExpiredToken", "InvalidToken", "UNRECOGNIZED_CLIENT")
_NO_BUCKET = ("NoSuchBucket", "NO_SUCH_BUCKET", "Bucket does not exist")


@dataclass(frozen=True)
class S3Settings:
    """Where the S3 lake is and how to reach it (no secret in any field but the keys themselves)."""

    uri: str
    bucket: str
    prefix: str
    endpoint: str | None
    endpoint_var: str | None
    region: str
    region_source: str
    access_key: str | None
    secret_key: str | None
    session_token: str | None
    credentials: str  # where the credentials come from, for messages

    @property
    def where(self) -> str:
        """The endpoint in words: "http://127.0.0.1:9000 (AWS_ENDPOINT_URL)" or "AWS S3 in eu-west-1"."""
        if self.endpoint:
            return f"{mask_url(self.endpoint)} ({self.endpoint_var})"
        return f"AWS S3 in {self.region} ({self.region_source})"

    def describe(self) -> str:
        return f"{self.uri} at {self.where}, credentials from {self.credentials}"


def s3_settings(location: str, env: Mapping[str, str] | None = None) -> S3Settings:
    """Read the AWS variables for the lake at ``location`` (``s3://bucket/prefix``); SettingError names a bad one."""
    env = os.environ if env is None else env
    parts = urlsplit(location)
    bucket, prefix = parts.netloc, parts.path.strip("/")

    def value(name: str) -> str | None:
        text = env.get(name, "").strip()
        return text or None

    endpoint_var = next((name for name in ENDPOINT_VARS if value(name)), None)
    endpoint = value(endpoint_var) if endpoint_var else None
    if endpoint:
        ep = urlsplit(endpoint if "://" in endpoint else f"https://{endpoint}")
        if ep.scheme not in ("http", "https") or not ep.hostname:
            raise SettingError(f"{endpoint_var} is {mask_url(endpoint)!r}: it must be the URL of the S3 API, e.g. http://127.0.0.1:9000.")
        try:
            ep.port  # noqa: B018 - raises ValueError for a bad port
        except ValueError as exc:
            raise SettingError(f"{endpoint_var} is {mask_url(endpoint)!r}: its port is invalid ({exc}).") from exc

    region_var = next((name for name in REGION_VARS if value(name)), None)
    if region_var:
        region, region_source = str(value(region_var)), region_var
    elif endpoint:
        region, region_source = "us-east-1", "default for an S3-compatible endpoint"
    else:
        try:
            region = pafs.resolve_s3_region(bucket)
        except OSError as exc:
            raise SettingError(
                f"The lake {location}: the region of bucket {bucket!r} could not be found ({exc}). Set AWS_REGION, or "
                f"AWS_ENDPOINT_URL for an S3-compatible store."
            ) from exc
        region_source = "asked from AWS"

    key, secret, token = value("AWS_ACCESS_KEY_ID"), value("AWS_SECRET_ACCESS_KEY"), value("AWS_SESSION_TOKEN")
    if key and not secret:
        raise SettingError(f"The lake {location}: AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is missing. Set AWS_SECRET_ACCESS_KEY too.")
    if secret and not key:
        raise SettingError(f"The lake {location}: AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is missing. Set AWS_ACCESS_KEY_ID too.")
    if key:
        credentials = "AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY" + (" / AWS_SESSION_TOKEN" if token else "")
    else:
        chain = [name for name in CHAIN_VARS if value(name)]
        shared = Path(value("AWS_SHARED_CREDENTIALS_FILE") or "~/.aws/credentials").expanduser()
        if shared.is_file() and "AWS_SHARED_CREDENTIALS_FILE" not in chain:
            chain.append(str(shared))
        if not chain and endpoint:
            raise SettingError(
                f"The lake {location} at {mask_url(endpoint)} ({endpoint_var}) has no credentials: AWS_ACCESS_KEY_ID and "
                f"AWS_SECRET_ACCESS_KEY are missing (and no AWS_PROFILE). Set both to the store's access key."
            )
        credentials = "the AWS default chain (" + (", ".join(chain) if chain else "instance or container role") + ")"
    return S3Settings(location, bucket, prefix, endpoint, endpoint_var, region, region_source, key, secret, token, credentials)


def make_filesystem(cfg: S3Settings) -> pafs.S3FileSystem:
    kwargs: dict = {
        "region": cfg.region,
        "connect_timeout": CONNECT_TIMEOUT_S,
        "request_timeout": REQUEST_TIMEOUT_S,
        "retry_strategy": pafs.AwsStandardS3RetryStrategy(max_attempts=MAX_ATTEMPTS),
        "allow_bucket_creation": False,
        "allow_bucket_deletion": False,
        # an implicit prefix counts as an existing directory: no zero-byte "dir/" marker objects
        "check_directory_existence_before_creation": True,
    }
    if cfg.endpoint:
        ep = urlsplit(cfg.endpoint if "://" in cfg.endpoint else f"https://{cfg.endpoint}")
        kwargs["scheme"] = ep.scheme
        kwargs["endpoint_override"] = ep.netloc.rsplit("@", 1)[-1] + (ep.path.rstrip("/") if ep.path not in ("", "/") else "")
    if cfg.access_key:
        kwargs.update(access_key=cfg.access_key, secret_key=cfg.secret_key, session_token=cfg.session_token)
    return pafs.S3FileSystem(**kwargs)


def explain(exc: BaseException, cfg: S3Settings | None, doing: str) -> str:
    """A message for an S3 error: what failed, the lake, the endpoint, and what to do."""
    text = str(exc)
    if cfg is None:
        return f"{doing} failed: {text}"
    lake = f"{settings.DATA_DIR.env}={cfg.uri}"
    if any(marker in text for marker in _UNREACHABLE):
        fix = f"check {cfg.endpoint_var}" if cfg.endpoint else "check the network and AWS_REGION"
        return f"{doing}: the S3 endpoint {cfg.where} of the lake {lake} cannot be reached ({text}). Start the store or {fix}."
    if any(marker in text for marker in _REFUSED):
        return (f"{doing}: the S3 endpoint {cfg.where} refused the credentials from {cfg.credentials} for the lake {lake} "
                f"({text}). Check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (or the role) and the bucket policy.")
    if any(marker in text for marker in _NO_BUCKET):
        return no_bucket_message(cfg, doing)
    return f"{doing} in the lake {lake} at {cfg.where} failed: {text}"


def no_bucket_message(cfg: S3Settings, doing: str = "Opening the lake") -> str:
    create = f"aws s3 mb s3://{cfg.bucket}" + (f" --endpoint-url {mask_url(cfg.endpoint)}" if cfg.endpoint else "")
    return (f"{doing}: the bucket {cfg.bucket!r} of the lake {settings.DATA_DIR.env}={cfg.uri} does not exist at {cfg.where}. "
            f"Create it yourself (e.g. `{create}`) or fix {settings.DATA_DIR.env}; the platform never creates buckets.")


def open_s3(location: str, *, local_dir: Path) -> Lake:
    """Build the filesystem for ``location`` and check the bucket (one HEAD); see the module docstring."""
    cfg = s3_settings(location)
    fs = make_filesystem(cfg)
    try:
        info = fs.get_file_info(cfg.bucket)
    except OSError as exc:
        raise LakeError(explain(exc, cfg, "Opening the lake")) from exc
    if info.type == pafs.FileType.NotFound:
        raise LakeError(no_bucket_message(cfg))
    base = f"{cfg.bucket}/{cfg.prefix}" if cfg.prefix else cfg.bucket
    return Lake(fs, base, uri=location, remote=True, local_dir=local_dir, description=cfg.describe(), s3=cfg)
