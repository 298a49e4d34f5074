"""Is a recorded process still running? Host identity and pid liveness, without Dagster.

A run records where its run worker lives (``identity()``: host name, boot id, pid and the pid's start time).
``is_alive`` only ever answers False for a process on *this* host that no longer exists: a pid that is
absent, a zombie, a pid reused by a later process (its start time differs), or any pid recorded before the
machine last booted (the boot id differs). Anything it cannot judge counts as alive.
"""

from __future__ import annotations

import errno
import os
import socket
from dataclasses import dataclass
from pathlib import Path

_BOOT_ID = Path("/proc/sys/kernel/random/boot_id")


def hostname() -> str:
    return socket.gethostname()


def boot_id() -> str | None:
    """The kernel's boot id (Linux): changes on every boot, so a pid recorded before a restart is known dead."""
    try:
        return _BOOT_ID.read_text().strip() or None
    except OSError:
        return None


def pid_namespace() -> str | None:
    """This process's pid namespace (the inode of /proc/self/ns/pid). Two containers can share a host name (host
    networking) and a boot id (one kernel) yet not see each other's pids: a pid from another namespace cannot be
    judged from here."""
    try:
        return str(os.stat("/proc/self/ns/pid").st_ino)
    except OSError:
        return None


def start_time(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (field 22 of /proc/<pid>/stat), or None."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # the command name (field 2) is in parentheses and may hold spaces or parentheses: split after the last ")"
    fields = stat[stat.rfind(")") + 2 :].split()
    return fields[19] if len(fields) > 19 else None


def _state(pid: int) -> str | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    rest = stat[stat.rfind(")") + 2 :].split()
    return rest[0] if rest else None


def pid_exists(pid: int) -> bool:
    """True when a process with this pid exists here and is not a zombie (a killed, unreaped child)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except OSError as exc:
        if exc.errno == errno.ESRCH:
            return False
        if exc.errno != errno.EPERM:  # EPERM: it exists, owned by someone else
            return True
    return _state(pid) not in ("Z", "X")


@dataclass(frozen=True)
class ProcessIdentity:
    """Where a process ran: enough to tell later, from this host, whether it still runs."""

    host: str
    pid: int
    boot_id: str | None = None
    started: str | None = None  # start_time(pid) when recorded
    pid_ns: str | None = None  # pid_namespace() when recorded

    def on_this_host(self) -> bool:
        """Same host name and, when both are known, the same pid namespace (else its pids are not ours to see)."""
        if self.host != hostname():
            return False
        here = pid_namespace()
        return self.pid_ns is None or here is None or self.pid_ns == here

    def is_alive(self) -> bool | None:
        """True/False for a process on this host; None when it ran on another host (cannot tell from here)."""
        if not self.on_this_host():
            return None
        current_boot = boot_id()
        if self.boot_id and current_boot and self.boot_id != current_boot:
            return False  # recorded before the machine restarted
        if not pid_exists(self.pid):
            return False
        if self.started is not None:
            now = start_time(self.pid)
            if now is not None and now != self.started:
                return False  # the pid was reused by a later process
        return True


def identity(pid: int | None = None) -> ProcessIdentity:
    """This process (or ``pid`` on this host) as a ``ProcessIdentity``."""
    pid = os.getpid() if pid is None else pid
    return ProcessIdentity(host=hostname(), pid=pid, boot_id=boot_id(), started=start_time(pid), pid_ns=pid_namespace())
