"""The dbt server (orchestration/dbt_server.py): zonestat-dbt's commands run in forks of a dbt
imported once, with their output, exit code and interruptions, and nothing outlives them."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from orchestration.dbt import dbt_command
from orchestration.dbt_server import address, start_dbt_server
from tests.fixtures.processes import descendants, parent_of, running

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not sys.platform.startswith("linux"), reason="abstract sockets are Linux's")]


def _server() -> int:
    """This process's dbt server (started when it has none), once it listens."""
    start_dbt_server()
    name = address(os.getpid())[1:].decode()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and f"@{name}" not in Path("/proc/net/unix").read_text():
        time.sleep(0.05)
    servers = [p for p, c in descendants(os.getpid()).items()
               if "orchestration.dbt_server" in c and running(p) and parent_of(p) == os.getpid()]
    assert len(servers) == 1, servers
    return servers[0]


def _show(zhome, query: str) -> list[str]:
    return dbt_command(zhome, "show", "--inline", query, "--target-path", str(zhome.dbt_target / "show"))


def test_a_command_runs_in_a_fork_of_the_server_with_its_output_and_exit_code(zhome):
    server = _server()
    output = zhome.root / "show.txt"
    with output.open("w") as file:  # a file, not a pipe: nothing but the command waits for dbt's end
        done = subprocess.run(_show(zhome, "select 41 + 1 as answer"), stdout=file, stderr=subprocess.STDOUT, timeout=120)
    assert not [p for p in descendants(server) if running(p)], "dbt's fork outlived its command"
    assert done.returncode == 0, output.read_text()[-3000:]
    assert "42" in output.read_text()
    failed = subprocess.run(_show(zhome, "select * from no_such_table"), capture_output=True, text=True, timeout=120)
    assert failed.returncode != 0
    assert "no_such_table" in failed.stdout + failed.stderr
    assert running(server), "a command's end is not the server's"


def test_a_killed_command_takes_its_fork_with_it_and_an_interrupted_one_stops(zhome):
    server = _server()
    endless = "select count(*) from range(100000000000) as a"  # minutes of DuckDB's work
    for stop in (signal.SIGKILL, signal.SIGINT):
        before = set(descendants(server))
        command = subprocess.Popen(_show(zhome, endless), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline, forks = time.monotonic() + 60, set()
        while time.monotonic() < deadline and not forks:
            forks = {p for p in descendants(server) if p not in before and running(p)}
            time.sleep(0.05)
        assert forks, "the server never forked for the command"
        time.sleep(1)  # dbt is starting its query, or in it
        command.send_signal(stop)
        assert command.wait(timeout=30) != 0
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(running(p) for p in forks):
            time.sleep(0.05)
        assert not any(running(p) for p in forks), f"dbt's fork outlived its command ({stop.name})"
    assert running(server)


def test_a_process_that_ignores_sigterm_ends_and_its_server_with_it():
    """A process that ignores SIGTERM, as one does after a Dagster run in a script's background job
    (Dagster gives SIGTERM SIGINT's handler, which is "ignore" there), and every process it starts:
    its server inherited that, and the process, ending, waited for ever for it to go (found running
    the tests in the background)."""
    program = """
import os, signal, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
from orchestration.dbt_server import start_dbt_server
from tests.fixtures.processes import descendants
start_dbt_server()
while not (servers := [p for p, c in descendants(os.getpid()).items() if "orchestration.dbt_server" in c]):
    time.sleep(0.05)
time.sleep(1)  # past the server's start: what it inherited is what it has
print(servers[0])
"""
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=60,
                          cwd=Path(__file__).parents[1])
    assert done.returncode == 0, done.stderr[-3000:]
    server = int(done.stdout.split()[-1])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and running(server):
        time.sleep(0.05)
    assert not running(server), "the server outlived its parent"


def test_without_a_server_zonestat_dbt_runs_dbt_itself(zhome):
    # a process that never started a server runs zonestat-dbt: its dbt is its own process
    program = ("import subprocess, sys; done = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
               "print(done.returncode, done.stdout)")
    done = subprocess.run([sys.executable, "-c", program, *_show(zhome, "select 6 * 7 as answer")],
                          capture_output=True, text=True, timeout=120)
    assert done.stdout.startswith("0 ") and "42" in done.stdout, done.stdout[-2000:] + done.stderr[-2000:]
