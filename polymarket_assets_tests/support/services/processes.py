"""What every test server shares: free ports, the unprivileged account, the temp dir, starting the process
and waiting until it answers."""

from __future__ import annotations

import ctypes
import importlib.util
import os
import pwd
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

HOST = "127.0.0.1"
START_TIMEOUT_S = 60.0
PIP_DEV = "pip install -e '.[dev]'"


class ServiceUnavailable(RuntimeError):
    """A test service cannot start. The message says what is missing and how to install it."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def require_module(name: str, install: str) -> None:
    """Raise ``ServiceUnavailable`` unless the Python module ``name`` can be imported."""
    try:
        found = importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        found = False
    if not found:
        raise ServiceUnavailable(f"the Python module {name!r} is not installed: run `{install}`")


def require_program(path: str | Path, what: str, install: str) -> None:
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        raise ServiceUnavailable(f"{what} not found at {path}: run `{install}`")


@dataclass(frozen=True)
class Account:
    """The unprivileged system user a server runs as when the tests run as root."""

    name: str
    uid: int
    gid: int


def service_account(preferred: str) -> Account | None:
    """``None`` when not root (the server runs as the current user); else ``preferred`` or ``nobody``."""
    if os.geteuid() != 0:
        return None
    for name in (preferred, "nobody"):
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            continue
        if entry.pw_uid != 0:
            return Account(name, entry.pw_uid, entry.pw_gid)
    raise ServiceUnavailable(
        f"the tests run as root and there is no unprivileged {preferred!r} or 'nobody' user to run the "
        f"server as: create one (`useradd --system {preferred}`) or run the tests as a normal user"
    )


def service_dir(kind: str, account: Account | None) -> Path:
    """A fresh 0700 directory under the system temp dir, owned by the account the server runs as."""
    path = Path(tempfile.mkdtemp(prefix=f"polymarket-tests-{kind}-"))
    if account is not None:
        os.chown(path, account.uid, account.gid)
    return path


def write_private(path: Path, text: str, account: Account | None) -> None:
    """A 0600 file (a password, a config holding one) readable by the server's account only."""
    path.write_text(text)
    path.chmod(0o600)
    if account is not None:
        os.chown(path, account.uid, account.gid)


try:  # Linux: a server whose test process dies (SIGKILL, OOM) goes with it instead of lingering.
    _prctl = ctypes.CDLL(None, use_errno=True).prctl
except (OSError, AttributeError):  # pragma: no cover - not Linux
    _prctl = None
_PR_SET_PDEATHSIG = 1


def _die_with_parent(sig: int) -> Callable[[], None] | None:
    if _prctl is None:  # pragma: no cover
        return None

    def preexec() -> None:  # runs after the child's setuid, which would otherwise clear the setting
        _prctl(_PR_SET_PDEATHSIG, sig)

    return preexec


def spawn(
    argv: list[str],
    account: Account | None,
    log_path: Path,
    cwd: Path,
    death_signal: int,
    env: Mapping[str, str] | None = None,
) -> subprocess.Popen:
    """Start ``argv`` as ``account`` (no supplementary groups), output appended to ``log_path``."""
    creds: dict = {}
    if account is not None:
        creds = {"user": account.uid, "group": account.gid, "extra_groups": []}
    with open(log_path, "ab") as log:
        return subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=cwd,
            env=env,
            preexec_fn=_die_with_parent(death_signal),
            **creds,
        )


def log_tail(path: Path, lines: int = 25) -> str:
    try:
        text = path.read_text(errors="replace").splitlines()
    except OSError:
        return "(no log)"
    return "\n".join(text[-lines:]) or "(empty log)"


def stop(process: subprocess.Popen | None, sig: int, timeout_s: float = 15.0) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(sig)
    try:
        process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=timeout_s)


def wait_ready(name: str, process: subprocess.Popen, log_path: Path, probe: Callable[[], object]) -> None:
    """Poll ``probe()`` until it returns without raising; fail with the server's log if it exits or stalls."""
    deadline = time.monotonic() + START_TIMEOUT_S
    last: BaseException | None = None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServiceUnavailable(f"{name} exited with code {process.returncode} while starting; its log:\n{log_tail(log_path)}")
        try:
            probe()
            return
        except Exception as exc:  # not ready yet; keep the last reason for the message
            last = exc
            time.sleep(0.1)
    raise ServiceUnavailable(f"{name} did not accept connections within {START_TIMEOUT_S:.0f}s ({last}); its log:\n{log_tail(log_path)}")


def start_on_free_port(
    name: str,
    launch: Callable[[int], subprocess.Popen],
    probe: Callable[[int], object],
    log_path: Path,
    stop_signal: int,
    bind_error: str,
) -> tuple[int, subprocess.Popen]:
    """``launch(port)`` on a free port until ``probe(port)`` answers. A port can be taken between choosing
    and binding it, so a start whose log ends with ``bind_error`` is retried on another port (3 tries)."""
    for attempt in range(3):
        port = free_port()
        process = launch(port)
        try:
            wait_ready(f"{name} on {HOST}:{port}", process, log_path, lambda port=port: probe(port))
            return port, process
        except ServiceUnavailable:
            stop(process, stop_signal)
            if attempt == 2 or bind_error not in log_tail(log_path, 5):
                raise
    raise AssertionError("unreachable")
