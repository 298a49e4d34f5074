"""A throwaway S3 API: moto's server in its own process on a free port of 127.0.0.1."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from polymarket_assets_tests.support.services.processes import (
    HOST,
    require_module,
    service_dir,
    spawn,
    start_on_free_port,
    stop,
)

MOTO_PIP = "pip install 'moto[server]'  (or pip install -e '.[dev]')"


@dataclass
class S3Server:
    """A running moto S3 API. It accepts any credentials; the test creates every bucket it uses."""

    port: int
    root: Path
    process: subprocess.Popen
    host: str = HOST
    access_key: str = "polymarket-test-key"
    secret_key: str = "polymarket-test-secret"
    region: str = "us-east-1"

    @property
    def endpoint_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def env(self) -> dict[str, str]:
        """The standard AWS environment variables that point a client at this server."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_REGION": self.region,
        }

    def client(self):
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            region_name=self.region,
        )

    def create_bucket(self, name: str) -> str:
        self.client().create_bucket(Bucket=name)
        return name

    def bucket_names(self) -> list[str]:
        return sorted(b["Name"] for b in self.client().list_buckets()["Buckets"])

    def keys(self, bucket: str, prefix: str = "") -> list[str]:
        """Every object key in ``bucket`` under ``prefix``, as the S3 API lists them (no directory semantics)."""
        keys: list[str] = []
        for page in self.client().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            keys.extend(o["Key"] for o in page.get("Contents", []))
        return sorted(keys)

    def stop(self) -> None:
        stop(self.process, signal.SIGTERM)
        shutil.rmtree(self.root, ignore_errors=True)


def start_s3() -> S3Server:
    """Run ``python -m moto.server`` (a separate process: its state and GIL are not the test's)."""
    for module in ("moto.server", "flask", "boto3"):
        require_module(module, MOTO_PIP)
    root = service_dir("s3", None)  # moto runs as the test user: it is Python code from the venv
    log_path = root / "moto.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    try:

        def launch(port: int) -> subprocess.Popen:
            argv = [sys.executable, "-m", "moto.server", "-H", HOST, "-p", str(port)]
            return spawn(argv, None, log_path, root, signal.SIGTERM, env=env)

        def probe(port: int) -> None:
            try:
                urllib.request.urlopen(f"http://{HOST}:{port}/moto-api/data.json", timeout=2).close()
            except urllib.error.HTTPError:
                pass  # any HTTP answer means it is serving

        port, process = start_on_free_port("moto S3 server", launch, probe, log_path, signal.SIGTERM, "Address already in use")
        return S3Server(port=port, root=root, process=process)
    except BaseException:
        shutil.rmtree(root, ignore_errors=True)
        raise
