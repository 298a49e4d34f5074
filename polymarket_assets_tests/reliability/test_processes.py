"""Dead-process detection: only a process on this host that no longer exists is ever called dead."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from polymarket_assets.reliability import processes
from polymarket_assets.reliability.processes import ProcessIdentity, identity


def _child() -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])


def test_this_process_is_alive() -> None:
    me = identity()
    assert me.pid == os.getpid() and me.started is not None
    assert me.is_alive() is True


def test_a_killed_and_reaped_process_is_dead() -> None:
    child = _child()
    recorded = identity(child.pid)
    assert recorded.is_alive() is True
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert recorded.is_alive() is False


def test_a_killed_unreaped_child_is_dead_not_a_live_zombie() -> None:
    child = _child()
    recorded = identity(child.pid)
    child.send_signal(signal.SIGKILL)
    try:
        # wait until the kernel has made it a zombie, without reaping it
        for _ in range(200):
            if processes._state(child.pid) == "Z":
                break
            time.sleep(0.01)
        assert processes._state(child.pid) == "Z"
        assert processes.pid_exists(child.pid) is False
        assert recorded.is_alive() is False
    finally:
        child.wait()


def test_a_reused_pid_is_dead() -> None:
    me = identity()
    reused = ProcessIdentity(host=me.host, pid=me.pid, boot_id=me.boot_id, started=str(int(me.started or "0") + 1))
    assert reused.is_alive() is False


def test_a_pid_from_before_the_last_boot_is_dead() -> None:
    me = identity()
    assert me.boot_id, "this test needs Linux's /proc/sys/kernel/random/boot_id"
    before_reboot = ProcessIdentity(host=me.host, pid=me.pid, boot_id="00000000-0000-0000-0000-000000000000", started=me.started)
    assert before_reboot.is_alive() is False


def test_another_hosts_process_is_never_judged() -> None:
    gone = ProcessIdentity(host=processes.hostname() + "-other", pid=2**22 + 7)
    assert gone.is_alive() is None


def test_a_pid_owned_by_another_user_counts_as_alive() -> None:
    # pid 1 always exists; as root kill(1, 0) succeeds, otherwise EPERM: alive either way
    assert processes.pid_exists(1) is True
    assert processes.pid_exists(0) is False and processes.pid_exists(-5) is False


def test_start_time_parses_a_command_name_with_spaces_and_parentheses(tmp_path) -> None:  # type: ignore[no-untyped-def]
    script = tmp_path / "odd ) name (x.py"
    script.write_text("import time; time.sleep(60)\n")
    link = tmp_path / "py (odd) name"
    link.symlink_to(sys.executable)
    child = subprocess.Popen([str(link), str(script)])
    try:
        started = processes.start_time(child.pid)
        assert started is not None and started.isdigit()
        assert identity(child.pid).is_alive() is True
    finally:
        child.kill()
        child.wait()
