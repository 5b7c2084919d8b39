"""Faults of the machine and the operator, with real processes and signals."""

import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest

from zonestat.sample import generate


def descendants(pid: int) -> dict[int, str]:
    """pid -> command line of every process below `pid`."""
    parents, commands = {}, {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
            commands[int(entry.name)] = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
    found, frontier = {}, [pid]
    while frontier:
        parent = frontier.pop()
        for child, its_parent in parents.items():
            if its_parent == parent and child not in found:
                found[child] = commands.get(child, "")
                frontier.append(child)
    return found


def running(pid: int) -> bool:
    """Alive and not a zombie waiting to be reaped."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the parent-death signal is Linux's")
def test_a_killed_refresh_takes_its_dbt_build_with_it(zhome):
    # Enough reports that dbt builds for several seconds: without the parent-death signal it builds on
    # after its refresh is killed (until it next writes to the closed pipe, or finishes).
    generate(zhome.inbox, seed=5, years=(2023, 2025), provinces="01,31,34,48,79,92", today=date(2026, 11, 22))
    zonestat = Path(sys.executable).with_name("zonestat")
    refresh = subprocess.Popen([str(zonestat), "refresh"], env=dict(os.environ), stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline, builds = time.monotonic() + 300, {}
        while time.monotonic() < deadline and not builds:
            builds = {p: c for p, c in descendants(refresh.pid).items() if " build" in c and "dbt" in c}
            time.sleep(0.05)
        assert builds, "the refresh never started dbt build"
        time.sleep(0.5)  # dbt is working
        refresh.send_signal(signal.SIGKILL)
        refresh.wait()
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline and any(running(p) for p in builds):
            time.sleep(0.05)
        assert not any(running(p) for p in builds), f"dbt outlived its refresh: {builds}"
    finally:
        if refresh.poll() is None:
            os.killpg(refresh.pid, signal.SIGKILL)
